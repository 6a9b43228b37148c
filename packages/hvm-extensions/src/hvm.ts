/**
 * The vendor-neutral, monitor-facing side of a hardware-assist model (ARCHITECTURE.md:
 * "configure intercepts → enter guest → get a typed exit → handle → resume"). The Intel VMX
 * model implements it today (`VmxVcpu`); an AMD SVM model (VMCB, #VMEXIT codes) is meant to
 * implement the same interface, so a monitor such as kvm-shim can be written once against
 * `HvmVcpu` and `HvmExit.kind`, and reach for the vendor fields (`VmxExit.reason`,
 * `qualification`…) only where it wants them.
 */

/** What an exit is about, independent of the vendor's exit-reason numbering. */
export type HvmExitKind =
  /** Port I/O: `port`, `size`, `isWrite` (OUT), `value` (OUT data), `string`, `rep`. */
  | "io"
  /** Access to guest-physical memory with no RAM behind it: `gpa`, `size`, `isWrite`, `value`. */
  | "mmio"
  /** CPUID: `index` = leaf (EAX), `value2` = subleaf (ECX). */
  | "cpuid"
  /** RDMSR: `index`. */
  | "msr-read"
  /** WRMSR: `index`, `value` (EAX), `value2` (EDX). */
  | "msr-write"
  /** HLT was intercepted. */
  | "hlt"
  /** The guest is halted (HLT not intercepted) and has nothing to run until an event is injected. */
  | "halted"
  /** VMCALL / VMMCALL. */
  | "hypercall"
  /** An intercepted exception: `vector`, `errorCode` (-1 none). */
  | "exception"
  /** An intercepted NMI. */
  | "nmi"
  /** An external (host) interrupt: `vector` if acknowledged on exit, else -1. */
  | "external-interrupt"
  /** The guest can now take an interrupt (interrupt-window exiting). */
  | "interrupt-window"
  /** Triple fault: the guest would shut down. */
  | "shutdown"
  /** INVLPG was intercepted: `gpa` holds the linear address. */
  | "invlpg"
  /** A control-register access was intercepted. */
  | "cr-access"
  /** RDTSC was intercepted (RDTSC exiting). */
  | "rdtsc"
  /** A second-level translation fault other than a plain missing page (permission, misconfiguration). */
  | "npf"
  /** The guest's preemption timer, or monitor-trap single step, fired. */
  | "preempted"
  /** The host's time slice for this entry ended; resume to continue. */
  | "time-slice"
  /** VM entry failed (bad controls, host or guest state): see the vendor fields. */
  | "entry-failed"
  /** Anything else: see the vendor fields. */
  | "other";

/** A typed exit, as every hardware-assist model reports it. One preallocated object per vCPU. */
export interface HvmExit {
  /** Vendor-neutral classification. */
  kind: HvmExitKind;
  /** Vendor exit code (VMX: basic exit reason; SVM: VMEXIT code). */
  code: number;
  /** Length of the exiting instruction, 0 where the vendor defines none. */
  instructionLength: number;
  /** I/O port. */
  port: number;
  /** Access size in bytes (I/O, MMIO). */
  size: number;
  /** 1 for OUT / MMIO write, 0 for IN / MMIO read. */
  isWrite: number;
  /** Data written (OUT, MMIO write), WRMSR low half. */
  value: number;
  /** WRMSR high half, CPUID subleaf. */
  value2: number;
  /** 1 for INS/OUTS. */
  string: number;
  /** 1 for a REP-prefixed INS/OUTS. */
  rep: number;
  /** Guest-physical address (MMIO / second-level faults) or linear address (INVLPG). */
  gpa: number;
  /** MSR index or CPUID leaf. */
  index: number;
  /** Exception or interrupt vector, -1 if none. */
  vector: number;
  /** Exception error code, -1 if none. */
  errorCode: number;
}

/**
 * One virtual CPU running under a hardware-assist model. Between `enter()` calls the monitor
 * handles the exit, either architecturally (edit the guest registers and instruction pointer,
 * as a real VMX/SVM hypervisor does) or with the `complete*` helpers, which do exactly that
 * for the exit at hand.
 */
export interface HvmVcpu {
  /** Enter the guest and run until the next exit. */
  enter(): HvmExit;
  /** The guest's general-purpose registers EAX..EDI (ESP is also the VMCS/VMCB RSP). */
  readonly regs: Int32Array;
  /** Guest instruction pointer. */
  rip: number;
  /** Advance the guest instruction pointer past the exiting instruction. */
  skipInstruction(): void;
  /** Finish an "io" exit: for IN/INS `value` is the data read; OUT/OUTS just retire. */
  completeIo(value?: number): void;
  /** Finish an "mmio" exit: for a read `value` is the data; the instruction then completes. */
  completeMmio(value?: number): void;
  /** Finish a "cpuid" exit with the four result registers. */
  completeCpuid(eax: number, ebx: number, ecx: number, edx: number): void;
  /** Finish a "msr-read" exit: `ok` false injects #GP(0). */
  completeMsrRead(ok: boolean, lo: number, hi: number): void;
  /** Finish a "msr-write" exit: `ok` false injects #GP(0). */
  completeMsrWrite(ok: boolean): void;
  /**
   * Queue an event for delivery at the next entry: `type` is "external" (maskable
   * interrupt), "nmi", "exception" (with `errorCode`, -1 none) or "soft" (INT n).
   */
  injectEvent(type: "external" | "nmi" | "exception" | "soft", vector: number, errorCode?: number): void;
  /** Whether the guest can take a maskable interrupt right now (IF=1, no STI/MOV SS shadow). */
  readonly interruptible: boolean;
  /** Ask for an "interrupt-window" exit as soon as the guest can take an interrupt. */
  requestInterruptWindow(on: boolean): void;
}
