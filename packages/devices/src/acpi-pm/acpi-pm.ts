import { type Clock, type ClockTimer, nsForTicks, ticksIn } from "../api/clock.js";
import { BytePortDevice, type AccessSize, type PortIoHandler } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import {
  GPE0_EN,
  GPE0_STS,
  PM1_CNT,
  PM1_CNT_BM_RLD,
  PM1_CNT_SCI_EN,
  PM1_CNT_SLP_EN,
  PM1_CNT_SLP_TYP,
  PM1_CNT_SLP_TYP_SHIFT,
  PM1_EN,
  PM1_EN_MASK,
  PM1_PWRBTN,
  PM1_STS,
  PM1_STS_MASK,
  PM1_TMR,
  PM_TIMER_HZ,
  PM_TIMER_MASK,
  PM_TMR,
} from "./registers.js";
import type { AcpiPmState } from "./state.js";

const STATE_VERSION = 1;
/** PM timer ticks between TMR_STS events (bit 23 toggles). */
const TMR_CARRY_TICKS = 0x800000;

/** The one-byte reset register: reads 0, writes go to the PM block. */
class ResetRegister extends BytePortDevice {
  constructor(private readonly onWrite: (value: number) => void) {
    super();
  }

  protected readByte(): number {
    return 0;
  }

  protected writeByte(_offset: number, value: number): void {
    this.onWrite(value);
  }
}

function noop(): void {
  /* not wired */
}

/** Options for {@link AcpiPm}. */
export interface AcpiPmOptions {
  /** Time source for the PM timer. */
  clock: Clock;
  /** The SCI line (IRQ9, level, on PIIX4-style boards). */
  sci?: IrqLine;
  /** SLP_EN written with SLP_TYP = `s5SleepType`. */
  onPowerOff?: () => void;
  /** SLP_EN written with any other sleep type. */
  onSleep?: (sleepType: number) => void;
  /** The reset register was written with `resetValue`. */
  onReset?: () => void;
  /** The SLP_TYP value the board's DSDT gives \_S5 (default 5). */
  s5SleepType?: number;
  /** The FADT RESET_VALUE (default 0x06). */
  resetValue?: number;
  /** SCI_EN after reset (default true: no SMI_CMD, the OS finds ACPI mode on). */
  sciEnabled?: boolean;
}

/**
 * An ACPI PM register block (PIIX4-like layout, see the offsets in `registers.ts`):
 * PM1a event and control registers, the 24-bit PM timer at 3.579545 MHz with TMR_STS
 * on bit-23 carries, GPE0 status/enable, SLP_TYP/SLP_EN → power-off or sleep callbacks,
 * and a one-byte reset register ({@link resetRegister}) for the FADT's RESET_REG.
 * Any access width works; status bits are write-1-to-clear byte by byte.
 */
export class AcpiPm implements Device, PortIoHandler {
  /** {@link Device.name}. */
  readonly name = "acpi-pm";
  /** The FADT RESET_REG target (1 port, anywhere the board puts it). */
  readonly resetRegister: BytePortDevice;
  private readonly clock: Clock;
  private readonly sci: IrqLine;
  private readonly onPowerOff: () => void;
  private readonly onSleep: (sleepType: number) => void;
  private readonly onReset: () => void;
  private readonly s5: number;
  private readonly resetValue: number;
  private readonly sciAtReset: boolean;
  private readonly timer: ClockTimer;
  private pm1Sts = 0;
  private pm1En = 0;
  private pm1Cnt = 0;
  private gpeSts = 0;
  private gpeEn = 0;
  private tmrCheckNs = 0;
  private sciLevel = false;

  constructor(options: AcpiPmOptions) {
    this.clock = options.clock;
    this.sci = options.sci ?? NO_IRQ;
    this.onPowerOff = options.onPowerOff ?? noop;
    this.onSleep = options.onSleep ?? noop;
    this.onReset = options.onReset ?? noop;
    this.s5 = (options.s5SleepType ?? 5) & 7;
    this.resetValue = (options.resetValue ?? 0x06) & 0xff;
    this.sciAtReset = options.sciEnabled ?? true;
    this.timer = this.clock.createTimer((now) => {
      this.refreshTmrSts(now);
      this.update(now);
    });
    this.resetRegister = new ResetRegister((value) => {
      if (value === this.resetValue) this.onReset();
    });
    this.reset();
  }

  /** The PM timer's current 24-bit value. */
  get timerValue(): number {
    return ticksIn(this.clock.now(), PM_TIMER_HZ) % (PM_TIMER_MASK + 1);
  }

  /** Press the power button: PWRBTN_STS, and an SCI if enabled (an ACPI OS then shuts down). */
  pressPowerButton(): void {
    this.pm1Sts |= PM1_PWRBTN;
    this.update(this.clock.now());
  }

  /** Set a GPE0 status bit (hot-plug and similar events). */
  raiseGpe(bit: number): void {
    this.gpeSts |= (1 << bit) & 0xffff;
    this.update(this.clock.now());
  }

  /** {@link Device.reset}. */
  reset(): void {
    const now = this.clock.now();
    this.pm1Sts = 0;
    this.pm1En = 0;
    this.pm1Cnt = this.sciAtReset ? PM1_CNT_SCI_EN : 0;
    this.gpeSts = 0;
    this.gpeEn = 0;
    this.tmrCheckNs = now;
    this.update(now);
  }

