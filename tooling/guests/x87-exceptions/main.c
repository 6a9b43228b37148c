/* x87-exceptions: x87 floating-point exceptions and the CR0 bits that govern the FPU.
   - Masked responses: IE (0/0, sqrt(-1), inf-inf, 0*inf, SNaN operand, FPREM by 0) with
     the real indefinite, NaN propagation, ZE (x/0 gives a signed infinity, FXTRACT of 0),
     OE (infinity or the largest finite number, by RC), UE (only when tiny and inexact),
     DE (denormal m32/m64 loads), PE; stack overflow and underflow (IE + SF, C1 = 1 or 0).
   - Unmasked, CR0.NE = 1: the exception is recorded (ES and B set, the destination left
     alone for IE/ZE, the biased result for OE) and #MF (vector 16) is raised at the next
     waiting instruction, FWAIT, with the saved EIP pointing at it; the handler sees FIP =
     the faulting instruction, clears the exception with FNCLEX and returns to the FWAIT.
   - CR0.TS = 1: #NM on an x87 instruction (even FNINIT and FNSTSW) and, with MP = 1, on
     WAIT; with MP = 0 WAIT runs. CR0.EM = 1: #NM on x87 instructions but not on WAIT.
     The handler clears TS/EM and the instruction is retried. After CLTS everything works.
   The instructions under test are in tests.asm. */
#include "lib.h"
#include "x87.h"

const char guest_name[] = "x87-exceptions";

extern f80 opA, opB;
extern u32 m32a;
extern u64 m64a;
extern u16 cw;
extern u8 res[64];
extern struct fsave32 fsv;

typedef void tfn(void);
extern tfn x_div, x_add, x_sub, x_mul, x_sqrt, x_fxtract, x_fprem, x_fld32, x_fld64, x_fbstp,
    x_overflow, x_underflow, x_underflow_st, n_work;
#define MF_DECL(n) extern tfn n; extern const u8 n##_op[], n##_wait[];
MF_DECL(m_zdiv) MF_DECL(m_over) MF_DECL(m_zfld) MF_DECL(m_sqrt) MF_DECL(m_prec)
#define NM_DECL(n) extern tfn n; extern const u8 n##_op[];
NM_DECL(n_fld1) NM_DECL(n_fwait) NM_DECL(n_fninit) NM_DECL(n_fnstsw)

#define CR0_MP 0x02u
#define CR0_EM 0x04u
#define CR0_TS 0x08u
#define CR0_NE 0x20u

#define QNAN_IND F80(0xFFFF, 0xC0000000, 0x00000000)   /* the real indefinite */
#define PINF F80(0x7FFF, 0x80000000, 0)
#define NINF F80(0xFFFF, 0x80000000, 0)
#define PZERO F80(0, 0, 0)
#define NZERO F80(0x8000, 0, 0)
#define FMAX F80(0x7FFE, 0xFFFFFFFF, 0xFFFFFFFF)
#define THIRD F80(0x3FFD, 0xAAAAAAAA, 0xAAAAAAAB)

static u32 rd32b(const u8 *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((u32)p[3] << 24); }

/* What the #MF / #NM handler saw. */
static volatile struct {
  u32 count, vector, eip, cr0;
  u16 fsw;
  struct fenv32 env;
} seen;

void isr_handler(struct frame *f) {
  seen.count++;
  seen.vector = f->vector;
  seen.eip = f->eip;
  if (f->vector == 16) {
    struct fenv32 e;
    /* Only non-waiting instructions until the exception is cleared. FNSTENV masks all
       exceptions, so FCW is put back afterwards. */
    __asm__ volatile("fnstsw %0" : "=m"(seen.fsw));
    __asm__ volatile("fnstenv %0" : "=m"(e));
    __asm__ volatile("fnclex");
    __asm__ volatile("fldcw %0" : : "m"(e.fcw));
    memcpy((void *)&seen.env, &e, sizeof(e));
    return; /* retry the waiting instruction */
  }
  if (f->vector == 7) {
    seen.cr0 = read_cr0();
    write_cr0(seen.cr0 & ~(CR0_TS | CR0_EM));
    return; /* retry */
  }
  kprintf("unexpected vector %u error 0x%x at %x\n", f->vector, f->error, f->eip);
  fail_now("unexpected exception");
}

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* --- masked responses --- */
struct mrow {
  const char *name;
  tfn *fn;
  u16 cw;
  f80 a, b;
  f80 want;       /* ST0 after */
  u16 fsw;        /* under FSW_RES; TOP included */
  u16 mask;       /* bits not checked unless X87_STRICT (DE: QEMU 7.2 never sets it) */
};

