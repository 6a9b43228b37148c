/* v86: enter virtual-8086 mode by IRET with VM=1, run 16-bit code, reflect INT n to the
   v86 IVT from the protected-mode handler (IOPL=3: through the IDT gate; IOPL=0: from
   #GP, which also emulates IRET), I/O through the TSS I/O bitmap, and leave v86 mode for
   good through INT 0x31, checking the v86 frame (ES DS FS GS SS ESP EFLAGS CS EIP). */
#include "lib.h"

const char guest_name[] = "v86";

#define SEL_TSS 0x18
#define V86_BASE 0x7000u
#define V86_CS 0x0700u
#define RES 0x6000u
#define EFL_VM (1u << 17)
#define EFL_IOPL3 (3u << 12)

extern const u8 v86_start[], v86_end[];
/* absolute symbols: offsets from v86_start */
extern const u8 v86_prog_a[], v86_prog_b[], v86_int30[], v86_a_exit[], v86_b_int31[];

static struct {
  struct tss32 t;
  u8 iomap[8192];
  u8 end; /* all-ones byte after the bitmap */
} __attribute__((packed, aligned(128))) tss;
static u8 kstack[8192] __attribute__((aligned(16)));
static u32 frame[9];

static struct {
  u32 gate_ints, gp_ints, gp_irets, gp_outs, gp_errors_nonzero, gate_segs_nonzero;
  struct frame exit; /* the frame seen by the exit handler */
  u32 exit_vector;
} rec;

static u32 lin(u32 seg, u32 off) { return (seg << 4) + (off & 0xFFFF); }

static void push16(struct frame *f, u16 v) {
  u32 sp = (f->esp - 2) & 0xFFFF;
  f->esp = (f->esp & 0xFFFF0000) | sp;
  *phys16(lin(f->ss, sp)) = v;
}

static u16 pop16(struct frame *f) {
  u32 sp = f->esp & 0xFFFF;
  u16 v = *phys16(lin(f->ss, sp));
  f->esp = (f->esp & 0xFFFF0000) | ((sp + 2) & 0xFFFF);
  return v;
}

/* Deliver INT vec to the v86 program the way a real-mode CPU would. */
static void reflect(struct frame *f, u32 vec, u32 return_ip) {
  push16(f, (u16)f->eflags);
  push16(f, (u16)f->cs);
  push16(f, (u16)return_ip);
  f->eip = *phys16(vec * 4);
  f->cs = *phys16(vec * 4 + 2);
  f->eflags &= ~0x300u; /* TF, IF */
}

static void leave_v86(struct frame *f) {
  rec.exit = *f;
  rec.exit_vector = f->vector;
  leave_to_kernel(1);
}

void isr_handler(struct frame *f) {
  if (!(f->eflags & EFL_VM)) {
    kprintf("vector %u outside v86 at %x:%x\n", f->vector, f->cs, f->eip);
    fail_now("exception outside v86 mode");
  }
  if (f->ds | f->es | f->fs | f->gs) rec.gate_segs_nonzero++;
  if (f->vector == 0x30) { /* IOPL=3: INT n went through the DPL3 gate */
    rec.gate_ints++;
    reflect(f, 0x30, f->eip);
    return;
  }
  if (f->vector == 0x31) leave_v86(f);
  if (f->vector == 13) {
    if (f->error) rec.gp_errors_nonzero++;
    volatile u8 *ip = phys8(lin(f->cs, f->eip));
    switch (ip[0]) {
      case 0xCD: /* INT imm8 */
        if (ip[1] == 0x31) leave_v86(f);
        rec.gp_ints++;
        reflect(f, ip[1], f->eip + 2);
        return;
      case 0xCF: { /* IRET */
        rec.gp_irets++;
        u32 nip = pop16(f), ncs = pop16(f), nfl = pop16(f);
        f->eip = nip;
        f->cs = ncs;
        f->eflags = (f->eflags & ~0x0DD5u) | (nfl & 0x0DD5u);
        return;
      }
      case 0xE6: /* OUT imm8, AL: denied port */
        rec.gp_outs++;
        f->eip += 2;
        return;
    }
  }
  kprintf("unexpected vector %u error 0x%x at %x:%x\n", f->vector, f->error, f->cs, f->eip);
  fail_now("unexpected exception in v86 mode");
}

static u32 run_v86(u32 ip, u32 iopl_bits) {
  frame[0] = ip;
  frame[1] = V86_CS;
  frame[2] = EFL_VM | iopl_bits | 0x2;
  frame[3] = 0x1000;      /* SP */
  frame[4] = 0x0500;      /* SS: stack top at linear 0x6000 */
  frame[5] = 0x0000;      /* ES */
  frame[6] = 0x0000;      /* DS */
  frame[7] = 0x0000;      /* FS */
  frame[8] = 0x0000;      /* GS */
  memset(&rec, 0, sizeof(rec));
  return enter_frame(frame);
}

