/* Helpers shared by the x87 guests (x87-basic, x87-rounding, x87-exceptions, x87-ferr):
   the 80-bit register image, the 32-bit protected-mode FNSAVE/FNSTENV layouts, FSW/FCW
   bit names, and checks that compare 80-bit values bit for bit. The C code never uses
   float types: every x87 instruction under test is written out in nasm, so the compiler
   cannot choose the instructions. Header only. */
#ifndef VIRTKIT_GUEST_X87_H
#define VIRTKIT_GUEST_X87_H

#include "lib.h"

/* An 80-bit register image as stored by FSTP m80: 64-bit significand (explicit integer
   bit), then sign and 15-bit exponent. */
typedef struct {
  u32 lo, hi;
  u16 se;
} __attribute__((packed)) f80;

#define F80(se, hi, lo) ((f80){ (lo), (hi), (se) })

/* FNSTENV/FLDENV image, 32-bit protected mode (28 bytes). */
struct fenv32 {
  u16 fcw, r0;
  u16 fsw, r1;
  u16 ftw, r2;          /* two bits per physical register: 00 valid 01 zero 10 special 11 empty */
  u32 fip;
  u16 fcs, fop;         /* FCS selector; bits 0-10 of fop: last opcode */
  u32 fdp;
  u16 fds, r3;
} __attribute__((packed));

/* FNSAVE/FRSTOR image, 32-bit protected mode (108 bytes): the environment, then ST(0)
   to ST(7) in stack order. */
struct fsave32 {
  struct fenv32 env;
  f80 st[8];
} __attribute__((packed));

/* FSW */
#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_C3 0x4000
#define FSW_B 0x8000
#define FSW_TOP(t) ((u32)(t) << 11)
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
/* Everything but C0, C2 and C3, which arithmetic instructions leave undefined. */
#define FSW_ARITH 0xBAFF
/* X87_STRICT=1 (build.sh: X87_STRICT=1) also checks the corners where QEMU 7.2 TCG
   departs from the SDM; the default build leaves them out so that the guests pass under
   QEMU as well as on a P6. See README.md. */
#ifndef X87_STRICT
#define X87_STRICT 0
#endif

/* The flags checked after a rounded result: FSW_ARITH without C1 by default. After an
   inexact result C1 tells whether the significand was rounded up; QEMU 7.2 never sets
   it, so it is checked only with X87_STRICT. */
#define FSW_RES (X87_STRICT ? FSW_ARITH : (FSW_ARITH & ~FSW_C1))
/* DE for denormal operands: QEMU 7.2 never sets it. */
#define FSW_NODE (X87_STRICT ? 0xFFFF : (0xFFFF & ~FSW_DE))

/* FCW: exception masks 0-5, PC bits 8-9 (0 = 24, 2 = 53, 3 = 64 bits), RC bits 10-11
   (0 nearest, 1 down, 2 up, 3 toward zero). Bit 6 reads as 1. */
#define FCW_DEFAULT 0x037F
#define FCW_PC(p) ((u32)(p) << 8)
#define FCW_RC(r) ((u32)(r) << 10)

/* EFLAGS bits written by FCOMI/FUCOMI. */
#define EFL_CF 0x001
#define EFL_PF 0x004
#define EFL_AF 0x010
#define EFL_ZF 0x040
#define EFL_SF 0x080
#define EFL_OF 0x800

static inline int f80_eq(const f80 *a, const f80 *b) {
  return a->lo == b->lo && a->hi == b->hi && a->se == b->se;
}

static inline void f80_print(const f80 *v) {
  kprintf("%04x:%08x%08x", v->se, v->hi, v->lo);
}

/* Checks an 80-bit value bit for bit; prints "ok name = se:mantissa", or the two values
   and a FAIL line. */
static inline int check_f80(const char *what, const f80 *got, f80 want) {
  if (f80_eq(got, &want)) {
    kprintf("  ok   %s = ", what);
    f80_print(got);
    putc('\n');
    return 1;
  }
  puts("  got ");
  f80_print(got);
  puts(", want ");
  f80_print(&want);
  putc('\n');
  return check(0, what);
}

/* Checks FSW bits under a mask. Only the checked bits are printed, so that the output
   does not depend on bits the guest leaves unchecked. */
static inline int check_fsw(const char *what, u32 fsw, u32 mask, u32 want) {
  if ((fsw & mask) == (want & mask)) {
    kprintf("  ok   %s: FSW & 0x%04x = 0x%04x\n", what, mask, fsw & mask);
    return 1;
  }
  kprintf("  got FSW = 0x%04x, want 0x%04x under mask 0x%04x\n", fsw, want & mask, mask);
  return check(0, what);
}

/* The exact 80-bit value of the integer constant n * 2^e (n != 0), usable in static
   initialisers. */
#define X87_ABS(n) ((n) < 0 ? 0u - (u32)(n) : (u32)(n))
#define FX(n, e)                                                         \
  ((f80){ 0, X87_ABS(n) << __builtin_clz(X87_ABS(n)),                      \
          (u16)(((n) < 0 ? 0x8000 : 0) | (16383 + 31 + (e) - __builtin_clz(X87_ABS(n)))) })
#define FI(n) FX(n, 0)

/* Copies a value into a (possibly packed) operand slot. */
static inline void set_f80(f80 *dst, f80 v) { *dst = v; }

/* Names built at run time for checks; never reused, so the first failure's name stays. */
static char x87_name_pool[24576];
static u32 x87_name_used;
static inline const char *cat(const char *a, const char *b) {
  u32 need = strlen(a) + strlen(b) + 2;
  if (x87_name_used + need > sizeof(x87_name_pool)) return a;
  char *p = x87_name_pool + x87_name_used;
  x87_name_used += need;
  char *q = p;
  while (*a) *q++ = *a++;
  *q++ = ' ';
  while (*b) *q++ = *b++;
  *q = 0;
  return p;
}

#endif