static const struct mrow masked_tab[] = {
  { "0/0", x_div, 0x037F, PZERO, PZERO, QNAN_IND, FSW_TOP(6) | FSW_IE, 0 },
  { "sqrt(-1)", x_sqrt, 0x037F, FI(-1), PZERO, QNAN_IND, FSW_TOP(7) | FSW_IE, 0 },
  { "inf - inf", x_sub, 0x037F, PINF, PINF, QNAN_IND, FSW_TOP(6) | FSW_IE, 0 },
  { "0 * -inf", x_mul, 0x037F, PZERO, NINF, QNAN_IND, FSW_TOP(6) | FSW_IE, 0 },
  { "SNaN + 1 (quieted)", x_add, 0x037F, F80(0x7FFF, 0xA0000000, 0x12345678), FI(1),
    F80(0x7FFF, 0xE0000000, 0x12345678), FSW_TOP(6) | FSW_IE, 0 },
  { "QNaN + 1", x_add, 0x037F, F80(0xFFFF, 0xC0000000, 0x00000001), FI(1),
    F80(0xFFFF, 0xC0000000, 0x00000001), FSW_TOP(6), 0 },
  { "QNaN + QNaN (larger significand)", x_add, 0x037F, F80(0x7FFF, 0xC0000000, 0x00000001),
    F80(0xFFFF, 0xE0000000, 0), F80(0xFFFF, 0xE0000000, 0), FSW_TOP(6), 0 },
  { "FPREM by 0", x_fprem, 0x037F, FI(5), PZERO, QNAN_IND, FSW_TOP(6) | FSW_IE, 0 },
  { "1/0", x_div, 0x037F, FI(1), PZERO, PINF, FSW_TOP(6) | FSW_ZE, 0 },
  { "-1/0", x_div, 0x037F, FI(-1), PZERO, NINF, FSW_TOP(6) | FSW_ZE, 0 },
  { "1/-0", x_div, 0x037F, FI(1), NZERO, NINF, FSW_TOP(6) | FSW_ZE, 0 },
  { "FXTRACT -0: ST0 = -0", x_fxtract, 0x037F, NZERO, PZERO, NZERO, FSW_TOP(6) | FSW_ZE, 0 },
  { "max * 2, nearest", x_mul, 0x037F, FMAX, FI(2), PINF,
    FSW_TOP(6) | FSW_OE | FSW_PE | FSW_C1, 0 },
  { "max * 2, toward zero", x_mul, 0x0F7F, FMAX, FI(2), FMAX, FSW_TOP(6) | FSW_OE | FSW_PE, 0 },
  { "-max * 2, up", x_mul, 0x0B7F, F80(0xFFFE, 0xFFFFFFFF, 0xFFFFFFFF), FI(2),
    F80(0xFFFE, 0xFFFFFFFF, 0xFFFFFFFF), FSW_TOP(6) | FSW_OE | FSW_PE, 0 },
  { "-max * 2, down", x_mul, 0x077F, F80(0xFFFE, 0xFFFFFFFF, 0xFFFFFFFF), FI(2), NINF,
    FSW_TOP(6) | FSW_OE | FSW_PE | FSW_C1, 0 },
  { "min normal * 1/3 (tiny, inexact)", x_mul, 0x037F, F80(0x0001, 0x80000000, 0), THIRD,
    F80(0x0000, 0x2AAAAAAA, 0xAAAAAAAB), FSW_TOP(6) | FSW_UE | FSW_PE | FSW_C1, 0 },
  { "min normal * 0.5 (tiny, exact: no UE)", x_mul, 0x037F, F80(0x0001, 0x80000000, 0),
    FX(1, -1), F80(0x0000, 0x40000000, 0), FSW_TOP(6), 0 },
  { "denormal + 1 (DE)", x_add, 0x037F, F80(0, 0, 1), FI(1), FI(1),
    FSW_TOP(6) | FSW_DE | FSW_PE, FSW_DE },
  { "denormal * 2 (DE; tiny but exact: no UE)", x_mul, 0x037F, F80(0, 0, 1), FI(2),
    F80(0, 0, 2), FSW_TOP(6) | FSW_DE, FSW_DE },
  { "1/3 (PE)", x_div, 0x037F, FI(1), FI(3), THIRD, FSW_TOP(6) | FSW_PE | FSW_C1, 0 },
};

