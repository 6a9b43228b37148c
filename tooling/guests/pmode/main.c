/* pmode: protected mode -> real mode -> protected mode, twice, checking what the
   real-mode code computed (INT through the IVT, segment arithmetic, string ops). */
#include "lib.h"

const char guest_name[] = "pmode";

extern const u8 tramp_start[], tramp_end[];
extern void realmode_roundtrip(void);

#define TRAMP_BASE 0x7000
#define RES 0x6000
static const char msg[] = "virtkit real mode string ops!!";
#define MSGLEN 30

static u16 r16(u32 off) { return *phys16(RES + off); }
static u32 r32(u32 off) { return *phys32(RES + off); }

static void one_roundtrip(int round) {
  /* Clear the result area and scratch buffers so each round proves itself. */
  for (u32 a = RES; a < RES + 0x100; a++) *phys8(a) = 0;
  for (u32 a = 0x6500; a < 0x6600; a++) *phys8(a) = 0;
  for (u32 a = 0x8000; a < 0x8300; a++) *phys8(a) = 0;
  struct { u16 limit; u32 base; } __attribute__((packed)) g;
  __asm__ volatile("sgdt %0" : "=m"(g));
  *phys16(RES) = g.limit;
  *phys32(RES + 2) = g.base;

  kprintf("round %d: switching to real mode\n", round);
  realmode_roundtrip();
  kprintf("round %d: back in protected mode, CR0.PE=%u\n", round, read_cr0() & 1);

  check_eq("real mode reached the end", r32(0x30), 0x600DF00D);
  check_eq("CR0.PE read in real mode", r32(0x2A) & 1, 0);
  check_eq("INT 0x42 handler result AX", r16(0x10), 0x2345);
  check_eq("INT 0x42 pushed IP", r16(0x12), r16(0x40));
  check_eq("INT 0x42 pushed CS", r16(0x14), 0);
  check_eq("INT 0x42 pushed FLAGS", r16(0x26), 0x08D7);
  check_eq("FLAGS restored by IRET", r16(0x3C), 0x08D7);
  check_eq("SP balanced over INT/IRET", r16(0x34), 0);
  check_eq("INT 0x43 handler CS", r16(0x16), 0x0700);
  check_eq("0651:0000 aliases 0650:0010", r16(0x18), 0xBEEF);
  check_eq("linear 0x6510", *phys16(0x6510), 0xBEEF);
  check_eq("REPNE SCASB index of 'k'", r16(0x1A), 4);
  check_eq("REPE CMPSB equal (ZF<<15|CX)", r16(0x1C), 0);
  check_eq("REPE CMPSB mismatch leaves CX", r16(0x2E), MSGLEN - 6);
  u32 sum = 0;
  for (int i = 0; i < MSGLEN; i++) sum += (u8)msg[i];
  check_eq("LODSB byte sum", r16(0x1E), sum);
  int copy_ok = 1, back_ok = 1, stos_ok = 1;
  for (int i = 0; i < MSGLEN; i++) {
    u8 want = i == 5 ? '#' : (u8)msg[i];
    if (*phys8(0x8000 + i) != want) copy_ok = 0;
    if (*phys8(0x8100 + i) != (u8)msg[i]) back_ok = 0;
  }
  for (int i = 0; i < 8; i++)
    if (*phys16(0x8200 + 2 * i) != 0xA55A) stos_ok = 0;
  if (*phys16(0x8210) != 0) stos_ok = 0;
  check(copy_ok, "REP MOVSW copy at 0800:0000");
  check(back_ok, "STD REP MOVSB copy at 0800:0100");
  check(stos_ok, "REP STOSW fill at 0800:0200");
  check_eq("o32 add/rol in real mode", r32(0x20), 0xF13568ACu);
  check_eq("MUL CX low word", r16(0x38), (1234u * 567u) & 0xFFFF);
  check_eq("MUL CX high word", r16(0x3A), (1234u * 567u) >> 16);
  check_eq("far call CS", r16(0x24), 0x0700);
}

void guest_main(u32 magic, u32 info) {
  (void)magic;
  (void)info;
  puts("pmode: real-mode round trips\n");
  gdt_init();
  gdt_set(3, 0, 0xFFFF, 0x9A, 0x0); /* 0x18: 16-bit code, base 0, 64 KiB */
  gdt_set(4, 0, 0xFFFF, 0x92, 0x0); /* 0x20: 16-bit data, base 0, 64 KiB */
  gdt_load();
  u32 len = (u32)(tramp_end - tramp_start);
  check(len < 0x1000, "trampoline fits below 0x8000");
  memcpy((void *)TRAMP_BASE, tramp_start, len);
  one_roundtrip(1);
  one_roundtrip(2);
  /* Segment registers must be the 32-bit flat ones again. */
  u32 cs, ds, ss;
  __asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2" : "=r"(cs), "=r"(ds), "=r"(ss));
  check_eq("CS after return", cs & 0xFFFF, SEL_KCODE);
  check_eq("DS after return", ds & 0xFFFF, SEL_KDATA);
  check_eq("SS after return", ss & 0xFFFF, SEL_KDATA);
  finish();
}
