import { type Clock, type ClockTimer, nsForTicks, ticksIn } from "../api/clock.js";
import { BytePortDevice } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import {
  CW_BCD,
  CW_MODE_SHIFT,
  CW_RW_SHIFT,
  CW_SELECT_SHIFT,
  PIT_CONTROL,
  PIT_HZ,
  PORTB_GATE2,
  PORTB_OUT2,
  PORTB_REFRESH,
  PORTB_WRITABLE,
  READBACK_NO_COUNT,
  READBACK_NO_STATUS,
  REFRESH_TOGGLE_NS,
  RW_LSB,
  RW_MSB,
  RW_WORD,
  STATUS_NULL_COUNT,
  STATUS_OUT,
} from "./registers.js";
import type { PitChannelState, PitState } from "./state.js";

const STATE_VERSION = 1;
/**
 * Periodic interrupts closer than this are coalesced (as KVM limits timer rates): a
 * guest programming a tiny count must not make the host spin. Counter reads stay exact.
 */
export const PIT_MIN_IRQ_PERIOD_NS = 50_000;

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 10) % 10) << 4) | v % 10;
}

/** One 8254 counter. Its count and OUT are functions of the clock, evaluated on demand. */
class PitChannel {
  mode = 0;
  rw = RW_WORD;
  bcd = false;
  count = 0;
  started = false;
  loadNs = 0;
  gate = true;
  paused = false;
  pausedTicks = 0;
  idleCount = 0;
  latchedCount = -1;
  latchedStatus = -1;
  readMsb = false;
  writeMsb = false;
  writeLow = 0;
  nullCount = true;
  /** Level last driven on the IRQ line. */
  irqLevel = false;
  readonly timer: ClockTimer | null;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqLine | null,
  ) {
    this.timer = irq === null ? null : clock.createTimer((now) => {
      this.onTimer(now);
    });
  }

  reset(gate: boolean): void {
    this.mode = 0;
    this.rw = RW_WORD;
    this.bcd = false;
    this.count = 0;
    this.started = false;
    this.loadNs = 0;
    this.gate = gate;
    this.paused = false;
    this.pausedTicks = 0;
    this.idleCount = 0;
    this.latchedCount = -1;
    this.latchedStatus = -1;
    this.readMsb = false;
    this.writeMsb = false;
    this.writeLow = 0;
    this.nullCount = true;
    this.sync(this.clock.now());
  }

  /** The count's period in ticks: 0 means the maximum (65536, or 10000 in BCD). */
  private get n(): number {
    const c = this.bcd ? fromBcd(this.count) % 10000 : this.count;
    return c === 0 ? (this.bcd ? 10000 : 0x10000) : c;
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** Effective mode (6 and 7 alias 2 and 3). */
  private get m(): number {
    return this.mode > 5 ? this.mode - 4 : this.mode;
  }

  /** Ticks since counting began, or -1 when idle. */
  private elapsed(now: number): number {
    if (!this.started) return -1;
    if (this.paused) return this.pausedTicks;
    return ticksIn(now - this.loadNs, PIT_HZ);
  }

  /** The counting element now (binary, 0 ≤ value < modulus). */
  value(now: number): number {
    const t = this.elapsed(now);
    if (t < 0) return this.idleCount;
    const n = this.n;
    const mod = this.modulus;
    switch (this.m) {
      case 2: {
        if (n === 1) return 1;
        return n - (t % n);
      }
      case 3: {
        const phase = t % n;
        const high = Math.ceil(n / 2);
        const inHalf = phase < high ? phase : phase - high;
        return Math.max(0, (n - 2 * inHalf) & ~1) % mod;
      }
      default:
        return ((((n - t) % mod) + mod) % mod);
    }
  }

  /** The OUT pin now. */
  out(now: number): boolean {
    const t = this.elapsed(now);
    const m = this.m;
    if (t < 0) return m !== 0;
    const n = this.n;
    switch (m) {
      case 0:
      case 1:
        return t >= n;
      case 2:
        if (!this.gate) return true;
        return n === 1 || t % n !== n - 1;
      case 3:
        if (!this.gate) return true;
        return t % n < Math.ceil(n / 2);
      default:
        return t !== n;
    }
  }

  status(now: number): number {
    return (
      (this.out(now) ? STATUS_OUT : 0) |
      (this.nullCount ? STATUS_NULL_COUNT : 0) |
      (this.rw << CW_RW_SHIFT) |
      (this.mode << CW_MODE_SHIFT) |
      (this.bcd ? CW_BCD : 0)
    );
  }

  private shown(now: number): number {
    const v = this.value(now);
    return this.bcd ? toBcd(v % 10000) : v & 0xffff;
  }

  latchCount(now: number): void {
    if (this.latchedCount < 0) {
      this.latchedCount = this.shown(now);
      this.readMsb = false;
    }
  }

  latchStatus(now: number): void {
    if (this.latchedStatus < 0) this.latchedStatus = this.status(now);
  }

  control(now: number, value: number): void {
    this.idleCount = this.value(now);
    this.rw = (value >> CW_RW_SHIFT) & 3;
    this.mode = (value >> CW_MODE_SHIFT) & 7;
    this.bcd = (value & CW_BCD) !== 0;
    this.started = false;
    this.paused = false;
    this.latchedCount = -1;
    this.latchedStatus = -1;
    this.readMsb = false;
    this.writeMsb = false;
    this.nullCount = true;
    this.sync(now);
  }

  readData(now: number): number {
    if (this.latchedStatus >= 0) {
      const s = this.latchedStatus;
      this.latchedStatus = -1;
      return s;
    }
    const v = this.latchedCount >= 0 ? this.latchedCount : this.shown(now);
    let out: number;
    if (this.rw === RW_LSB) out = v & 0xff;
    else if (this.rw === RW_MSB) out = v >> 8;
    else out = this.readMsb ? v >> 8 : v & 0xff;
    const done = this.rw !== RW_WORD || this.readMsb;
    if (this.rw === RW_WORD) this.readMsb = !this.readMsb;
    if (done) this.latchedCount = -1;
    return out;
  }

  writeData(now: number, v: number): void {
    if (this.rw === RW_LSB) {
      this.load(now, v);
    } else if (this.rw === RW_MSB) {
      this.load(now, v << 8);
    } else if (!this.writeMsb) {
      this.writeLow = v;
      this.writeMsb = true;
      // Mode 0: writing the first byte stops the count.
      if (this.m === 0 && this.started) {
        this.idleCount = this.value(now);
        this.started = false;
        this.sync(now);
      }
    } else {
      this.writeMsb = false;
      this.load(now, this.writeLow | (v << 8));
    }
  }

  private load(now: number, value: number): void {
    this.count = value & 0xffff;
    this.nullCount = false;
    const m = this.m;
    if (m === 1 || m === 5) {
      this.sync(now); // waits for a gate trigger
      return;
    }
    this.start(now);
  }

  private start(now: number): void {
    this.started = true;
    this.loadNs = now;
    this.paused = false;
    const m = this.m;
    if (!this.gate && (m === 0 || m === 4 || m === 2 || m === 3)) {
      this.paused = true;
      this.pausedTicks = 0;
    }
    this.sync(now);
  }

  setGate(now: number, gate: boolean): void {
    if (gate === this.gate) return;
    const m = this.m;
    if (!gate) {
      if (this.started && !this.paused && m !== 1 && m !== 5) {
        this.pausedTicks = this.elapsed(now);
        this.paused = true;
      }
      this.gate = false;
    } else {
      this.gate = true;
      if (m === 1 || m === 5 || m === 2 || m === 3) {
        // Rising gate: (re)trigger, or reload the rate generators.
        if (this.started || !this.nullCount) this.start(now);
      } else if (this.paused) {
        this.paused = false;
        this.loadNs = now - nsForTicks(this.pausedTicks, PIT_HZ);
      }
    }
    this.sync(now);
  }

  /** Drive the IRQ line to OUT now and schedule its next edge. */
  sync(now: number): void {
    if (this.irq === null || this.timer === null) return;
    this.drive(this.out(now));
    this.schedule(now);
  }

  private drive(level: boolean): void {
    if (level === this.irqLevel || this.irq === null) return;
    this.irqLevel = level;
    this.irq.setLevel(level);
  }

  private schedule(now: number): void {
    const timer = this.timer;
    if (timer === null) return;
    const t = this.elapsed(now);
    if (t < 0 || this.paused) {
      timer.cancel();
      return;
    }
    const n = this.n;
    let target: number;
    switch (this.m) {
      case 0:
      case 1:
        if (t >= n) {
          timer.cancel();
          return;
        }
        target = n;
        break;
      case 2:
      case 3: {
        const minTicks = Math.ceil((PIT_MIN_IRQ_PERIOD_NS * PIT_HZ) / 1e9);
        if (n >= minTicks && this.m === 3) {
          const base = t - (t % n);
          const high = Math.ceil(n / 2);
          target = t % n < high ? base + high : base + n;
        } else {
          const step = n * Math.max(1, Math.ceil(minTicks / n));
          target = (Math.floor(t / step) + 1) * step;
        }
        break;
      }
      default:
        if (t >= n) {
          timer.cancel();
          return;
        }
        target = n;
        break;
    }
    timer.arm(this.loadNs + nsForTicks(target, PIT_HZ));
  }

  private onTimer(now: number): void {
    const m = this.m;
    const level = this.out(now);
    if (m === 2 || m === 4 || m === 5 || (m === 3 && level && this.irqLevel)) {
      // A short low pulse (or a coalesced square wave): produce a rising edge.
      this.drive(false);
      this.drive(true);
    } else {
      this.drive(level);
    }
    this.schedule(now);
  }

  save(): PitChannelState {
    return {
      mode: this.mode,
      rw: this.rw,
      bcd: this.bcd,
      count: this.count,
      started: this.started,
      loadNs: this.loadNs,
      gate: this.gate,
      paused: this.paused,
      pausedTicks: this.pausedTicks,
      idleCount: this.idleCount,
      latchedCount: this.latchedCount,
      latchedStatus: this.latchedStatus,
      readMsb: this.readMsb,
      writeMsb: this.writeMsb,
      writeLow: this.writeLow,
      nullCount: this.nullCount,
    };
  }

  restore(s: PitChannelState, now: number): void {
    this.mode = s.mode & 7;
    this.rw = s.rw & 3;
    this.bcd = s.bcd;
    this.count = s.count & 0xffff;
    this.started = s.started;
    this.loadNs = s.loadNs;
    this.gate = s.gate;
    this.paused = s.paused;
    this.pausedTicks = Math.max(0, Math.floor(s.pausedTicks));
    this.idleCount = s.idleCount & 0xffff;
    this.latchedCount = s.latchedCount < 0 ? -1 : s.latchedCount & 0xffff;
    this.latchedStatus = s.latchedStatus < 0 ? -1 : s.latchedStatus & 0xff;
    this.readMsb = s.readMsb;
    this.writeMsb = s.writeMsb;
    this.writeLow = s.writeLow & 0xff;
    this.nullCount = s.nullCount;
    this.sync(now);
  }
}