static void masked(void) {
  puts("masked exceptions:\n");
  for (u32 i = 0; i < N(masked_tab); i++) {
    const struct mrow *r = &masked_tab[i];
    cw = r->cw;
    set_f80(&opA, r->a);
    set_f80(&opB, r->b);
    r->fn();
    check_f80(r->name, &fsv.st[0], r->want);
    check_fsw(r->name, fsv.env.fsw, FSW_RES & ~(X87_STRICT ? 0 : r->mask), r->fsw);
  }
  cw = FCW_DEFAULT;
  set_f80(&opA, NZERO);
  x_fxtract();
  check_f80("FXTRACT -0: ST1 = -inf", &fsv.st[1], NINF);

  puts("denormal operands (DE):\n");
  m32a = 1;                         /* 2^-149 */
  x_fld32();
  check_f80("FLD m32 denormal", &fsv.st[0], F80(0x3F6A, 0x80000000, 0));
  check_fsw("FLD m32 denormal (DE)", fsv.env.fsw, FSW_RES & FSW_NODE, FSW_TOP(7) | FSW_DE);
  m64a = 1;                         /* 2^-1074 */
  x_fld64();
  check_f80("FLD m64 denormal", &fsv.st[0], F80(0x3BCD, 0x80000000, 0));
  check_fsw("FLD m64 denormal (DE)", fsv.env.fsw, FSW_RES & FSW_NODE, FSW_TOP(7) | FSW_DE);

  puts("FBSTP out of range:\n");
  set_f80(&opA, F80(0x403A, 0xDE0B6B3A, 0x76400000)); /* 10^18: 19 digits */
  x_fbstp();
  /* The packed BCD indefinite: FFFF C000 0000 0000 0000 (bytes 9..0). */
  check(res[9] == 0xFF && res[8] == 0xFF && res[7] == 0xC0, "FBSTP 10^18 stores the BCD indefinite");
  check_fsw("FBSTP 10^18", fsv.env.fsw, FSW_RES, FSW_TOP(0) | FSW_IE);

  /* QEMU 7.2 detects neither stack overflow nor underflow (no IE/SF, no indefinite). */
  if (!X87_STRICT) {
    puts("stack overflow and underflow: checked only with X87_STRICT\n");
    return;
  }
  puts("stack overflow and underflow:\n");
  x_overflow();
  check_f80("ninth push: ST0 = indefinite", &fsv.st[0], QNAN_IND);
  check_f80("ninth push: ST1 = 1 (untouched)", &fsv.st[1], FI(1));
  check_fsw("stack overflow: IE SF C1", fsv.env.fsw, FSW_ARITH, FSW_TOP(7) | FSW_IE | FSW_SF | FSW_C1);
  check_eq("stack overflow: no register empty, ST0 special", fsv.env.ftw, 0x8000);
  x_underflow();
  check_f80("FADD with empty registers: ST0 = indefinite", &fsv.st[0], QNAN_IND);
  check_fsw("stack underflow: IE SF, C1 = 0", fsv.env.fsw, FSW_ARITH, FSW_TOP(0) | FSW_IE | FSW_SF);
  x_underflow_st();
  check_eq("FSTP m64 of an empty ST0: indefinite, low", rd32b(res), 0);
  check_eq("FSTP m64 of an empty ST0: indefinite, high", rd32b(res + 4), 0xFFF80000);
  check_fsw("FSTP underflow: IE SF, C1 = 0, popped", fsv.env.fsw, FSW_ARITH,
            FSW_TOP(1) | FSW_IE | FSW_SF);
}

