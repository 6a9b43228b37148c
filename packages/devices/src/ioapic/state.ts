import type { DeviceState } from "../api/state.js";

/** Saved state of an {@link IoApic} (version 1). */
export interface IoApicState extends DeviceState {
  /** IOREGSEL. */
  readonly regsel: number;
  /** IOAPIC ID (4 bits). */
  readonly id: number;
  /** Redirection table, low and high dword per pin. */
  readonly redirection: readonly number[];
  /** Input levels, bit per pin. */
  readonly lines: number;
}
