/* x87-basic: the x87 instruction set with round-to-nearest, 64-bit precision and every
   exception masked. FNINIT state, integer/real/BCD loads and stores, constants, stack
   handling, arithmetic in every encoding, FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1,
   comparisons and FXAM, FCOMI/FCMOVcc (when CPUID reports CMOV), FNSTENV/FLDENV,
   FNSAVE/FRSTOR and FLDCW/FNSTCW. Results are compared bit for bit; the expected values
   follow the SDM (and IEEE 754 rounding for the 64-bit significand). The instructions
   under test are in tests.asm. With -DHOST_BUILD the same file runs as a Linux i386
   program (see README.md), which checks the expected values on the host's x87. */
#include "lib.h"
#include "x87.h"

const char guest_name[] = "x87-basic";

extern f80 opA, opB, opC;
extern u32 m32a, i32a, flg;
extern u64 m64a, i64a;
extern u16 i16a, cw;
extern u8 bcda[10];
extern u8 res[64];
extern struct fsave32 fsv, sv1, sv2, img;
extern struct fenv32 env1, env2;

typedef void tfn(void);
extern tfn t_init, t_ild, t_ist, t_fldr, t_fstr, t_bcd, t_const, t_fxch, t_ffree, t_stp,
    t_abschs, t_noarg, t_fsqrt, t_frndint, t_fscale, t_fxtract, t_fprem, t_fprem1,
    t_fprem_loop, t_env, t_save, t_frstor, t_cw;
#define ARITH_DECL(op) \
  extern tfn t_##op##_st0_sti, t_##op##_sti_st0, t_##op##p, t_##op##_m32, t_##op##_m64, \
      t_##op##_i16, t_##op##_i32;
ARITH_DECL(add) ARITH_DECL(mul) ARITH_DECL(sub) ARITH_DECL(subr) ARITH_DECL(div)
ARITH_DECL(divr)
extern tfn t_fcom_st2, t_fcom_m32, t_fcom_m64, t_fcomp_st2, t_fcomp_m32, t_fcomp_m64,
    t_fcompp, t_fucom_st2, t_fucomp_st2, t_fucompp, t_ficom_m16, t_ficom_m32, t_ficomp_m16,
    t_ficomp_m32, t_fcom_noarg, t_ftst, t_fxam, t_fxam_empty, t_fcomi, t_fcomip, t_fucomi,
    t_fucomip, t_fcmovb, t_fcmove, t_fcmovbe, t_fcmovu, t_fcmovnb, t_fcmovne, t_fcmovnbe,
    t_fcmovnu, t_ptrs;
extern const u8 t_ptrs_fld[];

static u16 rd16(const u8 *p) { return (u16)(p[0] | (p[1] << 8)); }
static u32 rd32b(const u8 *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((u32)p[3] << 24); }

#define PI F80(0x4000, 0xC90FDAA2, 0x2168C235)
#define THIRD F80(0x3FFD, 0xAAAAAAAA, 0xAAAAAAAB)    /* 1/3 rounded to nearest */
#define QNAN F80(0x7FFF, 0xC0000000, 0x00000000)
#define INDEFINITE F80(0xFFFF, 0xC0000000, 0x00000000)
#define PINF F80(0x7FFF, 0x80000000, 0x00000000)
#define NINF F80(0xFFFF, 0x80000000, 0x00000000)
#define PZERO F80(0x0000, 0, 0)
#define NZERO F80(0x8000, 0, 0)

static void init_state(void) {
  puts("FNINIT state:\n");
  cw = 0x0C67;     /* chop, 24-bit, OM UM unmasked: FNINIT must undo all of it */
  set_f80(&opA, PI);
  t_init();
  check_eq("FNSTCW after FNINIT", rd16(res), FCW_DEFAULT);
  check_eq("FNSTSW m16 after FNINIT", rd16(res + 2), 0);
  check_eq("FNSTSW AX after FNINIT", rd16(res + 4), 0);
  const struct fenv32 *e = (const struct fenv32 *)(res + 8);
  check_eq("FNSTENV FCW", e->fcw, FCW_DEFAULT);
  check_eq("FNSTENV FSW", e->fsw, 0);
  check_eq("FNSTENV FTW (all empty)", e->ftw, 0xFFFF);
  check_eq("FNSTENV last opcode cleared", e->fop & 0x7FF, 0);
  check_eq("FNSTENV FDP cleared", e->fdp, 0);
  /* FNINIT clears FIP (SDM) and FNSTSW AX, a control instruction, leaves it; QEMU 7.2
     sets FIP to the FNSTSW AX. */
  if (X87_STRICT) check_eq("FNSTENV FIP cleared", e->fip, 0);
}

static void integers(void) {
  puts("FILD m16/m32/m64:\n");
  i16a = (u16)-12345;
  i32a = (u32)-2000000001;
  i64a = (u64)-0x0123456789ABCDEFll;
  t_ild();
  check_f80("FILD m16 -12345", &fsv.st[2], F80(0xC00C, 0xC0E40000, 0x00000000));
  check_f80("FILD m32 -2000000001", &fsv.st[1], F80(0xC01D, 0xEE6B2802, 0x00000000));
  check_f80("FILD m64 -0x0123456789ABCDEF", &fsv.st[0], F80(0xC037, 0x91A2B3C4, 0xD5E6F780));
  check_fsw("FILD x3", fsv.env.fsw, FSW_ARITH, FSW_TOP(5));
  check_eq("FTW after 3 loads", fsv.env.ftw, 0x03FF);

  puts("FIST/FISTP m16/m32/m64:\n");
  set_f80(&opA, FX(5, -1));   /* 2.5 */
  set_f80(&opB, FX(-7, -1));  /* -3.5 */
  t_ist();
  check_eq("FISTP m64 low", rd32b(res), 0x76543211);
  check_eq("FISTP m64 high", rd32b(res + 4), 0xFEDCBA98);
  check_eq("FIST m32", rd32b(res + 8), (u32)-2000000001);
  check_eq("FISTP m32", rd32b(res + 12), (u32)-2000000001);
  check_eq("FIST m16", rd16(res + 16), (u16)-12345);
  check_eq("FISTP m16", rd16(res + 18), (u16)-12345);
  check_eq("FIST m32 of 2.5 (nearest even)", rd32b(res + 20), 2);
  check_eq("FISTP m16 of -3.5 (nearest even)", rd16(res + 24), (u16)-4);
  check_f80("ST0 after the pops", &fsv.st[0], FX(5, -1));
  /* The last rounding (-3.5 -> -4) increased the magnitude: C1 = 1. */
  check_fsw("FIST/FISTP", fsv.env.fsw, FSW_RES, FSW_TOP(7) | FSW_PE | FSW_C1);
}

