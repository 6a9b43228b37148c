/* exceptions: an IDT with handlers for vectors 0-31; raises #DE #UD #BP #OF #BR #GP #NP
   #SS #TS #PF and a #DF delivered through a task gate, and checks vector, error code,
   reported EIP, CR2, and that a faulting access is retried once its page is mapped. */
#include "lib.h"

const char guest_name[] = "exceptions";

#define SEL_MAIN_TSS 0x18
#define SEL_DF_TSS 0x20
#define SEL_NOTPRESENT 0x28
#define SEL_SHORT_TSS 0x38
#define SEL_XONLY 0x40

#define DECL(n) extern void n(void); extern const u8 n##_fault[], n##_resume[];
DECL(t_de) DECL(t_ud) DECL(t_bp) DECL(t_of) DECL(t_br) DECL(t_gp_sel) DECL(t_gp_xo)
DECL(t_gp_null) DECL(t_np_seg) DECL(t_ss_seg) DECL(t_np_gate) DECL(t_ts)
extern u32 t_pf_read(u32 addr);
extern const u8 t_pf_read_fault[];
extern void t_pf_write(u32 addr, u32 value);
extern const u8 t_pf_write_fault[];
extern void t_df(u32 addr);
extern const u8 t_df_fault[], t_df_resume[];
extern void df_task_entry(void);

/* What the handler saw. */
static volatile struct {
  u32 count, vector, error, eip, cs, eflags, cr2;
} seen;
static volatile u32 resume_at;     /* nonzero: continue there */
static volatile int map_on_pf;     /* #PF handler maps the page and retries */

static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt_low[1024] __attribute__((aligned(4096)));   /* identity 0..4 MiB */
static u32 pt_test[1024] __attribute__((aligned(4096)));  /* 0x400000.. test pages */
static u8 test_pages[4][4096] __attribute__((aligned(4096)));
#define TEST_VA 0x400000u

static struct tss32 main_tss __attribute__((aligned(128)));
static struct tss32 df_tss __attribute__((aligned(128)));
static u8 df_stack[8192] __attribute__((aligned(16)));

void isr_handler(struct frame *f) {
  seen.count++;
  seen.vector = f->vector;
  seen.error = f->error;
  seen.eip = f->eip;
  seen.cs = f->cs;
  seen.eflags = f->eflags;
  if (f->vector == 14) {
    seen.cr2 = read_cr2();
    if (map_on_pf) {
      u32 idx = (seen.cr2 - TEST_VA) >> 12;
      if (idx < 4) {
        pt_test[idx] = (u32)test_pages[idx] | 3; /* present, writable */
        invlpg(seen.cr2);
        return; /* retry the faulting instruction */
      }
    }
  }
  if (resume_at) {
    f->eip = resume_at;
    return;
  }
  kprintf("unexpected vector %u error 0x%x at %x\n", f->vector, f->error, f->eip);
  fail_now("unexpected exception");
}

static char names[40][48];
static int nnames;
static const char *N(const char *a, const char *b) {
  char *p = names[nnames < 39 ? nnames++ : 39];
  u32 n = 0;
  while (*a) p[n++] = *a++;
  p[n++] = ' ';
  while (*b) p[n++] = *b++;
  p[n] = 0;
  return p;
}

static void expect(const char *name, void (*fn)(void), u32 vector, const u8 *report_eip,
                   const u8 *resume, u32 error) {
  kprintf("%s:\n", name);
  seen.count = 0;
  seen.error = 0xFFFFFFFF;
  resume_at = (u32)resume;
  fn();
  resume_at = 0;
  check_eq(N(name, "count"), seen.count, 1);
  check_eq(N(name, "vector"), seen.vector, vector);
  check_eq(N(name, "reported EIP"), seen.eip, (u32)report_eip);
  check_eq(N(name, "error code"), seen.error, error);
  check_eq(N(name, "CS"), seen.cs, SEL_KCODE);
}

/* Runs in the double-fault task. */
static volatile struct {
  u32 count, error, tr, link, eflags, cr2, saved_eip, saved_eax, saved_ebx, busy_main, busy_df;
} dfs;

