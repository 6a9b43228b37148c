/**
 * The checks VM entry performs on the VMCS (SDM vol. 3 chapter 26), in the SDM's order:
 * VM-execution/exit/entry control fields (§26.2.1, failure = VMfailValid with error 7), host
 * state (§26.2.2-26.2.4, error 8) and guest state (§26.3.1, failure = VM exit with
 * EXIT_REASON_INVALID_GUEST_STATE | bit 31). Only what applies to an IA-32 processor without
 * Intel 64 and to the controls this model supports is checked; every message names the field.
 */
import { Seg } from "@virtkit/cpu";
import * as F from "./fields.js";
import {
  CPU_BASED, ENTRY_FAIL_DEFAULT, ENTRY_FAIL_PDPTE, ENTRY_FAIL_VMCS_LINK_PTR, GUEST_ACTIVITY, GUEST_INTR_STATE,
  INTR_TYPE, PIN_BASED, SECONDARY_EXEC, VM_ENTRY, VM_EXIT,
} from "./constants.js";
import {
  controlsAllowed, CR0_FIXED0, CR0_FIXED1, CR3_TARGET_MAX, CR4_FIXED0, CR4_FIXED1, ENTRY_CAP, EXIT_CAP, PINBASED_CAP,
  PROCBASED2_CAP, TRUE_PROCBASED_CAP,
} from "./capabilities.js";
import { isValidEptp } from "./ept.js";
import type { Vmcs } from "./vmcs.js";

/** CR0.PE. */
const CR0_PE = 1;
/** CR0.PG. */
const CR0_PG = 0x80000000 | 0;
/** CR4.PAE. */
const CR4_PAE = 1 << 5;
/** RFLAGS.VM. */
const RFLAGS_VM = 1 << 17;
/** RFLAGS.IF. */
const RFLAGS_IF = 1 << 9;
/** RFLAGS.TF. */
const RFLAGS_TF = 1 << 8;
/** Reserved RFLAGS bits that must be 0 (31:22, 15, 5, 3). */
const RFLAGS_RESERVED = 0xffc08028 | 0;
/** EFER bits that may be set: SCE, LME, LMA, NXE. */
const EFER_VALID = 0xd01;
/** EFER.LME / EFER.LMA. */
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;

/** Guest selector/base/limit/AR encodings in Seg order (ES CS SS DS FS GS), then LDTR, TR. */
export const GUEST_SEG_FIELDS = {
  selector: [F.GUEST_ES_SELECTOR, F.GUEST_CS_SELECTOR, F.GUEST_SS_SELECTOR, F.GUEST_DS_SELECTOR, F.GUEST_FS_SELECTOR, F.GUEST_GS_SELECTOR, F.GUEST_LDTR_SELECTOR, F.GUEST_TR_SELECTOR],
  base: [F.GUEST_ES_BASE, F.GUEST_CS_BASE, F.GUEST_SS_BASE, F.GUEST_DS_BASE, F.GUEST_FS_BASE, F.GUEST_GS_BASE, F.GUEST_LDTR_BASE, F.GUEST_TR_BASE],
  limit: [F.GUEST_ES_LIMIT, F.GUEST_CS_LIMIT, F.GUEST_SS_LIMIT, F.GUEST_DS_LIMIT, F.GUEST_FS_LIMIT, F.GUEST_GS_LIMIT, F.GUEST_LDTR_LIMIT, F.GUEST_TR_LIMIT],
  ar: [F.GUEST_ES_AR_BYTES, F.GUEST_CS_AR_BYTES, F.GUEST_SS_AR_BYTES, F.GUEST_DS_AR_BYTES, F.GUEST_FS_AR_BYTES, F.GUEST_GS_AR_BYTES, F.GUEST_LDTR_AR_BYTES, F.GUEST_TR_AR_BYTES],
} as const;

/** Index of LDTR / TR in {@link GUEST_SEG_FIELDS}. */
export const SEG_LDTR = 6;
/** Index of TR in {@link GUEST_SEG_FIELDS}. */
export const SEG_TR = 7;

