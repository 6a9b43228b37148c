#include "lib.h"

void *memset(void *d, int c, u32 n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

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

u32 strlen(const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

void putc(char c) { outb(DEBUGCON_PORT, (u8)c); }

void puts(const char *s) {
  while (*s) putc(*s++);
}

static void put_number(u32 v, unsigned base, int width, char pad, int upper) {
  char buf[12];
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    buf[n++] = digits[v % base];
    v /= base;
  } while (v);
  while (n < width) buf[n++] = pad;
  while (n) putc(buf[--n]);
}

void kvprintf(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0;
    if (*fmt == '0') { pad = '0'; fmt++; }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    switch (*fmt) {
      case 's': { const char *s = va_arg(ap, const char *); puts(s ? s : "(null)"); break; }
      case 'c': putc((char)va_arg(ap, int)); break;
      case 'u': put_number(va_arg(ap, u32), 10, width, pad, 0); break;
      case 'd': {
        i32 v = va_arg(ap, i32);
        if (v < 0) { putc('-'); put_number(0u - (u32)v, 10, width, pad, 0); }
        else put_number((u32)v, 10, width, pad, 0);
        break;
      }
      case 'x': put_number(va_arg(ap, u32), 16, width, pad, 0); break;
      case 'X': put_number(va_arg(ap, u32), 16, width, pad, 1); break;
      case '%': putc('%'); break;
      case 0: return;
      default: putc('%'); putc(*fmt); break;
    }
  }
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}

static int fail_count;
static const char *first_failure;

int check(int cond, const char *what) {
  if (cond) {
    kprintf("  ok   %s\n", what);
    return 1;
  }
  kprintf("  FAIL %s\n", what);
  if (!fail_count++) first_failure = what;
  return 0;
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

void fail_now(const char *why) {
  if (!fail_count++) first_failure = why;
  finish();
}

void finish(void) {
  __asm__ volatile("cli");
  if (fail_count) {
    kprintf("RESULT FAIL %s %s\n", guest_name, first_failure);
    outb(DEBUG_EXIT_PORT, 1);
  } else {
    kprintf("RESULT PASS %s\n", guest_name);
    outb(DEBUG_EXIT_PORT, 0);
  }
  halt_forever();
}

/* --- GDT --- */
u64 gdt[GDT_ENTRIES] __attribute__((aligned(8)));

u64 make_desc(u32 base, u32 limit, u8 access, u8 flags) {
  u64 d = 0;
  d |= limit & 0xFFFF;
  d |= (u64)(base & 0xFFFFFF) << 16;
  d |= (u64)access << 40;
  d |= (u64)((limit >> 16) & 0xF) << 48;
  d |= (u64)(flags & 0xF) << 52;
  d |= (u64)(base >> 24) << 56;
  return d;
}

void gdt_set(int idx, u32 base, u32 limit, u8 access, u8 flags) {
  gdt[idx] = make_desc(base, limit, access, flags);
}

void gdt_load(void) {
  struct { u16 limit; u32 base; } __attribute__((packed)) r = { sizeof(gdt) - 1, (u32)gdt };
  __asm__ volatile("lgdt %0" : : "m"(r) : "memory");
}

void gdt_init(void) {
  gdt[0] = 0;
  gdt_set(1, 0, 0xFFFFF, 0x9A, 0xC);
  gdt_set(2, 0, 0xFFFFF, 0x92, 0xC);
  gdt_load();
  __asm__ volatile(
      "ljmp $0x08, $1f\n"
      "1: mov $0x10, %%eax\n"
      "mov %%eax, %%ds\n mov %%eax, %%es\n mov %%eax, %%fs\n mov %%eax, %%gs\n mov %%eax, %%ss\n"
      : : : "eax", "memory");
}

/* --- IDT --- */
u64 idt[256] __attribute__((aligned(8)));

void idt_set(int vec, u32 offset, u16 sel, u8 type_attr) {
  idt[vec] = (u64)(offset & 0xFFFF) | ((u64)sel << 16) | ((u64)type_attr << 40) |
             ((u64)(offset >> 16) << 48);
}

void idt_load(void) {
  struct { u16 limit; u32 base; } __attribute__((packed)) r = { sizeof(idt) - 1, (u32)idt };
  __asm__ volatile("lidt %0" : : "m"(r) : "memory");
}

void idt_init(void) {
  for (int i = 0; i < 256; i++) idt_set(i, isr_stubs[i], SEL_KCODE, GATE_INT32);
  idt_load();
}

/* Guests that install handlers override this. */
__attribute__((weak)) void isr_handler(struct frame *f) {
  kprintf("unexpected vector %u error 0x%x at %x:%x\n", f->vector, f->error, f->cs, f->eip);
  fail_now("unexpected interrupt or exception");
}
