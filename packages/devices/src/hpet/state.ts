import type { DeviceState } from "../api/state.js";

/** Saved state of one HPET comparator. */
export interface HpetTimerState {
  /** Configuration (writable bits). */
  readonly config: number;
  /** Comparator, high dword. */
  readonly cmpHi: number;
  /** Comparator, low dword. */
  readonly cmpLo: number;
  /** Periodic increment (ticks). */
  readonly period: number;
}

/** Saved state of an {@link Hpet} (version 1). */
export interface HpetState extends DeviceState {
  /** General configuration. */
  readonly config: number;
  /** General interrupt status. */
  readonly isr: number;
  /** Main counter at `baseNs`, high dword. */
  readonly counterHi: number;
  /** Main counter at `baseNs`, low dword. */
  readonly counterLo: number;
  /** Clock time the counter value was taken (it runs from there while enabled). */
  readonly baseNs: number;
  /** The comparators. */
  readonly timers: readonly HpetTimerState[];
}
