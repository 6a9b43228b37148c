import type { Clock, ClockTimer } from "../api/clock.js";
import { StateError } from "../api/errors.js";
import { BytePortDevice } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import { civilFromDays, daysFromCivil } from "./calendar.js";
import {
  ALARM_DONT_CARE,
  CMOS_BASE_MEM_HI,
  CMOS_BASE_MEM_LO,
  CMOS_CENTURY,
  CMOS_CHECKSUM_HI,
  CMOS_CHECKSUM_LO,
  CMOS_EXT_MEM2_HI,
  CMOS_EXT_MEM2_LO,
  CMOS_EXT_MEM_HI,
  CMOS_EXT_MEM_LO,
  CMOS_MEM_ABOVE_16M_HI,
  CMOS_MEM_ABOVE_16M_LO,
  CMOS_MEM_ABOVE_4G,
  HOURS_PM,
  REG_A_DV_MASK,
  REG_A_DV_NORMAL,
  REG_A_RS_MASK,
  REG_A_UIP,
  REG_B_24H,
  REG_B_AIE,
  REG_B_DM,
  REG_B_PIE,
  REG_B_SET,
  REG_B_SQWE,
  REG_B_UIE,
  REG_C_AF,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_UF,
  REG_D_VRT,
  RTC_DAY_OF_MONTH,
  RTC_DAY_OF_WEEK,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_INDEX_NMI_DISABLE,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_MONTH,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_UIP_NS,
  RTC_YEAR,
} from "./registers.js";
import type { RtcState } from "./state.js";

const STATE_VERSION = 1;
const NS = 1e9;
/** One tick of the 32.768 kHz time base in ns (exact in binary floating point). */
const TIMEBASE_TICK_NS = NS / 32768;

/** Periodic interrupt period for rate select `rs` (1–15) in ns; 0 for rs = 0. */
export function rtcPeriodicNs(rs: number): number {
  if (rs === 0) return 0;
  const ticks = rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
  return ticks * TIMEBASE_TICK_NS;
}

/** Options for {@link Rtc}. */
export interface RtcOptions {
  /** Time source. */
  clock: Clock;
  /** IRQ8. */
  irq?: IrqLine;
  /** Wall-clock time (Unix seconds, UTC) at clock time 0; default: the host's time now. */
  startSeconds?: number;
}

/**
 * MC146818 RTC + 128 bytes of CMOS on ports 0x70 (index, bit 7 = NMI disable) and 0x71
 * (data). The time derives from the {@link Clock}; periodic, alarm and update-ended
 * flags are set at their rates whether or not their interrupts are enabled; IRQ8
 * follows IRQF. Time registers are kept as a count of seconds, so BCD/binary and
 * 12/24-hour modes change the encoding of all of them at once, and the day of week is
 * derived from the date (writes to it are ignored).
 */
export class Rtc extends BytePortDevice implements Device {
  /** {@link Device.name}. */
  readonly name = "rtc-mc146818";
  private readonly clock: Clock;
  private readonly irq: IrqLine;
  private readonly cmos = new Uint8Array(128);
  private readonly cal = new Int32Array(4);
  private index = 0;
  private nmiDisabled = false;
  private regA = 0x26;
  private regB = REG_B_24H;
  private flags = 0;
  /** Unix seconds shown at `baseNs` (or frozen while halted). */
  private baseSec = 0;
  /** Clock time of a second boundary. */
  private baseNs = 0;
  /** Periodic interrupt phase origin. */
  private phaseNs = 0;
  /** When PF was last brought up to date. */
  private pfCheckNs = 0;
  private irqLevel = false;
  private readonly updateTimer: ClockTimer;
  private readonly periodicTimer: ClockTimer;

  constructor(options: RtcOptions) {
    super();
    this.clock = options.clock;
    this.irq = options.irq ?? NO_IRQ;
    const now = this.clock.now();
    const start = options.startSeconds ?? Math.floor(Date.now() / 1000);
    this.baseSec = Math.floor(start + now / NS);
    this.baseNs = now;
    this.phaseNs = now;
    this.pfCheckNs = now;
    this.updateTimer = this.clock.createTimer((t) => {
      this.onUpdate(t);
    });
    this.periodicTimer = this.clock.createTimer((t) => {
      this.onPeriodic(t);
    });
    this.cmos[CMOS_BASE_MEM_LO] = 640 & 0xff;
    this.cmos[CMOS_BASE_MEM_HI] = 640 >> 8;
    this.updateChecksum();
    this.schedule(now);
  }

