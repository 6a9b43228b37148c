/**
 * VMX architectural constants: basic exit reasons (SDM vol. 3 appendix C), VM-instruction
 * error numbers (§31.4), VM-execution/exit/entry control bits (§24.6-24.8), interruption
 * information layout (§24.8.3, §24.9.2), guest activity and interruptibility states
 * (§24.4.2) and the IA32_VMX_* capability MSR indices (appendix A).
 */

// =====================================================================================
// Basic exit reasons (VM_EXIT_REASON bits 15:0)
// =====================================================================================

/** Exception or non-maskable interrupt (see VM_EXIT_INTR_INFO). */
export const EXIT_REASON_EXCEPTION_NMI = 0;
/** External interrupt ("external-interrupt exiting"). */
export const EXIT_REASON_EXTERNAL_INTERRUPT = 1;
/** Triple fault in the guest (always exits). */
export const EXIT_REASON_TRIPLE_FAULT = 2;
/** INIT signal. */
export const EXIT_REASON_INIT_SIGNAL = 3;
/** Start-up IPI. */
export const EXIT_REASON_SIPI_SIGNAL = 4;
/** Interrupt window: RFLAGS.IF = 1 and no blocking ("interrupt-window exiting"). */
export const EXIT_REASON_INTERRUPT_WINDOW = 7;
/** NMI window ("NMI-window exiting"). */
export const EXIT_REASON_NMI_WINDOW = 8;
/** Task switch (always exits on hardware; see README: not produced by this CPU). */
export const EXIT_REASON_TASK_SWITCH = 9;
/** CPUID (always exits). */
export const EXIT_REASON_CPUID = 10;
/** HLT ("HLT exiting"). */
export const EXIT_REASON_HLT = 12;
/** INVD (always exits). */
export const EXIT_REASON_INVD = 13;
/** INVLPG ("INVLPG exiting"); qualification = linear address. */
export const EXIT_REASON_INVLPG = 14;
/** RDPMC ("RDPMC exiting"). */
export const EXIT_REASON_RDPMC = 15;
/** RDTSC ("RDTSC exiting"). */
export const EXIT_REASON_RDTSC = 16;
/** VMCALL (always exits in VMX non-root operation). */
export const EXIT_REASON_VMCALL = 18;
/** VMCLEAR in the guest. */
export const EXIT_REASON_VMCLEAR = 19;
/** VMLAUNCH in the guest. */
export const EXIT_REASON_VMLAUNCH = 20;
/** VMPTRLD in the guest. */
export const EXIT_REASON_VMPTRLD = 21;
/** VMPTRST in the guest. */
export const EXIT_REASON_VMPTRST = 22;
/** VMREAD in the guest. */
export const EXIT_REASON_VMREAD = 23;
/** VMRESUME in the guest. */
export const EXIT_REASON_VMRESUME = 24;
/** VMWRITE in the guest. */
export const EXIT_REASON_VMWRITE = 25;
/** VMXOFF in the guest. */
export const EXIT_REASON_VMOFF = 26;
/** VMXON in the guest. */
export const EXIT_REASON_VMON = 27;
/** MOV to/from CRn, CLTS, LMSW; see {@link crAccessQualification}. */
export const EXIT_REASON_CR_ACCESS = 28;
/** MOV to/from DRn ("MOV-DR exiting"). */
export const EXIT_REASON_DR_ACCESS = 29;
/** IN/OUT/INS/OUTS; see {@link ioQualification}. */
export const EXIT_REASON_IO_INSTRUCTION = 30;
/** RDMSR (MSR bitmaps or all MSRs). */
export const EXIT_REASON_MSR_READ = 31;
/** WRMSR (MSR bitmaps or all MSRs). */
export const EXIT_REASON_MSR_WRITE = 32;
/** VM-entry failure due to invalid guest state (reported with bit 31 set). */
export const EXIT_REASON_INVALID_GUEST_STATE = 33;
/** VM-entry failure due to MSR loading (reported with bit 31 set). */
export const EXIT_REASON_MSR_LOAD_FAIL = 34;
/** MWAIT ("MWAIT exiting"). */
export const EXIT_REASON_MWAIT_INSTRUCTION = 36;
/** Monitor trap flag: one guest instruction has completed. */
export const EXIT_REASON_MONITOR_TRAP_FLAG = 37;
/** MONITOR ("MONITOR exiting"). */
export const EXIT_REASON_MONITOR_INSTRUCTION = 39;
/** PAUSE ("PAUSE exiting"). */
export const EXIT_REASON_PAUSE_INSTRUCTION = 40;
/** Machine-check event during VM entry. */
export const EXIT_REASON_MCE_DURING_VMENTRY = 41;
/** EPT violation: a guest-physical access the EPT entry does not permit. */
export const EXIT_REASON_EPT_VIOLATION = 48;
/** EPT misconfiguration: a malformed EPT entry. */
export const EXIT_REASON_EPT_MISCONFIG = 49;
/** VMX-preemption timer expired. */
export const EXIT_REASON_PREEMPTION_TIMER = 52;
/** WBINVD ("WBINVD exiting"). */
export const EXIT_REASON_WBINVD = 54;