const SEG_NAMES = ["ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"];

/** AR bits. */
const AR_TYPE = 0xf;
const AR_S = 1 << 4;
const AR_P = 1 << 7;
const AR_RESERVED = 0xfffe0f00 | 0;
const AR_G = 1 << 15;
const AR_UNUSABLE = 1 << 16;

/** What the model needs from its surroundings to check host-physical pointers. */
export interface EntryCheckEnv {
  /** True if a host page was allocated at `hpa`. */
  hostPageExists(hpa: number): boolean;
  /** True if an EPT's root is at `hpa`. */
  eptExists(hpa: number): boolean;
}

/** A failed guest-state check: the exit qualification and a message naming the field. */
export interface GuestStateFailure {
  /** Exit qualification of the EXIT_REASON_INVALID_GUEST_STATE exit. */
  qualification: number;
  /** What failed. */
  message: string;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function pageAddressOk(vmcs: Vmcs, enc: number, env: EntryCheckEnv): boolean {
  const lo = vmcs.get(enc);
  return vmcs.get(enc | 1) === 0 && (lo & 0xfff) === 0 && env.hostPageExists(lo >>> 0);
}

/** True if every byte of a PAT value is a valid memory type (0, 1, 4, 5, 6, 7). */
export function patValid(lo: number, hi: number): boolean {
  for (let k = 0; k < 8; k++) {
    const t = ((k < 4 ? lo : hi) >>> (8 * (k & 3))) & 0xff;
    if (t === 2 || t === 3 || t > 7) return false;
  }
  return true;
}

/** §26.2.1: VM-execution, VM-exit and VM-entry control fields. Returns null or what failed. */
export function checkControls(vmcs: Vmcs, env: EntryCheckEnv): string | null {
  const pin = vmcs.get(F.PIN_BASED_VM_EXEC_CONTROL);
  const proc = vmcs.get(F.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? vmcs.get(F.SECONDARY_VM_EXEC_CONTROL) : 0;
  const exit = vmcs.get(F.VM_EXIT_CONTROLS);
  const entry = vmcs.get(F.VM_ENTRY_CONTROLS);
  if (!controlsAllowed(pin, PINBASED_CAP)) return `PIN_BASED_VM_EXEC_CONTROL ${hex(pin)} is not allowed by IA32_VMX_TRUE_PINBASED_CTLS`;
  if (!controlsAllowed(proc, TRUE_PROCBASED_CAP)) return `CPU_BASED_VM_EXEC_CONTROL ${hex(proc)} is not allowed by IA32_VMX_TRUE_PROCBASED_CTLS`;
  if (!controlsAllowed(proc2, PROCBASED2_CAP)) return `SECONDARY_VM_EXEC_CONTROL ${hex(proc2)} is not allowed by IA32_VMX_PROCBASED_CTLS2`;
  if (!controlsAllowed(exit, EXIT_CAP)) return `VM_EXIT_CONTROLS ${hex(exit)} is not allowed by IA32_VMX_TRUE_EXIT_CTLS`;
  if (!controlsAllowed(entry, ENTRY_CAP)) return `VM_ENTRY_CONTROLS ${hex(entry)} is not allowed by IA32_VMX_TRUE_ENTRY_CTLS`;
  if ((vmcs.get(F.CR3_TARGET_COUNT) >>> 0) > CR3_TARGET_MAX) return `CR3_TARGET_COUNT ${vmcs.get(F.CR3_TARGET_COUNT)} exceeds ${CR3_TARGET_MAX}`;
  if ((proc & CPU_BASED.USE_IO_BITMAPS) !== 0) {
    if (!pageAddressOk(vmcs, F.IO_BITMAP_A, env)) return `IO_BITMAP_A ${hex(vmcs.get(F.IO_BITMAP_A))} is not an aligned host page`;
    if (!pageAddressOk(vmcs, F.IO_BITMAP_B, env)) return `IO_BITMAP_B ${hex(vmcs.get(F.IO_BITMAP_B))} is not an aligned host page`;
  }
  if ((proc & CPU_BASED.USE_MSR_BITMAPS) !== 0 && !pageAddressOk(vmcs, F.MSR_BITMAP, env)) {
    return `MSR_BITMAP ${hex(vmcs.get(F.MSR_BITMAP))} is not an aligned host page`;
  }
  if ((pin & PIN_BASED.NMI_EXITING) === 0 && (pin & PIN_BASED.VIRTUAL_NMIS) !== 0) return "virtual NMIs require NMI exiting";
  if ((proc2 & SECONDARY_EXEC.ENABLE_EPT) !== 0) {
    const lo = vmcs.get(F.EPT_POINTER);
    const hi = vmcs.get(F.EPT_POINTER | 1);
    if (!isValidEptp(lo, hi)) return `EPT_POINTER ${hex(lo)} is malformed (memory type, page-walk length or reserved bits)`;
    if (!env.eptExists((lo & ~0xfff) >>> 0)) return `EPT_POINTER ${hex(lo)} does not point to an EPT PML4`;
  }
  if ((proc2 & SECONDARY_EXEC.UNRESTRICTED_GUEST) !== 0 && (proc2 & SECONDARY_EXEC.ENABLE_EPT) === 0) {
    return "unrestricted guest requires enable EPT";
  }
  if ((pin & PIN_BASED.VMX_PREEMPTION_TIMER) === 0 && (exit & VM_EXIT.SAVE_VMX_PREEMPTION_TIMER) !== 0) {
    return "save VMX-preemption timer value requires activate VMX-preemption timer";
  }
  return checkEventInjection(vmcs, proc, proc2);
}

/** §26.2.1.3: the VM-entry interruption-information field and its companions. */
function checkEventInjection(vmcs: Vmcs, proc: number, proc2: number): string | null {
  const info = vmcs.get(F.VM_ENTRY_INTR_INFO_FIELD);
  if (info >= 0) return null; // valid bit clear
  const vector = info & 0xff;
  const type = (info >> 8) & 7;
  if (type === 1) return "VM_ENTRY_INTR_INFO_FIELD uses reserved interruption type 1";
  if (type === INTR_TYPE.OTHER_EVENT && ((proc & CPU_BASED.MONITOR_TRAP_FLAG) === 0 || vector !== 0)) {
    return "VM_ENTRY_INTR_INFO_FIELD type 7 (other event) needs the monitor trap flag and vector 0";
  }
  if (type === INTR_TYPE.NMI_INTR && vector !== 2) return "VM_ENTRY_INTR_INFO_FIELD NMI with a vector other than 2";
  if (type === INTR_TYPE.HARD_EXCEPTION && vector > 31) return `VM_ENTRY_INTR_INFO_FIELD hardware exception vector ${vector} > 31`;
  const unrestricted = (proc2 & SECONDARY_EXEC.UNRESTRICTED_GUEST) !== 0;
  const protectedMode = !unrestricted || (vmcs.get(F.GUEST_CR0) & CR0_PE) !== 0;
  const needsCode = protectedMode && type === INTR_TYPE.HARD_EXCEPTION &&
    (vector === 8 || (vector >= 10 && vector <= 14) || vector === 17);
  const deliverCode = (info & (1 << 11)) !== 0;
  if (deliverCode !== needsCode) {
    return `VM_ENTRY_INTR_INFO_FIELD deliver-error-code is ${deliverCode ? 1 : 0} for vector ${vector} type ${type}`;
  }
  if ((info & 0x7ffff000) !== 0) return "VM_ENTRY_INTR_INFO_FIELD reserved bits 30:12 are set";
  if (deliverCode && (vmcs.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff8000) !== 0) {
    return "VM_ENTRY_EXCEPTION_ERROR_CODE bits 31:15 are set";
  }
  if (type === INTR_TYPE.SOFT_INTR || type === INTR_TYPE.PRIV_SW_EXCEPTION || type === INTR_TYPE.SOFT_EXCEPTION) {
    const len = vmcs.get(F.VM_ENTRY_INSTRUCTION_LEN);
    if (len < 1 || len > 15) return `VM_ENTRY_INSTRUCTION_LEN ${len} is not in 1..15`;
  }
  return null;
}

/** §26.2.2-26.2.4: host control registers, MSRs, selectors (32-bit host). */
export function checkHost(vmcs: Vmcs): string | null {
  const cr0 = vmcs.get(F.HOST_CR0);
  if ((cr0 & CR0_FIXED0) !== CR0_FIXED0 || (cr0 & ~CR0_FIXED1) !== 0) return `HOST_CR0 ${hex(cr0)} violates IA32_VMX_CR0_FIXED0/1`;
  const cr4 = vmcs.get(F.HOST_CR4);
  if ((cr4 & CR4_FIXED0) !== CR4_FIXED0 || (cr4 & ~CR4_FIXED1) !== 0) return `HOST_CR4 ${hex(cr4)} violates IA32_VMX_CR4_FIXED0/1`;
  const sels = [F.HOST_ES_SELECTOR, F.HOST_CS_SELECTOR, F.HOST_SS_SELECTOR, F.HOST_DS_SELECTOR, F.HOST_FS_SELECTOR, F.HOST_GS_SELECTOR, F.HOST_TR_SELECTOR];
  const names = ["ES", "CS", "SS", "DS", "FS", "GS", "TR"];
  for (let k = 0; k < sels.length; k++) {
    if ((vmcs.get(sels[k]) & 7) !== 0) return `HOST_${names[k]}_SELECTOR ${hex(vmcs.get(sels[k]))} has RPL or TI set`;
  }
  if (vmcs.get(F.HOST_CS_SELECTOR) === 0) return "HOST_CS_SELECTOR is 0";
  if (vmcs.get(F.HOST_TR_SELECTOR) === 0) return "HOST_TR_SELECTOR is 0";
  if (vmcs.get(F.HOST_SS_SELECTOR) === 0) return "HOST_SS_SELECTOR is 0 (host address-space size is 0)";
  const exit = vmcs.get(F.VM_EXIT_CONTROLS);
  if ((exit & VM_EXIT.LOAD_IA32_PAT) !== 0 && !patValid(vmcs.get(F.HOST_IA32_PAT), vmcs.get(F.HOST_IA32_PAT | 1))) {
    return "HOST_IA32_PAT holds a reserved memory type";
  }
  if ((exit & VM_EXIT.LOAD_IA32_EFER) !== 0) {
    const efer = vmcs.get(F.HOST_IA32_EFER);
    if ((efer & ~EFER_VALID) !== 0 || vmcs.get(F.HOST_IA32_EFER | 1) !== 0) return `HOST_IA32_EFER ${hex(efer)} has reserved bits set`;
    if ((efer & (EFER_LMA | EFER_LME)) !== 0) return "HOST_IA32_EFER.LMA/LME must be 0 (host address-space size is 0)";
  }
  return null;
}

/** G-bit consistency of a limit with its granularity flag. */
function granularityOk(limit: number, ar: number): boolean {
  if ((limit & 0xfff) !== 0xfff && (ar & AR_G) !== 0) return false;
  if ((limit & 0xfff00000) !== 0 && (ar & AR_G) === 0) return false;
  return true;
}

/** A guest-state failure record (allocated only when the check fails). */
function guestFail(message: string, qualification: number = ENTRY_FAIL_DEFAULT): GuestStateFailure {
  return { qualification, message };
}
function selOf(vmcs: Vmcs, s: number): number {
  return vmcs.get(GUEST_SEG_FIELDS.selector[s]);
}
function baseOf(vmcs: Vmcs, s: number): number {
  return vmcs.get(GUEST_SEG_FIELDS.base[s]);
}
function limitOf(vmcs: Vmcs, s: number): number {
  return vmcs.get(GUEST_SEG_FIELDS.limit[s]);
}
function arOf(vmcs: Vmcs, s: number): number {
  return vmcs.get(GUEST_SEG_FIELDS.ar[s]);
}
function usableOf(vmcs: Vmcs, s: number): boolean {
  return (arOf(vmcs, s) & AR_UNUSABLE) === 0;
}
function dplOf(vmcs: Vmcs, s: number): number {
  return (arOf(vmcs, s) >> 5) & 3;
}

const DATA_SEGS = [Seg.DS, Seg.ES, Seg.FS, Seg.GS];
const PDPTRS = [F.GUEST_PDPTR0, F.GUEST_PDPTR1, F.GUEST_PDPTR2, F.GUEST_PDPTR3];

/**
 * §26.3.1: guest state. Returns null or the failure (qualification + message). `readPdpte`
 * reads PDPTE `k` of the table at guest-physical `cr3` (PAE paging without EPT).
 */
export function checkGuest(vmcs: Vmcs, readPdpte: (cr3: number, k: number) => [number, number] | null): GuestStateFailure | null {
  const proc = vmcs.get(F.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? vmcs.get(F.SECONDARY_VM_EXEC_CONTROL) : 0;
  const unrestricted = (proc2 & SECONDARY_EXEC.UNRESTRICTED_GUEST) !== 0;
  const entry = vmcs.get(F.VM_ENTRY_CONTROLS);

  // ---- Control registers, debug registers, MSRs (§26.3.1.1)
  const cr0 = vmcs.get(F.GUEST_CR0);
  const fixed0 = unrestricted ? CR0_FIXED0 & ~(CR0_PE | CR0_PG) : CR0_FIXED0;
  if ((cr0 & fixed0) !== fixed0) return guestFail(`GUEST_CR0 ${hex(cr0)} clears a bit fixed to 1 (IA32_VMX_CR0_FIXED0${unrestricted ? " without PE/PG: unrestricted guest" : ""})`);
  if ((cr0 & ~CR0_FIXED1) !== 0) return guestFail(`GUEST_CR0 ${hex(cr0)} sets a bit fixed to 0`);
  if ((cr0 & CR0_PG) !== 0 && (cr0 & CR0_PE) === 0) return guestFail("GUEST_CR0.PG = 1 with PE = 0");
  const cr4 = vmcs.get(F.GUEST_CR4);
  if ((cr4 & CR4_FIXED0) !== CR4_FIXED0 || (cr4 & ~CR4_FIXED1) !== 0) return guestFail(`GUEST_CR4 ${hex(cr4)} violates IA32_VMX_CR4_FIXED0/1 (VMXE must be 1)`);
  if ((entry & VM_ENTRY.LOAD_DEBUG_CONTROLS) !== 0 && vmcs.get(F.GUEST_IA32_DEBUGCTL | 1) !== 0) return guestFail("GUEST_IA32_DEBUGCTL bits 63:32 are set");
  if ((entry & VM_ENTRY.LOAD_IA32_PAT) !== 0 && !patValid(vmcs.get(F.GUEST_IA32_PAT), vmcs.get(F.GUEST_IA32_PAT | 1))) {
    return guestFail("GUEST_IA32_PAT holds a reserved memory type");
  }
  if ((entry & VM_ENTRY.LOAD_IA32_EFER) !== 0) {
    const efer = vmcs.get(F.GUEST_IA32_EFER);
    if ((efer & ~EFER_VALID) !== 0 || vmcs.get(F.GUEST_IA32_EFER | 1) !== 0) return guestFail(`GUEST_IA32_EFER ${hex(efer)} has reserved bits set`);
    if ((efer & EFER_LMA) !== 0) return guestFail("GUEST_IA32_EFER.LMA must equal IA-32e mode guest (0)");
    if ((cr0 & CR0_PG) !== 0 && (efer & EFER_LME) !== 0) return guestFail("GUEST_IA32_EFER.LME must equal LMA when CR0.PG = 1");
  }

  // ---- Segment registers (§26.3.1.2)
  const rflags = vmcs.get(F.GUEST_RFLAGS);
  const v86 = (rflags & RFLAGS_VM) !== 0;
  if ((selOf(vmcs, SEG_TR) & 4) !== 0) return guestFail("GUEST_TR_SELECTOR.TI must be 0");
  if (usableOf(vmcs, SEG_LDTR) && (selOf(vmcs, SEG_LDTR) & 4) !== 0) return guestFail("GUEST_LDTR_SELECTOR.TI must be 0");
  if (!v86 && !unrestricted && (selOf(vmcs, Seg.SS) & 3) !== (selOf(vmcs, Seg.CS) & 3)) return guestFail("GUEST_SS_SELECTOR.RPL must equal GUEST_CS_SELECTOR.RPL");
  if (v86) {
    for (let s = 0; s < 6; s++) {
      if ((baseOf(vmcs, s) >>> 0) !== ((selOf(vmcs, s) << 4) >>> 0)) return guestFail(`GUEST_${SEG_NAMES[s]}_BASE must be selector << 4 in virtual-8086 mode`);
      if ((limitOf(vmcs, s) >>> 0) !== 0xffff) return guestFail(`GUEST_${SEG_NAMES[s]}_LIMIT must be 0xffff in virtual-8086 mode`);
      if (arOf(vmcs, s) !== 0xf3) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES must be 0xf3 in virtual-8086 mode`);
    }
  } else {
    const csAr = arOf(vmcs, Seg.CS);
    const csType = csAr & AR_TYPE;
    if (!(csType === 9 || csType === 11 || csType === 13 || csType === 15 || (unrestricted && csType === 3))) {
      return guestFail(`GUEST_CS_AR_BYTES type ${csType} is not an accessed code segment${unrestricted ? " or accessed read/write data" : ""}`);
    }
    if ((csAr & AR_S) === 0) return guestFail("GUEST_CS_AR_BYTES.S must be 1");
    if (csType === 3 && dplOf(vmcs, Seg.CS) !== 0) return guestFail("GUEST_CS_AR_BYTES.DPL must be 0 for a data-type CS");
    if ((csType === 9 || csType === 11) && dplOf(vmcs, Seg.CS) !== dplOf(vmcs, Seg.SS)) return guestFail("GUEST_CS_AR_BYTES.DPL must equal SS.DPL (non-conforming code)");
    if ((csType === 13 || csType === 15) && dplOf(vmcs, Seg.CS) > dplOf(vmcs, Seg.SS)) return guestFail("GUEST_CS_AR_BYTES.DPL must not exceed SS.DPL (conforming code)");
    if (usableOf(vmcs, Seg.SS)) {
      const t = arOf(vmcs, Seg.SS) & AR_TYPE;
      if (t !== 3 && t !== 7) return guestFail(`GUEST_SS_AR_BYTES type ${t} is not a read/write accessed data segment`);
    }
    if (!unrestricted && dplOf(vmcs, Seg.SS) !== (selOf(vmcs, Seg.SS) & 3)) return guestFail("GUEST_SS_AR_BYTES.DPL must equal SS.RPL");
    if ((csType === 3 || (cr0 & CR0_PE) === 0) && dplOf(vmcs, Seg.SS) !== 0) return guestFail("GUEST_SS_AR_BYTES.DPL must be 0 (real mode or data-type CS)");
    for (const s of DATA_SEGS) {
      if (!usableOf(vmcs, s)) continue;
      const a = arOf(vmcs, s);
      const t = a & AR_TYPE;
      if ((t & 1) === 0) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES type ${t} is not accessed`);
      if ((t & 8) !== 0 && (t & 2) === 0) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES is an execute-only code segment`);
      if (!unrestricted && t <= 11 && dplOf(vmcs, s) < (selOf(vmcs, s) & 3)) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES.DPL is below its RPL`);
    }
    for (let s = 0; s < 6; s++) {
      if (s !== Seg.CS && !usableOf(vmcs, s)) continue;
      const a = arOf(vmcs, s);
      if ((a & AR_S) === 0) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES.S must be 1`);
      if ((a & AR_P) === 0) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES.P must be 1`);
      if ((a & AR_RESERVED) !== 0) return guestFail(`GUEST_${SEG_NAMES[s]}_AR_BYTES has reserved bits set`);
      if (!granularityOk(limitOf(vmcs, s), a)) return guestFail(`GUEST_${SEG_NAMES[s]}_LIMIT ${hex(limitOf(vmcs, s))} is inconsistent with AR.G`);
    }
  }
  {
    const a = arOf(vmcs, SEG_TR);
    const t = a & AR_TYPE;
    if (t !== 3 && t !== 11) return guestFail(`GUEST_TR_AR_BYTES type ${t} is not a busy TSS`);
    if ((a & AR_S) !== 0) return guestFail("GUEST_TR_AR_BYTES.S must be 0");
    if ((a & AR_P) === 0) return guestFail("GUEST_TR_AR_BYTES.P must be 1");
    if ((a & AR_RESERVED) !== 0) return guestFail("GUEST_TR_AR_BYTES has reserved bits set");
    if ((a & AR_UNUSABLE) !== 0) return guestFail("GUEST_TR_AR_BYTES must be usable");
    if (!granularityOk(limitOf(vmcs, SEG_TR), a)) return guestFail("GUEST_TR_LIMIT is inconsistent with AR.G");
  }
  if (usableOf(vmcs, SEG_LDTR)) {
    const a = arOf(vmcs, SEG_LDTR);
    if ((a & AR_TYPE) !== 2) return guestFail("GUEST_LDTR_AR_BYTES type must be 2 (LDT)");
    if ((a & AR_S) !== 0) return guestFail("GUEST_LDTR_AR_BYTES.S must be 0");
    if ((a & AR_P) === 0) return guestFail("GUEST_LDTR_AR_BYTES.P must be 1");
    if ((a & AR_RESERVED) !== 0) return guestFail("GUEST_LDTR_AR_BYTES has reserved bits set");
    if (!granularityOk(limitOf(vmcs, SEG_LDTR), a)) return guestFail("GUEST_LDTR_LIMIT is inconsistent with AR.G");
  }