void df_task_main(u32 error) {
  dfs.count++;
  dfs.error = error;
  dfs.tr = read_tr();
  dfs.link = df_tss.link;
  dfs.eflags = read_eflags();
  dfs.cr2 = read_cr2();
  dfs.saved_eip = main_tss.eip;
  dfs.saved_eax = main_tss.eax;
  dfs.saved_ebx = main_tss.ebx;
  dfs.busy_main = (u32)(gdt[SEL_MAIN_TSS >> 3] >> 40) & 0xF;
  dfs.busy_df = (u32)(gdt[SEL_DF_TSS >> 3] >> 40) & 0xF;
  /* Repair: make #PF deliverable again and skip the faulting load on return. */
  idt_set(14, isr_stubs[14], SEL_KCODE, GATE_INT32);
  main_tss.eip = (u32)t_df_resume;
}

static void setup(void) {
  gdt_init();
  gdt_set(SEL_MAIN_TSS >> 3, (u32)&main_tss, sizeof(main_tss) - 1, 0x89, 0);
  gdt_set(SEL_DF_TSS >> 3, (u32)&df_tss, sizeof(df_tss) - 1, 0x89, 0);
  gdt_set(SEL_NOTPRESENT >> 3, 0, 0xFFFFF, 0x12, 0xC);  /* P=0 writable data */
  gdt_set(SEL_SHORT_TSS >> 3, (u32)&df_stack[0], 0x20, 0x89, 0); /* too short a TSS */
  gdt_set(SEL_XONLY >> 3, 0, 0xFFFFF, 0x98, 0xC);       /* execute-only code */
  gdt_load();

  for (u32 i = 0; i < 1024; i++) pt_low[i] = (i << 12) | 3;
  pd[0] = (u32)pt_low | 3;
  pd[1] = (u32)pt_test | 3;
  write_cr3((u32)pd);
  write_cr0(read_cr0() | 0x80010000u); /* PG and WP */

  idt_init();
  /* A valid gate type with P=0 (an all-zero entry would be #GP for its type). */
  idt_set(0x40, isr_stubs[0x40], SEL_KCODE, GATE_INT32 & 0x7F);
  idt[8] = ((u64)SEL_DF_TSS << 16) | ((u64)GATE_TASK << 40); /* #DF: task gate */

  main_tss.cr3 = (u32)pd;       /* loaded when the #DF task returns to us */
  main_tss.iomap_base = sizeof(struct tss32);
  df_tss.cr3 = (u32)pd;
  df_tss.eip = (u32)df_task_entry;
  df_tss.eflags = 0x2;
  df_tss.esp = (u32)(df_stack + sizeof(df_stack));
  df_tss.cs = SEL_KCODE;
  df_tss.ds = df_tss.es = df_tss.fs = df_tss.gs = df_tss.ss = SEL_KDATA;
  df_tss.iomap_base = sizeof(struct tss32);
  __asm__ volatile("ltr %w0" : : "r"(SEL_MAIN_TSS));
}

static void page_faults(void) {
  puts("#PF read of a not-present page:\n");
  *(volatile u32 *)&test_pages[0][0x120] = 0xFEEDFACE;
  map_on_pf = 1;
  seen.count = 0;
  u32 v = t_pf_read(TEST_VA + 0x120);
  check_eq("#PF read count", seen.count, 1);
  check_eq("#PF read vector", seen.vector, 14);
  check_eq("#PF read error code (not present, read, supervisor)", seen.error, 0);
  check_eq("#PF read CR2", seen.cr2, TEST_VA + 0x120);
  check_eq("#PF read reported EIP", seen.eip, (u32)t_pf_read_fault);
  check_eq("#PF read retried after mapping", v, 0xFEEDFACE);

  puts("#PF write to a not-present page:\n");
  seen.count = 0;
  t_pf_write(TEST_VA + 0x1ABC, 0x600D600D);
  check_eq("#PF write count", seen.count, 1);
  check_eq("#PF write error code (not present, write)", seen.error, 2);
  check_eq("#PF write CR2", seen.cr2, TEST_VA + 0x1ABC);
  check_eq("#PF write retried", *(volatile u32 *)&test_pages[1][0xABC], 0x600D600D);

  puts("#PF write to a read-only page with CR0.WP=1:\n");
  pt_test[2] = (u32)test_pages[2] | 1; /* present, read-only */
  invlpg(TEST_VA + 0x2000);
  seen.count = 0;
  *(volatile u32 *)&test_pages[2][8] = 0x1234;
  check_eq("read-only page is readable", t_pf_read(TEST_VA + 0x2008), 0x1234);
  check_eq("no fault on read", seen.count, 0);
  t_pf_write(TEST_VA + 0x2008, 0x5678);
  check_eq("#PF protection count", seen.count, 1);
  check_eq("#PF protection error code (present, write)", seen.error, 3);
  check_eq("#PF protection CR2", seen.cr2, TEST_VA + 0x2008);
  check_eq("#PF protection write retried", *(volatile u32 *)&test_pages[2][8], 0x5678);
  map_on_pf = 0;
}

