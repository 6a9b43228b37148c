/**
 * VMCS field encodings (SDM vol. 3 appendix B), named as in the SDM / linux `asm/vmx.h`.
 *
 * An encoding is `width << 13 | type << 10 | index << 1 | high`: width 0 = 16-bit,
 * 1 = 64-bit, 2 = 32-bit, 3 = natural width; type 0 = control, 1 = VM-exit information
 * (read-only), 2 = guest state, 3 = host state. This model is an IA-32 processor without
 * Intel 64, so natural-width fields are 32 bits wide and a 64-bit field is accessed as two
 * halves: its "full" encoding (bit 0 clear) reads/writes bits 31:0, "full | 1" bits 63:32.
 *
 * The list is exactly the set of fields this model supports; VMREAD/VMWRITE of any other
 * encoding fails with VM-instruction error 12.
 */

// ---- 16-bit guest-state fields
/** Guest ES selector. */
export const GUEST_ES_SELECTOR = 0x0800;
/** Guest CS selector. */
export const GUEST_CS_SELECTOR = 0x0802;
/** Guest SS selector. */
export const GUEST_SS_SELECTOR = 0x0804;
/** Guest DS selector. */
export const GUEST_DS_SELECTOR = 0x0806;
/** Guest FS selector. */
export const GUEST_FS_SELECTOR = 0x0808;
/** Guest GS selector. */
export const GUEST_GS_SELECTOR = 0x080a;
/** Guest LDTR selector. */
export const GUEST_LDTR_SELECTOR = 0x080c;
/** Guest TR selector. */
export const GUEST_TR_SELECTOR = 0x080e;

// ---- 16-bit host-state fields
/** Host ES selector. */
export const HOST_ES_SELECTOR = 0x0c00;
/** Host CS selector. */
export const HOST_CS_SELECTOR = 0x0c02;
/** Host SS selector. */
export const HOST_SS_SELECTOR = 0x0c04;
/** Host DS selector. */
export const HOST_DS_SELECTOR = 0x0c06;
/** Host FS selector. */
export const HOST_FS_SELECTOR = 0x0c08;
/** Host GS selector. */
export const HOST_GS_SELECTOR = 0x0c0a;
/** Host TR selector. */
export const HOST_TR_SELECTOR = 0x0c0c;

// ---- 64-bit control fields (the `| 1` encoding reads or writes the high 32 bits)
/** Host-physical address of I/O bitmap A (ports 0000h-7FFFh). */
export const IO_BITMAP_A = 0x2000;
/** Host-physical address of I/O bitmap B (ports 8000h-FFFFh). */
export const IO_BITMAP_B = 0x2002;
/** Host-physical address of the 4 KiB MSR bitmap page. */
export const MSR_BITMAP = 0x2004;
/** VM-exit MSR-store area address. */
export const VM_EXIT_MSR_STORE_ADDR = 0x2006;
/** VM-exit MSR-load area address. */
export const VM_EXIT_MSR_LOAD_ADDR = 0x2008;
/** VM-entry MSR-load area address. */
export const VM_ENTRY_MSR_LOAD_ADDR = 0x200a;
/** Executive-VMCS pointer (dual-monitor treatment; unused here). */
export const EXECUTIVE_VMCS_POINTER = 0x200c;
/** TSC offset added to the guest's TSC reads when "use TSC offsetting" is 1. */
export const TSC_OFFSET = 0x2010;
/** EPT pointer (EPTP): memory type, page-walk length - 1, PML4 address. */
export const EPT_POINTER = 0x201a;

// ---- 64-bit read-only data fields
/** Guest-physical address of an EPT violation or misconfiguration. */
export const GUEST_PHYSICAL_ADDRESS = 0x2400;

// ---- 64-bit guest-state fields
/** VMCS link pointer (must be all ones: VMCS shadowing is not supported). */
export const VMCS_LINK_POINTER = 0x2800;
/** Guest IA32_DEBUGCTL. */
export const GUEST_IA32_DEBUGCTL = 0x2802;
/** Guest IA32_PAT (loaded/saved with the PAT controls). */
export const GUEST_IA32_PAT = 0x2804;
/** Guest IA32_EFER (loaded/saved with the EFER controls). */
export const GUEST_IA32_EFER = 0x2806;
/** Guest PDPTE 0 (PAE paging with EPT). */
export const GUEST_PDPTR0 = 0x280a;
/** Guest PDPTE 1 (PAE paging with EPT). */
export const GUEST_PDPTR1 = 0x280c;
/** Guest PDPTE 2 (PAE paging with EPT). */
export const GUEST_PDPTR2 = 0x280e;
/** Guest PDPTE 3 (PAE paging with EPT). */
export const GUEST_PDPTR3 = 0x2810;

// ---- 64-bit host-state fields
/** Host IA32_PAT ("load IA32_PAT" exit control). */
export const HOST_IA32_PAT = 0x2c00;
/** Host IA32_EFER ("load IA32_EFER" exit control). */
export const HOST_IA32_EFER = 0x2c02;

