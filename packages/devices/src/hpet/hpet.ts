import type { Clock, ClockTimer } from "../api/clock.js";
import type { AccessSize } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import type { MmioRangeHandler } from "../api/mmio.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import {
  CAP_COUNT_SIZE,
  CAP_LEG_RT,
  CAP_NUM_TIM_SHIFT,
  CAP_REV_ID,
  CAP_VENDOR_SHIFT,
  CFG_ENABLE,
  CFG_LEGACY,
  HPET_PERIOD_FS,
  HPET_TICK_NS,
  HPET_TIMERS,
  TN_32MODE,
  TN_INT_ENB,
  TN_INT_ROUTE,
  TN_INT_ROUTE_SHIFT,
  TN_INT_TYPE_LEVEL,
  TN_PER_INT_CAP,
  TN_ROUTE_CAP,
  TN_SIZE_CAP,
  TN_TYPE_PERIODIC,
  TN_VAL_SET,
  TN_WRITABLE,
} from "./registers.js";
import type { HpetState, HpetTimerState } from "./state.js";

const STATE_VERSION = 1;
const TWO32 = 0x100000000;
/** Periodic interrupts closer than this are coalesced (counter reads stay exact). */
export const HPET_MIN_PERIOD_NS = 50_000;

/** Options for {@link Hpet}. */
export interface HpetOptions {
  /** Time source for the main counter. */
  clock: Clock;
  /** IOAPIC input `pin` (timers route to pins 20–23). */
  ioapicIrq?: (pin: number) => IrqLine;
  /** IRQ0 in legacy replacement mode (the board wires it to 8259 IRQ0 and IOAPIC pin 2). */
  legacyIrq0?: IrqLine;
  /** IRQ8 in legacy replacement mode (8259 IRQ8 and IOAPIC pin 8). */
  legacyIrq8?: IrqLine;
  /** Legacy replacement switched (the board disconnects the PIT's IRQ0 and the RTC's IRQ8). */
  onLegacyReplacement?: (enabled: boolean) => void;
}

class HpetTimer {
  config = 0;
  cmpHi = 0;
  cmpLo = 0;
  period = 0;
  /** The line this timer currently holds asserted (level mode), if any. */
  held: IrqLine | null = null;

  constructor(readonly timer: ClockTimer) {}
}

/**
 * An HPET with a 64-bit 100 MHz main counter driven by the {@link Clock} and three
 * 64-bit, periodic-capable comparators (32-bit mode supported), edge or level interrupts
 * routed to IOAPIC pins 20–23, and legacy replacement routing (timer 0 → IRQ0,
 * timer 1 → IRQ8). Registers are 64-bit, accessed as dwords (8-byte accesses arrive as
 * two); narrower reads see byte lanes and narrower writes merge into the dword. No FSB
 * (MSI) delivery.
 */
export class Hpet implements Device, MmioRangeHandler {
  /** {@link Device.name}. */
  readonly name = "hpet";
  private readonly clock: Clock;
  private readonly ioapicIrq: (pin: number) => IrqLine;
  private readonly legacy0: IrqLine;
  private readonly legacy8: IrqLine;
  private readonly onLegacy: (enabled: boolean) => void;
  private readonly timers: HpetTimer[] = [];
  private config = 0;
  private isr = 0;
  private counterHi = 0;
  private counterLo = 0;
  private baseNs = 0;

  constructor(options: HpetOptions) {
    this.clock = options.clock;
    this.ioapicIrq = options.ioapicIrq ?? ((): IrqLine => NO_IRQ);
    this.legacy0 = options.legacyIrq0 ?? NO_IRQ;
    this.legacy8 = options.legacyIrq8 ?? NO_IRQ;
    this.onLegacy =
      options.onLegacyReplacement ??
      ((): void => {
        /* not wired */
      });
    for (let i = 0; i < HPET_TIMERS; i++) {
      const n = i;
      this.timers.push(
        new HpetTimer(
          this.clock.createTimer((now) => {
            this.onMatch(n, now);
          }),
        ),
      );
    }
    this.reset();
  }

  /** {@link Device.reset}. */
  reset(): void {
    const wasLegacy = (this.config & CFG_LEGACY) !== 0;
    for (const t of this.timers) {
      this.release(t);
      t.config = 0;
      t.cmpHi = 0xffffffff;
      t.cmpLo = 0xffffffff;
      t.period = 0;
      t.timer.cancel();
    }
    this.config = 0;
    this.isr = 0;
    this.counterHi = 0;
    this.counterLo = 0;
    this.baseNs = this.clock.now();
    if (wasLegacy) this.onLegacy(false);
  }

  private get enabled(): boolean {
    return (this.config & CFG_ENABLE) !== 0;
  }

  /** Main counter now, as a double (exact below 2^53) — and its halves into `out`. */
  private counter(now: number, out: Float64Array | null): number {
    let lo = this.counterLo;
    let hi = this.counterHi;
    if (this.enabled) {
      const total = lo + Math.floor((now - this.baseNs) / HPET_TICK_NS);
      const carry = Math.floor(total / TWO32);
      lo = total - carry * TWO32;
      hi = (hi + carry) % TWO32;
    }
    if (out !== null) {
      out[0] = hi;
      out[1] = lo;
    }
    return hi * TWO32 + lo;
  }

