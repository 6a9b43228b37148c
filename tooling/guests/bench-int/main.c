/* bench-int: a fixed CPU-bound integer workload (quick sort, CRC-32 bitwise and
   table-driven, 64x64 matrix multiply, linked-list walk) used by `npm run bench`.
   BENCH_QUICK=1 builds bench-int-quick: the same code with one iteration.

   The expected checksums were determined by running the workload once (the same
   workload.c built for the host by bench-int/host.c, and confirmed under QEMU TCG);
   change them only when the workload itself changes. */
#include "lib.h"
#include "workload.h"

#if BENCH_QUICK
const char guest_name[] = "bench-int-quick";
#define ITERATIONS 1u
#define WANT_SORT 0x02c8e199u
#define WANT_CRC 0xeb2b02acu
#define WANT_MATRIX 0x9f62df5cu
#define WANT_LIST 0x349ebd1fu
#else
const char guest_name[] = "bench-int";
#define ITERATIONS 100u
#define WANT_SORT 0x662460b5u
#define WANT_CRC 0x61f6afa5u
#define WANT_MATRIX 0x13eee29bu
#define WANT_LIST 0x5081df22u
#endif

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  struct bench_sums s;
  kprintf("bench-int: %u iteration(s)\n", ITERATIONS);
  bench_run(ITERATIONS, &s);
  kprintf("sort   0x%08x\n", s.sort);
  kprintf("crc32  0x%08x\n", s.crc);
  kprintf("matrix 0x%08x\n", s.matrix);
  kprintf("list   0x%08x\n", s.list);
  check_eq("sort checksum", s.sort, WANT_SORT);
  check_eq("crc32 checksum", s.crc, WANT_CRC);
  check_eq("matrix checksum", s.matrix, WANT_MATRIX);
  check_eq("list checksum", s.list, WANT_LIST);
  finish();
}