/** VM_EXIT_REASON bit 31: the exit is a VM-entry failure. */
export const VMX_EXIT_REASONS_FAILED_VMENTRY = 0x80000000 | 0;

/**
 * Model-only exit: the host's instruction budget for this entry ran out (the time slice of
 * the monitor, not the guest's preemption timer). Above bit 15, so it never collides with an
 * SDM basic exit reason; it is never stored in VM_EXIT_REASON.
 */
export const HOST_EXIT_TIME_SLICE = 0x10000;
/**
 * Model-only exit: the guest executed HLT without "HLT exiting" and is now in the HLT
 * activity state (GUEST_ACTIVITY_STATE = HLT); the host may wait for an event to inject.
 * Never stored in VM_EXIT_REASON.
 */
export const HOST_EXIT_GUEST_HALTED = 0x10001;

/** Exit-reason names for diagnostics. */
export const EXIT_REASON_NAMES: Readonly<Record<number, string>> = {
  0: "EXCEPTION_NMI", 1: "EXTERNAL_INTERRUPT", 2: "TRIPLE_FAULT", 3: "INIT_SIGNAL", 4: "SIPI_SIGNAL",
  7: "INTERRUPT_WINDOW", 8: "NMI_WINDOW", 9: "TASK_SWITCH", 10: "CPUID", 12: "HLT", 13: "INVD",
  14: "INVLPG", 15: "RDPMC", 16: "RDTSC", 18: "VMCALL", 19: "VMCLEAR", 20: "VMLAUNCH", 21: "VMPTRLD",
  22: "VMPTRST", 23: "VMREAD", 24: "VMRESUME", 25: "VMWRITE", 26: "VMOFF", 27: "VMON", 28: "CR_ACCESS",
  29: "DR_ACCESS", 30: "IO_INSTRUCTION", 31: "MSR_READ", 32: "MSR_WRITE", 33: "INVALID_GUEST_STATE",
  34: "MSR_LOAD_FAIL", 36: "MWAIT_INSTRUCTION", 37: "MONITOR_TRAP_FLAG", 39: "MONITOR_INSTRUCTION",
  40: "PAUSE_INSTRUCTION", 41: "MCE_DURING_VMENTRY", 48: "EPT_VIOLATION", 49: "EPT_MISCONFIG",
  52: "PREEMPTION_TIMER", 54: "WBINVD", 0x10000: "HOST_TIME_SLICE", 0x10001: "HOST_GUEST_HALTED",
};

// =====================================================================================
// VM-instruction error numbers (VM_INSTRUCTION_ERROR)
// =====================================================================================

/** VM-instruction error numbers (SDM vol. 3 §31.4). */
export const VMXERR = {
  VMCALL_IN_VMX_ROOT_OPERATION: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NONCLEAR_VMCS: 4,
  VMRESUME_NONLAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELD: 7,
  ENTRY_INVALID_HOST_STATE_FIELD: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_VMCS_REVISION_ID: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_VMCS_COMPONENT: 13,
  VMXON_IN_VMX_ROOT_OPERATION: 15,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_OPERAND_TO_INVEPT_INVVPID: 28,
} as const;

/** Qualification of an EXIT_REASON_INVALID_GUEST_STATE entry failure. */
export const ENTRY_FAIL_DEFAULT = 0;
/** Entry-failure qualification: PDPTE loading failed. */
export const ENTRY_FAIL_PDPTE = 2;
/** Entry-failure qualification: NMI injection blocked. */
export const ENTRY_FAIL_NMI = 3;
/** Entry-failure qualification: invalid VMCS link pointer. */
export const ENTRY_FAIL_VMCS_LINK_PTR = 4;

// =====================================================================================
// VM-execution controls
// =====================================================================================

