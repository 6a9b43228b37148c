/** Local APIC (xAPIC) register offsets and bits (Intel SDM vol. 3, ch. 11). */

/** Default physical base of the xAPIC page. */
export const LAPIC_DEFAULT_BASE = 0xfee00000;
/** Size of the register page. */
export const LAPIC_MMIO_SIZE = 0x1000;

/** Local APIC ID (bits 31:24). */
export const LAPIC_ID = 0x020;
/** Version. */
export const LAPIC_VERSION = 0x030;
/** Task priority. */
export const LAPIC_TPR = 0x080;
/** Arbitration priority. */
export const LAPIC_APR = 0x090;
/** Processor priority. */
export const LAPIC_PPR = 0x0a0;
/** End of interrupt (write-only). */
export const LAPIC_EOI = 0x0b0;
/** Remote read. */
export const LAPIC_RRD = 0x0c0;
/** Logical destination. */
export const LAPIC_LDR = 0x0d0;
/** Destination format. */
export const LAPIC_DFR = 0x0e0;
/** Spurious interrupt vector. */
export const LAPIC_SVR = 0x0f0;
/** In-service register, 8 dwords at 0x100–0x170. */
export const LAPIC_ISR = 0x100;
/** Trigger mode register, 8 dwords at 0x180–0x1F0. */
export const LAPIC_TMR = 0x180;
/** Interrupt request register, 8 dwords at 0x200–0x270. */
export const LAPIC_IRR = 0x200;
/** Error status. */
export const LAPIC_ESR = 0x280;
/** Interrupt command, low dword (writing it sends). */
export const LAPIC_ICR_LO = 0x300;
/** Interrupt command, high dword (destination). */
export const LAPIC_ICR_HI = 0x310;
/** LVT timer. */
export const LAPIC_LVT_TIMER = 0x320;
/** LVT thermal sensor. */
export const LAPIC_LVT_THERMAL = 0x330;
/** LVT performance counter. */
export const LAPIC_LVT_PERF = 0x340;
/** LVT LINT0. */
export const LAPIC_LVT_LINT0 = 0x350;
/** LVT LINT1. */
export const LAPIC_LVT_LINT1 = 0x360;
/** LVT error. */
export const LAPIC_LVT_ERROR = 0x370;
/** Timer initial count. */
export const LAPIC_TIMER_ICR = 0x380;
/** Timer current count. */
export const LAPIC_TIMER_CCR = 0x390;
/** Timer divide configuration. */
export const LAPIC_TIMER_DCR = 0x3e0;

/** Version register value: version 0x14 (integrated xAPIC), max LVT entry 5 in bits 23:16. */
export const LAPIC_VERSION_VALUE = 0x00050014;

/** SVR: APIC software enable. */
export const SVR_ENABLE = 0x100;
/** SVR: focus processor checking disable. */
export const SVR_FOCUS_DISABLE = 0x200;

/** LVT: vector field. */
export const LVT_VECTOR = 0xff;
/** LVT: delivery mode field (bits 10:8). */
export const LVT_DELIVERY_MODE = 0x700;
/** LVT: delivery status (read-only). */
export const LVT_DELIVERY_STATUS = 0x1000;
/** LVT: input pin polarity (LINT). */
export const LVT_POLARITY = 0x2000;
/** LVT: remote IRR (LINT, read-only). */
export const LVT_REMOTE_IRR = 0x4000;
/** LVT: trigger mode, 1 = level (LINT). */
export const LVT_LEVEL = 0x8000;
/** LVT: masked. */
export const LVT_MASKED = 0x10000;
/** LVT timer mode: periodic. */
export const LVT_TIMER_PERIODIC = 0x20000;
/** LVT timer mode: TSC deadline. */
export const LVT_TIMER_TSC_DEADLINE = 0x40000;
/** LVT timer mode field. */
export const LVT_TIMER_MODE = 0x60000;

/** ICR: destination mode logical. */
export const ICR_DEST_LOGICAL = 0x800;
/** ICR: delivery status (read-only, always idle here). */
export const ICR_DELIVERY_STATUS = 0x1000;
/** ICR: level assert. */
export const ICR_LEVEL_ASSERT = 0x4000;
/** ICR: trigger mode level. */
export const ICR_LEVEL_TRIGGER = 0x8000;
/** ICR: destination shorthand field shift (bits 19:18). */
export const ICR_SHORTHAND_SHIFT = 18;
/** ICR shorthand: none. */
export const SHORTHAND_NONE = 0;
/** ICR shorthand: self. */
export const SHORTHAND_SELF = 1;
/** ICR shorthand: all including self. */
export const SHORTHAND_ALL = 2;
/** ICR shorthand: all excluding self. */
export const SHORTHAND_OTHERS = 3;

/** ESR: send illegal vector. */
export const ESR_SEND_ILLEGAL_VECTOR = 0x20;
/** ESR: receive illegal vector. */
export const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
/** ESR: illegal register address. */
export const ESR_ILLEGAL_REGISTER = 0x80;

/** IA32_APIC_BASE MSR number. */
export const MSR_IA32_APIC_BASE = 0x1b;
/** IA32_APIC_BASE: bootstrap processor. */
export const APIC_BASE_BSP = 0x100;
/** IA32_APIC_BASE: APIC global enable. */
export const APIC_BASE_ENABLE = 0x800;
/** IA32_TSC_DEADLINE MSR number. */
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