// ---- 32-bit control fields
/** Pin-based VM-execution controls. */
export const PIN_BASED_VM_EXEC_CONTROL = 0x4000;
/** Primary processor-based VM-execution controls. */
export const CPU_BASED_VM_EXEC_CONTROL = 0x4002;
/** Exception bitmap: bit n set makes exception vector n exit. */
export const EXCEPTION_BITMAP = 0x4004;
/** #PF error-code mask (with the match, selects which #PFs exit). */
export const PAGE_FAULT_ERROR_CODE_MASK = 0x4006;
/** #PF error-code match. */
export const PAGE_FAULT_ERROR_CODE_MATCH = 0x4008;
/** Number of CR3-target values (at most 4). */
export const CR3_TARGET_COUNT = 0x400a;
/** VM-exit controls. */
export const VM_EXIT_CONTROLS = 0x400c;
/** VM-exit MSR-store count. */
export const VM_EXIT_MSR_STORE_COUNT = 0x400e;
/** VM-exit MSR-load count. */
export const VM_EXIT_MSR_LOAD_COUNT = 0x4010;
/** VM-entry controls. */
export const VM_ENTRY_CONTROLS = 0x4012;
/** VM-entry MSR-load count. */
export const VM_ENTRY_MSR_LOAD_COUNT = 0x4014;
/** VM-entry interruption-information field (event injection). */
export const VM_ENTRY_INTR_INFO_FIELD = 0x4016;
/** Error code delivered with an injected exception. */
export const VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018;
/** Instruction length for injected software interrupts and exceptions. */
export const VM_ENTRY_INSTRUCTION_LEN = 0x401a;
/** Secondary processor-based VM-execution controls. */
export const SECONDARY_VM_EXEC_CONTROL = 0x401e;

// ---- 32-bit read-only data fields
/** VM-instruction error number of the last VMfailValid. */
export const VM_INSTRUCTION_ERROR = 0x4400;
/** Exit reason: basic reason in bits 15:0, bit 31 = VM-entry failure. */
export const VM_EXIT_REASON = 0x4402;
/** VM-exit interruption information (exceptions, NMIs, external interrupts). */
export const VM_EXIT_INTR_INFO = 0x4404;
/** VM-exit interruption error code. */
export const VM_EXIT_INTR_ERROR_CODE = 0x4406;
/** IDT-vectoring information: the event being delivered when the exit happened. */
export const IDT_VECTORING_INFO_FIELD = 0x4408;
/** IDT-vectoring error code. */
export const IDT_VECTORING_ERROR_CODE = 0x440a;
/** Length of the instruction that caused the exit. */
export const VM_EXIT_INSTRUCTION_LEN = 0x440c;
/** VM-exit instruction information (INS/OUTS: address size and segment). */
export const VMX_INSTRUCTION_INFO = 0x440e;

// ---- 32-bit guest-state fields
/** Guest ES limit. */
export const GUEST_ES_LIMIT = 0x4800;
/** Guest CS limit. */
export const GUEST_CS_LIMIT = 0x4802;
/** Guest SS limit. */
export const GUEST_SS_LIMIT = 0x4804;
/** Guest DS limit. */
export const GUEST_DS_LIMIT = 0x4806;
/** Guest FS limit. */
export const GUEST_FS_LIMIT = 0x4808;
/** Guest GS limit. */
export const GUEST_GS_LIMIT = 0x480a;
/** Guest LDTR limit. */
export const GUEST_LDTR_LIMIT = 0x480c;
/** Guest TR limit. */
export const GUEST_TR_LIMIT = 0x480e;
/** Guest GDTR limit. */
export const GUEST_GDTR_LIMIT = 0x4810;
/** Guest IDTR limit. */
export const GUEST_IDTR_LIMIT = 0x4812;
/** Guest ES access rights. */
export const GUEST_ES_AR_BYTES = 0x4814;
/** Guest CS access rights. */
export const GUEST_CS_AR_BYTES = 0x4816;
/** Guest SS access rights. */
export const GUEST_SS_AR_BYTES = 0x4818;
/** Guest DS access rights. */
export const GUEST_DS_AR_BYTES = 0x481a;
/** Guest FS access rights. */
export const GUEST_FS_AR_BYTES = 0x481c;
/** Guest GS access rights. */
export const GUEST_GS_AR_BYTES = 0x481e;
/** Guest LDTR access rights. */
export const GUEST_LDTR_AR_BYTES = 0x4820;
/** Guest TR access rights. */
export const GUEST_TR_AR_BYTES = 0x4822;
/** Guest interruptibility state (STI/MOV SS/SMI/NMI blocking). */
export const GUEST_INTERRUPTIBILITY_INFO = 0x4824;
/** Guest activity state (active, HLT, shutdown, wait-for-SIPI). */
export const GUEST_ACTIVITY_STATE = 0x4826;
/** Guest SMBASE. */
export const GUEST_SMBASE = 0x4828;
/** Guest IA32_SYSENTER_CS. */
export const GUEST_SYSENTER_CS = 0x482a;
/** VMX-preemption timer value. */
export const VMX_PREEMPTION_TIMER_VALUE = 0x482e;