  private readonly scratch = new Float64Array(2);

  /** Freeze the running counter into counterHi/Lo at `now`. */
  private rebase(now: number): void {
    this.counter(now, this.scratch);
    this.counterHi = this.scratch[0];
    this.counterLo = this.scratch[1];
    this.baseNs = now;
  }

  private lineOf(n: number): IrqLine {
    const t = this.timers[n];
    if ((this.config & CFG_LEGACY) !== 0 && n < 2) return n === 0 ? this.legacy0 : this.legacy8;
    const route = (t.config & TN_INT_ROUTE) >> TN_INT_ROUTE_SHIFT;
    // Routes outside the capability mask go nowhere.
    return ((TN_ROUTE_CAP >>> route) & 1) !== 0 ? this.ioapicIrq(route) : NO_IRQ;
  }

  private release(t: HpetTimer): void {
    if (t.held !== null) {
      t.held.setLevel(false);
      t.held = null;
    }
  }

  /** Hold or release timer `n`'s level-mode line to match its status bit. */
  private driveLevel(n: number): void {
    const t = this.timers[n];
    const want = (this.isr & (1 << n)) !== 0 && (t.config & (TN_INT_TYPE_LEVEL | TN_INT_ENB)) === (TN_INT_TYPE_LEVEL | TN_INT_ENB);
    const line = this.lineOf(n);
    if (t.held !== null && (!want || t.held !== line)) this.release(t);
    if (want && t.held === null) {
      t.held = line;
      line.setLevel(true);
    }
  }

  /** Ticks from the counter now until timer `n` matches; Infinity if never. */
  private ticksToMatch(n: number, now: number): number {
    const t = this.timers[n];
    this.counter(now, this.scratch);
    if ((t.config & TN_32MODE) !== 0) {
      const d = (t.cmpLo - this.scratch[1] + TWO32) % TWO32;
      return d === 0 ? TWO32 : d;
    }
    const d = (t.cmpHi - this.scratch[0]) * TWO32 + (t.cmpLo - this.scratch[1]);
    return d > 0 ? d : Infinity;
  }

  private schedule(n: number, now: number): void {
    const t = this.timers[n];
    if (!this.enabled || (t.config & TN_INT_ENB) === 0) {
      t.timer.cancel();
      return;
    }
    const ticks = this.ticksToMatch(n, now);
    if (ticks === Infinity) t.timer.cancel();
    else t.timer.arm(this.baseNs + (Math.floor((now - this.baseNs) / HPET_TICK_NS) + ticks) * HPET_TICK_NS);
  }

  private addToComparator(t: HpetTimer, ticks: number): void {
    const total = t.cmpLo + ticks;
    const carry = Math.floor(total / TWO32);
    t.cmpLo = total - carry * TWO32;
    t.cmpHi = (t.config & TN_32MODE) !== 0 ? 0 : (t.cmpHi + carry) % TWO32;
  }

  private onMatch(n: number, now: number): void {
    const t = this.timers[n];
    if ((t.config & TN_INT_TYPE_LEVEL) !== 0) {
      this.isr |= 1 << n;
      this.driveLevel(n);
    } else {
      this.lineOf(n).pulse();
    }
    if ((t.config & TN_TYPE_PERIODIC) !== 0 && t.period > 0) {
      // Advance past the counter, at least the minimum period ahead (coalescing).
      const minTicks = Math.ceil(HPET_MIN_PERIOD_NS / HPET_TICK_NS);
      const step = t.period * Math.max(1, Math.ceil(minTicks / t.period));
      this.counter(now, this.scratch);
      // How far the counter is past the comparator (it fired late, or just now).
      let lag: number;
      if ((t.config & TN_32MODE) !== 0) {
        lag = (this.scratch[1] - t.cmpLo + TWO32) % TWO32;
        if (lag >= TWO32 / 2) lag = -1;
      } else {
        lag = (this.scratch[0] - t.cmpHi) * TWO32 + (this.scratch[1] - t.cmpLo);
      }
      this.addToComparator(t, lag >= 0 ? (Math.floor(lag / step) + 1) * step : step);
    }
    this.schedule(n, now);
  }

  private timerIndex(offset: number): number {
    if (offset < 0x100) return -1;
    const n = (offset - 0x100) >> 5;
    return n < HPET_TIMERS ? n : -1;
  }

