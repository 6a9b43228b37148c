/* ring3: a TSS with SS0/ESP0, DPL3 code and data, IRET to ring 3, system calls through
   an INT 0x80 trap gate (DPL3) and through SYSENTER/SYSEXIT, #GP for privileged
   instructions at CPL3, and a return to ring 0. */
#include "lib.h"

const char guest_name[] = "ring3";

#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

extern u32 enter_user(const u32 *frame);
extern void user_entry(void), sysenter_entry(void);
extern volatile u32 u_seen[16], se_seen[8];
extern const u8 u_cli[], u_cli_resume[], u_hlt[], u_hlt_resume[], u_cr0[], u_cr0_resume[];
extern const u8 u_out[], u_out_resume[], u_int81[], u_int81_resume[];

static struct tss32 tss __attribute__((aligned(128)));
static u8 kstack[8192] __attribute__((aligned(16)));
static u8 sysenter_stack[4096] __attribute__((aligned(16)));
static u8 ustack[8192] __attribute__((aligned(16)));
static u32 frame[5];

static const struct { const u8 *fault, *resume; u32 error; const char *what; } priv[] = {
    {u_cli, u_cli_resume, 0, "#GP(0) for CLI"},
    {u_hlt, u_hlt_resume, 0, "#GP(0) for HLT"},
    {u_cr0, u_cr0_resume, 0, "#GP(0) for MOV from CR0"},
    {u_out, u_out_resume, 0, "#GP(0) for OUT with IOPL0"},
    {u_int81, u_int81_resume, 0x81 * 8 + 2, "#GP(vector) for INT to a DPL0 gate"},
};
#define NPRIV (sizeof(priv) / sizeof(priv[0]))
static u32 gp_seen[NPRIV], gp_error[NPRIV], gp_cs[NPRIV], gp_unknown;
static u32 sys_calls, sys_cs, sys_ss, sys_esp_ok, sys_ds;

void isr_handler(struct frame *f) {
  if (f->vector == 0x80) {
    sys_calls++;
    sys_cs = f->cs;
    sys_ss = f->ss;
    sys_ds = f->ds;
    u32 here = (u32)&here;
    sys_esp_ok = here > (u32)kstack && here < (u32)kstack + sizeof(kstack);
    switch (f->eax) {
      case 0: leave_to_kernel(f->ebx);
      case 1: puts((const char *)f->ebx); return;
      case 2: f->eax = f->ebx * 2 + 1; return;
      default: f->eax = 0xFFFFFFFF; return;
    }
  }
  if (f->vector == 13) {
    for (u32 i = 0; i < NPRIV; i++) {
      if (f->eip == (u32)priv[i].fault) {
        gp_seen[i]++;
        gp_error[i] = f->error;
        gp_cs[i] = f->cs;
        f->eip = (u32)priv[i].resume;
        return;
      }
    }
    gp_unknown++;
  }
  kprintf("unexpected vector %u error 0x%x at %x:%x\n", f->vector, f->error, f->cs, f->eip);
  fail_now("unexpected exception");
}

static int have_sep(void) {
  u32 a, b, c, d;
  cpuid(1, &a, &b, &c, &d);
  u32 family = (a >> 8) & 0xF, model = (a >> 4) & 0xF, stepping = a & 0xF;
  /* Early Pentium Pro parts report SEP without implementing SYSENTER. */
  if (family == 6 && model < 3 && stepping < 3) return 0;
  return (d >> 11) & 1;
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("ring3: TSS, INT 0x80, SYSENTER/SYSEXIT, #GP at CPL3\n");
  gdt_init();
  gdt_set(3, 0, 0xFFFFF, 0xFA, 0xC); /* 0x18: DPL3 code */
  gdt_set(4, 0, 0xFFFFF, 0xF2, 0xC); /* 0x20: DPL3 data */
  gdt_set(5, (u32)&tss, sizeof(tss) - 1, 0x89, 0);
  gdt_load();
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (u32)(kstack + sizeof(kstack));
  tss.iomap_base = sizeof(tss); /* no I/O bitmap: every port denied at CPL3 */
  __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
  idt_init();
  idt_set(0x80, isr_stubs[0x80], SEL_KCODE, 0xEF); /* DPL3 32-bit trap gate */

  int sep = have_sep();
  check(sep, "CPUID reports SEP (SYSENTER/SYSEXIT)");
  if (!sep) finish();
  wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
  wrmsr(MSR_SYSENTER_ESP, (u32)(sysenter_stack + sizeof(sysenter_stack)));
  wrmsr(MSR_SYSENTER_EIP, (u32)sysenter_entry);
  check_eq("SYSENTER_CS MSR reads back", (u32)rdmsr(MSR_SYSENTER_CS), SEL_KCODE);

  frame[0] = (u32)user_entry;
  frame[1] = SEL_UCODE;
  frame[2] = 0x2;               /* IF=0, IOPL=0 */
  frame[3] = (u32)(ustack + sizeof(ustack));
  frame[4] = SEL_UDATA;
  puts("entering ring 3\n");
  u32 r = enter_user(frame);
  puts("back in ring 0\n");

  check_eq("exit value from ring 3", r, 0x600D);
  check_eq("CS in ring 3", u_seen[0], SEL_UCODE);
  check_eq("SS in ring 3", u_seen[1], SEL_UDATA);
  check_eq("DS in ring 3", u_seen[2], SEL_UDATA);
  check_eq("FS (DPL0 data) nulled by IRET to CPL3", u_seen[3], 0);
  check_eq("GS kept", u_seen[4], SEL_UDATA);
  check_eq("INT 0x80 result", u_seen[5], 43);
  check_eq("INT 0x80 calls (write, calc, write, exit)", sys_calls, 4);
  check_eq("INT 0x80 saw user CS", sys_cs, SEL_UCODE);
  check_eq("INT 0x80 saw user SS", sys_ss, SEL_UDATA);
  check_eq("INT 0x80 saw user DS", sys_ds, SEL_UDATA);
  check(sys_esp_ok, "INT 0x80 ran on the TSS ESP0 stack");
  check_eq("SYSENTER calls", se_seen[4], 1);
  check_eq("SYSENTER ESP", se_seen[0], (u32)(sysenter_stack + sizeof(sysenter_stack)));
  check_eq("SYSENTER CS", se_seen[1], SEL_KCODE);
  check_eq("SYSENTER SS", se_seen[2], SEL_KDATA);
  check_eq("SYSENTER cleared IF/VM (EFLAGS & 0x20200)", se_seen[3] & 0x20200, 0);
  check_eq("SYSEXIT result", u_seen[7], 7 * 0x1234);
  check_eq("SYSEXIT ESP = ECX", u_seen[8], u_seen[6]);
  check_eq("CS after SYSEXIT", u_seen[9], SEL_UCODE);
  check_eq("SS after SYSEXIT", u_seen[10], SEL_UDATA);
  for (u32 i = 0; i < NPRIV; i++) {
    check_eq(priv[i].what, gp_seen[i], 1);
    check_eq("  error code", gp_error[i], priv[i].error);
    check_eq("  from CS", gp_cs[i], SEL_UCODE);
  }
  check_eq("no other #GP", gp_unknown, 0);
  u32 cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  check_eq("CS after return", cs & 0xFFFF, SEL_KCODE);
  finish();
}
