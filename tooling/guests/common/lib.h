/* Tiny support library shared by the virtkit test guests: port I/O, printing on the
   debug console (port 0xE9), checks, result reporting (port 0xF4), and helpers for the
   GDT, IDT and TSS. No libc, no floating point. */
#ifndef VIRTKIT_GUEST_LIB_H
#define VIRTKIT_GUEST_LIB_H

#include <stdarg.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int i32;

#define DEBUGCON_PORT 0xE9
#define DEBUG_EXIT_PORT 0xF4

/* Every guest defines its RESULT name. */
extern const char guest_name[];

/* Segment selectors of the shared GDT (gdt_init). Guests add their own from index 3. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 read_cr0(void) { u32 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 read_cr2(void) { u32 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 read_cr3(void) { u32 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 read_cr4(void) { u32 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u32 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(u32 v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(u32 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(u32 va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline u32 read_eflags(void) { u32 v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void wrmsr(u32 msr, u64 v) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline u16 read_tr(void) { u16 v; __asm__ volatile("str %0" : "=r"(v)); return v; }

/* Physical memory access through an integer address, hidden from the optimiser so that
   addresses such as 0 are not treated as null pointers. */
static inline volatile u8 *phys8(u32 a) { volatile u8 *p; __asm__("" : "=r"(p) : "0"(a)); return p; }
static inline volatile u16 *phys16(u32 a) { volatile u16 *p; __asm__("" : "=r"(p) : "0"(a)); return p; }
static inline volatile u32 *phys32(u32 a) { volatile u32 *p; __asm__("" : "=r"(p) : "0"(a)); return p; }

void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 strlen(const char *s);

void putc(char c);
void puts(const char *s);
/* printf subset: %s %c %d %u %x %X %08x (zero pad and width), %% */
void kprintf(const char *fmt, ...);
void kvprintf(const char *fmt, va_list ap);

/* Checks print one "ok"/"FAIL" line each; the first failure becomes the RESULT reason. */
int check(int cond, const char *what);
int check_eq(const char *what, u32 got, u32 want);
int failures(void);
/* Prints the RESULT line, writes the status to port 0xF4 and halts forever. */
__attribute__((noreturn)) void finish(void);
__attribute__((noreturn)) void fail_now(const char *why);
__attribute__((noreturn)) void halt_forever(void);

/* --- descriptor tables --- */
struct tss32 {
  u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
  u32 es, cs, ss, ds, fs, gs, ldt;
  u16 trap, iomap_base;
} __attribute__((packed));

#define GDT_ENTRIES 16
extern u64 gdt[GDT_ENTRIES];
/* access: P DPL S type byte; flags: G D/B L AVL nibble (e.g. 0xC for 4 KiB-granular 32-bit) */
u64 make_desc(u32 base, u32 limit, u8 access, u8 flags);
void gdt_set(int idx, u32 base, u32 limit, u8 access, u8 flags);
/* Fills entries 1 (flat code) and 2 (flat data), loads the GDT and reloads all segments. */
void gdt_init(void);
void gdt_load(void);

/* IDT: 256 gates. The common stubs (isr.asm) save state as struct frame and call
   isr_handler, which each guest that uses them defines. */
struct frame {
  u32 gs, fs, es, ds;
  u32 edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
  u32 vector, error;
  u32 eip, cs, eflags;
  u32 esp, ss;                     /* only on a privilege change */
  u32 v86_es, v86_ds, v86_fs, v86_gs; /* only when interrupting virtual-8086 mode */
};
extern u64 idt[256];
extern u32 isr_stubs[256];
void isr_handler(struct frame *f);
#define GATE_INT32 0x8E   /* P, DPL0, 32-bit interrupt gate */
#define GATE_TRAP32 0x8F  /* P, DPL0, 32-bit trap gate */
#define GATE_TASK 0x85    /* P, DPL0, task gate */
void idt_set(int vec, u32 offset, u16 sel, u8 type_attr);
/* Installs the common stub for every vector as a DPL0 interrupt gate and loads IDTR. */
void idt_init(void);
void idt_load(void);

/* Runs an IRET frame (EIP CS EFLAGS [ESP SS [ES DS FS GS]]) after saving the caller's
   kernel context; returns the value a handler later passes to leave_to_kernel. */
u32 enter_frame(const u32 *frame);
__attribute__((noreturn)) void leave_to_kernel(u32 value);

#endif