// ---- 32-bit host-state fields
/** Host IA32_SYSENTER_CS. */
export const HOST_IA32_SYSENTER_CS = 0x4c00;

// ---- Natural-width control fields (32 bits on this IA-32 model)
/** CR0 guest/host mask: set bits are owned by the host. */
export const CR0_GUEST_HOST_MASK = 0x6000;
/** CR4 guest/host mask: set bits are owned by the host. */
export const CR4_GUEST_HOST_MASK = 0x6002;
/** CR0 read shadow: what the guest reads in host-owned CR0 bits. */
export const CR0_READ_SHADOW = 0x6004;
/** CR4 read shadow: what the guest reads in host-owned CR4 bits. */
export const CR4_READ_SHADOW = 0x6006;
/** CR3-target value 0. */
export const CR3_TARGET_VALUE0 = 0x6008;
/** CR3-target value 1. */
export const CR3_TARGET_VALUE1 = 0x600a;
/** CR3-target value 2. */
export const CR3_TARGET_VALUE2 = 0x600c;
/** CR3-target value 3. */
export const CR3_TARGET_VALUE3 = 0x600e;

// ---- Natural-width read-only data fields
/** Exit qualification. */
export const EXIT_QUALIFICATION = 0x6400;
/** I/O RCX (SMIs after I/O instructions; always 0 here). */
export const IO_RCX = 0x6402;
/** I/O RSI (SMIs after I/O instructions; always 0 here). */
export const IO_RSI = 0x6404;
/** I/O RDI (SMIs after I/O instructions; always 0 here). */
export const IO_RDI = 0x6406;
/** I/O RIP (SMIs after I/O instructions; always 0 here). */
export const IO_RIP = 0x6408;
/** Guest linear address (INS/OUTS memory operand). */
export const GUEST_LINEAR_ADDRESS = 0x640a;

// ---- Natural-width guest-state fields
/** Guest CR0. */
export const GUEST_CR0 = 0x6800;
/** Guest CR3. */
export const GUEST_CR3 = 0x6802;
/** Guest CR4. */
export const GUEST_CR4 = 0x6804;
/** Guest ES base. */
export const GUEST_ES_BASE = 0x6806;
/** Guest CS base. */
export const GUEST_CS_BASE = 0x6808;
/** Guest SS base. */
export const GUEST_SS_BASE = 0x680a;
/** Guest DS base. */
export const GUEST_DS_BASE = 0x680c;
/** Guest FS base. */
export const GUEST_FS_BASE = 0x680e;
/** Guest GS base. */
export const GUEST_GS_BASE = 0x6810;
/** Guest LDTR base. */
export const GUEST_LDTR_BASE = 0x6812;
/** Guest TR base. */
export const GUEST_TR_BASE = 0x6814;
/** Guest GDTR base. */
export const GUEST_GDTR_BASE = 0x6816;
/** Guest IDTR base. */
export const GUEST_IDTR_BASE = 0x6818;
/** Guest DR7. */
export const GUEST_DR7 = 0x681a;
/** Guest RSP (ESP). */
export const GUEST_RSP = 0x681c;
/** Guest RIP (EIP). */
export const GUEST_RIP = 0x681e;
/** Guest RFLAGS (EFLAGS). */
export const GUEST_RFLAGS = 0x6820;
/** Guest pending debug exceptions. */
export const GUEST_PENDING_DBG_EXCEPTIONS = 0x6822;
/** Guest IA32_SYSENTER_ESP. */
export const GUEST_SYSENTER_ESP = 0x6824;
/** Guest IA32_SYSENTER_EIP. */
export const GUEST_SYSENTER_EIP = 0x6826;

// ---- Natural-width host-state fields
/** Host CR0. */
export const HOST_CR0 = 0x6c00;
/** Host CR3. */
export const HOST_CR3 = 0x6c02;
/** Host CR4. */
export const HOST_CR4 = 0x6c04;
/** Host FS base. */
export const HOST_FS_BASE = 0x6c06;
/** Host GS base. */
export const HOST_GS_BASE = 0x6c08;
/** Host TR base. */
export const HOST_TR_BASE = 0x6c0a;
/** Host GDTR base. */
export const HOST_GDTR_BASE = 0x6c0c;
/** Host IDTR base. */
export const HOST_IDTR_BASE = 0x6c0e;
/** Host IA32_SYSENTER_ESP. */
export const HOST_IA32_SYSENTER_ESP = 0x6c10;
/** Host IA32_SYSENTER_EIP. */
export const HOST_IA32_SYSENTER_EIP = 0x6c12;
/** Host RSP. */
export const HOST_RSP = 0x6c14;
/** Host RIP. */
export const HOST_RIP = 0x6c16;
