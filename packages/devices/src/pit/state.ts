import type { DeviceState } from "../api/state.js";

/** Saved state of one 8254 counter. */
export interface PitChannelState {
  /** Mode 0–5. */
  readonly mode: number;
  /** Read/write mode (1 LSB, 2 MSB, 3 LSB then MSB). */
  readonly rw: number;
  /** BCD counting. */
  readonly bcd: boolean;
  /** Count register as written (0 = 65536, or 10000 in BCD). */
  readonly count: number;
  /** Counting has begun (modes 1 and 5: triggered). */
  readonly started: boolean;
  /** Clock time (ns) at which counting began. */
  readonly loadNs: number;
  /** Gate input. */
  readonly gate: boolean;
  /** Counting is suspended by a low gate. */
  readonly paused: boolean;
  /** Ticks elapsed when suspended. */
  readonly pausedTicks: number;
  /** Counter value shown before counting begins. */
  readonly idleCount: number;
  /** Latched count, or -1. */
  readonly latchedCount: number;
  /** Latched status, or -1. */
  readonly latchedStatus: number;
  /** Next count read returns the MSB. */
  readonly readMsb: boolean;
  /** Next count write is the MSB. */
  readonly writeMsb: boolean;
  /** LSB written, awaiting the MSB. */
  readonly writeLow: number;
  /** Null count flag. */
  readonly nullCount: boolean;
}

/** Saved state of a {@link Pit8254} (version 1). */
export interface PitState extends DeviceState {
  /** The three counters. */
  readonly channels: readonly PitChannelState[];
  /** Port 0x61 writable bits. */
  readonly portB: number;
}