static void reals(void) {
  puts("FLD m32/m64/m80/ST(i):\n");
  m32a = 0x3F9DF3B6;              /* 1.234f */
  m64a = 0xC00921FB54442D18ull;   /* -pi as a double */
  set_f80(&opA, THIRD);
  t_fldr();
  check_f80("FLD m32", &fsv.st[3], F80(0x3FFF, 0x9DF3B600, 0x00000000));
  check_f80("FLD m64", &fsv.st[2], F80(0xC000, 0xC90FDAA2, 0x2168C000));
  check_f80("FLD m80", &fsv.st[1], THIRD);
  check_f80("FLD ST(2)", &fsv.st[0], F80(0x3FFF, 0x9DF3B600, 0x00000000));
  check_fsw("FLD x4 (exact, no flags)", fsv.env.fsw, FSW_ARITH, FSW_TOP(4));

  puts("FST/FSTP m32/m64/m80/ST(i):\n");
  set_f80(&opB, F80(0xBFFE, 0xAAAAAAAA, 0xAAAAAAAB)); /* -2/3 */
  t_fstr();
  check_eq("FST m32 of 1/3", rd32b(res), 0x3EAAAAAB);
  check_eq("FST m64 of 1/3 low", rd32b(res + 4), 0x55555555);
  check_eq("FST m64 of 1/3 high", rd32b(res + 8), 0x3FD55555);
  check_f80("FSTP m80", (const f80 *)(res + 12), THIRD);
  check_eq("FST m32 of -2/3", rd32b(res + 24), 0xBF2AAAAB);
  check_eq("FSTP m64 of -2/3 low", rd32b(res + 28), 0x55555555);
  check_eq("FSTP m64 of -2/3 high", rd32b(res + 32), 0xBFE55555);
  check_f80("FST ST(2) / FSTP ST(1): ST0", &fsv.st[0], PI);
  check_f80("FST ST(2) / FSTP ST(1): ST1", &fsv.st[1], PI);
  check_f80("FST ST(2) / FSTP ST(1): ST2", &fsv.st[2], THIRD);
  check_fsw("FST/FSTP (PE from the m32/m64 stores)", fsv.env.fsw, FSW_RES,
            FSW_TOP(5) | FSW_PE);

  puts("FBLD/FBSTP:\n");
  static const u8 bcd_in[10] = { 0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80 };
  static const u8 bcd_round[10] = { 0x68, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0 };
  memcpy(bcda, bcd_in, 10);
  set_f80(&opA, FX(2469135, -1)); /* 1234567.5 */
  t_bcd();
  check_f80("FBLD -123456789012345678", &fsv.st[0], F80(0xC037, 0xDB4DA5D3, 0x1879A700));
  check(memcmp(res, bcd_in, 10) == 0, "FBSTP round trip");
  check(memcmp(res + 10, bcd_round, 10) == 0, "FBSTP 1234567.5 -> 1234568");
  check_fsw("FBSTP (rounded up: PE, C1)", fsv.env.fsw, FSW_RES, FSW_TOP(7) | FSW_PE | FSW_C1);
}

static void constants(void) {
  puts("constants (round to nearest):\n");
  t_const();
  check_f80("FLDLN2", &fsv.st[0], F80(0x3FFE, 0xB17217F7, 0xD1CF79AC));
  check_f80("FLDLG2", &fsv.st[1], F80(0x3FFD, 0x9A209A84, 0xFBCFF799));
  check_f80("FLDL2T", &fsv.st[2], F80(0x4000, 0xD49A784B, 0xCD1B8AFE));
  check_f80("FLDL2E", &fsv.st[3], F80(0x3FFF, 0xB8AA3B29, 0x5C17F0BC));
  check_f80("FLDPI", &fsv.st[4], PI);
  check_f80("FLDZ", &fsv.st[5], PZERO);
  check_f80("FLD1", &fsv.st[6], FI(1));
  check_fsw("constants (no flags)", fsv.env.fsw, FSW_ARITH, FSW_TOP(1));
  check_eq("FTW: 6 valid, 1 zero, 1 empty", fsv.env.ftw, 0x1003);
}