  private refreshTmrSts(now: number): void {
    const was = Math.floor(ticksIn(this.tmrCheckNs, PM_TIMER_HZ) / TMR_CARRY_TICKS);
    const is = Math.floor(ticksIn(now, PM_TIMER_HZ) / TMR_CARRY_TICKS);
    if (is > was) this.pm1Sts |= PM1_TMR;
    this.tmrCheckNs = now;
  }

  private update(now: number): void {
    const level =
      (this.pm1Cnt & PM1_CNT_SCI_EN) !== 0 && ((this.pm1Sts & this.pm1En & PM1_EN_MASK) !== 0 || (this.gpeSts & this.gpeEn) !== 0);
    if (level !== this.sciLevel) {
      this.sciLevel = level;
      this.sci.setLevel(level);
    }
    if ((this.pm1En & PM1_TMR) !== 0) {
      const carry = Math.floor(ticksIn(now, PM_TIMER_HZ) / TMR_CARRY_TICKS) + 1;
      this.timer.arm(Math.max(now + 1, nsForTicks(carry * TMR_CARRY_TICKS, PM_TIMER_HZ)));
    } else {
      this.timer.cancel();
    }
  }

  private read16(reg: number, now: number): number {
    switch (reg) {
      case PM1_STS:
        this.refreshTmrSts(now);
        return this.pm1Sts;
      case PM1_EN:
        return this.pm1En;
      case PM1_CNT:
        return this.pm1Cnt;
      case PM_TMR:
        return ticksIn(now, PM_TIMER_HZ) & 0xffff;
      case PM_TMR + 2:
        return (ticksIn(now, PM_TIMER_HZ) % (PM_TIMER_MASK + 1)) >>> 16;
      case GPE0_STS:
        return this.gpeSts;
      case GPE0_EN:
        return this.gpeEn;
      default:
        return 0;
    }
  }

  private write16(reg: number, value: number, mask: number, now: number): void {
    const v = value & mask;
    switch (reg) {
      case PM1_STS:
        this.refreshTmrSts(now);
        this.pm1Sts &= ~(v & PM1_STS_MASK);
        break;
      case PM1_EN:
        this.pm1En = ((this.pm1En & ~mask) | v) & PM1_EN_MASK;
        break;
      case PM1_CNT: {
        const rw = PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP;
        this.pm1Cnt = ((this.pm1Cnt & ~mask) | v) & rw;
        if ((v & PM1_CNT_SLP_EN) !== 0) {
          const type = (this.pm1Cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
          if (type === this.s5) this.onPowerOff();
          else this.onSleep(type);
        }
        break;
      }
      case GPE0_STS:
        this.gpeSts &= ~v;
        break;
      case GPE0_EN:
        this.gpeEn = (this.gpeEn & ~mask) | v;
        break;
      default:
        break; // PM_TMR and reserved bytes are read-only
    }
  }

  /** {@link PortIoHandler.ioRead}: the 16-bit registers (the timer as two halves) composed byte-wise. */
  ioRead(offset: number, size: AccessSize): number {
    const now = this.clock.now();
    let v = 0;
    let reg = -1;
    let regValue = 0;
    for (let i = 0; i < size; i++) {
      const off = offset + i;
      const r = off & ~1;
      if (r !== reg) {
        reg = r;
        regValue = this.read16(r, now);
      }
      v |= ((regValue >>> (8 * (off & 1))) & 0xff) << (8 * i);
    }
    // Reading PM1_STS may have latched TMR_STS; timer reads change nothing.
    if (offset < PM1_STS + 2) this.update(now);
    return v >>> 0;
  }

  /** {@link PortIoHandler.ioWrite}: byte enables per 16-bit register. */
  ioWrite(offset: number, size: AccessSize, value: number): void {
    const now = this.clock.now();
    let i = 0;
    while (i < size) {
      const off = offset + i;
      const reg = off & ~1;
      let mask = 0;
      let v = 0;
      while (i < size && ((offset + i) & ~1) === reg) {
        const shift = 8 * ((offset + i) & 1);
        mask |= 0xff << shift;
        v |= ((value >>> (8 * i)) & 0xff) << shift;
        i++;
      }
      this.write16(reg, v, mask, now);
    }
    this.update(now);
  }

  /** {@link Device.save}. */
  save(): AcpiPmState {
    return {
      version: STATE_VERSION,
      pm1Sts: this.pm1Sts,
      pm1En: this.pm1En,
      pm1Cnt: this.pm1Cnt,
      gpeSts: this.gpeSts,
      gpeEn: this.gpeEn,
      tmrCheckNs: this.tmrCheckNs,
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as AcpiPmState;
    this.pm1Sts = s.pm1Sts & PM1_STS_MASK;
    this.pm1En = s.pm1En & PM1_EN_MASK;
    this.pm1Cnt = s.pm1Cnt & (PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP);
    this.gpeSts = s.gpeSts & 0xffff;
    this.gpeEn = s.gpeEn & 0xffff;
    this.tmrCheckNs = s.tmrCheckNs;
    this.update(this.clock.now());
  }
}