  // ---- Descriptor-table registers (§26.3.1.3)
  if ((vmcs.get(F.GUEST_GDTR_LIMIT) & 0xffff0000) !== 0) return guestFail("GUEST_GDTR_LIMIT bits 31:16 are set");
  if ((vmcs.get(F.GUEST_IDTR_LIMIT) & 0xffff0000) !== 0) return guestFail("GUEST_IDTR_LIMIT bits 31:16 are set");

  // ---- RIP and RFLAGS (§26.3.1.4)
  if ((rflags & RFLAGS_RESERVED) !== 0 || (rflags & 2) === 0) return guestFail(`GUEST_RFLAGS ${hex(rflags)}: reserved bits set or bit 1 clear`);
  if (v86 && (cr0 & CR0_PE) === 0) return guestFail("GUEST_RFLAGS.VM must be 0 when CR0.PE = 0");
  const injInfo = vmcs.get(F.VM_ENTRY_INTR_INFO_FIELD);
  const injecting = injInfo < 0;
  const injType = (injInfo >> 8) & 7;
  const injVector = injInfo & 0xff;
  if (injecting && injType === INTR_TYPE.EXT_INTR && (rflags & RFLAGS_IF) === 0) return guestFail("injecting an external interrupt needs GUEST_RFLAGS.IF = 1");