static void stack_ops(void) {
  puts("FXCH:\n");
  t_fxch();
  check_f80("FXCH ST2, FXCH: ST0", &fsv.st[0], FI(1));
  check_f80("FXCH ST2, FXCH: ST1", &fsv.st[1], PZERO);
  check_f80("FXCH ST2, FXCH: ST2", &fsv.st[2], PI);
  check_fsw("FXCH", fsv.env.fsw, FSW_ARITH, FSW_TOP(5));

  puts("FFREE:\n");
  t_ffree();
  const struct fenv32 *e = (const struct fenv32 *)res;
  check_eq("FTW after FFREE ST1", e->ftw, 0x33FF);
  check_fsw("FXAM of the freed register: empty", rd16(res + 28), FSW_C3 | FSW_C2 | FSW_C0,
            FSW_C3 | FSW_C0);
  check_eq("FTW in FNSAVE", fsv.env.ftw, 0x33FF);
  check_f80("FFREE left ST0", &fsv.st[0], PI);
  check_f80("FFREE left ST2", &fsv.st[2], FI(1));

  puts("FINCSTP/FDECSTP:\n");
  t_stp();
  check_fsw("after FLD1 FCHS FXAM", rd16(res), FSW_TOP(7) | FSW_CC,
            FSW_TOP(7) | FSW_C1 | FSW_C2);
  check_fsw("FINCSTP: TOP 0, C1 0", rd16(res + 2), FSW_TOP(7) | FSW_C1, 0);
  check_fsw("FDECSTP x2: TOP 6", rd16(res + 4), FSW_TOP(7) | FSW_C1, FSW_TOP(6));
  check_eq("FINCSTP/FDECSTP do not change tags", fsv.env.ftw, 0x3FFF);
  check_f80("ST1 = phys 7 = -1", &fsv.st[1], FI(-1));

  puts("FABS/FCHS:\n");
  set_f80(&opA, F80(0xBFFD, 0xAAAAAAAA, 0xAAAAAAAB));
  set_f80(&opB, PZERO);
  t_abschs();
  check_f80("FCHS +0", &fsv.st[0], NZERO);
  check_f80("FCHS -1/3", &fsv.st[1], THIRD);
  check_f80("FABS -1/3", &fsv.st[2], THIRD);
  check_f80("operand kept", &fsv.st[3], F80(0xBFFD, 0xAAAAAAAA, 0xAAAAAAAB));
  check_fsw("FABS/FCHS (no flags)", fsv.env.fsw, FSW_ARITH, FSW_TOP(4));
}

/* Arithmetic with ST0 = A = 1/3, ST1 = B = -1 (not an operand), ST2 = C = pi,
   m32 = 0.1f, m64 = 0.1, m16int = -7, m32int = 100000007. reg: where the result is;
   other/ov: another register that must be unchanged. */
struct arith {
  const char *name;
  tfn *fn;
  int reg;
  f80 want;
  u16 fsw;
  int other;
  f80 ov;
};

#define A_ THIRD
#define B_ F80(0xBFFF, 0x80000000, 0x00000000)
#define C_ PI
static const struct arith arith_tab[] = {
  { "fadd st0,st2", t_add_st0_sti, 0, F80(0x4000, 0xDE652FF7, 0x76BE178A), 0x2820, 2, C_ },
  { "fadd st2,st0", t_add_sti_st0, 2, F80(0x4000, 0xDE652FF7, 0x76BE178A), 0x2820, 0, A_ },
  { "faddp st2,st0", t_addp, 1, F80(0x4000, 0xDE652FF7, 0x76BE178A), 0x3020, 0, B_ },
  { "fadd m32", t_add_m32, 0, F80(0x3FFD, 0xDDDDDDEA, 0xAAAAAAAB), 0x2800, 1, B_ },
  { "fadd m64", t_add_m64, 0, F80(0x3FFD, 0xDDDDDDDD, 0xDDDDDEAB), 0x2800, 1, B_ },
  { "fiadd m16int", t_add_i16, 0, F80(0xC001, 0xD5555555, 0x55555555), 0x2820, 1, B_ },
  { "fiadd m32int", t_add_i32, 0, F80(0x4019, 0xBEBC20EA, 0xAAAAAAAB), 0x2A20, 1, B_ },
  { "fmul st0,st2", t_mul_st0_sti, 0, F80(0x3FFF, 0x860A91C1, 0x6B9B2C24), 0x2A20, 2, C_ },
  { "fmul st2,st0", t_mul_sti_st0, 2, F80(0x3FFF, 0x860A91C1, 0x6B9B2C24), 0x2A20, 0, A_ },
  { "fmulp st2,st0", t_mulp, 1, F80(0x3FFF, 0x860A91C1, 0x6B9B2C24), 0x3220, 0, B_ },
  { "fmul m32", t_mul_m32, 0, F80(0x3FFA, 0x888888AA, 0xAAAAAAAB), 0x2A20, 1, B_ },
  { "fmul m64", t_mul_m64, 0, F80(0x3FFA, 0x88888888, 0x88888AAB), 0x2A20, 1, B_ },
  { "fimul m16int", t_mul_i16, 0, F80(0xC000, 0x95555555, 0x55555556), 0x2A20, 1, B_ },
  { "fimul m32int", t_mul_i32, 0, F80(0x4017, 0xFE502BD5, 0x55555556), 0x2A20, 1, B_ },
  { "fsub st0,st2", t_sub_st0_sti, 0, F80(0xC000, 0xB3BA854C, 0xCC136CE0), 0x2A20, 2, C_ },
  { "fsub st2,st0", t_sub_sti_st0, 2, F80(0x4000, 0xB3BA854C, 0xCC136CE0), 0x2A20, 0, A_ },
  { "fsubp st2,st0", t_subp, 1, F80(0x4000, 0xB3BA854C, 0xCC136CE0), 0x3220, 0, B_ },
  { "fsub m32", t_sub_m32, 0, F80(0x3FFC, 0xEEEEEED5, 0x55555556), 0x2800, 1, B_ },
  { "fsub m64", t_sub_m64, 0, F80(0x3FFC, 0xEEEEEEEE, 0xEEEEED56), 0x2800, 1, B_ },
  { "fisub m16int", t_sub_i16, 0, F80(0x4001, 0xEAAAAAAA, 0xAAAAAAAB), 0x2A20, 1, B_ },
  { "fisub m32int", t_sub_i32, 0, F80(0xC019, 0xBEBC20D5, 0x55555555), 0x2820, 1, B_ },
  { "fsubr st0,st2", t_subr_st0_sti, 0, F80(0x4000, 0xB3BA854C, 0xCC136CE0), 0x2A20, 2, C_ },
  { "fsubr st2,st0", t_subr_sti_st0, 2, F80(0xC000, 0xB3BA854C, 0xCC136CE0), 0x2A20, 0, A_ },
  { "fsubrp st2,st0", t_subrp, 1, F80(0xC000, 0xB3BA854C, 0xCC136CE0), 0x3220, 0, B_ },
  { "fsubr m32", t_subr_m32, 0, F80(0xBFFC, 0xEEEEEED5, 0x55555556), 0x2800, 1, B_ },
  { "fsubr m64", t_subr_m64, 0, F80(0xBFFC, 0xEEEEEEEE, 0xEEEEED56), 0x2800, 1, B_ },
  { "fisubr m16int", t_subr_i16, 0, F80(0xC001, 0xEAAAAAAA, 0xAAAAAAAB), 0x2A20, 1, B_ },
  { "fisubr m32int", t_subr_i32, 0, F80(0x4019, 0xBEBC20D5, 0x55555555), 0x2820, 1, B_ },
  { "fdiv st0,st2", t_div_st0_sti, 0, F80(0x3FFB, 0xD94CAF3D, 0xBDB01C38), 0x2820, 2, C_ },
  { "fdiv st2,st0", t_div_sti_st0, 2, F80(0x4002, 0x96CBE3F9, 0x990E91A7), 0x2820, 0, A_ },
  { "fdivp st2,st0", t_divp, 1, F80(0x4002, 0x96CBE3F9, 0x990E91A7), 0x3020, 0, B_ },
  { "fdiv m32", t_div_m32, 0, F80(0x4000, 0xD5555520, 0x00000D56), 0x2A20, 1, B_ },
  { "fdiv m64", t_div_m64, 0, F80(0x4000, 0xD5555555, 0x55555200), 0x2820, 1, B_ },
  { "fidiv m16int", t_div_i16, 0, F80(0xBFFA, 0xC30C30C3, 0x0C30C30D), 0x2A20, 1, B_ },
  { "fidiv m32int", t_div_i32, 0, F80(0x3FE2, 0xE5109DB5, 0x0200C6B1), 0x2A20, 1, B_ },
  { "fdivr st0,st2", t_divr_st0_sti, 0, F80(0x4002, 0x96CBE3F9, 0x990E91A7), 0x2820, 2, C_ },
  { "fdivr st2,st0", t_divr_sti_st0, 2, F80(0x3FFB, 0xD94CAF3D, 0xBDB01C38), 0x2820, 0, A_ },
  { "fdivrp st2,st0", t_divrp, 1, F80(0x3FFB, 0xD94CAF3D, 0xBDB01C38), 0x3020, 0, B_ },
  { "fdivr m32", t_divr_m32, 0, F80(0x3FFD, 0x999999C0, 0x00000000), 0x2A20, 1, B_ },
  { "fdivr m64", t_divr_m64, 0, F80(0x3FFD, 0x99999999, 0x99999C00), 0x2A20, 1, B_ },
  { "fidivr m16int", t_divr_i16, 0, F80(0xC003, 0xA8000000, 0x00000000), 0x2A20, 1, B_ },
  { "fidivr m32int", t_divr_i32, 0, F80(0x401B, 0x8F0D18A8, 0x00000000), 0x2A20, 1, B_ },
};

