/**
 * Helpers that fill a VMCS the way a minimal hypervisor does: controls adjusted to the
 * capability MSRs, a plausible 32-bit host state, and a guest in flat 32-bit protected mode
 * or (with unrestricted guest) real mode. Monitors and tests start from these and VMWRITE
 * what they need on top.
 */
import * as F from "./fields.js";
import { CPU_BASED, MSR_IA32_VMX, PIN_BASED, SECONDARY_EXEC, X86_CR4_VMXE } from "./constants.js";
import { readVmxCapabilityMsr } from "./capabilities.js";
import type { Ept } from "./ept.js";
import type { VmxVcpu } from "./vcpu.js";

/** The controls the helpers ask for (before adjusting to the capability MSRs). */
export const VMX_DEFAULT_CONTROLS = {
  pin: PIN_BASED.EXT_INTR_MASK | PIN_BASED.NMI_EXITING,
  proc: CPU_BASED.HLT_EXITING | CPU_BASED.UNCOND_IO_EXITING | CPU_BASED.ACTIVATE_SECONDARY_CONTROLS,
  proc2: SECONDARY_EXEC.ENABLE_EPT,
  exit: 0,
  entry: 0,
} as const;

/** Options for the guest-setup helpers. */
export interface GuestSetupOptions {
  /** The VM's EPT (EPT_POINTER, enable EPT); required for real mode (unrestricted guest). */
  ept?: Ept;
  /** Initial EIP (flat protected mode: linear address; real mode: offset in CS). */
  rip: number;
  /** Initial ESP. */
  rsp?: number;
  /** Real mode: the CS selector (base = selector << 4). */
  cs?: number;
  /** Extra primary processor-based controls. */
  proc?: number;
  /** Extra pin-based controls. */
  pin?: number;
  /** Extra VM-exit controls. */
  exit?: number;
  /** Extra VM-entry controls. */
  entry?: number;
  /** EXCEPTION_BITMAP (default 0). */
  exceptionBitmap?: number;
}

/** (want | must-be-1) & may-be-1 per the capability MSR at `msr`. */
function adjust(want: number, msr: number): number {
  const cap = readVmxCapabilityMsr(msr);
  if (cap === undefined) return want;
  return (want | cap[0]) & cap[1];
}

/** Write controls, host state and the guest state common to both setups. */
function common(vcpu: VmxVcpu, o: GuestSetupOptions, unrestricted: boolean): void {
  const w = (e: number, v: number): void => {
    vcpu.vmwrite(e, v);
  };
  w(F.PIN_BASED_VM_EXEC_CONTROL, adjust(VMX_DEFAULT_CONTROLS.pin | (o.pin ?? 0), MSR_IA32_VMX.TRUE_PINBASED_CTLS));
  w(F.CPU_BASED_VM_EXEC_CONTROL, adjust(VMX_DEFAULT_CONTROLS.proc | (o.proc ?? 0), MSR_IA32_VMX.TRUE_PROCBASED_CTLS));
  let proc2 = o.ept !== undefined ? VMX_DEFAULT_CONTROLS.proc2 : 0;
  if (unrestricted) proc2 |= SECONDARY_EXEC.UNRESTRICTED_GUEST;
  w(F.SECONDARY_VM_EXEC_CONTROL, adjust(proc2, MSR_IA32_VMX.PROCBASED_CTLS2));
  w(F.VM_EXIT_CONTROLS, adjust(VMX_DEFAULT_CONTROLS.exit | (o.exit ?? 0), MSR_IA32_VMX.TRUE_EXIT_CTLS));
  w(F.VM_ENTRY_CONTROLS, adjust(VMX_DEFAULT_CONTROLS.entry | (o.entry ?? 0), MSR_IA32_VMX.TRUE_ENTRY_CTLS));
  w(F.EXCEPTION_BITMAP, o.exceptionBitmap ?? 0);
  if (o.ept !== undefined) {
    w(F.EPT_POINTER, o.ept.eptp());
    w(F.EPT_POINTER | 1, 0);
  }
  // Host state of a 32-bit hypervisor: paging on, flat selectors, a TSS.
  w(F.HOST_CR0, 0x80000031 | 0);
  w(F.HOST_CR3, 0x1000);
  w(F.HOST_CR4, X86_CR4_VMXE);
  w(F.HOST_CS_SELECTOR, 0x08);
  for (const e of [F.HOST_SS_SELECTOR, F.HOST_DS_SELECTOR, F.HOST_ES_SELECTOR, F.HOST_FS_SELECTOR, F.HOST_GS_SELECTOR]) w(e, 0x10);
  w(F.HOST_TR_SELECTOR, 0x18);
  w(F.VMCS_LINK_POINTER, -1);
  w(F.VMCS_LINK_POINTER | 1, -1);
  w(F.GUEST_CR4, X86_CR4_VMXE);
  w(F.GUEST_CR3, 0);
  w(F.GUEST_DR7, 0x400);
  w(F.GUEST_RFLAGS, 2);
  w(F.GUEST_RIP, o.rip);
  w(F.GUEST_RSP, o.rsp ?? 0);
  w(F.GUEST_LDTR_SELECTOR, 0);
  w(F.GUEST_LDTR_AR_BYTES, 1 << 16);
  w(F.GUEST_TR_SELECTOR, 0);
  w(F.GUEST_TR_BASE, 0);
  w(F.GUEST_TR_LIMIT, 0xffff);
  w(F.GUEST_TR_AR_BYTES, 0x8b);
  w(F.GUEST_GDTR_LIMIT, 0xffff);
  w(F.GUEST_IDTR_LIMIT, unrestricted ? 0x3ff : 0);
  w(F.GUEST_ACTIVITY_STATE, 0);
  w(F.GUEST_INTERRUPTIBILITY_INFO, 0);
}

