/* bench-int workload: pure integer C, no I/O, so that the same file builds for the guest
   and for a host program (bench-int/host.c) that cross-checks the expected checksums. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

typedef unsigned int wu32;

struct bench_sums {
  wu32 sort, crc, matrix, list;
};

/* Runs `iterations` rounds of the four kernels and accumulates one checksum per kernel. */
void bench_run(wu32 iterations, struct bench_sums *out);

#endif
