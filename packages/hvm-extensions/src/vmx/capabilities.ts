import { CPU_BASED, MSR_IA32_VMX, PIN_BASED, SECONDARY_EXEC, VM_ENTRY, VM_EXIT, X86_CR4_VMXE } from "./constants.js";

/**
 * The VMX capabilities of this model, as the IA32_VMX_* MSRs report them (SDM vol. 3
 * appendix A). A control MSR holds the allowed-0 settings in bits 31:0 (a 1 there means the
 * control must be 1) and the allowed-1 settings in bits 63:32 (a 0 there means the control
 * must be 0).
 *
 * The set is what the CPU package can actually enforce today: HLT, INVLPG, RDTSC,
 * interrupt-window, unconditional and bitmap I/O exiting, CR3-load/-store exiting, MSR
 * bitmaps, TSC offsetting, the monitor trap flag, external-interrupt and NMI exiting, the
 * VMX-preemption timer, EPT and unrestricted guest. MOV-DR, RDPMC, MWAIT/MONITOR/PAUSE
 * exiting, CR8/TPR and the APIC-virtualization features are reported as unsupported
 * (allowed-1 = 0). CR3-load/-store exiting are
 * default1 in IA32_VMX_PROCBASED_CTLS but may be 0 according to IA32_VMX_TRUE_PROCBASED_CTLS
 * (bit 55 of IA32_VMX_BASIC is set), as on processors with EPT.
 */
export interface ControlCapability {
  /** Bits that must be 1. */
  readonly allowed0: number;
  /** Bits that may be 1. */
  readonly allowed1: number;
}

/** VMCS revision identifier of this model (IA32_VMX_BASIC bits 30:0). */
export const VMCS_REVISION_ID = 1;

/** VMCS region size in bytes (IA32_VMX_BASIC bits 44:32). */
export const VMCS_REGION_SIZE = 4096;

/** Memory type "write-back" (IA32_VMX_BASIC bits 53:50, EPT memory types). */
export const MEMORY_TYPE_WB = 6;
/** Memory type "uncacheable". */
export const MEMORY_TYPE_UC = 0;

/** Default1 bits of the pin-based controls (1, 2, 4). */
export const PIN_BASED_DEFAULT1 = 0x16;
/** Default1 bits of the primary processor-based controls (1, 4-6, 8, 13-16, 26). */
export const CPU_BASED_DEFAULT1 = 0x0401e172;
/** Default1 bits of the VM-exit controls (0-8, 10, 11, 13, 14, 16, 17). */
export const VM_EXIT_DEFAULT1 = 0x00036dff;
/** Default1 bits of the VM-entry controls (0-8, 12). */
export const VM_ENTRY_DEFAULT1 = 0x000011ff;

/** Pin-based controls capability. */
export const PINBASED_CAP: ControlCapability = {
  allowed0: PIN_BASED_DEFAULT1,
  allowed1: PIN_BASED_DEFAULT1 | PIN_BASED.EXT_INTR_MASK | PIN_BASED.NMI_EXITING | PIN_BASED.VMX_PREEMPTION_TIMER,
};

/** Primary processor-based controls capability (IA32_VMX_PROCBASED_CTLS). */
export const PROCBASED_CAP: ControlCapability = {
  allowed0: CPU_BASED_DEFAULT1,
  allowed1:
    CPU_BASED_DEFAULT1 |
    CPU_BASED.INTR_WINDOW_EXITING |
    CPU_BASED.USE_TSC_OFFSETTING |
    CPU_BASED.HLT_EXITING |
    CPU_BASED.INVLPG_EXITING |
    CPU_BASED.RDTSC_EXITING |
    CPU_BASED.CR3_LOAD_EXITING |
    CPU_BASED.CR3_STORE_EXITING |
    CPU_BASED.UNCOND_IO_EXITING |
    CPU_BASED.USE_IO_BITMAPS |
    CPU_BASED.MONITOR_TRAP_FLAG |
    CPU_BASED.USE_MSR_BITMAPS |
    CPU_BASED.ACTIVATE_SECONDARY_CONTROLS,
};

/** The same, as IA32_VMX_TRUE_PROCBASED_CTLS: CR3-load/-store exiting may be 0. */
export const TRUE_PROCBASED_CAP: ControlCapability = {
  allowed0: CPU_BASED_DEFAULT1 & ~(CPU_BASED.CR3_LOAD_EXITING | CPU_BASED.CR3_STORE_EXITING),
  allowed1: PROCBASED_CAP.allowed1,
};

/** Secondary processor-based controls capability. */
export const PROCBASED2_CAP: ControlCapability = {
  allowed0: 0,
  allowed1: SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.UNRESTRICTED_GUEST,
};

/** VM-exit controls capability. */
export const EXIT_CAP: ControlCapability = {
  allowed0: VM_EXIT_DEFAULT1,
  allowed1:
    VM_EXIT_DEFAULT1 |
    VM_EXIT.ACK_INTR_ON_EXIT |
    VM_EXIT.SAVE_IA32_PAT |
    VM_EXIT.LOAD_IA32_PAT |
    VM_EXIT.SAVE_IA32_EFER |
    VM_EXIT.LOAD_IA32_EFER |
    VM_EXIT.SAVE_VMX_PREEMPTION_TIMER,
};

/** VM-entry controls capability. */
export const ENTRY_CAP: ControlCapability = {
  allowed0: VM_ENTRY_DEFAULT1,
  allowed1: VM_ENTRY_DEFAULT1 | VM_ENTRY.LOAD_IA32_PAT | VM_ENTRY.LOAD_IA32_EFER,
};

