import { type Clock, type ClockTimer, nsForTicks, ticksIn } from "../api/clock.js";
import type { AccessSize } from "../api/io.js";
import { type InterruptController, type IrqLine, IrqPin, NO_IRQ } from "../api/irq.js";
import type { MmioRangeHandler } from "../api/mmio.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import {
  APIC_BROADCAST,
  type ApicMessageSink,
  DELIVERY_EXTINT,
  DELIVERY_FIXED,
  DELIVERY_LOWEST,
  DELIVERY_NMI,
} from "./message.js";
import {
  APIC_BASE_BSP,
  APIC_BASE_ENABLE,
  ESR_ILLEGAL_REGISTER,
  ESR_RECEIVE_ILLEGAL_VECTOR,
  ESR_SEND_ILLEGAL_VECTOR,
  ICR_DEST_LOGICAL,
  ICR_LEVEL_TRIGGER,
  ICR_SHORTHAND_SHIFT,
  LAPIC_DEFAULT_BASE,
  LAPIC_VERSION_VALUE,
  LVT_DELIVERY_MODE,
  LVT_LEVEL,
  LVT_MASKED,
  LVT_REMOTE_IRR,
  LVT_TIMER_MODE,
  LVT_TIMER_PERIODIC,
  LVT_TIMER_TSC_DEADLINE,
  LVT_VECTOR,
  SHORTHAND_ALL,
  SHORTHAND_NONE,
  SHORTHAND_OTHERS,
  SHORTHAND_SELF,
  SVR_ENABLE,
} from "./registers.js";
import type { LapicState } from "./state.js";

