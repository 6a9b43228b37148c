/** Segment register numbers, in the x86 encoding order (ModRM.reg of MOV Sreg). */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;

/** General-purpose register numbers, in the x86 encoding order. */
export const Reg = { EAX: 0, ECX: 1, EDX: 2, EBX: 3, ESP: 4, EBP: 5, ESI: 6, EDI: 7 } as const;

/** EFLAGS bits. */
export const Flag = {
  CF: 1 << 0,
  /** Bit 1 always reads as 1. */
  FIXED: 1 << 1,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** The six arithmetic status flags. */
export const STATUS_FLAGS = 0x8d5;

/** CR0 bits. */
export const Cr0 = {
  PE: 1 << 0, MP: 1 << 1, EM: 1 << 2, TS: 1 << 3, ET: 1 << 4, NE: 1 << 5,
  WP: 1 << 16, AM: 1 << 18, NW: 1 << 29, CD: 1 << 30, PG: 1 << 31,
} as const;

/** CR4 bits (those a P6 has). */
export const Cr4 = {
  VME: 1 << 0, PVI: 1 << 1, TSD: 1 << 2, DE: 1 << 3, PSE: 1 << 4, PAE: 1 << 5,
  MCE: 1 << 6, PGE: 1 << 7, PCE: 1 << 8, OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10,
} as const;

/** Exception vectors (SDM vol. 3, table 6-1). */
export const Vec = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12,
  GP: 13, PF: 14, MF: 16, AC: 17, MC: 18, XM: 19,
} as const;

/** Segment access rights in the VMX "access rights" layout. */
export const Ar = {
  TYPE_MASK: 0xf,
  /** Data: write-enable; code: read-enable. */
  TYPE_RW: 2,
  /** Data: expand-down; code: conforming. */
  TYPE_EC: 4,
  TYPE_CODE: 8,
  ACCESSED: 1,
  S: 1 << 4,
  DPL_SHIFT: 5,
  P: 1 << 7,
  AVL: 1 << 12,
  DB: 1 << 14,
  G: 1 << 15,
  UNUSABLE: 1 << 16,
} as const;

/** Model-specific registers the core itself implements. */
export const Msr = {
  IA32_TIME_STAMP_COUNTER: 0x10,
  IA32_PLATFORM_ID: 0x17,
  IA32_BIOS_SIGN_ID: 0x8b,
  IA32_APIC_BASE: 0x1b,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
  IA32_MISC_ENABLE: 0x1a0,
  IA32_PAT: 0x277,
  IA32_EFER: 0xc0000080,
} as const;

/** Why `Cpu.run` returned. */
export const ExitReason = {
  /** The requested instruction(s) completed; nothing to report. */
  None: 0,
  /** The instruction budget was used up. */
  Budget: 1,
  /** HLT executed (EIP is after it). */
  Hlt: 2,
  /** IN/INS: supply the value with `completeIo` (EIP is still at the instruction). */
  IoIn: 3,
  /** OUT/OUTS: `exit.value` holds the data (the instruction has retired). */
  IoOut: 4,
  /** Access to an unclaimed guest-physical address (see `Cpu.mmioExits`). */
  Mmio: 5,
  /** An exception whose vector is set in `exceptionExits`. */
  Exception: 6,
  /** A triple fault: the processor would shut down. */
  TripleFault: 7,
  /** CPUID executed with `cpuidExits` set; complete with `completeCpuid`. */
  Cpuid: 8,
  /** RDMSR of an MSR the embedder did not supply; complete with `completeRdmsr`. */
  Rdmsr: 9,
  /** WRMSR of an MSR the embedder did not supply; complete with `completeWrmsr`. */
  Wrmsr: 10,
  /** An interrupt window opened (`interruptWindowExits` set and IF=1 with no shadow). */
  InterruptWindow: 11,
  /** INVLPG executed with `invlpgExits` set. */
  Invlpg: 12,
  /**
   * A control-register access that `Cpu.crAccessHook` claimed (EIP is still at the
   * instruction): `exit.index` = CR number, `exit.value` = value written (MOV to CR) or LMSW
   * source, `exit.value2` = access type (bits 1:0: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW)
   * | 0x40 for an LMSW memory operand | GPR << 8. Complete with `completeCrAccess`.
   */
  CrAccess: 13,
  /** RDTSC executed with `rdtscExits` set (EIP is still at it); complete with `completeRdtsc`. */
  Rdtsc: 14,
} as const;
export type ExitReasonCode = (typeof ExitReason)[keyof typeof ExitReason];