/** Pin-based VM-execution controls (PIN_BASED_VM_EXEC_CONTROL). */
export const PIN_BASED = {
  /** External interrupts cause EXIT_REASON_EXTERNAL_INTERRUPT. */
  EXT_INTR_MASK: 1 << 0,
  /** NMIs cause EXIT_REASON_EXCEPTION_NMI. */
  NMI_EXITING: 1 << 3,
  /** Virtual NMIs (not supported). */
  VIRTUAL_NMIS: 1 << 5,
  /** Activate the VMX-preemption timer. */
  VMX_PREEMPTION_TIMER: 1 << 6,
  /** Process posted interrupts (not supported). */
  POSTED_INTR: 1 << 7,
} as const;

/** Primary processor-based VM-execution controls (CPU_BASED_VM_EXEC_CONTROL). */
export const CPU_BASED = {
  /** Exit when the guest can take an interrupt. */
  INTR_WINDOW_EXITING: 1 << 2,
  /** Add TSC_OFFSET to guest TSC reads. */
  USE_TSC_OFFSETTING: 1 << 3,
  /** HLT exits. */
  HLT_EXITING: 1 << 7,
  /** INVLPG exits. */
  INVLPG_EXITING: 1 << 9,
  /** MWAIT exits. */
  MWAIT_EXITING: 1 << 10,
  /** RDPMC exits. */
  RDPMC_EXITING: 1 << 11,
  /** RDTSC exits. */
  RDTSC_EXITING: 1 << 12,
  /** MOV to CR3 exits (unless the value is a CR3-target value). */
  CR3_LOAD_EXITING: 1 << 15,
  /** MOV from CR3 exits. */
  CR3_STORE_EXITING: 1 << 16,
  /** MOV to CR8 exits (64-bit only). */
  CR8_LOAD_EXITING: 1 << 19,
  /** MOV from CR8 exits (64-bit only). */
  CR8_STORE_EXITING: 1 << 20,
  /** Use the TPR shadow (64-bit only here). */
  TPR_SHADOW: 1 << 21,
  /** NMI-window exiting. */
  VIRTUAL_NMI_PENDING: 1 << 22,
  /** MOV DR exits. */
  MOV_DR_EXITING: 1 << 23,
  /** Every I/O instruction exits (when I/O bitmaps are not used). */
  UNCOND_IO_EXITING: 1 << 24,
  /** Use I/O bitmaps A/B to select the exiting ports. */
  USE_IO_BITMAPS: 1 << 25,
  /** Monitor trap flag: exit after every guest instruction. */
  MONITOR_TRAP_FLAG: 1 << 27,
  /** Use the MSR bitmap to select the exiting RDMSR/WRMSR. */
  USE_MSR_BITMAPS: 1 << 28,
  /** MONITOR exits. */
  MONITOR_EXITING: 1 << 29,
  /** PAUSE exits. */
  PAUSE_EXITING: 1 << 30,
  /** Use SECONDARY_VM_EXEC_CONTROL. */
  ACTIVATE_SECONDARY_CONTROLS: 1 << 31,
} as const;

/** Secondary processor-based VM-execution controls (SECONDARY_VM_EXEC_CONTROL). */
export const SECONDARY_EXEC = {
  /** Virtualize APIC accesses (not supported). */
  VIRTUALIZE_APIC_ACCESSES: 1 << 0,
  /** Enable EPT. */
  ENABLE_EPT: 1 << 1,
  /** Descriptor-table exiting (not supported). */
  DESC: 1 << 2,
  /** Enable RDTSCP (not supported: a P6 has no RDTSCP). */
  RDTSCP: 1 << 3,
  /** Enable VPID (not supported). */
  ENABLE_VPID: 1 << 5,
  /** WBINVD exiting (not supported). */
  WBINVD_EXITING: 1 << 6,
  /** Unrestricted guest: real mode and unpaged protected mode run directly. */
  UNRESTRICTED_GUEST: 1 << 7,
} as const;

/** VM-exit controls (VM_EXIT_CONTROLS). */
export const VM_EXIT = {
  /** Save DR7 and IA32_DEBUGCTL (default1). */
  SAVE_DEBUG_CONTROLS: 1 << 2,
  /** Host address-space size (64-bit host; not on this IA-32 model). */
  HOST_ADDR_SPACE_SIZE: 1 << 9,
  /** Load IA32_PERF_GLOBAL_CTRL (not supported). */
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 12,
  /** Acknowledge the interrupt controller on an external-interrupt exit and report the vector. */
  ACK_INTR_ON_EXIT: 1 << 15,
  /** Save guest IA32_PAT. */
  SAVE_IA32_PAT: 1 << 18,
  /** Load host IA32_PAT. */
  LOAD_IA32_PAT: 1 << 19,
  /** Save guest IA32_EFER. */
  SAVE_IA32_EFER: 1 << 20,
  /** Load host IA32_EFER. */
  LOAD_IA32_EFER: 1 << 21,
  /** Save the remaining VMX-preemption timer value. */
  SAVE_VMX_PREEMPTION_TIMER: 1 << 22,
} as const;