static void arithmetic(void) {
  puts("arithmetic, every form (A = 1/3, C = pi; m32 0.1f, m64 0.1, m16 -7, m32 100000007):\n");
  set_f80(&opA, A_);
  set_f80(&opB, B_);
  set_f80(&opC, C_);
  m32a = 0x3DCCCCCD;
  m64a = 0x3FB999999999999Aull;
  i16a = (u16)-7;
  i32a = 100000007;
  for (u32 i = 0; i < sizeof(arith_tab) / sizeof(arith_tab[0]); i++) {
    const struct arith *t = &arith_tab[i];
    t->fn();
    check_f80(t->name, &fsv.st[t->reg], t->want);
    check_fsw(t->name, fsv.env.fsw, FSW_RES, t->fsw);
    check_f80(cat(t->name, "other register"), &fsv.st[t->other], t->ov);
  }
  t_noarg();
  check_f80("FSUBP (no operands): C - A", &fsv.st[1], F80(0x4000, 0xB3BA854C, 0xCC136CE0));
  check_f80("FDIVRP (no operands): C / A", &fsv.st[0], F80(0x4002, 0x96CBE3F9, 0x990E91A7));
  check_fsw("FSUBP, FXCH, FDIVRP", fsv.env.fsw, FSW_RES, FSW_TOP(6) | FSW_PE);
}

struct unop {
  const char *name;
  f80 a, b;          /* ST0, ST1 before */
  f80 r0, r1;        /* ST0, ST1 after (r1 checked when check1) */
  int check1;
  u16 fsw;           /* the SDM value; checked under the mask given to run_unops */
  int cc;
};

static void run_unops(tfn *fn, const struct unop *t, u32 n, u32 mask) {
  for (u32 i = 0; i < n; i++, t++) {
    set_f80(&opA, t->a);
    set_f80(&opB, t->b);
    fn();
    check_f80(t->name, &fsv.st[0], t->r0);
    if (t->check1) check_f80(cat(t->name, "ST1"), &fsv.st[1], t->r1);
    check_fsw(t->name, fsv.env.fsw, mask, t->fsw);
  }
}

static const struct unop sqrt_tab[] = {
  { "FSQRT 2", FI(2), PZERO, F80(0x3FFF, 0xB504F333, 0xF9DE6484), PZERO, 0, 0x3820, 0 },
  { "FSQRT 1/3", THIRD, PZERO, F80(0x3FFE, 0x93CD3A2C, 0x8198E269), PZERO, 0, 0x3820, 0 },
  { "FSQRT 4", FI(4), PZERO, FI(2), PZERO, 0, 0x3800, 0 },
  { "FSQRT -0", NZERO, PZERO, NZERO, PZERO, 0, 0x3800, 0 },
};