  // ---- Non-register state (§26.3.1.5)
  const activity = vmcs.get(F.GUEST_ACTIVITY_STATE);
  if (activity !== GUEST_ACTIVITY.ACTIVE && activity !== GUEST_ACTIVITY.HLT) return guestFail(`GUEST_ACTIVITY_STATE ${activity} is not supported (IA32_VMX_MISC)`);
  if (activity === GUEST_ACTIVITY.HLT && dplOf(vmcs, Seg.SS) !== 0) return guestFail("GUEST_ACTIVITY_STATE HLT needs SS.DPL = 0");
  const intr = vmcs.get(F.GUEST_INTERRUPTIBILITY_INFO);
  if ((intr & ~0xf) !== 0) return guestFail("GUEST_INTERRUPTIBILITY_INFO reserved bits are set");
  const sti = (intr & GUEST_INTR_STATE.STI) !== 0;
  const movSs = (intr & GUEST_INTR_STATE.MOV_SS) !== 0;
  if ((sti || movSs) && activity !== GUEST_ACTIVITY.ACTIVE) return guestFail("blocking by STI or MOV SS needs the active activity state");
  if (injecting && activity === GUEST_ACTIVITY.HLT) {
    const ok = injType === INTR_TYPE.EXT_INTR || injType === INTR_TYPE.NMI_INTR || injType === INTR_TYPE.OTHER_EVENT ||
      (injType === INTR_TYPE.HARD_EXCEPTION && (injVector === 1 || injVector === 18));
    if (!ok) return guestFail("only external interrupts, NMIs, #DB and #MC can be injected into the HLT state");
  }
  if (sti && movSs) return guestFail("GUEST_INTERRUPTIBILITY_INFO blocks by both STI and MOV SS");
  if (sti && (rflags & RFLAGS_IF) === 0) return guestFail("blocking by STI needs RFLAGS.IF = 1");
  if ((intr & GUEST_INTR_STATE.SMI) !== 0) return guestFail("blocking by SMI outside SMM");
  if (injecting && injType === INTR_TYPE.EXT_INTR && (sti || movSs)) return guestFail("injecting an external interrupt while blocked by STI/MOV SS");
  if (injecting && injType === INTR_TYPE.NMI_INTR && movSs) return guestFail("injecting an NMI while blocked by MOV SS");
  const pde = vmcs.get(F.GUEST_PENDING_DBG_EXCEPTIONS);
  if ((pde & ~0x500f) !== 0) return guestFail("GUEST_PENDING_DBG_EXCEPTIONS reserved bits are set");
  if (sti || movSs || activity === GUEST_ACTIVITY.HLT) {
    const btf = (vmcs.get(F.GUEST_IA32_DEBUGCTL) & 2) !== 0;
    const bs = (pde & 0x4000) !== 0;
    const tf = (rflags & RFLAGS_TF) !== 0;
    if (tf && !btf && !bs) return guestFail("GUEST_PENDING_DBG_EXCEPTIONS.BS must be 1 (TF = 1, blocked or halted)");
    if ((!tf || btf) && bs) return guestFail("GUEST_PENDING_DBG_EXCEPTIONS.BS must be 0 (TF = 0 or BTF = 1)");
  }
  if (vmcs.get(F.VMCS_LINK_POINTER) !== -1 || vmcs.get(F.VMCS_LINK_POINTER | 1) !== -1) {
    return guestFail("VMCS_LINK_POINTER must be all ones (VMCS shadowing is not supported)", ENTRY_FAIL_VMCS_LINK_PTR);
  }

  // ---- PDPTEs (§26.3.1.6): PAE paging outside IA-32e mode.
  if ((cr0 & CR0_PG) !== 0 && (cr4 & CR4_PAE) !== 0) {
    const ept = (proc2 & SECONDARY_EXEC.ENABLE_EPT) !== 0;
    for (let k = 0; k < 4; k++) {
      const e = ept ? [vmcs.get(PDPTRS[k]), vmcs.get(PDPTRS[k] | 1)] : readPdpte(vmcs.get(F.GUEST_CR3), k);
      if (e === null) return guestFail("the PDPTEs at GUEST_CR3 are not readable", ENTRY_FAIL_PDPTE);
      if ((e[0] & 1) !== 0 && ((e[0] & 0x1e6) !== 0 || (e[1] & ~0xf) !== 0)) {
        return guestFail(`PDPTE ${k} ${hex(e[1])}_${hex(e[0])} has reserved bits set`, ENTRY_FAIL_PDPTE);
      }
    }
  }
  return null;
}
