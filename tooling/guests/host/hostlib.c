/* Runs a guest's guest_main as a Linux i386 program, so guests that need no privileged
   state (x87-basic, x87-rounding) can be checked against the host's own x87. Provides
   the parts of common/lib.c those guests use. Compiled with -Dputc=guest_putc
   -Dputs=guest_puts (see host/run.sh), so <stdio.h> is not included here. */
#include "lib.h"

int vprintf(const char *fmt, va_list ap);
int putchar(int c);
__attribute__((noreturn)) void exit(int status);

void putc(char c) { putchar((unsigned char)c); }
void puts(const char *s) {
  while (*s) putchar((unsigned char)*s++);
}
void kvprintf(const char *fmt, va_list ap) { vprintf(fmt, ap); }
void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

static int fail_count;
static const char *first_failure;

int check(int cond, const char *what) {
  kprintf(cond ? "  ok   %s\n" : "  FAIL %s\n", what);
  if (!cond && !fail_count++) first_failure = what;
  return cond;
}

int check_eq(const char *what, u32 got, u32 want) {
  if (got == want) {
    kprintf("  ok   %s = 0x%x\n", what, got);
    return 1;
  }
  kprintf("  FAIL %s = 0x%x, want 0x%x\n", what, got, want);
  if (!fail_count++) first_failure = what;
  return 0;
}

int failures(void) { return fail_count; }

void finish(void) {
  if (fail_count) kprintf("RESULT FAIL %s %s\n", guest_name, first_failure);
  else kprintf("RESULT PASS %s\n", guest_name);
  exit(fail_count ? 3 : 1);
}

void fail_now(const char *why) {
  if (!fail_count++) first_failure = why;
  finish();
}

void halt_forever(void) { exit(3); }

/* lib.c's helpers that the guests may call. */
void *memset(void *d, int c, u32 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, u32 n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
int memcmp(const void *a, const void *b, u32 n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}
u32 strlen(const char *s) { u32 n = 0; while (s[n]) n++; return n; }

void guest_main(u32 magic, u32 info);
int main(void) {
  guest_main(0, 0);
  return 0;
}
