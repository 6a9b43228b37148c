/** HPET registers (IA-PC HPET specification 1.0a). */

/** Default physical base. */
export const HPET_DEFAULT_BASE = 0xfed00000;
/** Bytes of MMIO the HPET decodes. */
export const HPET_MMIO_SIZE = 0x400;
/** General capabilities and ID. */
export const HPET_CAP = 0x000;
/** General configuration. */
export const HPET_CONFIG = 0x010;
/** General interrupt status. */
export const HPET_ISR = 0x020;
/** Main counter. */
export const HPET_COUNTER = 0x0f0;
/** Timer N configuration: 0x100 + 0x20·N. */
export const HPET_TIMER_CONFIG = 0x100;
/** Timer N comparator: 0x108 + 0x20·N. */
export const HPET_TIMER_COMPARATOR = 0x108;
/** Timer N FSB route: 0x110 + 0x20·N. */
export const HPET_TIMER_FSB = 0x110;
/** Stride between timer register blocks. */
export const HPET_TIMER_STRIDE = 0x20;

/** Number of comparators. */
export const HPET_TIMERS = 3;
/** Counter period in femtoseconds (10 ns: a 100 MHz counter). */
export const HPET_PERIOD_FS = 10_000_000;
/** Counter tick in ns. */
export const HPET_TICK_NS = HPET_PERIOD_FS / 1e6;

/** Capabilities: revision 1. */
export const CAP_REV_ID = 0x01;
/** Capabilities: number of timers − 1, shift. */
export const CAP_NUM_TIM_SHIFT = 8;
/** Capabilities: 64-bit main counter. */
export const CAP_COUNT_SIZE = 0x2000;
/** Capabilities: legacy replacement routing supported. */
export const CAP_LEG_RT = 0x8000;
/** Capabilities: vendor ID shift (bits 31:16). */
export const CAP_VENDOR_SHIFT = 16;

/** Configuration: overall enable (main counter runs, interrupts allowed). */
export const CFG_ENABLE = 0x1;
/** Configuration: legacy replacement (timer 0 → IRQ0, timer 1 → IRQ8). */
export const CFG_LEGACY = 0x2;

/** Timer config: level-triggered interrupt. */
export const TN_INT_TYPE_LEVEL = 0x002;
/** Timer config: interrupt enable. */
export const TN_INT_ENB = 0x004;
/** Timer config: periodic. */
export const TN_TYPE_PERIODIC = 0x008;
/** Timer config: periodic capable (read-only). */
export const TN_PER_INT_CAP = 0x010;
/** Timer config: 64-bit capable (read-only). */
export const TN_SIZE_CAP = 0x020;
/** Timer config: next comparator write sets the accumulator directly. */
export const TN_VAL_SET = 0x040;
/** Timer config: force 32-bit mode. */
export const TN_32MODE = 0x100;
/** Timer config: interrupt route field shift (bits 13:9). */
export const TN_INT_ROUTE_SHIFT = 9;
/** Timer config: interrupt route field. */
export const TN_INT_ROUTE = 0x3e00;
/** Timer config: writable bits. */
export const TN_WRITABLE = TN_INT_TYPE_LEVEL | TN_INT_ENB | TN_TYPE_PERIODIC | TN_VAL_SET | TN_32MODE | TN_INT_ROUTE;
/** Timer route capability: IOAPIC inputs 20–23. */
export const TN_ROUTE_CAP = 0x00f00000;