static const struct unop rndint_tab[] = {
  { "FRNDINT 2.5", { 0, 0xA0000000, 0x4000 }, PZERO, FI(2), PZERO, 0, 0x3820, 0 },
  { "FRNDINT -3.5", { 0, 0xE0000000, 0xC000 }, PZERO, FI(-4), PZERO, 0, 0x3A20, 0 },
  { "FRNDINT 1.75", { 0, 0xE0000000, 0x3FFF }, PZERO, FI(2), PZERO, 0, 0x3A20, 0 },
  { "FRNDINT -0.25", { 0, 0x80000000, 0xBFFD }, PZERO, NZERO, PZERO, 0, 0x3820, 0 },
  { "FRNDINT 7", { 0, 0xE0000000, 0x4001 }, PZERO, FI(7), PZERO, 0, 0x3800, 0 },
};

static const struct unop fscale_tab[] = {
  { "FSCALE 1.5 by 3", { 0, 0xC0000000, 0x3FFF }, FI(3), FI(12), FI(3), 1, 0x3000, 0 },
  { "FSCALE 1.5 by -2.7", { 0, 0xC0000000, 0x3FFF }, F80(0xC000, 0xACCCCCCC, 0xCCCCCCCD),
    F80(0x3FFD, 0xC0000000, 0), F80(0xC000, 0xACCCCCCC, 0xCCCCCCCD), 1, 0x3000, 0 },
  { "FSCALE -1 by 0.9", FI(-1), F80(0x3FFE, 0xE6666666, 0x66666666), FI(-1),
    F80(0x3FFE, 0xE6666666, 0x66666666), 1, 0x3000, 0 },
  { "FSCALE pi by 1000", PI, FI(1000), F80(0x43E8, 0xC90FDAA2, 0x2168C235), FI(1000), 1,
    0x3000, 0 },
};

static const struct unop fxtract_tab[] = {
  { "FXTRACT 12", FI(12), PZERO, F80(0x3FFF, 0xC0000000, 0), FI(3), 1, 0x3000, 0 },
  { "FXTRACT -3/32", F80(0xBFFB, 0xC0000000, 0), PZERO, F80(0xBFFF, 0xC0000000, 0), FI(-4), 1,
    0x3000, 0 },
  { "FXTRACT pi", PI, PZERO, F80(0x3FFF, 0xC90FDAA2, 0x2168C235), FI(1), 1, 0x3000, 0 },
};

/* FPREM/FPREM1 quotient bits: C0 = Q2, C3 = Q1, C1 = Q0; C2 = 0 when complete. */
static const struct unop fprem_tab[] = {
  { "FPREM 10 mod 3", FI(10), FI(3), FI(1), FI(3), 1, 0x3000 | FSW_C3 | FSW_C1, 1 },
  { "FPREM 11 mod 3", FI(11), FI(3), FI(2), FI(3), 1, 0x3000 | FSW_C3 | FSW_C1, 1 },
  { "FPREM -10 mod 3", FI(-10), FI(3), FI(-1), FI(3), 1, 0x3000 | FSW_C3 | FSW_C1, 1 },
  { "FPREM 100 mod pi", FI(100), PI, F80(0x4000, 0xA714865D, 0xF4507B95), PI, 1,
    0x3000 | FSW_C0 | FSW_C3 | FSW_C1, 1 },
  { "FPREM 2 mod 3", FI(2), FI(3), FI(2), FI(3), 1, 0x3000, 1 },
};