/** VM-entry controls (VM_ENTRY_CONTROLS). */
export const VM_ENTRY = {
  /** Load DR7 and IA32_DEBUGCTL (default1). */
  LOAD_DEBUG_CONTROLS: 1 << 2,
  /** IA-32e mode guest (not on this IA-32 model). */
  IA32E_MODE: 1 << 9,
  /** Entry to SMM. */
  SMM: 1 << 10,
  /** Deactivate dual-monitor treatment. */
  DEACT_DUAL_MONITOR: 1 << 11,
  /** Load IA32_PERF_GLOBAL_CTRL (not supported). */
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 13,
  /** Load guest IA32_PAT. */
  LOAD_IA32_PAT: 1 << 14,
  /** Load guest IA32_EFER. */
  LOAD_IA32_EFER: 1 << 15,
} as const;

// =====================================================================================
// Interruption information (VM_ENTRY_INTR_INFO_FIELD, VM_EXIT_INTR_INFO, IDT_VECTORING_INFO_FIELD)
// =====================================================================================

/** Vector, bits 7:0. */
export const INTR_INFO_VECTOR_MASK = 0xff;
/** Interruption type, bits 10:8. */
export const INTR_INFO_INTR_TYPE_MASK = 0x700;
/** Shift of the interruption type. */
export const INTR_INFO_INTR_TYPE_SHIFT = 8;
/** Deliver (entry) / has (exit) an error code, bit 11. */
export const INTR_INFO_DELIVER_CODE_MASK = 1 << 11;
/** NMI unblocking due to IRET, bit 12 (exit information). */
export const INTR_INFO_UNBLOCK_NMI = 1 << 12;
/** Valid, bit 31. */
export const INTR_INFO_VALID_MASK = 0x80000000 | 0;

/** Interruption types (bits 10:8 of the interruption-information fields). */
export const INTR_TYPE = {
  EXT_INTR: 0,
  NMI_INTR: 2,
  HARD_EXCEPTION: 3,
  SOFT_INTR: 4,
  PRIV_SW_EXCEPTION: 5,
  SOFT_EXCEPTION: 6,
  OTHER_EVENT: 7,
} as const;

// =====================================================================================
// Guest non-register state
// =====================================================================================

/** GUEST_ACTIVITY_STATE values. */
export const GUEST_ACTIVITY = {
  ACTIVE: 0,
  HLT: 1,
  SHUTDOWN: 2,
  WAIT_SIPI: 3,
} as const;

/** GUEST_INTERRUPTIBILITY_INFO bits. */
export const GUEST_INTR_STATE = {
  STI: 1 << 0,
  MOV_SS: 1 << 1,
  SMI: 1 << 2,
  NMI: 1 << 3,
  ENCLAVE_INTR: 1 << 4,
} as const;

// =====================================================================================
// Capability MSRs
// =====================================================================================

/** IA32_VMX_* capability MSR indices (and IA32_FEATURE_CONTROL). */
export const MSR_IA32_VMX = {
  FEATURE_CONTROL: 0x3a,
  BASIC: 0x480,
  PINBASED_CTLS: 0x481,
  PROCBASED_CTLS: 0x482,
  EXIT_CTLS: 0x483,
  ENTRY_CTLS: 0x484,
  MISC: 0x485,
  CR0_FIXED0: 0x486,
  CR0_FIXED1: 0x487,
  CR4_FIXED0: 0x488,
  CR4_FIXED1: 0x489,
  VMCS_ENUM: 0x48a,
  PROCBASED_CTLS2: 0x48b,
  EPT_VPID_CAP: 0x48c,
  TRUE_PINBASED_CTLS: 0x48d,
  TRUE_PROCBASED_CTLS: 0x48e,
  TRUE_EXIT_CTLS: 0x48f,
  TRUE_ENTRY_CTLS: 0x490,
} as const;

/** CR4.VMXE: fixed to 1 in VMX operation (IA32_VMX_CR4_FIXED0). */
export const X86_CR4_VMXE = 1 << 13;