  /** NMI disabled by bit 7 of the last port 0x70 write. */
  get nmiMasked(): boolean {
    return this.nmiDisabled;
  }

  /** The current RTC time as Unix seconds. */
  get unixSeconds(): number {
    return this.seconds(this.clock.now());
  }

  // ---- board interface

  /** Set a CMOS byte (0x0E–0x7F) as firmware would; keeps the 0x10–0x2D checksum valid. */
  setCmos(index: number, value: number): void {
    if (index < 0x0e || index > 0x7f) throw new RangeError(`${this.name}: CMOS index 0x${index.toString(16)} is not battery RAM`);
    this.cmos[index] = value & 0xff;
    if (index >= 0x10 && index <= 0x2d) this.updateChecksum();
  }

  /** Read a CMOS byte as stored. */
  getCmos(index: number): number {
    return this.cmos[index & 0x7f];
  }

  /**
   * Store the PC memory-size bytes: 640 KiB base, extended KiB above 1 MiB (0x17/0x18 and
   * 0x30/0x31, saturating at 0xFFFF), 64 KiB units above 16 MiB (0x34/0x35) and above
   * 4 GiB (0x5B–0x5D).
   */
  setMemorySize(belowFourGiB: number, aboveFourGiB = 0): void {
    const ext = Math.min(0xffff, Math.max(0, Math.floor((belowFourGiB - 0x100000) / 1024)));
    const above16 = Math.min(0xffff, Math.max(0, Math.floor((belowFourGiB - 0x1000000) / 0x10000)));
    const above4g = Math.min(0xffffff, Math.max(0, Math.floor(aboveFourGiB / 0x10000)));
    this.cmos[CMOS_EXT_MEM_LO] = ext & 0xff;
    this.cmos[CMOS_EXT_MEM_HI] = ext >> 8;
    this.cmos[CMOS_EXT_MEM2_LO] = ext & 0xff;
    this.cmos[CMOS_EXT_MEM2_HI] = ext >> 8;
    this.cmos[CMOS_MEM_ABOVE_16M_LO] = above16 & 0xff;
    this.cmos[CMOS_MEM_ABOVE_16M_HI] = above16 >> 8;
    this.cmos[CMOS_MEM_ABOVE_4G] = above4g & 0xff;
    this.cmos[CMOS_MEM_ABOVE_4G + 1] = (above4g >> 8) & 0xff;
    this.cmos[CMOS_MEM_ABOVE_4G + 2] = above4g >> 16;
    this.updateChecksum();
  }

