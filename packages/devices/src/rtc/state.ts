import type { DeviceState } from "../api/state.js";

/** Saved state of an {@link Rtc} (version 1). */
export interface RtcState extends DeviceState {
  /** Selected register (port 0x70 bits 6:0). */
  readonly index: number;
  /** Port 0x70 bit 7. */
  readonly nmiDisabled: boolean;
  /** The 128 bytes of CMOS (time registers 0–0x0D and the century byte are not used from here). */
  readonly cmos: readonly number[];
  /** Register A bits 6:0. */
  readonly regA: number;
  /** Register B. */
  readonly regB: number;
  /** Register C flags PF/AF/UF. */
  readonly flags: number;
  /** Unix seconds shown at `baseNs` (frozen while halted). */
  readonly baseSec: number;
  /** Clock time (ns) of a second boundary. */
  readonly baseNs: number;
  /** Periodic-interrupt phase origin (ns). */
  readonly phaseNs: number;
  /** Clock time PF was last brought up to date. */
  readonly pfCheckNs: number;
}