/** Port 0x61, system control port B: timer 2 gate and speaker, OUT2 and refresh status. */
class SpeakerPort extends BytePortDevice {
  constructor(private readonly pit: Pit8254) {
    super();
  }

  protected readByte(): number {
    return this.pit.readPortB();
  }

  protected writeByte(_offset: number, value: number): void {
    this.pit.writePortB(value);
  }
}

/** Options for {@link Pit8254}. */
export interface PitOptions {
  /** Time source. */
  clock: Clock;
  /** Channel 0's OUT (IRQ0 on a PC). */
  irq0?: IrqLine;
}

/**
 * The 8254 PIT: three counters at 1.193182 MHz, modes 0–5, counter latch, read-back,
 * BCD. Channel 0 drives IRQ0 through clock timers; channels 0 and 1 have their gates
 * tied high; channel 2's gate and OUT are on port 0x61 ({@link speakerPort}), which is
 * what Linux's PIT-based TSC calibration polls. Register this object at 0x40 (4 ports)
 * and `speakerPort` at 0x61.
 */
export class Pit8254 extends BytePortDevice implements Device {
  /** {@link Device.name}. */
  readonly name = "pit8254";
  private readonly clock: Clock;
  private readonly channels: PitChannel[];
  private portB = 0;
  /** Port 0x61 (1 port). */
  readonly speakerPort: BytePortDevice;

