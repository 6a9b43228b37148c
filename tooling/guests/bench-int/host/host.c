/* Host cross-check for bench-int: builds the same workload as a Linux program and prints
   the checksums the guest compares against. Not part of the guest image; build.sh skips it.
     gcc -m32 -O2 -o /tmp/bench-host -Ibench-int bench-int/host/host.c bench-int/workload.c
     /tmp/bench-host 1     # bench-int-quick
     /tmp/bench-host 100   # bench-int            */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

int main(int argc, char **argv) {
  struct bench_sums s;
  wu32 n = argc > 1 ? (wu32)strtoul(argv[1], 0, 0) : 1;
  bench_run(n, &s);
  printf("iterations %u: sort 0x%08x crc 0x%08x matrix 0x%08x list 0x%08x\n", n, s.sort, s.crc,
         s.matrix, s.list);
  return 0;
}