/* --- unmasked: #MF --- */
struct mfrow {
  const char *name;
  tfn *fn;
  const u8 *op, *wait;
  u16 cw;
  f80 a, b;
  f80 want;         /* ST0 after the handler (SDM) */
  u16 flag;
  u8 strict_st0;    /* ST0 checked only with X87_STRICT */
  u8 strict_row;    /* the whole row only with X87_STRICT */
  u16 strict_fsw;   /* FSW bits checked only with X87_STRICT */
};

static void unmasked(void) {
  puts("unmasked exceptions with CR0.NE = 1 (#MF at the next FWAIT):\n");
  /* QEMU 7.2 departs from the SDM here: it writes the masked response (infinity, the
     indefinite) to the destination of an unmasked ZE/IE, which the SDM leaves unchanged;
     for an unmasked OE it stores infinity and sets PE instead of the result scaled by
     2^-24576; and it raises #MF only at FWAIT, not at a waiting x87 instruction such as
     FLD1. Those checks are made only with X87_STRICT. */
  static const struct mfrow rows[] = {
    { "ZE: 1/0", m_zdiv, m_zdiv_op, m_zdiv_wait, 0x037B, FI(1), PZERO, FI(1), FSW_ZE, 1, 0,
      0 },
    { "IE: sqrt(-2)", m_sqrt, m_sqrt_op, m_sqrt_wait, 0x037E, FI(-2), PZERO, FI(-2), FSW_IE,
      1, 0, 0 },
    { "PE: 1/3", m_prec, m_prec_op, m_prec_wait, 0x035F, FI(1), FI(3), THIRD,
      FSW_PE | FSW_C1, 0, 0, 0 },
    { "OE: max*2 (result scaled by 2^-24576)", m_over, m_over_op, m_over_wait, 0x0377, FMAX,
      FI(2), F80(0x1FFF, 0xFFFFFFFF, 0xFFFFFFFF), FSW_OE, 1, 0, FSW_PE },
    { "ZE, then FLD1", m_zfld, m_zfld_op, m_zfld_wait, 0x037B, FI(1), PZERO, FI(1), FSW_ZE, 0,
      1, 0 },
  };
  for (u32 i = 0; i < N(rows); i++) {
    const struct mfrow *r = &rows[i];
    if (r->strict_row && !X87_STRICT) {
      kprintf("%s: checked only with X87_STRICT\n", r->name);
      continue;
    }
    u32 fmask = FSW_RES & ~(X87_STRICT ? 0 : r->strict_fsw);
    kprintf("%s:\n", r->name);
    cw = r->cw;
    set_f80(&opA, r->a);
    set_f80(&opB, r->b);
    memset((void *)&seen, 0, sizeof(seen));
    r->fn();
    u32 top = 6;
    check_fsw(cat(r->name, "FNSTSW before the FWAIT (no #MF yet)"), *(u16 *)res, fmask,
              FSW_TOP(top) | r->flag | FSW_ES | FSW_B);
    check_eq(cat(r->name, "#MF count"), seen.count, 1);
    check_eq(cat(r->name, "vector"), seen.vector, 16);
    check_eq(cat(r->name, "saved EIP = the waiting instruction"), seen.eip, (u32)r->wait);
    check_fsw(cat(r->name, "FSW in the handler"), seen.fsw, fmask,
              FSW_TOP(top) | r->flag | FSW_ES | FSW_B);
    check_eq(cat(r->name, "FIP = the faulting instruction"), seen.env.fip, (u32)r->op);
    check_eq(cat(r->name, "FCS"), seen.env.fcs, SEL_KCODE);
    check_eq(cat(r->name, "completed after the handler"), rd32b(res + 4), 2);
    if (!r->strict_st0 || X87_STRICT) check_f80(cat(r->name, "ST0"), &fsv.st[0], r->want);
    /* m_zfld's FLD1 runs after the handler: one more register. */
    check_fsw(cat(r->name, "FSW after FNCLEX"), fsv.env.fsw, FSW_RES,
              FSW_TOP(r->fn == m_zfld ? 5 : top));
  }
  cw = FCW_DEFAULT;
}