static void double_fault(void) {
  puts("#DF through a task gate (#PF with a not-present #PF gate -> #NP -> #DF):\n");
  idt_set(14, isr_stubs[14], SEL_KCODE, GATE_INT32 & 0x7F); /* not present */
  seen.count = 0;
  t_df(TEST_VA + 0x3010);
  check_eq("#DF task ran once", dfs.count, 1);
  check_eq("no exception in the old task", seen.count, 0);
  check_eq("#DF error code", dfs.error, 0);
  check_eq("TR in the #DF task", dfs.tr, SEL_DF_TSS);
  check_eq("#DF TSS back link", dfs.link, SEL_MAIN_TSS);
  check_eq("EFLAGS.NT in the #DF task", (dfs.eflags >> 14) & 1, 1);
  check_eq("CR2 of the first fault", dfs.cr2, TEST_VA + 0x3010);
  check_eq("saved EIP in the old TSS", dfs.saved_eip, (u32)t_df_fault);
  check_eq("saved EAX in the old TSS", dfs.saved_eax, 0xD0D0D0D0);
  check_eq("saved EBX in the old TSS", dfs.saved_ebx, 0x12345678);
  check_eq("old TSS busy during #DF", dfs.busy_main, 0xB);
  check_eq("#DF TSS busy during #DF", dfs.busy_df, 0xB);
  check_eq("TR after IRET", read_tr(), SEL_MAIN_TSS);
  check_eq("#DF TSS not busy after IRET", (u32)(gdt[SEL_DF_TSS >> 3] >> 40) & 0xF, 0x9);
  check_eq("old TSS still busy", (u32)(gdt[SEL_MAIN_TSS >> 3] >> 40) & 0xF, 0xB);
  check_eq("EFLAGS.NT clear after IRET", (read_eflags() >> 14) & 1, 0);

  puts("second #DF reuses the task:\n");
  idt_set(14, isr_stubs[14], SEL_KCODE, GATE_INT32 & 0x7F); /* not present */
  t_df(TEST_VA + 0x3020);
  check_eq("#DF task ran twice", dfs.count, 2);
  check_eq("second CR2", dfs.cr2, TEST_VA + 0x3020);
  check_eq("second back link", dfs.link, SEL_MAIN_TSS);
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("exceptions: vectors 0-31\n");
  setup();
  expect("#DE", t_de, 0, t_de_fault, t_de_resume, 0);
  expect("#UD", t_ud, 6, t_ud_fault, t_ud_resume, 0);
  expect("#BP", t_bp, 3, t_bp_resume, t_bp_resume, 0);    /* trap: EIP after INT3 */
  expect("#OF", t_of, 4, t_of_resume, t_of_resume, 0);    /* trap: EIP after INTO */
  expect("#BR", t_br, 5, t_br_fault, t_br_resume, 0);
  expect("#GP bad selector", t_gp_sel, 13, t_gp_sel_fault, t_gp_sel_resume, 0x0FF8);
  expect("#GP execute-only into DS", t_gp_xo, 13, t_gp_xo_fault, t_gp_xo_resume, SEL_XONLY);
  expect("#GP null CS", t_gp_null, 13, t_gp_null_fault, t_gp_null_resume, 0);
  expect("#NP segment", t_np_seg, 11, t_np_seg_fault, t_np_seg_resume, SEL_NOTPRESENT);
  expect("#SS segment", t_ss_seg, 12, t_ss_seg_fault, t_ss_seg_resume, SEL_NOTPRESENT);
  expect("#NP gate", t_np_gate, 11, t_np_gate_fault, t_np_gate_resume, 0x40 * 8 + 2);
  expect("#TS short TSS", t_ts, 10, t_ts_fault, t_ts_resume, SEL_SHORT_TSS);
  page_faults();
  double_fault();
  finish();
}
