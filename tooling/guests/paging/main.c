/* paging: 32-bit two-level paging (4 KiB and 4 MiB PSE pages), then PAE paging (4 KiB and
   2 MiB pages). In both modes: identity map of the low 8 MiB, alias mappings at 1 GiB,
   reads/writes through the aliases, accessed/dirty bits set by the CPU, INVLPG after a
   remap, CR3 reload and a switch to a second set of tables.
   Physical test pages live at 5 MiB, so the guest needs at least 8 MiB of RAM. */
#include "lib.h"

const char guest_name[] = "paging";

#define P 0x001u
#define RW 0x002u
#define ACC 0x020u
#define DIRTY 0x040u
#define PS 0x080u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u

#define PHYS_A 0x500000u /* test pages */
#define PHYS_B 0x501000u
#define PHYS_C 0x502000u
#define PHYS_D 0x503000u
#define ALIAS 0x40000000u /* 4 KiB alias pages: ALIAS -> A, ALIAS+4K -> B */

/* Low dwords of the entries the common checks work on. */
struct layout {
  const char *mode;
  volatile u32 *pte_c;     /* 4 KiB identity entry for PHYS_C */
  volatile u32 *pde_c;     /* directory entry above it */
  volatile u32 *alias0, *alias1;
  volatile u32 *big;       /* large-page alias entry */
  u32 big_va;              /* its virtual address; maps physical 4 MiB */
  u32 cr3, cr3_other;      /* second tables: ALIAS -> PHYS_D */
};

static void label(const struct layout *l, const char *what, char *buf) {
  /* "<mode>: <what>" into buf (checks keep the pointer only until printed) */
  u32 n = 0;
  for (const char *s = l->mode; *s; s++) buf[n++] = *s;
  buf[n++] = ':';
  buf[n++] = ' ';
  for (const char *s = what; *s; s++) buf[n++] = *s;
  buf[n] = 0;
}

/* Labels must outlive the check (the first failing label is printed in RESULT). */
static char labels[64][64];
static int nlabels;
static const char *L(const struct layout *l, const char *what) {
  char *b = labels[nlabels < 63 ? nlabels++ : 63];
  label(l, what, b);
  return b;
}

static void fill_test_pages(void) {
  *phys32(PHYS_A) = 0x11111111;
  *phys32(PHYS_A + 4) = 0;
  *phys32(PHYS_A + 8) = 0;
  *phys32(PHYS_B) = 0x22222222;
  *phys32(PHYS_C) = 0x33333333;
  *phys32(PHYS_D) = 0x44444444;
}

static void common_checks(const struct layout *l) {
  /* Aliasing. */
  check_eq(L(l, "read alias page 0"), *phys32(ALIAS), 0x11111111);
  check_eq(L(l, "read alias page 1"), *phys32(ALIAS + 0x1000), 0x22222222);
  *phys32(ALIAS + 4) = 0xA5A5A5A5;
  check_eq(L(l, "write via alias, read identity"), *phys32(PHYS_A + 4), 0xA5A5A5A5);
  check_eq(L(l, "read large-page alias"), *phys32(l->big_va + (PHYS_A - 0x400000)), 0x11111111);
  *phys32(l->big_va + (PHYS_A - 0x400000) + 8) = 0x5A5A5A5A;
  check_eq(L(l, "write via large page, read identity"), *phys32(PHYS_A + 8), 0x5A5A5A5A);

  /* Accessed/dirty bits on the alias PTEs from the accesses above. */
  check_eq(L(l, "alias0 PTE A|D"), *l->alias0 & (ACC | DIRTY), ACC | DIRTY);
  check_eq(L(l, "alias1 PTE A|D"), *l->alias1 & (ACC | DIRTY), ACC);

  /* A/D on a 4 KiB identity page, starting from clear bits. */
  *l->pte_c &= ~(ACC | DIRTY);
  *l->pde_c &= ~ACC;
  invlpg(PHYS_C);
  check_eq(L(l, "identity read"), *phys32(PHYS_C), 0x33333333);
  check_eq(L(l, "4K PTE after read"), *l->pte_c & (ACC | DIRTY), ACC);
  check_eq(L(l, "PDE accessed"), *l->pde_c & ACC, ACC);
  *phys32(PHYS_C + 4) = 1;
  check_eq(L(l, "4K PTE after write"), *l->pte_c & (ACC | DIRTY), ACC | DIRTY);

  /* A/D on the large page. */
  *l->big &= ~(ACC | DIRTY);
  invlpg(l->big_va);
  invlpg(l->big_va + 0x100000);
  (void)*phys32(l->big_va + 0x100000);
  check_eq(L(l, "large page after read"), *l->big & (ACC | DIRTY), ACC);
  *phys32(l->big_va + 0x10) = 7;
  check_eq(L(l, "large page after write"), *l->big & (ACC | DIRTY), ACC | DIRTY);

  /* Remap alias page 0 to B, INVLPG, read the new target. */
  *l->alias0 = PHYS_B | P | RW;
  invlpg(ALIAS);
  check_eq(L(l, "INVLPG after remap"), *phys32(ALIAS), 0x22222222);

  /* Remap alias page 1 to A and reload CR3 instead of INVLPG. */
  *l->alias1 = PHYS_A | P | RW;
  write_cr3(read_cr3());
  check_eq(L(l, "CR3 reload after remap"), *phys32(ALIAS + 0x1000), 0x11111111);

  /* Switch to the other tables and back. */
  write_cr3(l->cr3_other);
  check_eq(L(l, "other CR3: alias -> D"), *phys32(ALIAS), 0x44444444);
  check_eq(L(l, "other CR3: identity still there"), *phys32(PHYS_C), 0x33333333);
  write_cr3(l->cr3);
  check_eq(L(l, "CR3 back: alias -> B"), *phys32(ALIAS), 0x22222222);
}