  private updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.cmos[i];
    this.cmos[CMOS_CHECKSUM_HI] = (sum >> 8) & 0xff;
    this.cmos[CMOS_CHECKSUM_LO] = sum & 0xff;
  }

  // ---- time

  private get halted(): boolean {
    return (this.regB & REG_B_SET) !== 0 || (this.regA & REG_A_DV_MASK) !== REG_A_DV_NORMAL;
  }

  private seconds(now: number): number {
    if (this.halted) return this.baseSec;
    return this.baseSec + Math.floor((now - this.baseNs) / NS);
  }

  private nextSecondBoundary(now: number): number {
    let next = this.baseNs + (Math.floor((now - this.baseNs) / NS) + 1) * NS;
    if (next <= now) next += NS;
    return next;
  }

  private get binary(): boolean {
    return (this.regB & REG_B_DM) !== 0;
  }

  private enc(v: number): number {
    return this.binary ? v & 0xff : ((Math.floor(v / 10) % 10) << 4) | v % 10;
  }

  private dec(v: number): number {
    return this.binary ? v : (v >> 4) * 10 + (v & 0xf);
  }

  private encHours(h: number): number {
    if ((this.regB & REG_B_24H) !== 0) return this.enc(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.enc(h12) | (h >= 12 ? HOURS_PM : 0);
  }

  private decHours(v: number): number {
    if ((this.regB & REG_B_24H) !== 0) return this.dec(v);
    return (this.dec(v & 0x7f) % 12) + ((v & HOURS_PM) !== 0 ? 12 : 0);
  }

  /** Encoded value of time register `reg` (0, 2, 4, 6–9) or the century byte at `sec`. */
  private timeRegister(reg: number, sec: number): number {
    const days = Math.floor(sec / 86400);
    const rem = sec - days * 86400;
    switch (reg) {
      case RTC_SECONDS:
        return this.enc(rem % 60);
      case RTC_MINUTES:
        return this.enc(Math.floor(rem / 60) % 60);
      case RTC_HOURS:
        return this.encHours(Math.floor(rem / 3600));
      default:
        break;
    }
    civilFromDays(days, this.cal);
    switch (reg) {
      case RTC_DAY_OF_WEEK:
        return this.enc(this.cal[3] + 1);
      case RTC_DAY_OF_MONTH:
        return this.enc(this.cal[2]);
      case RTC_MONTH:
        return this.enc(this.cal[1]);
      case RTC_YEAR:
        return this.enc(((this.cal[0] % 100) + 100) % 100);
      default:
        return this.enc(Math.floor(this.cal[0] / 100) % 100);
    }
  }

  /** Write one time field, keeping the sub-second phase. */
  private setTimeField(reg: number, value: number, now: number): void {
    const sec = this.seconds(now);
    const days = Math.floor(sec / 86400);
    const rem = sec - days * 86400;
    let s = rem % 60;
    let m = Math.floor(rem / 60) % 60;
    let h = Math.floor(rem / 3600);
    civilFromDays(days, this.cal);
    let year = this.cal[0];
    let month = this.cal[1];
    let day = this.cal[2];
    switch (reg) {
      case RTC_SECONDS:
        s = this.dec(value);
        break;
      case RTC_MINUTES:
        m = this.dec(value);
        break;
      case RTC_HOURS:
        h = this.decHours(value);
        break;
      case RTC_DAY_OF_MONTH:
        day = this.dec(value);
        break;
      case RTC_MONTH:
        month = this.dec(value);
        break;
      case RTC_YEAR:
        year = year - (((year % 100) + 100) % 100) + this.dec(value);
        break;
      case CMOS_CENTURY:
        year = this.dec(value) * 100 + (((year % 100) + 100) % 100);
        break;
      default:
        return; // day of week is derived
    }
    const newSec = daysFromCivil(year, month, day) * 86400 + h * 3600 + m * 60 + s;
    if (!this.halted) this.baseNs += Math.floor((now - this.baseNs) / NS) * NS;
    this.baseSec = newSec;
  }

  private alarmMatches(sec: number): boolean {
    const match = (alarmReg: number, timeReg: number): boolean => {
      const a = this.cmos[alarmReg];
      return (a & ALARM_DONT_CARE) === ALARM_DONT_CARE || a === this.timeRegister(timeReg, sec);
    };
    return match(RTC_SECONDS_ALARM, RTC_SECONDS) && match(RTC_MINUTES_ALARM, RTC_MINUTES) && match(RTC_HOURS_ALARM, RTC_HOURS);
  }

  // ---- periodic interrupt

  private get periodNs(): number {
    if ((this.regA & REG_A_DV_MASK) !== REG_A_DV_NORMAL) return 0;
    return rtcPeriodicNs(this.regA & REG_A_RS_MASK);
  }

  /** Set PF if a periodic boundary passed since the last check. */
  private refreshPf(now: number): void {
    const p = this.periodNs;
    if (p > 0 && Math.floor((now - this.phaseNs) / p) > Math.floor((this.pfCheckNs - this.phaseNs) / p)) this.flags |= REG_C_PF;
    this.pfCheckNs = now;
  }

  private onPeriodic(now: number): void {
    this.flags |= REG_C_PF;
    this.pfCheckNs = now;
    this.updateIrq();
    this.schedule(now);
  }

  private onUpdate(now: number): void {
    this.flags |= REG_C_UF;
    if (this.alarmMatches(this.seconds(now))) this.flags |= REG_C_AF;
    this.updateIrq();
    this.schedule(now);
  }

  private schedule(now: number): void {
    if (this.halted) this.updateTimer.cancel();
    else this.updateTimer.arm(this.nextSecondBoundary(now));
    const p = this.periodNs;
    if (p > 0 && (this.regB & REG_B_PIE) !== 0) {
      let next = this.phaseNs + (Math.floor((now - this.phaseNs) / p) + 1) * p;
      if (next <= now) next += p;
      this.periodicTimer.arm(next);
    } else {
      this.periodicTimer.cancel();
    }
  }

  private updateIrq(): void {
    const enabled = this.regB & (REG_B_PIE | REG_B_AIE | REG_B_UIE);
    // PIE/AIE/UIE (bits 6:4 of B) line up with PF/AF/UF (bits 6:4 of C).
    const level = (this.flags & enabled) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  // ---- guest interface

  /** {@link BytePortDevice.readByte}: port 0x70 reads 0xFF; 0x71 reads the selected register. */
  protected readByte(offset: number): number {
    if ((offset & 1) === 0) return 0xff;
    const now = this.clock.now();
    const i = this.index;
    switch (i) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case CMOS_CENTURY:
        return this.timeRegister(i, this.seconds(now));
      case RTC_REG_A: {
        const uip = !this.halted && this.nextSecondBoundary(now) - now <= RTC_UIP_NS;
        return this.regA | (uip ? REG_A_UIP : 0);
      }
      case RTC_REG_B:
        return this.regB;
      case RTC_REG_C: {
        this.refreshPf(now);
        const v = this.flags | ((this.flags & this.regB & (REG_B_PIE | REG_B_AIE | REG_B_UIE)) !== 0 ? REG_C_IRQF : 0);
        this.flags = 0;
        this.updateIrq();
        return v;
      }
      case RTC_REG_D:
        return REG_D_VRT;
      default:
        return this.cmos[i];
    }
  }

  /** {@link BytePortDevice.writeByte}: index (+ NMI disable) at 0x70, data at 0x71. */
  protected writeByte(offset: number, value: number): void {
    if ((offset & 1) === 0) {
      this.index = value & 0x7f;
      this.nmiDisabled = (value & RTC_INDEX_NMI_DISABLE) !== 0;
      return;
    }
    const now = this.clock.now();
    const i = this.index;
    switch (i) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case CMOS_CENTURY:
        this.setTimeField(i, value, now);
        break;
      case RTC_REG_A: {
        this.refreshPf(now);
        const wasHalted = this.halted;
        const oldDv = this.regA & REG_A_DV_MASK;
        const sec = this.seconds(now);
        this.regA = value & 0x7f;
        const newDv = this.regA & REG_A_DV_MASK;
        if (!wasHalted && this.halted) this.baseSec = sec;
        if (oldDv !== newDv && newDv === REG_A_DV_NORMAL) {
          this.phaseNs = now;
          // Leaving divider reset: the first update comes half a second later.
          if (wasHalted && !this.halted) this.baseNs = now - NS / 2;
        } else if (wasHalted && !this.halted) {
          this.baseNs = now;
        }
        this.pfCheckNs = now;
        break;
      }
      case RTC_REG_B: {
        this.refreshPf(now);
        const wasHalted = this.halted;
        const sec = this.seconds(now);
        let v = value;
        if ((v & REG_B_SET) !== 0) v &= ~REG_B_UIE; // SET clears UIE
        this.regB = v;
        if (!wasHalted && this.halted) this.baseSec = sec;
        if (wasHalted && !this.halted) this.baseNs = now;
        break;
      }
      case RTC_REG_C:
      case RTC_REG_D:
        break; // read-only
      default:
        this.cmos[i] = value;
        break;
    }
    this.updateIrq();
    this.schedule(now);
  }

  /** {@link Device.reset}: the RESET pin clears the interrupt enables and flags; time, A and CMOS survive. */
  reset(): void {
    this.regB &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.flags = 0;
    this.updateIrq();
    this.schedule(this.clock.now());
  }

  /** {@link Device.save}. */
  save(): RtcState {
    return {
      version: STATE_VERSION,
      index: this.index,
      nmiDisabled: this.nmiDisabled,
      cmos: Array.from(this.cmos),
      regA: this.regA,
      regB: this.regB,
      flags: this.flags,
      baseSec: this.baseSec,
      baseNs: this.baseNs,
      phaseNs: this.phaseNs,
      pfCheckNs: this.pfCheckNs,
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as RtcState;
    if (s.cmos.length !== 128) throw new StateError(this.name, `restore: field cmos must have 128 entries, has ${s.cmos.length}`);
    this.index = s.index & 0x7f;
    this.nmiDisabled = s.nmiDisabled;
    for (let i = 0; i < 128; i++) this.cmos[i] = s.cmos[i] ?? 0;
    this.regA = s.regA & 0x7f;
    this.regB = s.regB & 0xff;
    this.flags = s.flags & (REG_C_PF | REG_C_AF | REG_C_UF);
    this.baseSec = Math.floor(s.baseSec);
    this.baseNs = s.baseNs;
    this.phaseNs = s.phaseNs;
    this.pfCheckNs = s.pfCheckNs;
    this.updateIrq();
    this.schedule(this.clock.now());
  }
}