static const struct unop fprem1_tab[] = {
  { "FPREM1 11 rem 3", FI(11), FI(3), FI(-1), FI(3), 1, 0x3000 | FSW_C0, 1 },
  { "FPREM1 10 rem 4", FI(10), FI(4), FI(2), FI(4), 1, 0x3000 | FSW_C3, 1 },
  { "FPREM1 10 rem 3", FI(10), FI(3), FI(1), FI(3), 1, 0x3000 | FSW_C3 | FSW_C1, 1 },
  { "FPREM1 2 rem 3", FI(2), FI(3), FI(-1), FI(3), 1, 0x3000 | FSW_C1, 1 },
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

static void other_arith(void) {
  puts("FSQRT:\n");
  run_unops(t_fsqrt, sqrt_tab, N(sqrt_tab), FSW_RES);
  puts("FRNDINT (nearest):\n");
  run_unops(t_frndint, rndint_tab, N(rndint_tab), FSW_RES);
  puts("FSCALE:\n");
  run_unops(t_fscale, fscale_tab, N(fscale_tab), FSW_RES);
  puts("FXTRACT:\n");
  run_unops(t_fxtract, fxtract_tab, N(fxtract_tab), FSW_RES);
  puts("FPREM:\n");
  run_unops(t_fprem, fprem_tab, N(fprem_tab), FSW_ARITH | FSW_CC);
  /* QEMU 7.2 leaves C0/C3/C1 clear after FPREM1: the quotient bits are checked only
     with X87_STRICT. */
  puts("FPREM1:\n");
  run_unops(t_fprem1, fprem1_tab, N(fprem1_tab),
            X87_STRICT ? FSW_ARITH | FSW_CC : FSW_RES | FSW_C2);

  puts("FPREM with exponents 99 apart (partial remainders):\n");
  set_f80(&opA, FX(1, 100));
  set_f80(&opB, FI(3));
  t_fprem();
  check_fsw("first FPREM incomplete (C2)", fsv.env.fsw, FSW_C2, FSW_C2);
  t_fprem_loop();
  check(rd32b(res) >= 2, "more than one iteration");
  check_f80("2^100 mod 3", &fsv.st[0], FI(1));
  /* The quotient bits of the last step depend on how far each partial step went. */
  check_fsw("final FPREM complete", fsv.env.fsw, FSW_C2 | (FSW_ARITH & ~FSW_C1), 0x3000);
}

/* --- comparisons --- */
#define CC_GT 0
#define CC_LT FSW_C0
#define CC_EQ FSW_C3
#define CC_UN (FSW_C3 | FSW_C2 | FSW_C0)

struct cmpop {
  const char *name;
  tfn *fn;
  int pops;           /* TOP after: 5 - pops for LOAD3, 6 - pops for LOAD2 */
  int two;            /* LOAD2 (ST0 = A, ST1 = C) */
  int ie_on_qnan;
};

static const struct cmpop cmp_tab[] = {
  { "FCOM ST2", t_fcom_st2, 0, 0, 1 },
  { "FCOM m32", t_fcom_m32, 0, 0, 1 },
  { "FCOM m64", t_fcom_m64, 0, 0, 1 },
  { "FCOM (ST1)", t_fcom_noarg, 0, 0, 1 },
  { "FCOMP ST2", t_fcomp_st2, 1, 0, 1 },
  { "FCOMP m32", t_fcomp_m32, 1, 0, 1 },
  { "FCOMP m64", t_fcomp_m64, 1, 0, 1 },
  { "FCOMPP", t_fcompp, 2, 1, 1 },
  { "FUCOM ST2", t_fucom_st2, 0, 0, 0 },
  { "FUCOMP ST2", t_fucomp_st2, 1, 0, 0 },
  { "FUCOMPP", t_fucompp, 2, 1, 0 },
  { "FICOM m16", t_ficom_m16, 0, 0, 1 },
  { "FICOM m32", t_ficom_m32, 0, 0, 1 },
  { "FICOMP m16", t_ficomp_m16, 1, 0, 1 },
  { "FICOMP m32", t_ficomp_m32, 1, 0, 1 },
};

struct cmpcase {
  const char *name;
  f80 a;
  u32 cc;
  int nan;
};

static const struct cmpcase cmp_cases[] = {
  { "1 vs 2", { 0, 0x80000000, 0x3FFF }, CC_LT, 0 },
  { "2 vs 2", { 0, 0x80000000, 0x4000 }, CC_EQ, 0 },
  { "3 vs 2", { 0, 0xC0000000, 0x4000 }, CC_GT, 0 },
  { "-inf vs 2", { 0, 0x80000000, 0xFFFF }, CC_LT, 0 },
  { "QNaN vs 2", { 0, 0xC0000000, 0x7FFF }, CC_UN, 1 },
};

static void compares(void) {
  puts("FCOM/FCOMP/FCOMPP/FUCOM*/FICOM* (C = 2):\n");
  set_f80(&opB, FI(2));
  set_f80(&opC, FI(2));
  m32a = 0x40000000;
  m64a = 0x4000000000000000ull;
  i16a = 2;
  i32a = 2;
  for (u32 i = 0; i < N(cmp_tab); i++) {
    const struct cmpop *op = &cmp_tab[i];
    for (u32 j = 0; j < N(cmp_cases); j++) {
      const struct cmpcase *c = &cmp_cases[j];
      set_f80(&opA, c->a);
      op->fn();
      u32 top = (op->two ? 6 : 5) + op->pops;
      u32 want = FSW_TOP(top & 7) | c->cc | (c->nan && op->ie_on_qnan ? FSW_IE : 0);
      check_fsw(cat(op->name, c->name), rd16(res), FSW_ARITH | FSW_CC, want);
    }
  }
  puts("FUCOM with an SNaN:\n");
  set_f80(&opA, F80(0x7FFF, 0xA0000000, 0));
  t_fucom_st2();
  check_fsw("FUCOM SNaN vs 2", rd16(res), FSW_ARITH | FSW_CC, FSW_TOP(5) | CC_UN | FSW_IE);

  puts("FTST:\n");
  static const struct cmpcase tst[] = {
    { "FTST 1", { 0, 0x80000000, 0x3FFF }, CC_GT, 0 },
    { "FTST -1", { 0, 0x80000000, 0xBFFF }, CC_LT, 0 },
    { "FTST +0", { 0, 0, 0 }, CC_EQ, 0 },
    { "FTST -0", { 0, 0, 0x8000 }, CC_EQ, 0 },
    { "FTST -denormal", { 1, 0, 0x8000 }, CC_LT, 0 },
    { "FTST QNaN", { 0, 0xC0000000, 0x7FFF }, CC_UN, 1 },
  };
  for (u32 j = 0; j < N(tst); j++) {
    set_f80(&opA, tst[j].a);
    t_ftst();
    u32 want = FSW_TOP(7) | tst[j].cc | (tst[j].nan ? FSW_IE : 0) | (j == 4 ? FSW_DE : 0);
    /* A denormal operand sets DE (SDM); QEMU 7.2 does not (FSW_NODE). */
    check_fsw(tst[j].name, rd16(res), (FSW_ARITH | FSW_CC) & FSW_NODE, want);
  }

  puts("FXAM:\n");
  static const struct cmpcase xam[] = {
    { "FXAM +normal", { 0, 0x80000000, 0x3FFF }, FSW_C2, 0 },
    { "FXAM -normal", { 0, 0x80000000, 0xBFFF }, FSW_C2 | FSW_C1, 0 },
    { "FXAM +0", { 0, 0, 0 }, FSW_C3, 0 },
    { "FXAM -0", { 0, 0, 0x8000 }, FSW_C3 | FSW_C1, 0 },
    { "FXAM +inf", { 0, 0x80000000, 0x7FFF }, FSW_C2 | FSW_C0, 0 },
    { "FXAM -inf", { 0, 0x80000000, 0xFFFF }, FSW_C2 | FSW_C0 | FSW_C1, 0 },
    { "FXAM QNaN", { 0, 0xC0000000, 0x7FFF }, FSW_C0, 0 },
    { "FXAM -SNaN", { 0, 0xA0000000, 0xFFFF }, FSW_C0 | FSW_C1, 0 },
    { "FXAM denormal", { 1, 0, 0 }, FSW_C3 | FSW_C2, 0 },
    { "FXAM unnormal (unsupported)", { 0, 0x40000000, 0x4000 }, 0, 0 },
    { "FXAM pseudo-infinity (unsupported)", { 0, 0, 0x7FFF }, 0, 0 },
  };
  for (u32 j = 0; j < N(xam); j++) {
    set_f80(&opA, xam[j].a);
    t_fxam();
    check_fsw(xam[j].name, rd16(res), FSW_ARITH | FSW_CC, FSW_TOP(7) | xam[j].cc);
  }
  t_fxam_empty();
  check_fsw("FXAM empty (C1 not checked)", rd16(res), (FSW_ARITH | FSW_CC) & ~FSW_C1,
            FSW_C3 | FSW_C0);
}

static const struct cmpop cmpi_tab[] = {
  { "FCOMI", t_fcomi, 0, 0, 1 },
  { "FCOMIP", t_fcomip, 1, 0, 1 },
  { "FUCOMI", t_fucomi, 0, 0, 0 },
  { "FUCOMIP", t_fucomip, 1, 0, 0 },
};

struct fcmovop {
  const char *name;
  tfn *fn;
  u32 mask;    /* which of the flag settings below move: bit k for setting k */
};

static void p6_ops(void) {
  u32 a, b, c, d;
  cpuid(0, &a, &b, &c, &d);
  u32 edx = 0;
  if (a >= 1) cpuid(1, &a, &b, &c, &edx);
  if (!(edx & (1u << 15)) || !(edx & 1)) {
    puts("SKIP FCOMI/FUCOMI/FCMOVcc: CPUID.1:EDX.CMOV (or FPU) is 0\n");
    return;
  }
  puts("FCOMI/FCOMIP/FUCOMI/FUCOMIP (C = 2):\n");
  set_f80(&opB, FI(2));
  set_f80(&opC, FI(2));
  for (u32 i = 0; i < N(cmpi_tab); i++) {
    const struct cmpop *op = &cmpi_tab[i];
    for (u32 j = 0; j < N(cmp_cases); j++) {
      const struct cmpcase *cs = &cmp_cases[j];
      set_f80(&opA, cs->a);
      op->fn();
      u32 fl = cs->cc == CC_LT ? EFL_CF : cs->cc == CC_EQ ? EFL_ZF
             : cs->cc == CC_UN ? (EFL_ZF | EFL_PF | EFL_CF) : 0;
      const char *n = cat(op->name, cs->name);
      /* The SDM also clears OF, SF and AF (all set beforehand); QEMU 7.2 leaves them, so
         they are checked only with X87_STRICT. */
      u32 fmask = EFL_CF | EFL_PF | EFL_ZF | (X87_STRICT ? EFL_OF | EFL_SF | EFL_AF : 0);
      check_eq(n, rd32b(res + 4) & fmask, fl);
      u32 want = FSW_TOP(5 + op->pops) | (cs->nan && op->ie_on_qnan ? FSW_IE : 0);
      check_fsw(n, rd16(res), FSW_ARITH | FSW_CC, want);
    }
  }

  puts("FCMOVcc ST0, ST2 (ST0 = 1, ST2 = 2):\n");
  /* Flag settings: 0 none, 1 CF, 2 ZF, 3 PF. */
  static const u32 settings[4] = { 0x002, 0x003, 0x042, 0x006 };
  static const char *const sname[4] = { "no flags", "CF", "ZF", "PF" };
  static const struct fcmovop mv[] = {
    { "FCMOVB", t_fcmovb, 0x2 },    { "FCMOVE", t_fcmove, 0x4 },
    { "FCMOVBE", t_fcmovbe, 0x6 },  { "FCMOVU", t_fcmovu, 0x8 },
    { "FCMOVNB", t_fcmovnb, 0xD },  { "FCMOVNE", t_fcmovne, 0xB },
    { "FCMOVNBE", t_fcmovnbe, 0x9 }, { "FCMOVNU", t_fcmovnu, 0x7 },
  };
  set_f80(&opA, FI(1));
  for (u32 i = 0; i < N(mv); i++) {
    for (u32 k = 0; k < 4; k++) {
      flg = settings[k];
      mv[i].fn();
      const char *n = cat(mv[i].name, sname[k]);
      check_f80(n, &fsv.st[0], (mv[i].mask >> k) & 1 ? FI(2) : FI(1));
      check_fsw(n, fsv.env.fsw, FSW_ARITH, FSW_TOP(5));
    }
  }
}

/* --- environment --- */
static void environment(void) {
  puts("FNSTENV/FLDENV:\n");
  cw = 0x0A72;        /* RC up, 53-bit, IM ZM OM unmasked (only PE happens) */
  set_f80(&opA, FI(3));
  t_env();
  const f80 third_up53 = F80(0x3FFD, 0xAAAAAAAA, 0xAAAAB000);
  check_eq("FNSTENV FCW", env1.fcw, 0x0A72);
  check_fsw("FNSTENV FSW (PE, C1, TOP 4)", env1.fsw, FSW_RES, 0x2220);
  check_eq("FNSTENV FTW (ST2 freed)", env1.ftw, 0x30FF);
  /* FNSTENV then masks every exception (FCW 0x0A7F, SDM); QEMU 7.2 does not. FLDENV
     also loads FIP/FCS/FOP/FDP/FDS, which QEMU 7.2 ignores (and it stores no opcode).
     Those are checked only with X87_STRICT. */
  if (X87_STRICT) {
    check_eq("FCW after FNSTENV (all masked)", rd16(res), 0x0A7F);
    check_eq("FNSTENV last opcode (FDIV ST0,ST1 = D8 F1)", env1.fop & 0x7FF, 0x0F1);
    check(env2.fip == env1.fip && env2.fcs == env1.fcs && env2.fop == env1.fop,
          "FLDENV + FNSTENV: FIP, FCS, opcode");
    check(env2.fdp == env1.fdp && env2.fds == env1.fds, "FLDENV + FNSTENV: FDP, FDS");
  }
  check(env2.fcw == env1.fcw, "FLDENV + FNSTENV: FCW");
  check(env2.fsw == env1.fsw, "FLDENV + FNSTENV: FSW");
  check(env2.ftw == env1.ftw, "FLDENV + FNSTENV: FTW");
  check_eq("FCW after FLDENV", rd16(res + 2), 0x0A72);
  check_eq("FNSAVE FCW", fsv.env.fcw, 0x0A72);
  check_fsw("FNSAVE FSW", fsv.env.fsw, FSW_RES, 0x2220);
  check_eq("FNSAVE FTW", fsv.env.ftw, 0x30FF);
  check_f80("1/3 (53-bit, rounded up)", &fsv.st[0], third_up53);
  check_f80("registers untouched by FLDENV: ST1", &fsv.st[1], FI(3));
  check_f80("registers untouched by FLDENV: ST3", &fsv.st[3], FI(1));

  puts("FNSAVE/FRSTOR:\n");
  t_save();
  check_eq("FNSAVE image FCW", sv1.env.fcw, 0x0A72);
  check_fsw("FNSAVE image FSW", sv1.env.fsw, FSW_RES, 0x2220);
  check_eq("FNSAVE image FTW", sv1.env.ftw, 0x30FF);
  check_f80("FNSAVE image ST0", &sv1.st[0], third_up53);
  check_f80("FNSAVE image ST1", &sv1.st[1], FI(3));
  check_f80("FNSAVE image ST2 (freed zero)", &sv1.st[2], PZERO);
  check_f80("FNSAVE image ST3", &sv1.st[3], FI(1));
  check_eq("FCW after FNSAVE", rd16(res), FCW_DEFAULT);
  check_eq("FSW after FNSAVE", rd16(res + 2), 0);
  check_eq("FTW after FNSAVE", ((const struct fenv32 *)(res + 4))->ftw, 0xFFFF);
  /* As for FLDENV: the pointers only with X87_STRICT. */
  if (X87_STRICT)
    check(memcmp(&sv1.env.fip, &sv2.env.fip, 16) == 0, "FRSTOR + FNSAVE: FIP FCS FOP FDP FDS");
  check(sv2.env.fcw == sv1.env.fcw, "FRSTOR + FNSAVE: FCW");
  check(sv2.env.fsw == sv1.env.fsw, "FRSTOR + FNSAVE: FSW");
  check(sv2.env.ftw == sv1.env.ftw, "FRSTOR + FNSAVE: FTW");
  check(memcmp(sv1.st, sv2.st, 80) == 0, "FRSTOR + FNSAVE: registers");
  check_eq("FCW after FRSTOR", rd16(res + 32), 0x0A72);
  check(fsv.env.fsw == sv1.env.fsw, "second round trip: FSW");
  check(fsv.env.ftw == sv1.env.ftw, "second round trip: FTW");
  check(memcmp(sv1.st, fsv.st, 80) == 0, "second round trip: registers");

  puts("FNSTENV instruction and data pointers:\n");
  t_ptrs();
  check_eq("FIP = the last non-control instruction", env1.fip, (u32)t_ptrs_fld);
  check_eq("FDP = its memory operand", env1.fdp, (u32)&opA);
#ifndef HOST_BUILD
  check_eq("FCS", env1.fcs, SEL_KCODE);
  check_eq("FDS", env1.fds, SEL_KDATA);
#endif

  puts("FRSTOR of a built image (TOP 5; tags claim valid for a zero and an infinity):\n");
  memset(&img, 0, sizeof(img));
  img.env.fcw = FCW_DEFAULT;
  img.env.fsw = FSW_TOP(5);
  img.env.ftw = 0x03FC;         /* phys 0, 5, 6, 7 valid; 1-4 empty */
  img.st[0] = FI(5);            /* phys 5 */
  img.st[1] = FI(7);            /* phys 6 */
  img.st[2] = PZERO;            /* phys 7 */
  img.st[3] = NINF;             /* phys 0 */
  t_frstor();
  const struct fenv32 *e = (const struct fenv32 *)res;
  check_eq("FNSTENV FSW after FRSTOR", e->fsw, FSW_TOP(5));
  check_eq("FNSTENV FTW recomputed (zero 01, special 10)", e->ftw, 0x43FE);
  check_f80("FADDP 5 + 7", &fsv.st[0], FI(12));
  check_f80("ST1 = the zero", &fsv.st[1], PZERO);
  check_f80("ST2 = -inf", &fsv.st[2], NINF);
  check_eq("FTW after FADDP", fsv.env.ftw, 0x4FFE);
  check_fsw("FSW after FADDP", fsv.env.fsw, FSW_ARITH, FSW_TOP(6));

  puts("FLDCW/FNSTCW:\n");
  set_f80(&opA, FI(3));
  cw = 0x0F7F;                  /* toward zero, 64-bit */
  t_cw();
  check_eq("FNSTCW after FLDCW 0x0F7F", rd16(res), 0x0F7F);
  check_f80("1/3 toward zero", &fsv.st[0], F80(0x3FFD, 0xAAAAAAAA, 0xAAAAAAAA));
  check_fsw("1/3 toward zero", fsv.env.fsw, FSW_ARITH, FSW_TOP(7) | FSW_PE);
  cw = 0x007F;                  /* nearest, 24-bit */
  t_cw();
  check_eq("FNSTCW after FLDCW 0x007F", rd16(res), 0x007F);
  check_f80("1/3 with 24-bit precision", &fsv.st[0], F80(0x3FFD, 0xAAAAAB00, 0));
  check_fsw("1/3 with 24-bit precision", fsv.env.fsw, FSW_RES, FSW_TOP(7) | FSW_PE | FSW_C1);
  cw = FCW_DEFAULT;
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("x87-basic: x87 instructions, round to nearest, 64-bit precision, masked\n");
#ifndef HOST_BUILD
  /* FPU on: EM=0, TS=0; MP=1, NE=1 (no exception is unmasked here anyway). */
  write_cr0((read_cr0() & ~0xCu) | 0x22u);
#endif
  init_state();
  integers();
  reals();
  constants();
  stack_ops();
  arithmetic();
  other_arith();
  compares();
  p6_ops();
  environment();
  finish();
}