  /** Side-effect-free dword read at a dword-aligned offset. */
  private readDword(off: number, now: number): number {
    switch (off) {
      case 0x000:
        return (CAP_REV_ID | ((HPET_TIMERS - 1) << CAP_NUM_TIM_SHIFT) | CAP_COUNT_SIZE | CAP_LEG_RT | (0x8086 << CAP_VENDOR_SHIFT)) >>> 0;
      case 0x004:
        return HPET_PERIOD_FS;
      case 0x010:
        return this.config;
      case 0x020:
        return this.isr;
      case 0x0f0:
      case 0x0f4:
        this.counter(now, this.scratch);
        return off === 0x0f0 ? this.scratch[1] : this.scratch[0];
      default:
        break;
    }
    const n = this.timerIndex(off);
    if (n < 0) return 0;
    const t = this.timers[n];
    switch (off & 0x1f) {
      case 0x00:
        return t.config | TN_PER_INT_CAP | TN_SIZE_CAP;
      case 0x04:
        return TN_ROUTE_CAP;
      case 0x08:
        return t.cmpLo;
      case 0x0c:
        return t.cmpHi;
      default:
        return 0;
    }
  }

  private writeDword(off: number, v: number, now: number): void {
    switch (off) {
      case 0x010: {
        const old = this.config;
        if (((old ^ v) & CFG_ENABLE) !== 0) this.rebase(now);
        this.config = v & (CFG_ENABLE | CFG_LEGACY);
        if (((old ^ v) & CFG_LEGACY) !== 0) this.onLegacy((v & CFG_LEGACY) !== 0);
        for (let i = 0; i < HPET_TIMERS; i++) {
          this.driveLevel(i);
          this.schedule(i, now);
        }
        return;
      }
      case 0x020:
        this.isr &= ~v;
        for (let i = 0; i < HPET_TIMERS; i++) this.driveLevel(i);
        return;
      case 0x0f0:
      case 0x0f4:
        this.rebase(now);
        if (off === 0x0f0) this.counterLo = v >>> 0;
        else this.counterHi = v >>> 0;
        for (let i = 0; i < HPET_TIMERS; i++) this.schedule(i, now);
        return;
      default:
        break;
    }
    const n = this.timerIndex(off);
    if (n < 0) return;
    const t = this.timers[n];
    switch (off & 0x1f) {
      case 0x00:
        t.config = v & TN_WRITABLE;
        if ((t.config & TN_32MODE) !== 0) t.cmpHi = 0;
        break;
      case 0x08:
      case 0x0c: {
        if ((off & 0x1f) === 0x0c && (t.config & TN_32MODE) !== 0) break;
        const hi = (off & 0x1f) === 0x0c;
        const newLo = hi ? t.cmpLo : v >>> 0;
        const newHi = hi ? v >>> 0 : t.cmpHi;
        const periodic = (t.config & TN_TYPE_PERIODIC) !== 0;
        if (!periodic || (t.config & TN_VAL_SET) !== 0) {
          t.cmpLo = newLo;
          t.cmpHi = newHi;
        }
        // The written value is also the periodic increment.
        t.period = hi ? t.period % TWO32 + newHi * TWO32 : Math.floor(t.period / TWO32) * TWO32 + newLo;
        t.config &= ~TN_VAL_SET;
        break;
      }
      default:
        return; // FSB route: no FSB delivery
    }
    this.driveLevel(n);
    this.schedule(n, now);
  }

  /** {@link MmioRangeHandler.mmioRead}. */
  mmioRead(offset: number, size: AccessSize): number {
    const v = this.readDword(offset & ~3, this.clock.now()) >>> (8 * (offset & 3));
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  /** {@link MmioRangeHandler.mmioWrite}. */
  mmioWrite(offset: number, size: AccessSize, value: number): void {
    const now = this.clock.now();
    const off = offset & ~3;
    let v = value >>> 0;
    if (size !== 4) {
      const shift = 8 * (offset & 3);
      const mask = (((1 << (8 * size)) - 1) << shift) >>> 0;
      v = ((this.readDword(off, now) & ~mask) | ((value << shift) & mask)) >>> 0;
      if (off === 0x020) v &= mask; // W1C: untouched bytes write 0
    }
    this.writeDword(off, v, now);
  }

  /** {@link Device.save}. */
  save(): HpetState {
    return {
      version: STATE_VERSION,
      config: this.config,
      isr: this.isr,
      counterHi: this.counterHi,
      counterLo: this.counterLo,
      baseNs: this.baseNs,
      timers: this.timers.map((t): HpetTimerState => ({ config: t.config, cmpHi: t.cmpHi, cmpLo: t.cmpLo, period: t.period })),
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as HpetState;
    this.config = s.config & (CFG_ENABLE | CFG_LEGACY);
    this.isr = s.isr & ((1 << HPET_TIMERS) - 1);
    this.counterHi = s.counterHi >>> 0;
    this.counterLo = s.counterLo >>> 0;
    this.baseNs = s.baseNs;
    const now = this.clock.now();
    for (let i = 0; i < HPET_TIMERS; i++) {
      const t = this.timers[i];
      const ts = s.timers[i];
      t.config = ts.config & TN_WRITABLE;
      t.cmpHi = ts.cmpHi >>> 0;
      t.cmpLo = ts.cmpLo >>> 0;
      t.period = Math.max(0, Math.floor(ts.period));
      this.driveLevel(i);
      this.schedule(i, now);
    }
  }
}