  constructor(options: PitOptions) {
    super();
    this.clock = options.clock;
    this.channels = [new PitChannel(options.clock, options.irq0 ?? NO_IRQ), new PitChannel(options.clock, null), new PitChannel(options.clock, null)];
    this.speakerPort = new SpeakerPort(this);
    this.reset();
  }

  /** {@link Device.reset}. */
  reset(): void {
    this.portB = 0;
    this.channels[0].reset(true);
    this.channels[1].reset(true);
    this.channels[2].reset(false);
  }

  /** Channel `i`'s count as the guest would read it unlatched (binary). */
  currentCount(i: number): number {
    return this.channels[i].value(this.clock.now());
  }

  /** Channel `i`'s OUT pin. */
  output(i: number): boolean {
    return this.channels[i].out(this.clock.now());
  }

  /** {@link BytePortDevice.readByte}: counters 0–2; the control port reads as 0xFF. */
  protected readByte(offset: number): number {
    if (offset >= PIT_CONTROL) return 0xff;
    return this.channels[offset].readData(this.clock.now());
  }

  /** {@link BytePortDevice.writeByte}: counters 0–2 and the control word. */
  protected writeByte(offset: number, value: number): void {
    const now = this.clock.now();
    if (offset < PIT_CONTROL) {
      this.channels[offset].writeData(now, value);
      return;
    }
    const sel = value >> CW_SELECT_SHIFT;
    if (sel === 3) {
      // Read-back: bits 3:1 select counters 2..0.
      for (let i = 0; i < 3; i++) {
        if ((value & (2 << i)) === 0) continue;
        const ch = this.channels[i];
        if ((value & READBACK_NO_STATUS) === 0) ch.latchStatus(now);
        if ((value & READBACK_NO_COUNT) === 0) ch.latchCount(now);
      }
      return;
    }
    const ch = this.channels[sel];
    if (((value >> CW_RW_SHIFT) & 3) === 0) ch.latchCount(now);
    else ch.control(now, value);
  }

  /** Port 0x61 read: writable bits, refresh toggle, OUT2. */
  readPortB(): number {
    const now = this.clock.now();
    let v = this.portB;
    if (Math.floor(now / REFRESH_TOGGLE_NS) % 2 === 1) v |= PORTB_REFRESH;
    if (this.channels[2].out(now)) v |= PORTB_OUT2;
    return v;
  }

  /** Port 0x61 write: gate 2, speaker enable, check-disable bits. */
  writePortB(value: number): void {
    this.portB = value & PORTB_WRITABLE;
    this.channels[2].setGate(this.clock.now(), (value & PORTB_GATE2) !== 0);
  }

  /** {@link Device.save}. */
  save(): PitState {
    return { version: STATE_VERSION, channels: this.channels.map((c) => c.save()), portB: this.portB };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as PitState;
    const now = this.clock.now();
    for (let i = 0; i < 3; i++) this.channels[i].restore(s.channels[i], now);
    this.portB = s.portB & PORTB_WRITABLE;
  }
}