/**
 * Flat 32-bit protected mode, CPL 0, paging off: CS = 0x08 (base 0, limit 4 GiB, code),
 * data segments 0x10, no IDT (set GUEST_IDTR_* to use one). With `ept`, EPT and unrestricted
 * guest are enabled (paging off needs unrestricted guest); without, set GUEST_CR0.PG and
 * GUEST_CR3 before entering.
 */
export function setupFlatProtectedGuest(vcpu: VmxVcpu, o: GuestSetupOptions): void {
  // CR0.PG is fixed to 1 unless unrestricted guest (which needs EPT) relaxes it.
  common(vcpu, o, o.ept !== undefined);
  const w = (e: number, v: number): void => {
    vcpu.vmwrite(e, v);
  };
  w(F.GUEST_CR0, 0x00000031); // PE, ET, NE
  const segs: [number, number, number, number, number][] = [
    [F.GUEST_CS_SELECTOR, F.GUEST_CS_BASE, F.GUEST_CS_LIMIT, F.GUEST_CS_AR_BYTES, 0x08],
    [F.GUEST_SS_SELECTOR, F.GUEST_SS_BASE, F.GUEST_SS_LIMIT, F.GUEST_SS_AR_BYTES, 0x10],
    [F.GUEST_DS_SELECTOR, F.GUEST_DS_BASE, F.GUEST_DS_LIMIT, F.GUEST_DS_AR_BYTES, 0x10],
    [F.GUEST_ES_SELECTOR, F.GUEST_ES_BASE, F.GUEST_ES_LIMIT, F.GUEST_ES_AR_BYTES, 0x10],
    [F.GUEST_FS_SELECTOR, F.GUEST_FS_BASE, F.GUEST_FS_LIMIT, F.GUEST_FS_AR_BYTES, 0x10],
    [F.GUEST_GS_SELECTOR, F.GUEST_GS_BASE, F.GUEST_GS_LIMIT, F.GUEST_GS_AR_BYTES, 0x10],
  ];
  for (const [sel, base, limit, ar, value] of segs) {
    w(sel, value);
    w(base, 0);
    w(limit, -1);
    // Accessed, present, DPL 0, 32-bit, 4 KiB granular: code execute/read (0xb) or data read/write (3).
    w(ar, (value === 0x08 ? 0x9b : 0x93) | 0xc000);
  }
}

/** Real mode at `cs:rip` with unrestricted guest (needs `ept`): 64 KiB segments, IVT at 0. */
export function setupRealModeGuest(vcpu: VmxVcpu, o: GuestSetupOptions): void {
  if (o.ept === undefined) throw new Error("setupRealModeGuest: unrestricted guest needs an EPT");
  common(vcpu, o, true);
  const w = (e: number, v: number): void => {
    vcpu.vmwrite(e, v);
  };
  w(F.GUEST_CR0, 0x00000030); // ET, NE; PE = PG = 0
  const cs = o.cs ?? 0;
  const segs: [number, number, number, number, number][] = [
    [F.GUEST_CS_SELECTOR, F.GUEST_CS_BASE, F.GUEST_CS_LIMIT, F.GUEST_CS_AR_BYTES, cs],
    [F.GUEST_SS_SELECTOR, F.GUEST_SS_BASE, F.GUEST_SS_LIMIT, F.GUEST_SS_AR_BYTES, 0],
    [F.GUEST_DS_SELECTOR, F.GUEST_DS_BASE, F.GUEST_DS_LIMIT, F.GUEST_DS_AR_BYTES, 0],
    [F.GUEST_ES_SELECTOR, F.GUEST_ES_BASE, F.GUEST_ES_LIMIT, F.GUEST_ES_AR_BYTES, 0],
    [F.GUEST_FS_SELECTOR, F.GUEST_FS_BASE, F.GUEST_FS_LIMIT, F.GUEST_FS_AR_BYTES, 0],
    [F.GUEST_GS_SELECTOR, F.GUEST_GS_BASE, F.GUEST_GS_LIMIT, F.GUEST_GS_AR_BYTES, 0],
  ];
  for (const [sel, base, limit, ar, value] of segs) {
    w(sel, value);
    w(base, value << 4);
    w(limit, 0xffff);
    w(ar, sel === F.GUEST_CS_SELECTOR ? 0x9b : 0x93);
  }
}
