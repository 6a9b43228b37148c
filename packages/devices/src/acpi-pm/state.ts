import type { DeviceState } from "../api/state.js";

/** Saved state of an {@link AcpiPm} block (version 1). */
export interface AcpiPmState extends DeviceState {
  /** PM1_STS. */
  readonly pm1Sts: number;
  /** PM1_EN. */
  readonly pm1En: number;
  /** PM1_CNT (readable bits). */
  readonly pm1Cnt: number;
  /** GPE0_STS. */
  readonly gpeSts: number;
  /** GPE0_EN. */
  readonly gpeEn: number;
  /** Clock time (ns) when TMR_STS was last brought up to date. */
  readonly tmrCheckNs: number;
}
