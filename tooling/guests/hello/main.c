/* hello: the smallest guest. Prints a greeting and the results of a small, fixed
   computation, checks them against known values, and reports PASS. */
#include "lib.h"

const char guest_name[] = "hello";

static u32 fib(u32 n) {
  u32 a = 0, b = 1;
  while (n--) {
    u32 t = a + b;
    a = b;
    b = t;
  }
  return a;
}

/* Sum of the primes below n, by trial division. */
static u32 prime_sum(u32 n) {
  u32 sum = 0;
  for (u32 i = 2; i < n; i++) {
    u32 d = 2;
    while (d * d <= i && i % d) d++;
    if (d * d > i) sum += i;
  }
  return sum;
}

/* A small multiplicative hash over a string (FNV-1a, 32-bit). */
static u32 fnv1a(const char *s) {
  u32 h = 2166136261u;
  while (*s) {
    h ^= (u8)*s++;
    h *= 16777619u;
  }
  return h;
}

void guest_main(u32 magic, u32 info) {
  (void)info;
  puts("Hello from a virtkit guest\n");
  check_eq("multiboot magic in EAX", magic, 0x2BADB002);
  u32 f = fib(40), p = prime_sum(1000), h = fnv1a("virtkit");
  kprintf("fib(40) = %u\n", f);
  kprintf("sum of primes below 1000 = %u\n", p);
  kprintf("fnv1a(\"virtkit\") = 0x%08x\n", h);
  u32 checksum = f ^ (p * 31u) ^ h;
  kprintf("checksum = 0x%08x\n", checksum);
  check_eq("fib(40)", f, 102334155u);
  check_eq("prime sum", p, 76127u);
  check_eq("checksum", checksum, 0xca7cd0a0u);
  check_eq("fnv1a", h, 0xcc41aceau);
  kprintf("signed print: %d %d, padded: [%5u] [%04x]\n", -42, 7, 12u, 0xABu);
  finish();
}