static void check_exit(u32 vector, u32 iopl_bits, u32 exit_ip, u32 es, u32 ds, u32 fs, u32 gs) {
  struct frame *x = &rec.exit;
  check_eq("exit vector", rec.exit_vector, vector);
  check_eq("exit frame EFLAGS.VM", (x->eflags >> 17) & 1, 1);
  check_eq("exit frame IOPL", x->eflags & EFL_IOPL3, iopl_bits);
  check_eq("exit frame CS", x->cs, V86_CS);
  check_eq("exit frame EIP", x->eip, exit_ip);
  check_eq("exit frame SS", x->ss, 0x0500);
  check_eq("exit frame ESP (balanced)", x->esp, 0x1000);
  check_eq("exit frame ES", x->v86_es, es);
  check_eq("exit frame DS", x->v86_ds, ds);
  check_eq("exit frame FS", x->v86_fs, fs);
  check_eq("exit frame GS", x->v86_gs, gs);
  check_eq("DS/ES/FS/GS were null in the handler", x->ds | x->es | x->fs | x->gs, 0);
  check_eq("... for every handler entry", rec.gate_segs_nonzero, 0);
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("v86: virtual-8086 mode\n");
  gdt_init();
  gdt_set(SEL_TSS >> 3, (u32)&tss, sizeof(tss) - 1, 0x89, 0);
  gdt_load();
  memset(&tss, 0, sizeof(tss));
  tss.t.ss0 = SEL_KDATA;
  tss.t.esp0 = (u32)(kstack + sizeof(kstack));
  tss.t.iomap_base = sizeof(struct tss32);
  memset(tss.iomap, 0xFF, sizeof(tss.iomap));
  tss.end = 0xFF;
  tss.iomap[0xE9 / 8] &= (u8) ~(1u << (0xE9 % 8)); /* allow the debug console only */
  __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
  idt_init();
  idt_set(0x30, isr_stubs[0x30], SEL_KCODE, 0xEE); /* DPL3 interrupt gates */
  idt_set(0x31, isr_stubs[0x31], SEL_KCODE, 0xEE);

  memcpy((void *)V86_BASE, v86_start, (u32)(v86_end - v86_start));
  *phys16(0x30 * 4) = (u16)(u32)v86_int30; /* v86 IVT: INT 0x30 -> 0700:int30 */
  *phys16(0x30 * 4 + 2) = V86_CS;
  for (u32 a = RES; a < RES + 0x20; a++) *phys8(a) = 0;
  *phys16(0x6510) = 0;

  puts("program A, IOPL=3:\n");
  u32 r = run_v86((u32)v86_prog_a, EFL_IOPL3);
  puts("back in protected mode\n");
  check_eq("returned through INT 0x31", r, 1);
  check_eq("sum 1..100", *phys16(RES + 0x0), 5050);
  check_eq("50000 / 7", *phys16(RES + 0x2), 7142);
  check_eq("50000 % 7", *phys16(RES + 0x4), 6);
  check_eq("0651:0000 reads 0650:0010", *phys16(RES + 0x6), 0xBEEF);
  check_eq("linear 0x6510", *phys16(0x6510), 0xBEEF);
  check_eq("INT 0x30 reflected result", *phys16(RES + 0x8), 0x3333);
  check_eq("INT 0x30 through the gate", rec.gate_ints, 1);
  check_eq("INT 0x30 via #GP (none at IOPL=3)", rec.gp_ints, 0);
  check_eq("OUT to a denied port -> #GP", rec.gp_outs, 1);
  check_eq("#GP error codes all 0", rec.gp_errors_nonzero, 0);
  check_eq("ran past the OUT", *phys16(RES + 0xA), 0x0A0A);
  check_exit(0x31, EFL_IOPL3, (u32)v86_a_exit, 0x1234, 0x0600, 0x2345, 0x3456);

  puts("program B, IOPL=0:\n");
  r = run_v86((u32)v86_prog_b, 0);
  puts("back in protected mode\n");
  check_eq("returned through INT 0x31 (#GP)", r, 1);
  check_eq("INT 0x30 emulated result", *phys16(RES + 0xC), 0x6666);
  check_eq("ran past the INT", *phys16(RES + 0xE), 0x0E0E);
  check_eq("INT 0x30 via #GP", rec.gp_ints, 1);
  check_eq("IRET via #GP", rec.gp_irets, 1);
  check_eq("no gate delivery at IOPL=0", rec.gate_ints, 0);
  check_eq("#GP error codes all 0", rec.gp_errors_nonzero, 0);
  /* The exit came from #GP, so EIP points at the INT 0x31 itself. */
  check_exit(13, 0, (u32)v86_b_int31, 0x5678, 0x0600, 0, 0);
  finish();
}
