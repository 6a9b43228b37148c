import { DeviceError } from "./errors.js";

/** A timer created by a {@link Clock}: create once per device, arm and cancel freely. */
export interface ClockTimer {
  /** Run the callback once the clock reaches `deadlineNs`; replaces any pending deadline. */
  arm(deadlineNs: number): void;
  /** Forget the pending deadline, if any. */
  cancel(): void;
  /** True while a deadline is pending. */
  readonly armed: boolean;
}

/**
 * The time service devices use. Time is in nanoseconds as a double (exact up to 2^53 ns,
 * about 104 days). Device state stores absolute clock times, so an embedder restores
 * the clock before the devices.
 */
export interface Clock {
  /** Current time in ns. */
  now(): number;
  /** A timer that calls `callback(nowNs)` at its deadline. */
  createTimer(callback: (nowNs: number) => void): ClockTimer;
}

class QueuedTimer implements ClockTimer {
  armed = false;
  deadline = 0;

  constructor(
    private readonly queue: TimerQueue,
    readonly callback: (nowNs: number) => void,
  ) {}

  arm(deadlineNs: number): void {
    if (!Number.isFinite(deadlineNs)) throw new DeviceError("clock", `arm: deadline ${deadlineNs} is not finite`);
    this.deadline = deadlineNs;
    this.armed = true;
    this.queue.changed();
  }

  cancel(): void {
    if (!this.armed) return;
    this.armed = false;
    this.queue.changed();
  }
}

/** Shared timer bookkeeping of the two clocks: a short list scanned for the earliest deadline. */
abstract class TimerQueue implements Clock {
  private readonly timers: QueuedTimer[] = [];

  abstract now(): number;

  /** Called whenever a timer is armed or cancelled. */
  changed(): void {
    /* hook */
  }

  createTimer(callback: (nowNs: number) => void): ClockTimer {
    const t = new QueuedTimer(this, callback);
    this.timers.push(t);
    return t;
  }

  /** The earliest pending deadline, or Infinity when no timer is armed. */
  nextDeadline(): number {
    let best = Infinity;
    for (const t of this.timers) if (t.armed && t.deadline < best) best = t.deadline;
    return best;
  }

  /** Disarm and return the earliest timer due at or before `limit`, or null. */
  protected takeDue(limit: number): QueuedTimer | null {
    let best: QueuedTimer | null = null;
    for (const t of this.timers) {
      if (t.armed && t.deadline <= limit && (best === null || t.deadline < best.deadline)) best = t;
    }
    if (best !== null) best.armed = false;
    return best;
  }
}

/** Serialisable state of a {@link VirtualClock}. */
export interface VirtualClockState {
  /** State format version (1). */
  readonly version: number;
  /** Current time in ns. */
  readonly nowNs: number;
}

/**
 * A deterministic clock driven by the embedder: time moves only in {@link advance}
 * (typically by retired instructions, or a jump to {@link nextDeadline} while halted).
 * Timers fire in deadline order with `now()` equal to their deadline.
 */
export class VirtualClock extends TimerQueue {
  private t: number;
  /** Upper bound on callbacks per advance: a device re-arming in the past would spin forever. */
  maxCallbacksPerAdvance = 10_000_000;

  constructor(startNs = 0) {
    super();
    this.t = startNs;
  }

  /** {@link Clock.now}. */
  now(): number {
    return this.t;
  }

  /** Move time forward by `ns` (≥ 0), firing due timers in order. */
  advance(ns: number): void {
    if (!(ns >= 0)) throw new DeviceError("virtual-clock", `advance(${ns}): must be a non-negative number`);
    this.advanceTo(this.t + ns);
  }

  /** Move time forward to `targetNs` (no-op if it is in the past), firing due timers. */
  advanceTo(targetNs: number): void {
    let n = 0;
    for (;;) {
      const t = this.takeDue(targetNs);
      if (t === null) break;
      if (t.deadline > this.t) this.t = t.deadline;
      if (++n > this.maxCallbacksPerAdvance) {
        throw new DeviceError("virtual-clock", `more than ${this.maxCallbacksPerAdvance} timer callbacks in one advance`);
      }
      t.callback(this.t);
    }
    if (targetNs > this.t) this.t = targetNs;
  }

  /** Fire timers whose deadline has passed without moving time. */
  runDue(): void {
    this.advanceTo(this.t);
  }

  /** Serialisable state. */
  save(): VirtualClockState {
    return { version: 1, nowNs: this.t };
  }

  /** Restore the time (before restoring devices, which re-arm their timers). */
  restore(state: VirtualClockState): void {
    if (state.version !== 1) throw new DeviceError("virtual-clock", `unsupported state version ${state.version}`);
    this.t = state.nowNs;
  }
}

/** Options for {@link RealTimeClock}. */
export interface RealTimeClockOptions {
  /** Clock value at construction (default 0). */
  startNs?: number;
  /** Also fire timers from the host event loop via setTimeout (default true). */
  autoRun?: boolean;
}

/**
 * Host time (monotonic, `performance.now()`). Timers fire from {@link runDue}, which the
 * run loop calls at block boundaries, and, with `autoRun`, from a host timeout when the
 * event loop is idle (all vCPUs halted).
 */
export class RealTimeClock extends TimerQueue {
  private readonly origin: number;
  private readonly autoRun: boolean;
  private handle: ReturnType<typeof setTimeout> | null = null;
  private handleDeadline = Infinity;
  private running = false;

  constructor(options: RealTimeClockOptions = {}) {
    super();
    this.origin = performance.now() * 1e6 - (options.startNs ?? 0);
    this.autoRun = options.autoRun ?? true;
  }

  /** {@link Clock.now}. */
  now(): number {
    return performance.now() * 1e6 - this.origin;
  }

  /** Fire every timer whose deadline has passed. */
  runDue(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const t = this.takeDue(this.now());
        if (t === null) break;
        t.callback(this.now());
      }
    } finally {
      this.running = false;
    }
    this.changed();
  }

  /** Stop the host timeout (the clock keeps running; runDue still works). */
  dispose(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.handleDeadline = Infinity;
  }

  /** Re-schedule the host timeout for the earliest deadline. */
  override changed(): void {
    if (!this.autoRun || this.running) return;
    const next = this.nextDeadline();
    if (next === this.handleDeadline) return;
    this.dispose();
    if (next === Infinity) return;
    this.handleDeadline = next;
    const h = setTimeout(() => {
      this.handle = null;
      this.handleDeadline = Infinity;
      this.runDue();
    }, Math.max(0, (next - this.now()) / 1e6));
    h.unref();
    this.handle = h;
  }
}

/** ns per second. */
export const NS_PER_SEC = 1e9;

/**
 * Whole ticks of a `hz` oscillator in `ns` nanoseconds (floor), exact for any ns < 2^53
 * (computed per second so no product exceeds 2^53).
 */
export function ticksIn(ns: number, hz: number): number {
  if (ns <= 0) return 0;
  const s = Math.floor(ns / NS_PER_SEC);
  const rem = ns - s * NS_PER_SEC;
  return s * hz + Math.floor((rem * hz) / NS_PER_SEC);
}

/** The smallest ns after which {@link ticksIn}(ns, hz) ≥ `ticks`. */
export function nsForTicks(ticks: number, hz: number): number {
  if (ticks <= 0) return 0;
  const s = Math.floor(ticks / hz);
  const rem = ticks - s * hz;
  return s * NS_PER_SEC + Math.ceil((rem * NS_PER_SEC) / hz);
}