/** CR0 bits fixed to 1 in VMX operation (PE, NE, PG; PE/PG are relaxed by unrestricted guest). */
export const CR0_FIXED0 = 0x80000021 | 0;
/** CR0 bits allowed to be 1 in VMX operation. */
export const CR0_FIXED1 = 0xffffffff | 0;
/** CR4 bits fixed to 1 in VMX operation (VMXE). */
export const CR4_FIXED0 = X86_CR4_VMXE;
/** CR4 bits allowed to be 1 in VMX operation: the P6 bits 0..10 and VMXE. */
export const CR4_FIXED1 = 0x7ff | X86_CR4_VMXE;

/** Number of CR3-target values supported (IA32_VMX_MISC bits 24:16). */
export const CR3_TARGET_MAX = 4;

/** IA32_VMX_MISC bit 6: the HLT activity state is supported. */
export const MISC_ACTIVITY_HLT = 1 << 6;

/** IA32_VMX_EPT_VPID_CAP bits. */
export const EPT_CAP = {
  /** Execute-only EPT translations (not supported). */
  EXECUTE_ONLY: 1 << 0,
  /** Page-walk length of 4. */
  PAGE_WALK_4: 1 << 6,
  /** EPT paging structures may be uncacheable. */
  UC: 1 << 8,
  /** EPT paging structures may be write-back. */
  WB: 1 << 14,
  /** INVEPT is supported. */
  INVEPT: 1 << 20,
  /** Single-context INVEPT. */
  INVEPT_SINGLE_CONTEXT: 1 << 25,
  /** All-context INVEPT. */
  INVEPT_ALL_CONTEXT: 1 << 26,
} as const;

/** Highest VMCS field index (IA32_VMX_VMCS_ENUM bits 9:1): VMX_PREEMPTION_TIMER_VALUE's 17h. */
export const VMCS_ENUM_MAX_INDEX = 0x17;

/**
 * Read an IA32_VMX_* capability MSR (or IA32_FEATURE_CONTROL) of this model as
 * `[low, high]` 32-bit halves; undefined for other indices.
 */
export function readVmxCapabilityMsr(index: number): [number, number] | undefined {
  const pair = (c: ControlCapability): [number, number] => [c.allowed0 >>> 0, c.allowed1 >>> 0];
  switch (index) {
    case MSR_IA32_VMX.FEATURE_CONTROL:
      // Locked, VMXON allowed outside SMX.
      return [0x5, 0];
    case MSR_IA32_VMX.BASIC:
      return [
        VMCS_REVISION_ID,
        // Region size; bit 48: 32-bit physical addresses; WB; INS/OUTS info; TRUE controls.
        (VMCS_REGION_SIZE | (1 << 16) | (MEMORY_TYPE_WB << 18) | (1 << 22) | (1 << 23)) >>> 0,
      ];
    case MSR_IA32_VMX.PINBASED_CTLS:
    case MSR_IA32_VMX.TRUE_PINBASED_CTLS:
      return pair(PINBASED_CAP);
    case MSR_IA32_VMX.PROCBASED_CTLS:
      return pair(PROCBASED_CAP);
    case MSR_IA32_VMX.TRUE_PROCBASED_CTLS:
      return pair(TRUE_PROCBASED_CAP);
    case MSR_IA32_VMX.PROCBASED_CTLS2:
      return pair(PROCBASED2_CAP);
    case MSR_IA32_VMX.EXIT_CTLS:
    case MSR_IA32_VMX.TRUE_EXIT_CTLS:
      return pair(EXIT_CAP);
    case MSR_IA32_VMX.ENTRY_CTLS:
    case MSR_IA32_VMX.TRUE_ENTRY_CTLS:
      return pair(ENTRY_CAP);
    case MSR_IA32_VMX.MISC:
      // Preemption timer rate 0 (one tick per TSC tick = per retired instruction), HLT
      // activity state, 4 CR3 targets; MSR lists are not supported (see README).
      return [MISC_ACTIVITY_HLT | (CR3_TARGET_MAX << 16), 0];
    case MSR_IA32_VMX.CR0_FIXED0:
      return [CR0_FIXED0 >>> 0, 0];
    case MSR_IA32_VMX.CR0_FIXED1:
      return [CR0_FIXED1 >>> 0, 0];
    case MSR_IA32_VMX.CR4_FIXED0:
      return [CR4_FIXED0, 0];
    case MSR_IA32_VMX.CR4_FIXED1:
      return [CR4_FIXED1, 0];
    case MSR_IA32_VMX.VMCS_ENUM:
      return [VMCS_ENUM_MAX_INDEX << 1, 0];
    case MSR_IA32_VMX.EPT_VPID_CAP:
      return [
        EPT_CAP.PAGE_WALK_4 | EPT_CAP.UC | EPT_CAP.WB | EPT_CAP.INVEPT |
          EPT_CAP.INVEPT_SINGLE_CONTEXT | EPT_CAP.INVEPT_ALL_CONTEXT,
        0,
      ];
    default:
      return undefined;
  }
}

/** True if `value` satisfies capability `cap` (every must-be-1 bit set, no must-be-0 bit set). */
export function controlsAllowed(value: number, cap: ControlCapability): boolean {
  return (value & cap.allowed0) === cap.allowed0 && (value & ~cap.allowed1) === 0;
}