/* --- CR0.TS / CR0.EM: #NM --- */
static void nm_case(const char *name, u32 cr0_set, tfn *fn, const u8 *op, int faults) {
  u32 base = read_cr0() & ~(CR0_TS | CR0_EM | CR0_MP);
  memset((void *)&seen, 0, sizeof(seen));
  write_cr0(base | cr0_set);
  fn();
  u32 after = read_cr0();
  write_cr0(base | CR0_MP);
  if (faults) {
    check_eq(cat(name, "#NM count"), seen.count, 1);
    check_eq(cat(name, "vector"), seen.vector, 7);
    check_eq(cat(name, "saved EIP"), seen.eip, (u32)op);
    check_eq(cat(name, "CR0 TS/EM/MP in the handler"), seen.cr0 & 0xE, cr0_set);
  } else {
    check_eq(cat(name, "no #NM"), seen.count, 0);
    check_eq(cat(name, "CR0 TS/EM/MP kept"), after & 0xE, cr0_set);
  }
}

static void device_not_available(void) {
  puts("CR0.TS/EM/MP and #NM:\n");
  nm_case("TS=1 MP=1: FLD1", CR0_TS | CR0_MP, n_fld1, n_fld1_op, 1);
  nm_case("TS=1 MP=1: FNINIT", CR0_TS | CR0_MP, n_fninit, n_fninit_op, 1);
  nm_case("TS=1 MP=1: FNSTSW AX", CR0_TS | CR0_MP, n_fnstsw, n_fnstsw_op, 1);
  nm_case("TS=1 MP=1: FWAIT", CR0_TS | CR0_MP, n_fwait, n_fwait_op, 1);
  nm_case("TS=1 MP=0: FWAIT", CR0_TS, n_fwait, n_fwait_op, 0);
  nm_case("TS=1 MP=0: FLD1", CR0_TS, n_fld1, n_fld1_op, 1);
  nm_case("EM=1 MP=1: FLD1", CR0_EM | CR0_MP, n_fld1, n_fld1_op, 1);
  nm_case("EM=1 MP=1: FNINIT", CR0_EM | CR0_MP, n_fninit, n_fninit_op, 1);
  nm_case("EM=1 MP=1: FWAIT", CR0_EM | CR0_MP, n_fwait, n_fwait_op, 0);
  nm_case("EM=1 TS=1 MP=1: FWAIT", CR0_EM | CR0_TS | CR0_MP, n_fwait, n_fwait_op, 1);

  puts("after CLTS:\n");
  write_cr0(read_cr0() | CR0_TS);
  __asm__ volatile("clts");
  memset((void *)&seen, 0, sizeof(seen));
  n_work();
  check_eq("no exception", seen.count, 0);
  check_eq("CR0.TS clear", read_cr0() & CR0_TS, 0);
  check_eq("1 + 2 computed by the FPU", rd32b(res), 3);
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("x87-exceptions: masked responses, #MF with CR0.NE=1, #NM from CR0.TS/EM\n");
#ifdef HOST_BUILD
  /* As a Linux program (host/run.sh) only the unprivileged part can run. */
  masked();
  finish();
#endif
  gdt_init();
  idt_init();
  write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
  masked();
  unmasked();
  device_not_available();
  finish();
}