const STATE_VERSION = 1;
/** LVT indexes into `lvt`. */
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;
/** Writable bits of each LVT (timer, thermal, perf, LINT0, LINT1, error). */
const LVT_WRITABLE = [0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
/** Periodic timer interrupts closer than this are coalesced; the current count stays exact. */
export const LAPIC_MIN_PERIOD_NS = 50_000;

function highestBit(words: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i];
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

function noop(): void {
  /* not wired */
}

/** Converts TSC values to clock time, for TSC-deadline mode. */
export interface TscConverter {
  /** Clock time (ns) at which the TSC reads `tsc`. */
  tscToNs(tsc: number): number;
}

/** Options for {@link LocalApic}. */
export interface LocalApicOptions {
  /** Time source for the timer. */
  clock: Clock;
  /** The CPU's INTR input (`cpu.setIntr`); the CPU calls {@link LocalApic.acknowledge}. */
  intr?: IrqLine;
  /** APIC ID (default 0). */
  id?: number;
  /** Timer input clock (the APIC bus), Hz (default 1 GHz, as KVM). */
  timerHz?: number;
  /** The 8259 pair, for ExtINT (virtual wire) and for the APIC-disabled pass-through. */
  extInt?: InterruptController;
  /** NMI to the CPU. */
  onNmi?: () => void;
  /** EOI of a level-triggered vector: broadcast to IOAPICs. */
  onEoi?: (vector: number) => void;
  /** IPIs that leave this APIC (other destinations, shorthands other than self). */
  ipi?: ApicMessageSink;
  /** Enables TSC-deadline timer mode (report CPUID.1:ECX.TSC_DEADLINE accordingly). */
  tscDeadline?: TscConverter;
}

/**
 * A local APIC in xAPIC mode: the register page (32-bit accesses at 16-byte aligned
 * offsets; narrower reads see the low dword's bytes, narrower writes are ignored),
 * priority (TPR/PPR), IRR/ISR/TMR with EOI, LVTs, the timer (one-shot, periodic,
 * TSC-deadline), ICR for self-IPIs and fixed delivery to itself, ESR. Implements the
 * CPU's interrupt-controller interface and {@link ApicMessageSink} for IOAPIC/MSI
 * messages. `lint0`/`lint1` are its input pins (PIC INTR, NMI).
 */
export class LocalApic implements Device, MmioRangeHandler, InterruptController, ApicMessageSink {
  /** {@link Device.name}. */
  readonly name = "lapic";
  /** LINT0 input (the 8259's INTR on a PC). */
  readonly lint0: IrqLine;
  /** LINT1 input (NMI on a PC). */
  readonly lint1: IrqLine;
  private readonly clock: Clock;
  private readonly intr: IrqLine;
  private readonly timerHz: number;
  private readonly extInt: InterruptController | null;
  private readonly onNmi: () => void;
  private readonly onEoi: (vector: number) => void;
  private readonly ipi: ApicMessageSink | null;
  private readonly tsc: TscConverter | null;
  private readonly timer: ClockTimer;
  private readonly initialId: number;

  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private esr = 0;
  private esrPending = 0;
  private icrLo = 0;
  private icrHi = 0;
  private readonly lvt = new Uint32Array(6);
  private initialCount = 0;
  private divideConfig = 0;
  /** Clock time the current count started from `initialCount`. */
  private timerStartNs = 0;
  /** The timer is counting (one-shot not yet expired, or periodic). */
  private timerActive = false;
  private tscDeadlineValue = 0;
  private apicBase = (LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE) >>> 0;
  private lintLevels = 0;
  private extIntPending = false;
  private intrLevel = false;

  constructor(options: LocalApicOptions) {
    this.clock = options.clock;
    this.intr = options.intr ?? NO_IRQ;
    this.timerHz = options.timerHz ?? 1e9;
    this.extInt = options.extInt ?? null;
    this.onNmi = options.onNmi ?? noop;
    this.onEoi = options.onEoi ?? noop;
    this.ipi = options.ipi ?? null;
    this.tsc = options.tscDeadline ?? null;
    this.initialId = (options.id ?? 0) & 0xff;
    this.timer = this.clock.createTimer((now) => {
      this.onTimer(now);
    });
    this.lint0 = new IrqPin((pin, level) => {
      this.setLint(pin, level);
    }, 0);
    this.lint1 = new IrqPin((pin, level) => {
      this.setLint(pin, level);
    }, 1);
    this.reset();
  }

  /** {@link Device.reset}: the INIT/power-on state (ID and IA32_APIC_BASE kept). */
  reset(): void {
    this.id = this.initialId;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.esr = 0;
    this.esrPending = 0;
    this.icrLo = 0;
    this.icrHi = 0;
    this.lvt.fill(LVT_MASKED);
    this.initialCount = 0;
    this.divideConfig = 0;
    this.timerStartNs = 0;
    this.timerActive = false;
    this.tscDeadlineValue = 0;
    this.extIntPending = false;
    this.timer.cancel();
    this.update();
  }

  /**
   * What a PC BIOS does before booting: software-enable the APIC with LINT0 = ExtINT
   * (virtual wire mode, so the 8259 reaches the CPU) and LINT1 = NMI.
   */
  enableVirtualWire(): void {
    this.svr |= SVR_ENABLE;
    this.lvt[LVT_LINT0] = DELIVERY_EXTINT << 8;
    this.lvt[LVT_LINT1] = DELIVERY_NMI << 8;
    this.update();
  }

  // ---- IA32_APIC_BASE and TSC deadline MSRs (the monitor routes RDMSR/WRMSR here)

  /** IA32_APIC_BASE (low dword; the high dword is 0 with 32-bit physical addresses). */
  readApicBase(): number {
    return this.apicBase >>> 0;
  }

  /** Write IA32_APIC_BASE; bit 11 globally enables the APIC. Relocating the page is the board's job. */
  writeApicBase(value: number): void {
    this.apicBase = (value & 0xfffff900) >>> 0;
    this.update();
  }

  private get hwEnabled(): boolean {
    return (this.apicBase & APIC_BASE_ENABLE) !== 0;
  }

  private get swEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** IA32_TSC_DEADLINE as last written (0 once it fired). */
  readTscDeadline(): number {
    return this.tscDeadlineValue;
  }

  /** Write IA32_TSC_DEADLINE (a TSC value, exact below 2^53); 0 disarms. */
  writeTscDeadline(tsc: number): void {
    if (this.tsc === null) return;
    this.tscDeadlineValue = tsc;
    if (this.timerMode === LVT_TIMER_TSC_DEADLINE) this.scheduleTimer(this.clock.now());
  }

  // ---- interrupt acceptance and the CPU interface

  /** {@link ApicMessageSink.deliverInterrupt}: a message from an IOAPIC, MSI or IPI. */
  deliverInterrupt(destination: number, logical: boolean, deliveryMode: number, vector: number, levelTriggered: boolean): void {
    if (!this.hwEnabled || !this.matches(destination, logical)) return;
    this.acceptMessage(deliveryMode, vector, levelTriggered);
  }

  /** Does this APIC match a message's destination? */
  matches(destination: number, logical: boolean): boolean {
    if (!logical) return destination === APIC_BROADCAST || destination === this.id;
    if (destination === APIC_BROADCAST) return true;
    const ldr = this.ldr >>> 24;
    if (this.dfr >>> 28 === 0xf) return (ldr & destination) !== 0; // flat model
    return ldr >>> 4 === destination >>> 4 && (ldr & destination & 0xf) !== 0; // cluster model
  }

  private acceptMessage(mode: number, vector: number, level: boolean): void {
    switch (mode) {
      case DELIVERY_FIXED:
      case DELIVERY_LOWEST:
        this.acceptVector(vector, level);
        break;
      case DELIVERY_NMI:
        this.onNmi();
        break;
      case DELIVERY_EXTINT:
        this.extIntPending = true;
        this.update();
        break;
      default:
        break; // SMI, INIT, SIPI: no SMM or AP start-up here
    }
  }

  /** Set IRR for `vector` (TMR = trigger mode). Vectors below 16 are illegal. */
  acceptVector(vector: number, level: boolean): void {
    vector &= 0xff;
    if (vector < 16) {
      this.error(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    const w = vector >>> 5;
    const bit = 1 << (vector & 31);
    this.irr[w] |= bit;
    if (level) this.tmr[w] |= bit;
    else this.tmr[w] &= ~bit;
    this.update();
  }

  private get ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** ExtINT is asserted: LINT0 programmed ExtINT and high, or an ExtINT message pending. */
  private get extIntAsserted(): boolean {
    if (this.extIntPending) return true;
    const l0 = this.lvt[LVT_LINT0];
    return (this.lintLevels & 1) !== 0 && (l0 & LVT_MASKED) === 0 && (l0 & LVT_DELIVERY_MODE) >> 8 === DELIVERY_EXTINT;
  }

  /** True when the CPU should take an interrupt (INTR). */
  hasInterrupt(): boolean {
    if (!this.hwEnabled) return (this.lintLevels & 1) !== 0; // LINT0 passes straight to INTR
    if (this.extIntAsserted) return true;
    const v = highestBit(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0);
  }

  /**
   * The INTA cycle: the highest deliverable IRR vector moves to ISR and is returned;
   * ExtINT (and the APIC-disabled pass-through) ask the 8259 for its vector; with
   * nothing deliverable, the spurious vector from SVR.
   */
  acknowledge(): number {
    let vector: number;
    if (!this.hwEnabled || this.extIntAsserted) {
      this.extIntPending = false;
      vector = this.extInt !== null ? this.extInt.acknowledge() : this.svr & 0xff;
    } else {
      const v = highestBit(this.irr);
      if (v < 0 || (v & 0xf0) <= (this.ppr & 0xf0)) {
        vector = this.svr & 0xff;
      } else {
        this.irr[v >>> 5] &= ~(1 << (v & 31));
        this.isr[v >>> 5] |= 1 << (v & 31);
        vector = v;
      }
    }
    this.update();
    return vector;
  }

  private update(): void {
    const level = this.hasInterrupt();
    if (level !== this.intrLevel) {
      this.intrLevel = level;
      this.intr.setLevel(level);
    }
  }

  private eoi(): void {
    const v = highestBit(this.isr);
    if (v < 0) return;
    const w = v >>> 5;
    const bit = 1 << (v & 31);
    this.isr[w] &= ~bit;
    if ((this.tmr[w] & bit) !== 0) {
      for (const i of [LVT_LINT0, LVT_LINT1]) {
        if ((this.lvt[i] & LVT_VECTOR) === v) this.lvt[i] &= ~LVT_REMOTE_IRR;
      }
      this.onEoi(v);
    }
    this.update();
  }

  private error(bits: number): void {
    const fresh = (this.esrPending & bits) !== bits;
    this.esrPending |= bits;
    const l = this.lvt[LVT_ERROR];
    if (fresh && (l & LVT_MASKED) === 0) this.acceptVector(l & LVT_VECTOR, false);
  }

  /** LINT0/LINT1 pin change. */
  private setLint(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const was = (this.lintLevels & bit) !== 0;
    this.lintLevels = level ? this.lintLevels | bit : this.lintLevels & ~bit;
    if (this.hwEnabled) {
      const l = this.lvt[pin === 0 ? LVT_LINT0 : LVT_LINT1];
      const mode = (l & LVT_DELIVERY_MODE) >> 8;
      if ((l & LVT_MASKED) === 0 && level && mode !== DELIVERY_EXTINT) {
        if (mode === DELIVERY_NMI) {
          if (!was) this.onNmi();
        } else if (mode === DELIVERY_FIXED && (l & LVT_LEVEL) !== 0) {
          if ((l & LVT_REMOTE_IRR) === 0) {
            this.lvt[pin === 0 ? LVT_LINT0 : LVT_LINT1] |= LVT_REMOTE_IRR;
            this.acceptVector(l & LVT_VECTOR, true);
          }
        } else if (mode === DELIVERY_FIXED && !was) {
          this.acceptVector(l & LVT_VECTOR, false);
        }
      }
    } else if (pin === 1 && level && !was) {
      this.onNmi(); // APIC disabled: LINT1 is the NMI pin
    }
    this.update();
  }

  // ---- timer

  private get timerMode(): number {
    return this.lvt[LVT_TIMER] & LVT_TIMER_MODE;
  }

  private get divisor(): number {
    const d = ((this.divideConfig & 8) >> 1) | (this.divideConfig & 3);
    return d === 7 ? 1 : 2 << d;
  }

  /** Timer input ticks elapsed since the count started. */
  private elapsedCounts(now: number): number {
    return Math.floor(ticksIn(now - this.timerStartNs, this.timerHz) / this.divisor);
  }

  private currentCount(now: number): number {
    if (!this.timerActive || this.initialCount === 0 || this.timerMode === LVT_TIMER_TSC_DEADLINE) return 0;
    const e = this.elapsedCounts(now);
    if (this.timerMode === LVT_TIMER_PERIODIC) return this.initialCount - (e % this.initialCount);
    return Math.max(0, this.initialCount - e);
  }

  private scheduleTimer(now: number): void {
    if (this.timerMode === LVT_TIMER_TSC_DEADLINE) {
      if (this.tsc === null || this.tscDeadlineValue === 0) this.timer.cancel();
      else this.timer.arm(Math.max(now, this.tsc.tscToNs(this.tscDeadlineValue)));
      return;
    }
    if (!this.timerActive || this.initialCount === 0) {
      this.timer.cancel();
      return;
    }
    const periodTicks = this.initialCount * this.divisor;
    if (this.timerMode === LVT_TIMER_PERIODIC) {
      const elapsed = ticksIn(now - this.timerStartNs, this.timerHz);
      const minTicks = Math.ceil((LAPIC_MIN_PERIOD_NS * this.timerHz) / 1e9);
      const step = periodTicks * Math.max(1, Math.ceil(minTicks / periodTicks));
      const k = Math.floor(elapsed / step) + 1;
      this.timer.arm(this.timerStartNs + nsForTicks(k * step, this.timerHz));
    } else {
      this.timer.arm(this.timerStartNs + nsForTicks(periodTicks, this.timerHz));
    }
  }

  private onTimer(now: number): void {
    const l = this.lvt[LVT_TIMER];
    if (this.timerMode === LVT_TIMER_TSC_DEADLINE) {
      this.tscDeadlineValue = 0;
    } else if (this.timerMode !== LVT_TIMER_PERIODIC) {
      this.timerActive = false;
    }
    if ((l & LVT_MASKED) === 0) this.acceptVector(l & LVT_VECTOR, false);
    if (this.timerMode === LVT_TIMER_PERIODIC) this.scheduleTimer(now);
  }

  // ---- registers

  private readRegister(reg: number): number {
    const now = this.clock.now();
    if (reg >= 0x100 && reg < 0x280) {
      const i = (reg >> 4) & 7;
      if (reg < 0x180) return this.isr[i];
      if (reg < 0x200) return this.tmr[i];
      return this.irr[i];
    }
    switch (reg) {
      case 0x020:
        return (this.id << 24) >>> 0;
      case 0x030:
        return LAPIC_VERSION_VALUE;
      case 0x080:
        return this.tpr;
      case 0x090:
        return 0;
      case 0x0a0:
        return this.ppr;
      case 0x0b0:
      case 0x0c0:
        return 0;
      case 0x0d0:
        return this.ldr;
      case 0x0e0:
        return (this.dfr | 0x0fffffff) >>> 0;
      case 0x0f0:
        return this.svr;
      case 0x280:
        return this.esr;
      case 0x300:
        return this.icrLo;
      case 0x310:
        return this.icrHi;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370:
        return this.lvt[(reg - 0x320) >> 4];
      case 0x380:
        return this.initialCount;
      case 0x390:
        return this.currentCount(now) >>> 0;
      case 0x3e0:
        return this.divideConfig;
      default:
        this.error(ESR_ILLEGAL_REGISTER);
        return 0;
    }
  }

  private writeRegister(reg: number, value: number): void {
    const now = this.clock.now();
    switch (reg) {
      case 0x020:
        this.id = value >>> 24;
        break;
      case 0x080:
        this.tpr = value & 0xff;
        break;
      case 0x0b0:
        this.eoi();
        return;
      case 0x0d0:
        this.ldr = (value & 0xff000000) >>> 0;
        break;
      case 0x0e0:
        this.dfr = (value | 0x0fffffff) >>> 0;
        break;
      case 0x0f0:
        this.svr = value & 0x3ff;
        if (!this.swEnabled) for (let i = 0; i < 6; i++) this.lvt[i] |= LVT_MASKED;
        break;
      case 0x280:
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case 0x300:
        this.icrLo = value & 0x000ccfff;
        this.sendIpi();
        break;
      case 0x310:
        this.icrHi = (value & 0xff000000) >>> 0;
        break;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370: {
        const i = (reg - 0x320) >> 4;
        let mask = LVT_WRITABLE[i];
        if (i === LVT_TIMER && this.tsc === null) mask &= ~LVT_TIMER_TSC_DEADLINE;
        const oldMode = this.timerMode;
        let v = (this.lvt[i] & ~mask & LVT_REMOTE_IRR) | (value & mask);
        if (!this.swEnabled) v |= LVT_MASKED;
        this.lvt[i] = v >>> 0;
        if (i === LVT_TIMER && this.timerMode !== oldMode) {
          // Switching between count and TSC-deadline modes disarms the timer.
          if (oldMode === LVT_TIMER_TSC_DEADLINE || this.timerMode === LVT_TIMER_TSC_DEADLINE) {
            this.timerActive = false;
            this.tscDeadlineValue = 0;
          }
          this.scheduleTimer(now);
        }
        break;
      }
      case 0x380:
        if (this.timerMode === LVT_TIMER_TSC_DEADLINE) break;
        this.initialCount = value >>> 0;
        this.timerStartNs = now;
        this.timerActive = this.initialCount !== 0;
        this.scheduleTimer(now);
        break;
      case 0x3e0: {
        const count = this.currentCount(now);
        this.divideConfig = value & 0xb;
        if (this.timerActive && this.initialCount !== 0) {
          // Keep the current count; continue at the new rate.
          this.timerStartNs = now - nsForTicks((this.initialCount - count) * this.divisor, this.timerHz);
          this.scheduleTimer(now);
        }
        break;
      }
      case 0x030:
      case 0x090:
      case 0x0a0:
      case 0x0c0:
      case 0x390:
        break; // read-only
      default:
        if (reg >= 0x100 && reg < 0x280) break; // ISR/TMR/IRR are read-only
        this.error(ESR_ILLEGAL_REGISTER);
        break;
    }
    this.update();
  }

  private sendIpi(): void {
    const lo = this.icrLo;
    const vector = lo & 0xff;
    const mode = (lo >> 8) & 7;
    const logical = (lo & ICR_DEST_LOGICAL) !== 0;
    const level = (lo & ICR_LEVEL_TRIGGER) !== 0;
    const shorthand = (lo >> ICR_SHORTHAND_SHIFT) & 3;
    const dest = this.icrHi >>> 24;
    if ((mode === DELIVERY_FIXED || mode === DELIVERY_LOWEST) && vector < 16) {
      this.error(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    const toSelf =
      shorthand === SHORTHAND_SELF || shorthand === SHORTHAND_ALL || (shorthand === SHORTHAND_NONE && this.matches(dest, logical));
    if (toSelf) this.acceptMessage(mode, vector, level);
    if (this.ipi === null || shorthand === SHORTHAND_SELF) return;
    if (shorthand === SHORTHAND_ALL || shorthand === SHORTHAND_OTHERS) {
      this.ipi.deliverInterrupt(APIC_BROADCAST, false, mode, vector, level);
    } else if (logical || dest !== this.id) {
      this.ipi.deliverInterrupt(dest, logical, mode, vector, level);
    }
  }

  /** {@link MmioRangeHandler.mmioRead}. */
  mmioRead(offset: number, size: AccessSize): number {
    if ((offset & 0xc) !== 0) return 0; // bytes 4–15 of each 16-byte slot
    const v = this.readRegister(offset & 0xff0);
    if (size === 4) return v >>> 0;
    return (v >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  /** {@link MmioRangeHandler.mmioWrite}: only aligned 32-bit writes take effect. */
  mmioWrite(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0) return;
    this.writeRegister(offset & 0xff0, value >>> 0);
  }

  // ---- snapshots

  /** {@link Device.save}. */
  save(): LapicState {
    return {
      version: STATE_VERSION,
      id: this.id,
      tpr: this.tpr,
      ldr: this.ldr,
      dfr: this.dfr,
      svr: this.svr,
      irr: Array.from(this.irr),
      isr: Array.from(this.isr),
      tmr: Array.from(this.tmr),
      esr: this.esr,
      esrPending: this.esrPending,
      icrLo: this.icrLo,
      icrHi: this.icrHi,
      lvt: Array.from(this.lvt),
      initialCount: this.initialCount,
      divideConfig: this.divideConfig,
      timerStartNs: this.timerStartNs,
      timerActive: this.timerActive,
      tscDeadline: this.tscDeadlineValue,
      apicBase: this.apicBase,
      lintLevels: this.lintLevels,
      extIntPending: this.extIntPending,
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as LapicState;
    const copy = (dst: Uint32Array, src: readonly number[]): void => {
      for (let i = 0; i < dst.length; i++) dst[i] = src[i] ?? 0;
    };
    this.id = s.id & 0xff;
    this.tpr = s.tpr & 0xff;
    this.ldr = (s.ldr & 0xff000000) >>> 0;
    this.dfr = (s.dfr | 0x0fffffff) >>> 0;
    this.svr = s.svr & 0x3ff;
    copy(this.irr, s.irr);
    copy(this.isr, s.isr);
    copy(this.tmr, s.tmr);
    this.esr = s.esr & 0xff;
    this.esrPending = s.esrPending & 0xff;
    this.icrLo = s.icrLo & 0x000ccfff;
    this.icrHi = (s.icrHi & 0xff000000) >>> 0;
    copy(this.lvt, s.lvt);
    this.initialCount = s.initialCount >>> 0;
    this.divideConfig = s.divideConfig & 0xb;
    this.timerStartNs = s.timerStartNs;
    this.timerActive = s.timerActive;
    this.tscDeadlineValue = s.tscDeadline;
    this.apicBase = s.apicBase >>> 0;
    this.lintLevels = s.lintLevels & 3;
    this.extIntPending = s.extIntPending;
    this.scheduleTimer(this.clock.now());
    this.update();
  }
}
