import type { DeviceState } from "../api/state.js";

/** Saved state of a {@link LocalApic} (version 1). */
export interface LapicState extends DeviceState {
  /** APIC ID. */
  readonly id: number;
  /** Task priority. */
  readonly tpr: number;
  /** Logical destination register. */
  readonly ldr: number;
  /** Destination format register. */
  readonly dfr: number;
  /** Spurious vector register. */
  readonly svr: number;
  /** IRR, 8 dwords. */
  readonly irr: readonly number[];
  /** ISR, 8 dwords. */
  readonly isr: readonly number[];
  /** TMR, 8 dwords. */
  readonly tmr: readonly number[];
  /** ESR as last latched. */
  readonly esr: number;
  /** Errors since the last ESR write. */
  readonly esrPending: number;
  /** ICR low dword. */
  readonly icrLo: number;
  /** ICR high dword. */
  readonly icrHi: number;
  /** LVT timer, thermal, perf, LINT0, LINT1, error. */
  readonly lvt: readonly number[];
  /** Timer initial count. */
  readonly initialCount: number;
  /** Timer divide configuration. */
  readonly divideConfig: number;
  /** Clock time the count started. */
  readonly timerStartNs: number;
  /** The count is running. */
  readonly timerActive: boolean;
  /** IA32_TSC_DEADLINE. */
  readonly tscDeadline: number;
  /** IA32_APIC_BASE (low dword). */
  readonly apicBase: number;
  /** LINT0/LINT1 input levels (bits 0, 1). */
  readonly lintLevels: number;
  /** An ExtINT message awaits INTA. */
  readonly extIntPending: boolean;
}