/* ---- 32-bit paging ---- */
static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pd_other[1024] __attribute__((aligned(4096)));
static u32 pt_4m[1024] __attribute__((aligned(4096)));   /* identity 4..8 MiB, 4 KiB pages */
static u32 pt_alias[1024] __attribute__((aligned(4096)));
static u32 pt_alias_other[1024] __attribute__((aligned(4096)));

static void test_legacy(void) {
  puts("32-bit paging with PSE\n");
  pd[0] = 0x000000 | P | RW | PS;                 /* 0..4 MiB: one 4 MiB page */
  pd[1] = (u32)pt_4m | P | RW;                    /* 4..8 MiB: 4 KiB pages */
  for (u32 i = 0; i < 1024; i++) pt_4m[i] = (0x400000 + i * 4096) | P | RW;
  pd[ALIAS >> 22] = (u32)pt_alias | P | RW;
  pt_alias[0] = PHYS_A | P | RW;
  pt_alias[1] = PHYS_B | P | RW;
  pd[(ALIAS >> 22) + 1] = 0x400000 | P | RW | PS; /* 0x40400000: alias of 4..8 MiB */
  for (u32 i = 0; i < 1024; i++) pd_other[i] = pd[i];
  pd_other[ALIAS >> 22] = (u32)pt_alias_other | P | RW;
  pt_alias_other[0] = PHYS_D | P | RW;

  fill_test_pages();
  write_cr4(read_cr4() | CR4_PSE);
  write_cr3((u32)pd);
  write_cr0(read_cr0() | CR0_PG);
  check_eq("legacy: CR0.PG set", read_cr0() >> 31, 1);
  check_eq("legacy: PDE 0 accessed (running from it)", pd[0] & ACC, ACC);

  struct layout l = {
      .mode = "legacy",
      .pte_c = &pt_4m[(PHYS_C - 0x400000) >> 12],
      .pde_c = &pd[1],
      .alias0 = &pt_alias[0],
      .alias1 = &pt_alias[1],
      .big = &pd[(ALIAS >> 22) + 1],
      .big_va = ALIAS + 0x400000,
      .cr3 = (u32)pd,
      .cr3_other = (u32)pd_other,
  };
  common_checks(&l);
  write_cr0(read_cr0() & ~CR0_PG);
  write_cr4(read_cr4() & ~CR4_PSE);
}

/* ---- PAE paging ---- */
static u64 pdpt[4] __attribute__((aligned(32)));
static u64 pdpt_other[4] __attribute__((aligned(32)));
static u64 pae_pd0[512] __attribute__((aligned(4096)));   /* 0..1 GiB */
static u64 pae_pd1[512] __attribute__((aligned(4096)));   /* 1..2 GiB */
static u64 pae_pd1_other[512] __attribute__((aligned(4096)));
static u64 pae_pt_4m[512] __attribute__((aligned(4096))); /* identity 4..6 MiB */
static u64 pae_pt_alias[512] __attribute__((aligned(4096)));
static u64 pae_pt_alias_other[512] __attribute__((aligned(4096)));

static volatile u32 *lo(u64 *e) { return (volatile u32 *)e; }

static void test_pae(void) {
  puts("PAE paging\n");
  pae_pd0[0] = 0x000000 | P | RW | PS;            /* 2 MiB pages */
  pae_pd0[1] = 0x200000 | P | RW | PS;
  pae_pd0[2] = (u32)pae_pt_4m | P | RW;           /* 4..6 MiB: 4 KiB pages */
  pae_pd0[3] = 0x600000 | P | RW | PS;
  for (u32 i = 0; i < 512; i++) pae_pt_4m[i] = (0x400000 + i * 4096) | P | RW;
  pae_pd1[0] = (u32)pae_pt_alias | P | RW;        /* 0x40000000 */
  pae_pt_alias[0] = PHYS_A | P | RW;
  pae_pt_alias[1] = PHYS_B | P | RW;
  pae_pd1[1] = 0x400000 | P | RW | PS;            /* 0x40200000: alias of 4..6 MiB */
  pdpt[0] = (u32)pae_pd0 | P;                     /* PDPTEs: only P and the address */
  pdpt[1] = (u32)pae_pd1 | P;
  pdpt[2] = 0;
  pdpt[3] = 0;
  for (u32 i = 0; i < 512; i++) pae_pd1_other[i] = pae_pd1[i];
  pae_pd1_other[0] = (u32)pae_pt_alias_other | P | RW;
  pae_pt_alias_other[0] = PHYS_D | P | RW;
  pdpt_other[0] = pdpt[0];
  pdpt_other[1] = (u32)pae_pd1_other | P;

  fill_test_pages();
  write_cr4(read_cr4() | CR4_PAE);
  write_cr3((u32)pdpt);
  write_cr0(read_cr0() | CR0_PG);
  check_eq("pae: CR0.PG set", read_cr0() >> 31, 1);
  check_eq("pae: PDE 0 accessed (running from it)", *lo(&pae_pd0[0]) & ACC, ACC);
  check_eq("pae: 64-bit entry high half untouched", (u32)(pae_pd0[0] >> 32), 0);

  struct layout l = {
      .mode = "pae",
      .pte_c = lo(&pae_pt_4m[(PHYS_C - 0x400000) >> 12]),
      .pde_c = lo(&pae_pd0[2]),
      .alias0 = lo(&pae_pt_alias[0]),
      .alias1 = lo(&pae_pt_alias[1]),
      .big = lo(&pae_pd1[1]),
      .big_va = ALIAS + 0x200000,
      .cr3 = (u32)pdpt,
      .cr3_other = (u32)pdpt_other,
  };
  common_checks(&l);

  /* PDPTEs are loaded at CR3 load: point PDPTE 1 at the other directory and reload. */
  pdpt[1] = (u32)pae_pd1_other | P;
  write_cr3((u32)pdpt);
  check_eq("pae: PDPTE change after CR3 reload", *phys32(ALIAS), 0x44444444);
  pdpt[1] = (u32)pae_pd1 | P;
  write_cr3((u32)pdpt);
  check_eq("pae: PDPTE restored", *phys32(ALIAS), 0x22222222);

  write_cr0(read_cr0() & ~CR0_PG);
  write_cr4(read_cr4() & ~CR4_PAE);
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("paging: PSE and PAE page tables\n");
  gdt_init();
  u32 a, b, c, d;
  cpuid(1, &a, &b, &c, &d);
  if (!check((d >> 3) & 1, "CPUID.1:EDX.PSE")) finish();
  if (!check((d >> 6) & 1, "CPUID.1:EDX.PAE")) finish();
  test_legacy();
  check_eq("paging off again", read_cr0() >> 31, 0);
  test_pae();
  check_eq("paging off at the end", read_cr0() >> 31, 0);
  finish();
}
