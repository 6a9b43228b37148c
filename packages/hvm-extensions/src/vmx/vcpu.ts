import { Cr0, ExitReason, Flag, GUEST_EXIT, GUEST_FAULT, Seg, Vec, type Cpu, type Insn, type InterruptController, type MsrHandler } from "@virtkit/cpu";
import * as F from "./fields.js";
import {
  CPU_BASED, EXIT_REASON_CPUID, EXIT_REASON_EPT_MISCONFIG, EXIT_REASON_EPT_VIOLATION, EXIT_REASON_EXCEPTION_NMI,
  EXIT_REASON_EXTERNAL_INTERRUPT, EXIT_REASON_HLT, EXIT_REASON_INTERRUPT_WINDOW, EXIT_REASON_INVALID_GUEST_STATE,
  EXIT_REASON_INVLPG, EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_MONITOR_TRAP_FLAG, EXIT_REASON_MSR_READ,
  EXIT_REASON_MSR_WRITE, EXIT_REASON_PREEMPTION_TIMER, EXIT_REASON_TRIPLE_FAULT, EXIT_REASON_VMCALL,
  EXIT_REASON_CR_ACCESS, EXIT_REASON_RDTSC, GUEST_ACTIVITY, GUEST_INTR_STATE, HOST_EXIT_GUEST_HALTED, HOST_EXIT_TIME_SLICE,
  INTR_INFO_DELIVER_CODE_MASK, INTR_INFO_VALID_MASK, INTR_TYPE, PIN_BASED, SECONDARY_EXEC, VM_ENTRY, VM_EXIT,
  VMX_EXIT_REASONS_FAILED_VMENTRY, VMXERR, X86_CR4_VMXE,
} from "./constants.js";
import { VMCS_REVISION_ID } from "./capabilities.js";
import { checkControls, checkGuest, checkHost, GUEST_SEG_FIELDS, SEG_LDTR, SEG_TR, type EntryCheckEnv } from "./entry-checks.js";
import { EptResult, type Ept } from "./ept.js";
import { decodeAt, findRetiredInvlpg, findRetiredOut, readCode, type Decoded } from "./insn-decode.js";
import { CR_ACCESS_TYPE, crAccessExits, crAccessQualification, eptViolationQualification, ioQualification } from "./qualification.js";
import { VMCS_LAUNCH_STATE, VmxInstructionError, type Vmcs } from "./vmcs.js";
import type { HvmExit, HvmExitKind, HvmVcpu } from "../hvm.js";
import type { Vmx } from "./vmx.js";

/**
 * The physical I/O ports behind the guest: where IN/OUT that the I/O bitmaps do not intercept
 * go (on hardware, straight to the platform). Defaults to an empty bus: reads all ones.
 */
export interface HostIoBus {
  /** Read `size` bytes from `port`. */
  in(port: number, size: number): number;
  /** Write `size` bytes to `port`. */
  out(port: number, size: number, value: number): void;
}

/** Options of a {@link VmxVcpu}. */
export interface VmxVcpuOptions {
  /** Ports the guest reaches when an I/O instruction is not intercepted. */
  hostIo?: HostIoBus;
  /** Host time slice per `enter()`, in guest instructions (default 1,000,000). */
  timeSlice?: number;
}

/** A request this model cannot honour with the CPU it runs on (a host-side configuration error). */
export class VmxUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VmxUnsupportedError";
  }
}

/**
 * A VM exit (or failed VM entry) as the monitor sees it: the SDM's exit-information fields
 * plus the vendor-neutral {@link HvmExit} view. One preallocated object per vCPU, rewritten by
 * every `enter()`.
 */
export class VmxExit implements HvmExit {
  /** Vendor-neutral classification. */
  kind: HvmExitKind = "other";
  /** Basic exit reason (bits 15:0 of VM_EXIT_REASON), or a model-only HOST_EXIT_* value. */
  reason = 0;
  /** Same as `reason` (the {@link HvmExit} name). */
  code = 0;
  /** VM_EXIT_REASON bit 31: this is a VM-entry failure (EXIT_REASON_INVALID_GUEST_STATE…). */
  entryFailure = false;
  /** VMLAUNCH/VMRESUME failed before entering: VM-instruction error number, 0 for VMfailInvalid; -1 otherwise. */
  vmInstructionError = -1;
  /** EXIT_QUALIFICATION. */
  qualification = 0;
  /** VM_EXIT_INSTRUCTION_LEN. */
  instructionLength = 0;
  /** GUEST_PHYSICAL_ADDRESS (EPT exits). */
  guestPhysicalAddress = 0;
  /** GUEST_LINEAR_ADDRESS (INS/OUTS). */
  guestLinearAddress = 0;
  /** VM_EXIT_INTR_INFO. */
  intrInfo = 0;
  /** VM_EXIT_INTR_ERROR_CODE. */
  intrErrorCode = 0;
  /** IDT_VECTORING_INFO_FIELD. */
  idtVectoringInfo = 0;
  /** IDT_VECTORING_ERROR_CODE. */
  idtVectoringErrorCode = 0;
  /** VMX_INSTRUCTION_INFO. */
  instructionInfo = 0;
  /** I/O port. */
  port = 0;
  /** Access size. */
  size = 0;
  /** 1 for OUT / MMIO write. */
  isWrite = 0;
  /** OUT / MMIO-write data, WRMSR EAX. */
  value = 0;
  /** WRMSR EDX, CPUID ECX. */
  value2 = 0;
  /** INS/OUTS. */
  string = 0;
  /** REP prefix on INS/OUTS. */
  rep = 0;
  /** Guest-physical address (EPT) or linear address (INVLPG). */
  gpa = 0;
  /** MSR index or CPUID leaf. */
  index = 0;
  /** Exception / interrupt vector, -1 none. */
  vector = -1;
  /** Exception error code, -1 none. */
  errorCode = -1;
  /** Why an entry failed (VMfail or invalid guest state), for diagnostics. */
  message = "";
}

/** What the exit left for a `complete*` helper to finish. */
const Pending = { NONE: 0, IN: 1, INS: 2, OUT: 3, OUTS: 4, CPUID: 5, RDMSR: 6, WRMSR: 7, MMIO: 8, CR: 9, RDTSC: 10 } as const;

/** CPU-side work deferred to the next entry (it needs the CPU's pending instruction). */
const Deferred = { NONE: 0, INS: 1, MMIO: 2 } as const;

const EMPTY_BUS: HostIoBus = { in: (_p, size) => (size === 4 ? -1 : size === 2 ? 0xffff : 0xff), out: () => undefined };

const code = new Int16Array(3);

/** The decoder's view of an instruction the CPU reports (`Cpu.exitInsn`). */
function fromInsn(i: Insn): Decoded {
  return {
    eip: i.eip, len: i.len, opcode: i.opcode, o32: i.o32, a32: i.a32, seg: i.segOverride !== 0 ? i.seg : -1,
    rep: i.rep, imm: i.imm, linear: 0,
  };
}

/**
 * A VMX logical processor running guests on a `Cpu`: VMXON/VMCLEAR/VMPTRLD/VMREAD/VMWRITE/
 * VMLAUNCH/VMRESUME, and the monitor-facing {@link HvmVcpu} interface.
 *
 * How the exit handlers' RIP advancement maps onto the CPU: every exit leaves GUEST_RIP on the
 * exiting instruction, exactly as hardware does (the CPU's own "retired already" exits, OUT,
 * INVLPG, HLT, INT3, are rewound), and VM_EXIT_INSTRUCTION_LEN holds its length. A handler
 * either emulates the instruction itself (writes `regs` / VMCS fields, then `skipInstruction()`
 * or GUEST_RIP += length) — the real VMX way — or calls the matching `complete*` helper, which
 * does the same. The CPU's own pending-instruction state is never trusted across an entry:
 * the entry loads GUEST_RIP, and an instruction that was not completed simply re-executes (and
 * exits again), as on hardware. Two completions need the CPU itself and are deferred to the
 * next entry: INS (`completeIo`: the store goes through guest paging) and MMIO
 * (`completeMmio`: the model stands in for KVM's instruction emulator, replaying the access
 * with the supplied data).
 */
export class VmxVcpu implements HvmVcpu {
  /** The VMX feature this logical processor belongs to. */
  readonly vmx: Vmx;
  /** The CPU that executes guest code. */
  readonly cpu: Cpu;
  /** The last exit. */
  readonly exit = new VmxExit();
  /** Host time slice per entry, in guest instructions. */
  timeSlice: number;
  /** Ports the guest reaches when I/O is not intercepted. */
  hostIo: HostIoBus;

  private vmxOn = false;
  private current: Vmcs | null = null;

  // ---- per-entry configuration (from the current VMCS)
  private pin = 0;
  private proc = 0;
  private proc2 = 0;
  private exitCtls = 0;
  private guestExceptionBitmap = 0;
  private pfMask = 0;
  private pfMatch = 0;
  private ioBitmapA: Uint8Array | null = null;
  private ioBitmapB: Uint8Array | null = null;
  private msrBitmap: Uint8Array | null = null;
  private ept: Ept | null = null;
  /** TSC offset of the host (what the CPU's tscOffset is outside the guest). */
  private hostTscOffset = 0;
  private guestTscOffset = 0;

  // ---- exit bookkeeping
  private pending: number = Pending.NONE;
  private pendingSize = 0;
  /** The CR-access exit's access type and GPR (for `completeCrAccess`). */
  private crType = 0;
  private crGpr = 0;
  /** The VMCS whose CR-access rules the CPU's hook applies. */
  private crVmcs: Vmcs | null = null;
  /** The CPU's `crAccessHook`: the SDM's CR-access exiting rule on the current VMCS. */
  private readonly crHook = (cr: number, type: number, _gpr: number, value: number): boolean =>
    this.crVmcs !== null && crAccessExits(this.crVmcs, cr, type, value);
  private postRip = 0;
  private postEsi = 0;
  private postEcx = 0;
  private deferred: number = Deferred.NONE;
  private deferredValue = 0;
  private msrForced = false;
  private idtVectoring = 0;
  private idtVectoringError = 0;
  private skipSave = false;
  /** RIP of the last MMIO exit (whose replay-log entries are still wanted). */
  private mmioRip = -1;
  /** The last MMIO exit happened while delivering an injected event. */
  private mmioInDelivery = false;
  /** RIP of the last IN/INS exit. */
  private insRip = -1;

  // ---- physical events from the host platform
  private hostIntrVector = -1;
  private hostNmi = false;

  private readonly msrHooks: MsrHandler;
  private readonly pic: InterruptController;
  private readonly env: EntryCheckEnv;

  constructor(vmx: Vmx, cpu: Cpu, opts: VmxVcpuOptions = {}) {
    this.vmx = vmx;
    this.cpu = cpu;
    this.timeSlice = opts.timeSlice ?? 1_000_000;
    this.hostIo = opts.hostIo ?? EMPTY_BUS;
    this.hostTscOffset = cpu.tscOffset;
    this.msrHooks = {
      read: (index) => {
        if (this.msrIntercepted(index, false)) this.forceMsrExit(ExitReason.Rdmsr, index, 0, 0);
        return false;
      },
      write: (index, lo, hi) => {
        if (this.msrIntercepted(index, true)) this.forceMsrExit(ExitReason.Wrmsr, index, lo, hi);
        return false;
      },
    };
    this.pic = {
      acknowledge: () => {
        // INTR is a level: lower it during INTA, nothing else is pending on the host line.
        const v = this.hostIntrVector;
        this.hostIntrVector = -1;
        cpu.intr = 0;
        return v;
      },
    };
    this.env = {
      hostPageExists: (hpa) => vmx.host.page(hpa) !== undefined,
      eptExists: (hpa) => vmx.eptAt(hpa) !== undefined,
    };
  }

  // =====================================================================================
  // VMX instructions
  // =====================================================================================

  /** VMXON: enter VMX root operation. */
  vmxon(): void {
    if (this.vmxOn) this.failValid(VMXERR.VMXON_IN_VMX_ROOT_OPERATION, "VMXON in VMX root operation");
    this.vmxOn = true;
  }

  /** VMXOFF: leave VMX operation. */
  vmxoff(): void {
    this.vmxOn = false;
    this.current = null;
  }

  /** VMCLEAR: launch state of `vmcs` becomes clear; it stops being current if it was. */
  vmclear(vmcs: Vmcs): void {
    this.requireVmx("VMCLEAR");
    vmcs.clear();
    if (this.current === vmcs) this.current = null;
  }

  /** VMPTRLD: make `vmcs` current (its revision identifier must match IA32_VMX_BASIC). */
  vmptrld(vmcs: Vmcs): void {
    this.requireVmx("VMPTRLD");
    if (this.vmx.vmcsAt(vmcs.address) !== vmcs) this.failValid(VMXERR.VMPTRLD_INVALID_ADDRESS, "VMPTRLD of a VMCS this VMX did not allocate");
    if (vmcs.revisionId !== VMCS_REVISION_ID) {
      this.failValid(VMXERR.VMPTRLD_INCORRECT_VMCS_REVISION_ID, `VMPTRLD: VMCS revision ${vmcs.revisionId} is not this processor's`);
    }
    this.current = vmcs;
  }

  /** VMPTRST: the current VMCS, or null. */
  vmptrst(): Vmcs | null {
    return this.current;
  }

  /** VMREAD from the current VMCS (unsigned value; throws VmxInstructionError). */
  vmread(encoding: number): number {
    return this.requireCurrent("VMREAD").vmread(encoding);
  }

  /** VMWRITE to the current VMCS (throws VmxInstructionError). */
  vmwrite(encoding: number, value: number): void {
    this.requireCurrent("VMWRITE").vmwrite(encoding, value);
  }

  /** VMLAUNCH: enter the guest of a clear VMCS. */
  vmlaunch(): VmxExit {
    return this.vmentry(false);
  }

  /** VMRESUME: re-enter the guest of a launched VMCS. */
  vmresume(): VmxExit {
    return this.vmentry(true);
  }

  /** VMLAUNCH or VMRESUME, whichever the current VMCS's launch state calls for. */
  enter(): VmxExit {
    return this.vmentry(this.current !== null && this.current.launchState === VMCS_LAUNCH_STATE.LAUNCHED);
  }

  // =====================================================================================
  // Monitor-facing helpers (HvmVcpu)
  // =====================================================================================

  /** Guest EAX..EDI, live in the CPU. ESP is GUEST_RSP: the entry loads it from the VMCS. */
  get regs(): Int32Array {
    return this.cpu.regs;
  }

  /** GUEST_RIP of the current VMCS. */
  get rip(): number {
    return this.requireCurrent("rip").get(F.GUEST_RIP) >>> 0;
  }

  set rip(v: number) {
    this.requireCurrent("rip").set(F.GUEST_RIP, v);
  }

  /** GUEST_RIP += VM_EXIT_INSTRUCTION_LEN (wrapping at 64 KiB in 16-bit code). */
  skipInstruction(): void {
    const v = this.requireCurrent("skipInstruction");
    const mask = (v.get(F.GUEST_CS_AR_BYTES) & (1 << 14)) !== 0 ? -1 : 0xffff;
    v.set(F.GUEST_RIP, (v.get(F.GUEST_RIP) + v.get(F.VM_EXIT_INSTRUCTION_LEN)) & mask);
    // The instruction completed: blocking by STI / MOV SS, which covered only it, is over
    // (as a VMM emulating the instruction must clear it, SDM 25.4.2 / 27.3.4).
    v.set(F.GUEST_INTERRUPTIBILITY_INFO, v.get(F.GUEST_INTERRUPTIBILITY_INFO) & ~(GUEST_INTR_STATE.STI | GUEST_INTR_STATE.MOV_SS));
    this.pending = Pending.NONE;
  }

  /** Finish an I/O exit: IN stores `value` in AL/AX/EAX, INS stores it at ES:EDI (next entry); then RIP moves on. */
  completeIo(value = 0): void {
    switch (this.pending) {
      case Pending.IN: {
        const r = this.cpu.regs;
        const s = this.pendingSize;
        r[0] = s === 1 ? (r[0] & ~0xff) | (value & 0xff) : s === 2 ? (r[0] & ~0xffff) | (value & 0xffff) : value | 0;
        this.skipInstruction();
        break;
      }
      case Pending.INS:
        this.deferred = Deferred.INS;
        this.deferredValue = value;
        break;
      case Pending.OUT:
        this.skipInstruction();
        break;
      case Pending.OUTS:
        this.cpu.regs[6] = this.postEsi;
        this.cpu.regs[1] = this.postEcx;
        this.rip = this.postRip;
        break;
      default:
        throw new Error("VmxVcpu.completeIo: the last exit was not an I/O exit");
    }
    this.pending = Pending.NONE;
  }

  /** Finish an EPT exit caused by an access to `exit.gpa`: a read gets `value`; the instruction completes at the next entry. */
  completeMmio(value = 0): void {
    if (this.pending !== Pending.MMIO) throw new Error("VmxVcpu.completeMmio: the last exit was not an EPT violation/misconfiguration");
    this.deferred = Deferred.MMIO;
    this.deferredValue = value;
    this.pending = Pending.NONE;
  }

  /** Finish a CPUID exit. */
  completeCpuid(eax: number, ebx: number, ecx: number, edx: number): void {
    if (this.pending !== Pending.CPUID) throw new Error("VmxVcpu.completeCpuid: the last exit was not CPUID");
    const r = this.cpu.regs;
    r[0] = eax;
    r[3] = ebx;
    r[1] = ecx;
    r[2] = edx;
    this.skipInstruction();
  }

  /**
   * Finish a CR_ACCESS exit the monitor has emulated: for MOV from CR, `value` goes into
   * the destination register (ESP: GUEST_RSP); then RIP moves on. For MOV to CR, CLTS and
   * LMSW the monitor itself updates GUEST_CRn and the read shadows before calling this.
   */
  completeCrAccess(value = 0): void {
    if (this.pending !== Pending.CR) throw new Error("VmxVcpu.completeCrAccess: the last exit was not CR_ACCESS");
    if (this.crType === CR_ACCESS_TYPE.MOV_FROM_CR) {
      if (this.crGpr === 4) this.requireCurrent("completeCrAccess").set(F.GUEST_RSP, value);
      else this.cpu.regs[this.crGpr] = value;
    }
    this.skipInstruction();
  }

  /** Finish an RDTSC exit: EDX:EAX = hi:lo, then RIP moves on. */
  completeRdtsc(lo: number, hi: number): void {
    if (this.pending !== Pending.RDTSC) throw new Error("VmxVcpu.completeRdtsc: the last exit was not RDTSC");
    this.cpu.regs[0] = lo;
    this.cpu.regs[2] = hi;
    this.skipInstruction();
  }

  /** Finish an MSR_READ exit (`ok` false injects #GP(0) instead). */
  completeMsrRead(ok: boolean, lo: number, hi: number): void {
    if (this.pending !== Pending.RDMSR) throw new Error("VmxVcpu.completeMsrRead: the last exit was not MSR_READ");
    if (!ok) {
      this.pending = Pending.NONE;
      this.injectEvent("exception", Vec.GP, 0);
      return;
    }
    this.cpu.regs[0] = lo;
    this.cpu.regs[2] = hi;
    this.skipInstruction();
  }

  /** Finish an MSR_WRITE exit (`ok` false injects #GP(0) instead). */
  completeMsrWrite(ok: boolean): void {
    if (this.pending !== Pending.WRMSR) throw new Error("VmxVcpu.completeMsrWrite: the last exit was not MSR_WRITE");
    if (!ok) {
      this.pending = Pending.NONE;
      this.injectEvent("exception", Vec.GP, 0);
      return;
    }
    this.skipInstruction();
  }

  /**
   * Write VM_ENTRY_INTR_INFO_FIELD (and the error code / instruction length) for the next
   * entry. Exceptions carry `errorCode` only where the SDM delivers one (and never in real
   * mode); "soft" is INT n with an instruction length of 2 unless VM_ENTRY_INSTRUCTION_LEN is set.
   */
  injectEvent(type: "external" | "nmi" | "exception" | "soft", vector: number, errorCode = -1): void {
    const v = this.requireCurrent("injectEvent");
    let info = (vector & 0xff) | INTR_INFO_VALID_MASK;
    switch (type) {
      case "external": info |= INTR_TYPE.EXT_INTR << 8; break;
      case "nmi": info = 2 | (INTR_TYPE.NMI_INTR << 8) | INTR_INFO_VALID_MASK; break;
      case "soft":
        info |= INTR_TYPE.SOFT_INTR << 8;
        if (v.get(F.VM_ENTRY_INSTRUCTION_LEN) === 0) v.set(F.VM_ENTRY_INSTRUCTION_LEN, 2);
        break;
      case "exception": {
        if (vector === Vec.BP || vector === Vec.OF) {
          info |= INTR_TYPE.SOFT_EXCEPTION << 8;
          if (v.get(F.VM_ENTRY_INSTRUCTION_LEN) === 0) v.set(F.VM_ENTRY_INSTRUCTION_LEN, 1);
          break;
        }
        info |= INTR_TYPE.HARD_EXCEPTION << 8;
        const hasCode = vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
        const pe = (v.get(F.GUEST_CR0) & Cr0.PE) !== 0 || (this.secondary(v) & SECONDARY_EXEC.UNRESTRICTED_GUEST) === 0;
        if (hasCode && pe) {
          info |= INTR_INFO_DELIVER_CODE_MASK;
          v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode < 0 ? 0 : errorCode);
        }
        break;
      }
    }
    v.set(F.VM_ENTRY_INTR_INFO_FIELD, info);
  }

  /** Whether the guest (as saved at the last exit) can take a maskable interrupt. */
  get interruptible(): boolean {
    const v = this.requireCurrent("interruptible");
    return (v.get(F.GUEST_RFLAGS) & Flag.IF) !== 0 &&
      (v.get(F.GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE.STI | GUEST_INTR_STATE.MOV_SS)) === 0 &&
      v.get(F.VM_ENTRY_INTR_INFO_FIELD) >= 0;
  }

  /** Set or clear "interrupt-window exiting" in the current VMCS. */
  requestInterruptWindow(on: boolean): void {
    const v = this.requireCurrent("requestInterruptWindow");
    const p = v.get(F.CPU_BASED_VM_EXEC_CONTROL);
    v.set(F.CPU_BASED_VM_EXEC_CONTROL, on ? p | CPU_BASED.INTR_WINDOW_EXITING : p & ~CPU_BASED.INTR_WINDOW_EXITING);
  }

  /**
   * A physical external interrupt arrives (from the host platform, not the guest's devices):
   * with "external-interrupt exiting" it causes EXIT_REASON_EXTERNAL_INTERRUPT (vector reported
   * if "acknowledge interrupt on exit"), otherwise it is delivered through the guest IDT.
   * Recognised at entry and whenever the CPU stops (see README).
   */
  postExternalInterrupt(vector: number): void {
    this.hostIntrVector = vector & 0xff;
  }

  /** A physical NMI arrives: EXCEPTION_NMI exit with NMI exiting, else delivered to the guest. */
  postNmi(): void {
    this.hostNmi = true;
  }

  // =====================================================================================
  // VM entry
  // =====================================================================================

  private vmentry(resume: boolean): VmxExit {
    const x = this.exit;
    this.resetExit();
    if (!this.vmxOn) throw new Error(`${resume ? "VMRESUME" : "VMLAUNCH"} outside VMX operation (#UD)`);
    const v = this.current;
    if (v === null) return this.vmfail(0, "no current VMCS (VMfailInvalid)");
    if (!resume && v.launchState !== VMCS_LAUNCH_STATE.CLEAR) return this.vmfail(VMXERR.VMLAUNCH_NONCLEAR_VMCS, "VMLAUNCH with a non-clear VMCS");
    if (resume && v.launchState !== VMCS_LAUNCH_STATE.LAUNCHED) return this.vmfail(VMXERR.VMRESUME_NONLAUNCHED_VMCS, "VMRESUME with a non-launched VMCS");
    const ctl = checkControls(v, this.env);
    if (ctl !== null) return this.vmfail(VMXERR.ENTRY_INVALID_CONTROL_FIELD, ctl);
    const host = checkHost(v);
    if (host !== null) return this.vmfail(VMXERR.ENTRY_INVALID_HOST_STATE_FIELD, host);
    this.checkModelLimits(v);
    const guest = checkGuest(v, this.pdpteReader);
    if (guest !== null) {
      v.set(F.VM_EXIT_REASON, EXIT_REASON_INVALID_GUEST_STATE | VMX_EXIT_REASONS_FAILED_VMENTRY);
      v.set(F.EXIT_QUALIFICATION, guest.qualification);
      x.kind = "entry-failed";
      x.reason = x.code = EXIT_REASON_INVALID_GUEST_STATE;
      x.entryFailure = true;
      x.qualification = guest.qualification;
      x.message = guest.message;
      return x;
    }
    v.launchState = VMCS_LAUNCH_STATE.LAUNCHED;
    this.configure(v);
    this.loadGuest(v);
    this.pending = Pending.NONE;
    return this.runGuest(v);
  }

  /** VMfailValid (error > 0) or VMfailInvalid (0), as an exit record. */
  private vmfail(error: number, message: string): VmxExit {
    const x = this.exit;
    if (error > 0 && this.current !== null) this.current.set(F.VM_INSTRUCTION_ERROR, error);
    x.kind = "entry-failed";
    x.reason = x.code = -1;
    x.vmInstructionError = error;
    x.message = message;
    return x;
  }

  /** Controls that the SDM allows but this model cannot honour on the current CPU. */
  private checkModelLimits(v: Vmcs): void {
    if (v.get(F.VM_EXIT_MSR_STORE_COUNT) !== 0 || v.get(F.VM_EXIT_MSR_LOAD_COUNT) !== 0 || v.get(F.VM_ENTRY_MSR_LOAD_COUNT) !== 0) {
      throw new VmxUnsupportedError("VM-entry/VM-exit MSR lists are not modelled yet (counts must be 0)");
    }
  }

  /** PDPTE `k` of the PAE table at guest-physical `cr3` (entry checks without EPT). */
  private readonly pdpteReader = (cr3: number, k: number): [number, number] => {
    const a = ((cr3 & ~0x1f) >>> 0) + 8 * k;
    const mem = this.cpu.mem;
    return [mem.read32(a), mem.read32(a + 4)];
  };

  /** Read the controls and point the CPU's intercept knobs at them. */
  private configure(v: Vmcs): void {
    const cpu = this.cpu;
    this.pin = v.get(F.PIN_BASED_VM_EXEC_CONTROL);
    this.proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL);
    this.proc2 = this.secondary(v);
    this.exitCtls = v.get(F.VM_EXIT_CONTROLS);
    this.guestExceptionBitmap = v.get(F.EXCEPTION_BITMAP);
    this.pfMask = v.get(F.PAGE_FAULT_ERROR_CODE_MASK);
    this.pfMatch = v.get(F.PAGE_FAULT_ERROR_CODE_MATCH);
    const host = this.vmx.host;
    if ((this.proc & CPU_BASED.USE_IO_BITMAPS) !== 0) {
      this.ioBitmapA = host.page(v.get(F.IO_BITMAP_A) >>> 0)?.bytes ?? null;
      this.ioBitmapB = host.page(v.get(F.IO_BITMAP_B) >>> 0)?.bytes ?? null;
    }
    this.msrBitmap = (this.proc & CPU_BASED.USE_MSR_BITMAPS) !== 0 ? host.page(v.get(F.MSR_BITMAP) >>> 0)?.bytes ?? null : null;

    // #UD always: VMCALL is decoded as #UD by the CPU. #PF whenever the mask/match rule can select one.
    let bits = this.guestExceptionBitmap | (1 << Vec.UD);
    if ((bits & (1 << Vec.PF)) === 0 && (this.pfMask !== 0 || this.pfMatch !== 0)) bits |= 1 << Vec.PF;
    cpu.exceptionExits = bits;
    cpu.cpuidExits = true;
    cpu.invlpgExits = (this.proc & CPU_BASED.INVLPG_EXITING) !== 0;
    cpu.rdtscExits = (this.proc & CPU_BASED.RDTSC_EXITING) !== 0;
    // CR accesses: the SDM rule (guest/host masks, read shadows, CR3-load/-store exiting and
    // CR3-target values) decides per access; reads of host-owned bits see the read shadows.
    this.crVmcs = v;
    cpu.crAccessHook = this.crHook;
    cpu.cr0ReadMask = v.get(F.CR0_GUEST_HOST_MASK);
    cpu.cr0ReadShadow = v.get(F.CR0_READ_SHADOW);
    cpu.cr4ReadMask = v.get(F.CR4_GUEST_HOST_MASK);
    cpu.cr4ReadShadow = v.get(F.CR4_READ_SHADOW);
    cpu.msrHandler = this.msrHooks;
    cpu.pic = this.pic;

    const eptOn = (this.proc2 & SECONDARY_EXEC.ENABLE_EPT) !== 0;
    this.ept = eptOn ? this.vmx.eptAt((v.get(F.EPT_POINTER) & ~0xfff) >>> 0) ?? null : null;
    if (this.ept !== null && this.ept.mem !== cpu.mem) {
      throw new VmxUnsupportedError("EPT_POINTER names an EPT of another VM's memory than this vCPU's");
    }
    if (this.ept !== null && this.ept.activate()) {
      cpu.space.flushAll();
      cpu.flushCodeCache();
    }
    cpu.mmioExits = eptOn;

    this.guestTscOffset = (this.proc & CPU_BASED.USE_TSC_OFFSETTING) !== 0 ? v.get64(F.TSC_OFFSET) : 0;
    if (this.guestTscOffset >= 2 ** 63) this.guestTscOffset -= 2 ** 64;
    cpu.tscOffset = this.hostTscOffset + this.guestTscOffset;
  }

  private secondary(v: Vmcs): number {
    return (v.get(F.CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.get(F.SECONDARY_VM_EXEC_CONTROL) : 0;
  }

  /** Load the guest-state area into the CPU, touching only what differs (TLB flushes are costly). */
  private loadGuest(v: Vmcs): void {
    const cpu = this.cpu;
    const entry = v.get(F.VM_ENTRY_CONTROLS);
    const cr4 = v.get(F.GUEST_CR4) & ~X86_CR4_VMXE;
    if (cr4 !== cpu.cr4) cpu.setCr4(cr4);
    const cr3 = v.get(F.GUEST_CR3);
    if (cr3 !== cpu.cr3) cpu.setCr3(cr3);
    const cr0 = v.get(F.GUEST_CR0) | Cr0.ET;
    if (cr0 !== cpu.cr0) cpu.setCr0(cr0);
    if ((entry & VM_ENTRY.LOAD_IA32_EFER) !== 0) {
      const efer = v.get(F.GUEST_IA32_EFER);
      if (efer !== cpu.efer) cpu.setEfer(efer);
    }
    if ((entry & VM_ENTRY.LOAD_IA32_PAT) !== 0) {
      cpu.patLo = v.get(F.GUEST_IA32_PAT);
      cpu.patHi = v.get(F.GUEST_IA32_PAT | 1);
    }
    if ((entry & VM_ENTRY.LOAD_DEBUG_CONTROLS) !== 0) cpu.dr[7] = v.get(F.GUEST_DR7);
    const S = GUEST_SEG_FIELDS;
    for (let s = 0; s < 6; s++) {
      const sel = v.get(S.selector[s]);
      const base = v.get(S.base[s]);
      const limit = v.get(S.limit[s]);
      const ar = v.get(S.ar[s]);
      if (sel !== cpu.segSel[s] || base !== cpu.segBase[s] || limit !== cpu.segLimit[s] || ar !== cpu.segAr[s]) {
        cpu.setSegment(s, sel, base, limit, ar);
      }
    }
    cpu.ldtrSel = v.get(S.selector[SEG_LDTR]);
    cpu.ldtrBase = v.get(S.base[SEG_LDTR]);
    cpu.ldtrLimit = v.get(S.limit[SEG_LDTR]);
    cpu.ldtrAr = v.get(S.ar[SEG_LDTR]);
    cpu.trSel = v.get(S.selector[SEG_TR]);
    cpu.trBase = v.get(S.base[SEG_TR]);
    cpu.trLimit = v.get(S.limit[SEG_TR]);
    cpu.trAr = v.get(S.ar[SEG_TR]);
    cpu.setGdtr(v.get(F.GUEST_GDTR_BASE), v.get(F.GUEST_GDTR_LIMIT));
    cpu.setIdtr(v.get(F.GUEST_IDTR_BASE), v.get(F.GUEST_IDTR_LIMIT));
    cpu.sysenterCs = v.get(F.GUEST_SYSENTER_CS) & 0xffff;
    cpu.sysenterEsp = v.get(F.GUEST_SYSENTER_ESP);
    cpu.sysenterEip = v.get(F.GUEST_SYSENTER_EIP);
    const rflags = v.get(F.GUEST_RFLAGS);
    if (rflags !== cpu.getEflags()) cpu.setEflags(rflags);
    cpu.regs[4] = v.get(F.GUEST_RSP);
    cpu.eip = v.get(F.GUEST_RIP);
    const intr = v.get(F.GUEST_INTERRUPTIBILITY_INFO);
    if ((intr & (GUEST_INTR_STATE.STI | GUEST_INTR_STATE.MOV_SS)) !== 0) cpu.setShadow();
    else cpu.shadow = 0;
    cpu.halted = v.get(F.GUEST_ACTIVITY_STATE) === GUEST_ACTIVITY.HLT ? 1 : 0;
    // The guest's own interrupt lines belong to the monitor (it injects); only host events reach INTR/NMI.
    const extExit = (this.pin & PIN_BASED.EXT_INTR_MASK) !== 0;
    cpu.intr = this.hostIntrVector >= 0 && !extExit ? 1 : 0;
    if (this.hostNmi && (this.pin & PIN_BASED.NMI_EXITING) === 0) {
      this.hostNmi = false;
      cpu.nmiPending = 1;
    }
    cpu.interruptWindowExits = (this.proc & CPU_BASED.INTR_WINDOW_EXITING) !== 0 || (this.hostIntrVector >= 0 && extExit);
    cpu.updateEvents();
    if (this.deferred === Deferred.NONE) {
      // No access of a half-done instruction is owed: forget any replay log.
      cpu.mmioLogLen = 0;
      cpu.mmioLogPos = 0;
      this.mmioRip = -1;
    }
  }

  // =====================================================================================
  // Running the guest and translating exits
  // =====================================================================================

  private runGuest(v: Vmcs): VmxExit {
    const cpu = this.cpu;
    let slice = this.timeSlice;
    const timerOn = (this.pin & PIN_BASED.VMX_PREEMPTION_TIMER) !== 0;
    let timer = timerOn ? v.get(F.VMX_PREEMPTION_TIMER_VALUE) >>> 0 : Infinity;
    const mtf = (this.proc & CPU_BASED.MONITOR_TRAP_FLAG) !== 0;
    this.idtVectoring = 0;
    this.idtVectoringError = 0;
    this.skipSave = false;

    // Completions owed by the last exit's handler, then event injection.
    const injecting = v.get(F.VM_ENTRY_INTR_INFO_FIELD) < 0;
    if (this.finishDeferred(v, injecting)) return this.exit;
    if (injecting) {
      if (this.inject(v)) return this.exit;
      if (mtf) return this.vmexit(v, EXIT_REASON_MONITOR_TRAP_FLAG, 0);
    }
    if (timer === 0) return this.vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0);

    for (;;) {
      if (this.hostNmi && (this.pin & PIN_BASED.NMI_EXITING) !== 0) {
        this.hostNmi = false;
        this.exit.intrInfo = 2 | (INTR_TYPE.NMI_INTR << 8) | INTR_INFO_VALID_MASK;
        return this.vmexit(v, EXIT_REASON_EXCEPTION_NMI, 0);
      }
      if (this.hostIntrVector >= 0 && (this.pin & PIN_BASED.EXT_INTR_MASK) !== 0 && cpu.shadow === 0) {
        return this.externalInterruptExit(v);
      }
      if (cpu.halted !== 0) {
        const ifOn = (cpu.getEflags() & Flag.IF) !== 0;
        const wakes = cpu.nmiPending !== 0 || (ifOn && (cpu.intr !== 0 || cpu.interruptWindowExits));
        if (!wakes) return this.vmexit(v, HOST_EXIT_GUEST_HALTED, 0);
      }
      if (timer <= 0) return this.vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0);
      if (slice <= 0) return this.vmexit(v, HOST_EXIT_TIME_SLICE, 0);
      const budget = mtf ? 1 : Math.min(slice, timer);
      const before = cpu.icount;
      const r = cpu.run(budget);
      const ran = cpu.icount - before;
      slice -= ran;
      timer -= ran;
      if (r === ExitReason.Budget) {
        if (mtf) return this.vmexit(v, EXIT_REASON_MONITOR_TRAP_FLAG, 0);
        continue;
      }
      if (this.translate(v, r)) return this.exit;
    }
  }

  /** Finish the completions the last handler asked for. Returns true if that produced an exit. */
  private finishDeferred(v: Vmcs, injecting: boolean): boolean {
    const cpu = this.cpu;
    const d = this.deferred;
    if (d === Deferred.NONE) return false;
    this.deferred = Deferred.NONE;
    cpu.exit.reason = ExitReason.None;
    if (d === Deferred.INS) {
      // Only if the handler left RIP on the INS (otherwise it emulated or skipped it itself).
      if (cpu.pendingInsn === null || cpu.ioPendingSize === 0 || v.get(F.GUEST_RIP) !== this.insRip) return false;
      cpu.completeIo(this.deferredValue);
      return cpu.exit.reason !== ExitReason.None && this.translate(v, cpu.exit.reason);
    }
    if (v.get(F.GUEST_RIP) !== this.mmioRip) {
      cpu.mmioLogLen = 0;
      cpu.mmioLogPos = 0;
      return false;
    }
    cpu.completeMmio(this.deferredValue);
    // An access made by the event delivery itself is replayed by the re-injected delivery.
    if (!injecting || this.mmioInDelivery) return false;
    // An event is to be injected: retire the instruction first, as the emulating hypervisor
    // would have; if it needs another access, the event stays pending in IDT-vectoring info.
    const r = cpu.run(1);
    if (r === ExitReason.Budget || r === ExitReason.None) return false;
    this.idtVectoring = v.get(F.VM_ENTRY_INTR_INFO_FIELD) & ~0x1000;
    this.idtVectoringError = v.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE);
    return this.translate(v, r);
  }

  /** Deliver the VM_ENTRY_INTR_INFO_FIELD event through the guest IDT. Returns true on an exit. */
  private inject(v: Vmcs): boolean {
    const cpu = this.cpu;
    const info = v.get(F.VM_ENTRY_INTR_INFO_FIELD);
    const vector = info & 0xff;
    const type = (info >> 8) & 7;
    const ec = (info & INTR_INFO_DELIVER_CODE_MASK) !== 0 ? v.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
    const len = v.get(F.VM_ENTRY_INSTRUCTION_LEN);
    const mask = cpu.csD !== 0 ? -1 : 0xffff;
    cpu.mmioLogPos = 0;
    cpu.exit.reason = ExitReason.None;
    cpu.delivering = type === INTR_TYPE.HARD_EXCEPTION ? vector : -1;
    try {
      switch (type) {
        case INTR_TYPE.EXT_INTR: cpu.deliver(vector, -1, 0, 1); break;
        case INTR_TYPE.NMI_INTR: cpu.deliver(Vec.NMI, -1, 0, 0); break;
        case INTR_TYPE.HARD_EXCEPTION: cpu.deliver(vector, ec, 0, 0); break;
        case INTR_TYPE.SOFT_INTR:
        case INTR_TYPE.SOFT_EXCEPTION:
          cpu.eip = (cpu.eip + len) & mask;
          cpu.deliver(vector, -1, 1, 0);
          break;
        case INTR_TYPE.PRIV_SW_EXCEPTION:
          cpu.eip = (cpu.eip + len) & mask;
          cpu.deliver(vector, -1, 0, 0);
          break;
        default:
          break; // type 7 (pending MTF): nothing to deliver
      }
      cpu.delivering = -1;
    } catch (err) {
      this.idtVectoring = info & ~0x1000;
      this.idtVectoringError = ec < 0 ? 0 : ec;
      if (err === GUEST_FAULT) {
        const v2 = cpu.pendingVector;
        const e2 = cpu.pendingError;
        cpu.pendingVector = -1;
        // A fault while delivering: an exit if intercepted, else the double-fault rules.
        cpu.deliverOrExit(v2, e2, 0);
        cpu.delivering = -1;
        if (cpu.exit.reason !== ExitReason.None) return this.translate(v, cpu.exit.reason);
        this.idtVectoring = 0;
        this.idtVectoringError = 0;
      } else if (err === GUEST_EXIT) {
        // The IDT or the stack is not RAM: report the EPT exit, keep the pre-injection guest
        // state in the VMCS (the monitor re-injects from IDT-vectoring information).
        cpu.delivering = -1;
        this.skipSave = true;
        return this.translate(v, ExitReason.Mmio);
      } else {
        throw err;
      }
    }
    cpu.mmioLogLen = 0;
    cpu.mmioLogPos = 0;
    return false;
  }

  /** Translate a CPU exit. Returns true if it is a VM exit (false: handled, keep running). */
  private translate(v: Vmcs, r: number): boolean {
    const cpu = this.cpu;
    const cx = cpu.exit;
    const x = this.exit;
    switch (r) {
      case ExitReason.Hlt:
        if ((this.proc & CPU_BASED.HLT_EXITING) !== 0) {
          cpu.halted = 0;
          cpu.eip = (cpu.eip - 1) & (cpu.csD !== 0 ? -1 : 0xffff);
          x.instructionLength = 1;
          this.vmexit(v, EXIT_REASON_HLT, 0);
          return true;
        }
        return false; // the loop reports the HLT activity state

      case ExitReason.IoIn: {
        const i = cpu.pendingInsn;
        const port = cx.port;
        const size = cx.size;
        if (!this.ioIntercepted(port, size)) {
          cpu.exit.reason = ExitReason.None;
          cpu.completeIo(this.hostIo.in(port, size));
          return cpu.exit.reason !== ExitReason.None && this.translate(v, cpu.exit.reason);
        }
        const string = cpu.ioPendingString !== 0;
        const rep = i !== null && i.rep !== 0;
        const imm = i !== null && (i.opcode === 0xe4 || i.opcode === 0xe5);
        x.port = port;
        x.size = size;
        x.isWrite = 0;
        x.string = string ? 1 : 0;
        x.rep = rep ? 1 : 0;
        x.instructionLength = i !== null ? i.len : 0;
        if (string && i !== null) {
          x.guestLinearAddress = (cpu.segBase[Seg.ES] + (cpu.regs[7] & i.amask)) | 0;
          x.instructionInfo = i.a32 << 7;
        }
        this.pending = string ? Pending.INS : Pending.IN;
        this.pendingSize = size;
        this.insRip = cpu.eip;
        this.vmexit(v, EXIT_REASON_IO_INSTRUCTION, ioQualification(port, size, true, string, rep, imm));
        return true;
      }

      case ExitReason.IoOut: {
        const port = cx.port;
        const size = cx.size;
        const value = cx.value;
        if (!this.ioIntercepted(port, size)) {
          this.hostIo.out(port, size, value);
          return false;
        }
        const post = cpu.eip;
        let d: Decoded | null;
        const xi = cpu.exitInsn;
        cpu.exitInsn = null;
        if (xi !== null) {
          // The CPU names the instruction it retired (or left for a REP restart).
          d = fromInsn(xi);
          cpu.repRestart = 0;
        } else if (cpu.repRestart !== 0) {
          // REP OUTS with iterations left: EIP is still on the instruction.
          d = decodeAt(cpu, post);
          cpu.repRestart = 0;
        } else {
          d = findRetiredOut(cpu, post, port, size);
        }
        const string = d !== null && (d.opcode === 0x6e || d.opcode === 0x6f);
        const rep = d !== null && string && d.rep !== 0;
        this.postRip = post;
        this.postEsi = cpu.regs[6];
        this.postEcx = cpu.regs[1];
        if (d !== null) {
          if (string) {
            // The CPU already did this iteration: undo it, the exit comes before it on hardware.
            const delta = (cpu.getEflags() & Flag.DF) !== 0 ? -size : size;
            const am = d.a32 !== 0 ? -1 : 0xffff;
            cpu.regs[6] = (cpu.regs[6] & ~am) | ((cpu.regs[6] - delta) & am);
            if (rep) cpu.regs[1] = (cpu.regs[1] & ~am) | ((cpu.regs[1] + 1) & am);
            const seg = d.seg >= 0 ? d.seg : Seg.DS;
            x.guestLinearAddress = (cpu.segBase[seg] + (cpu.regs[6] & am)) | 0;
            x.instructionInfo = (d.a32 << 7) | (seg << 15);
          }
          cpu.eip = d.eip;
          x.instructionLength = d.len;
        }
        x.port = port;
        x.size = size;
        x.isWrite = 1;
        x.value = value;
        x.string = string ? 1 : 0;
        x.rep = rep ? 1 : 0;
        this.pending = string ? Pending.OUTS : Pending.OUT;
        const imm = d !== null && (d.opcode === 0xe6 || d.opcode === 0xe7);
        this.vmexit(v, EXIT_REASON_IO_INSTRUCTION, ioQualification(port, size, false, string, rep, imm));
        return true;
      }

      case ExitReason.Mmio: {
        const gpa = cx.gpa;
        const write = cx.isWrite !== 0;
        const ept = this.ept;
        const res = ept === null ? EptResult.VIOLATION : ept.check(gpa, write);
        if (res === EptResult.OK && ept !== null && !this.skipSave) {
          // Permitted by the entry but not plain RAM (a read-only or similar page): do the
          // access on the host page and let the instruction continue.
          cpu.completeMmio(this.hostAccess(ept.hostOffset(gpa), cx.size, write, cx.value));
          return false;
        }
        // The CPU's replay log is reset only when a whole block retires: entries left by an
        // earlier instruction of the block would make this one's access happen twice.
        const rip = this.skipSave ? v.get(F.GUEST_RIP) : cpu.eip;
        if (rip !== this.mmioRip || this.skipSave !== this.mmioInDelivery) cpu.mmioLogLen = 0;
        this.mmioRip = rip;
        this.mmioInDelivery = this.skipSave;
        x.gpa = gpa;
        x.guestPhysicalAddress = gpa;
        x.size = cx.size;
        x.isWrite = cx.isWrite;
        x.value = cx.value;
        this.pending = Pending.MMIO;
        if (res === EptResult.MISCONFIG) {
          this.vmexit(v, EXIT_REASON_EPT_MISCONFIG, 0);
        } else {
          const e = ept === null ? 0 : ept.entry(gpa);
          this.vmexit(v, EXIT_REASON_EPT_VIOLATION, eptViolationQualification(write, false, e & 7));
        }
        return true;
      }

      case ExitReason.Exception:
        return this.exceptionExit(v, cx.vector, cx.errorCode);

      case ExitReason.TripleFault:
        if (cpu.hostError !== null) x.message = `host error inside the CPU: ${cpu.hostError.message}`;
        this.vmexit(v, EXIT_REASON_TRIPLE_FAULT, 0);
        return true;

      case ExitReason.Cpuid: {
        x.index = cx.index;
        x.value2 = cx.value2;
        x.instructionLength = cpu.pendingInsn?.len ?? 2;
        this.pending = Pending.CPUID;
        this.vmexit(v, EXIT_REASON_CPUID, 0);
        return true;
      }

      case ExitReason.CrAccess: {
        const cr = cx.index;
        const type = cx.value2 & 3;
        const lmswMemory = (cx.value2 & 0x40) !== 0;
        const gpr = type <= CR_ACCESS_TYPE.MOV_FROM_CR ? (cx.value2 >> 8) & 15 : 0;
        const lmswData = type === CR_ACCESS_TYPE.LMSW ? cx.value : 0;
        this.crType = type;
        this.crGpr = gpr;
        x.index = cr;
        x.value = type === CR_ACCESS_TYPE.MOV_TO_CR || type === CR_ACCESS_TYPE.LMSW ? cx.value : 0;
        x.isWrite = type === CR_ACCESS_TYPE.MOV_FROM_CR ? 0 : 1;
        x.instructionLength = cpu.pendingInsn?.len ?? decodeAt(cpu, cpu.eip)?.len ?? 3;
        this.pending = Pending.CR;
        this.vmexit(v, EXIT_REASON_CR_ACCESS, crAccessQualification(cr, type, gpr, lmswMemory, lmswData));
        return true;
      }

      case ExitReason.Rdtsc:
        x.instructionLength = cpu.pendingInsn?.len ?? 2;
        this.pending = Pending.RDTSC;
        this.vmexit(v, EXIT_REASON_RDTSC, 0);
        return true;

      case ExitReason.Rdmsr:
      case ExitReason.Wrmsr: {
        const read = r === ExitReason.Rdmsr;
        if (!this.msrForced) {
          // Not intercepted and unknown to the processor: #GP(0), as hardware would.
          cpu.exit.reason = ExitReason.None;
          if (read) cpu.completeRdmsr(false, 0, 0);
          else cpu.completeWrmsr(false);
          return cpu.exit.reason !== ExitReason.None && this.translate(v, cpu.exit.reason);
        }
        this.msrForced = false;
        x.index = cx.index;
        x.value = read ? 0 : cx.value;
        x.value2 = read ? 0 : cx.value2;
        x.isWrite = read ? 0 : 1;
        x.instructionLength = cpu.pendingInsn?.len ?? decodeAt(cpu, cpu.eip)?.len ?? 2;
        this.pending = read ? Pending.RDMSR : Pending.WRMSR;
        this.vmexit(v, read ? EXIT_REASON_MSR_READ : EXIT_REASON_MSR_WRITE, 0);
        return true;
      }

      case ExitReason.InterruptWindow:
        if (this.hostIntrVector >= 0 && (this.pin & PIN_BASED.EXT_INTR_MASK) !== 0) {
          this.externalInterruptExit(v);
          return true;
        }
        this.vmexit(v, EXIT_REASON_INTERRUPT_WINDOW, 0);
        return true;

      case ExitReason.Invlpg: {
        const linear = cx.gpa;
        const d = findRetiredInvlpg(cpu, cpu.eip, linear);
        if (d !== null) {
          cpu.eip = d.eip;
          x.instructionLength = d.len;
        }
        x.gpa = linear;
        this.vmexit(v, EXIT_REASON_INVLPG, linear);
        return true;
      }

      default:
        return false;
    }
  }

  /** An exception the CPU reported (vectors in cpu.exceptionExits). */
  private exceptionExit(v: Vmcs, vector: number, errorCode: number): boolean {
    const cpu = this.cpu;
    const x = this.exit;
    if (vector === Vec.UD) {
      readCode(cpu, cpu.eip, code);
      if (code[0] === 0x0f && code[1] === 0x01 && code[2] === 0xc1) {
        x.instructionLength = 3;
        this.vmexit(v, EXIT_REASON_VMCALL, 0);
        return true;
      }
    }
    let intercept = ((this.guestExceptionBitmap >>> vector) & 1) !== 0;
    if (vector === Vec.PF) {
      const match = (errorCode & this.pfMask) === this.pfMatch;
      intercept = intercept ? match : !match;
    }
    if (!intercept) return this.redeliver(v, vector, errorCode);
    let type: number = INTR_TYPE.HARD_EXCEPTION;
    const mask = cpu.csD !== 0 ? -1 : 0xffff;
    if (vector === Vec.BP || vector === Vec.OF) {
      // INT3 / INTO: RIP references the instruction; length 1.
      type = INTR_TYPE.SOFT_EXCEPTION;
      cpu.eip = (cpu.eip - 1) & mask;
      x.instructionLength = 1;
    } else if (vector === Vec.DB && (cpu.getEflags() & Flag.TF) === 0) {
      readCode(cpu, (cpu.eip - 1) & mask, code);
      if (code[0] === 0xf1) {
        type = INTR_TYPE.PRIV_SW_EXCEPTION;
        cpu.eip = (cpu.eip - 1) & mask;
        x.instructionLength = 1;
      }
    }
    x.vector = vector;
    x.errorCode = errorCode;
    x.intrInfo = vector | (type << 8) | (errorCode >= 0 ? INTR_INFO_DELIVER_CODE_MASK : 0) | INTR_INFO_VALID_MASK;
    x.intrErrorCode = errorCode >= 0 ? errorCode : 0;
    const qual = vector === Vec.PF ? cpu.cr2 >>> 0 : vector === Vec.DB ? cpu.dr[6] & 0x600f : 0;
    this.vmexit(v, EXIT_REASON_EXCEPTION_NMI, qual);
    return true;
  }

  /** Deliver an exception the guest does not intercept (the CPU exited for the model's sake). */
  private redeliver(v: Vmcs, vector: number, errorCode: number): boolean {
    const cpu = this.cpu;
    const saved = cpu.exceptionExits;
    cpu.exceptionExits = this.guestExceptionBitmap & ~(1 << vector);
    cpu.exit.reason = ExitReason.None;
    cpu.deliverOrExit(vector, errorCode, 0);
    cpu.exceptionExits = saved;
    return cpu.exit.reason !== ExitReason.None && this.translate(v, cpu.exit.reason);
  }

  private externalInterruptExit(v: Vmcs): VmxExit {
    const x = this.exit;
    const vector = this.hostIntrVector;
    this.hostIntrVector = -1;
    this.cpu.interruptWindowExits = (this.proc & CPU_BASED.INTR_WINDOW_EXITING) !== 0;
    if ((this.exitCtls & VM_EXIT.ACK_INTR_ON_EXIT) !== 0) {
      x.intrInfo = vector | (INTR_TYPE.EXT_INTR << 8) | INTR_INFO_VALID_MASK;
      x.vector = vector;
    }
    return this.vmexit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0);
  }

  /** Perform a permitted access on the host page behind an EPT entry. */
  private hostAccess(off: number, size: number, write: boolean, value: number): number {
    const m = this.cpu.mem.u8;
    if (write) {
      for (let k = 0; k < size; k++) m[off + k] = (value >>> (8 * k)) & 0xff;
      return 0;
    }
    let r = 0;
    for (let k = 0; k < size; k++) r |= m[off + k] << (8 * k);
    return size === 4 ? r | 0 : r;
  }

  private ioIntercepted(port: number, size: number): boolean {
    if ((this.proc & CPU_BASED.USE_IO_BITMAPS) !== 0) {
      for (let p = port; p < port + size; p++) {
        if (p > 0xffff) return true;
        const map = p < 0x8000 ? this.ioBitmapA : this.ioBitmapB;
        if (map === null) return true;
        const bit = p & 0x7fff;
        if ((map[bit >> 3] & (1 << (bit & 7))) !== 0) return true;
      }
      return false;
    }
    return (this.proc & CPU_BASED.UNCOND_IO_EXITING) !== 0;
  }

  private msrIntercepted(index: number, write: boolean): boolean {
    const map = this.msrBitmap;
    if ((this.proc & CPU_BASED.USE_MSR_BITMAPS) === 0 || map === null) return true;
    let base: number;
    if (index >>> 0 <= 0x1fff) base = 0;
    else if ((index >>> 0) >= 0xc0000000 && (index >>> 0) <= 0xc0001fff) base = 0x400;
    else return true;
    if (write) base += 0x800;
    const bit = index & 0x1fff;
    return (map[base + (bit >> 3)] & (1 << (bit & 7))) !== 0;
  }

  private forceMsrExit(reason: number, index: number, lo: number, hi: number): never {
    const x = this.cpu.exit;
    x.reason = reason;
    x.index = index;
    x.value = lo;
    x.value2 = hi;
    this.msrForced = true;
    throw GUEST_EXIT;
  }

  // =====================================================================================
  // VM exit
  // =====================================================================================

  /** Save the guest, fill the exit-information fields and the typed exit. */
  private vmexit(v: Vmcs, reason: number, qualification: number): VmxExit {
    const x = this.exit;
    const hostOnly = reason >= 0x10000;
    if (!this.skipSave) this.saveGuest(v);
    this.skipSave = false;
    this.cpu.tscOffset = this.hostTscOffset;
    x.reason = x.code = reason;
    x.qualification = qualification >>> 0;
    x.idtVectoringInfo = this.idtVectoring;
    x.idtVectoringErrorCode = this.idtVectoringError;
    x.kind = kindOf(reason, x);
    // Every VM exit clears the valid bit of the VM-entry interruption-information field.
    v.set(F.VM_ENTRY_INTR_INFO_FIELD, v.get(F.VM_ENTRY_INTR_INFO_FIELD) & ~INTR_INFO_VALID_MASK);
    if (!hostOnly) {
      v.set(F.VM_EXIT_REASON, reason);
      v.set(F.EXIT_QUALIFICATION, x.qualification);
      v.set(F.VM_EXIT_INSTRUCTION_LEN, x.instructionLength);
      v.set(F.VM_EXIT_INTR_INFO, x.intrInfo);
      v.set(F.VM_EXIT_INTR_ERROR_CODE, x.intrErrorCode);
      v.set(F.IDT_VECTORING_INFO_FIELD, x.idtVectoringInfo);
      v.set(F.IDT_VECTORING_ERROR_CODE, x.idtVectoringErrorCode);
      v.set(F.VMX_INSTRUCTION_INFO, x.instructionInfo);
      v.set(F.GUEST_LINEAR_ADDRESS, x.guestLinearAddress);
      v.set64(F.GUEST_PHYSICAL_ADDRESS, x.guestPhysicalAddress >>> 0);
    } else {
      v.set(F.VM_EXIT_INSTRUCTION_LEN, 0);
    }
    return x;
  }

  /** Store the CPU's state into the guest-state area. */
  private saveGuest(v: Vmcs): void {
    const cpu = this.cpu;
    const S = GUEST_SEG_FIELDS;
    const eflags = cpu.getEflags();
    const v86 = (eflags & Flag.VM) !== 0;
    for (let s = 0; s < 6; s++) {
      v.set(S.selector[s], cpu.segSel[s]);
      v.set(S.base[s], cpu.segBase[s]);
      v.set(S.limit[s], cpu.segLimit[s]);
      // Virtual-8086 segments are always 0xf3 in the VMCS (checked at entry).
      v.set(S.ar[s], v86 ? 0xf3 : cpu.segAr[s]);
    }
    v.set(S.selector[SEG_LDTR], cpu.ldtrSel);
    v.set(S.base[SEG_LDTR], cpu.ldtrBase);
    v.set(S.limit[SEG_LDTR], cpu.ldtrLimit);
    v.set(S.ar[SEG_LDTR], cpu.ldtrAr);
    v.set(S.selector[SEG_TR], cpu.trSel);
    v.set(S.base[SEG_TR], cpu.trBase);
    v.set(S.limit[SEG_TR], cpu.trLimit);
    v.set(S.ar[SEG_TR], cpu.trAr);
    v.set(F.GUEST_GDTR_BASE, cpu.gdtrBase);
    v.set(F.GUEST_GDTR_LIMIT, cpu.gdtrLimit);
    v.set(F.GUEST_IDTR_BASE, cpu.idtrBase);
    v.set(F.GUEST_IDTR_LIMIT, cpu.idtrLimit);
    // CR0.NE and CR4.VMXE are fixed to 1 in VMX operation; the IA-32 core does not keep them.
    v.set(F.GUEST_CR0, cpu.cr0 | Cr0.NE);
    v.set(F.GUEST_CR3, cpu.cr3);
    v.set(F.GUEST_CR4, cpu.cr4 | X86_CR4_VMXE);
    v.set(F.GUEST_DR7, cpu.dr[7]);
    v.set(F.GUEST_RSP, cpu.regs[4]);
    v.set(F.GUEST_RIP, cpu.eip);
    v.set(F.GUEST_RFLAGS, eflags);
    v.set(F.GUEST_SYSENTER_CS, cpu.sysenterCs);
    v.set(F.GUEST_SYSENTER_ESP, cpu.sysenterEsp);
    v.set(F.GUEST_SYSENTER_EIP, cpu.sysenterEip);
    const exit = this.exitCtls;
    if ((exit & VM_EXIT.SAVE_IA32_PAT) !== 0) {
      v.set(F.GUEST_IA32_PAT, cpu.patLo);
      v.set(F.GUEST_IA32_PAT | 1, cpu.patHi);
    }
    if ((exit & VM_EXIT.SAVE_IA32_EFER) !== 0) v.set(F.GUEST_IA32_EFER, cpu.efer);
    v.set(F.GUEST_INTERRUPTIBILITY_INFO, cpu.shadow === 0 ? 0 : (eflags & Flag.IF) !== 0 ? GUEST_INTR_STATE.STI : GUEST_INTR_STATE.MOV_SS);
    v.set(F.GUEST_ACTIVITY_STATE, cpu.halted !== 0 ? GUEST_ACTIVITY.HLT : GUEST_ACTIVITY.ACTIVE);
    v.set(F.GUEST_PENDING_DBG_EXCEPTIONS, 0);
    if ((this.proc2 & SECONDARY_EXEC.ENABLE_EPT) !== 0 && (cpu.cr0 & Cr0.PG) !== 0 && (cpu.cr4 & (1 << 5)) !== 0) {
      const pdptrs = [F.GUEST_PDPTR0, F.GUEST_PDPTR1, F.GUEST_PDPTR2, F.GUEST_PDPTR3];
      for (let k = 0; k < 4; k++) {
        v.set(pdptrs[k], cpu.space.pdpteLo(k));
        v.set(pdptrs[k] | 1, cpu.space.pdpteHi(k));
      }
    }
    if ((exit & VM_EXIT.SAVE_VMX_PREEMPTION_TIMER) !== 0) {
      // The timer counted retired instructions since the entry.
      const left = Math.max(0, (v.get(F.VMX_PREEMPTION_TIMER_VALUE) >>> 0) - (this.cpu.icount - this.entryIcount));
      v.set(F.VMX_PREEMPTION_TIMER_VALUE, left);
    }
    this.hostTscOffset = cpu.tscOffset - this.guestTscOffset;
  }

  /** icount at the last entry (for the saved preemption-timer value). */
  private entryIcount = 0;

  private resetExit(): void {
    const x = this.exit;
    x.kind = "other";
    x.reason = x.code = 0;
    x.entryFailure = false;
    x.vmInstructionError = -1;
    x.qualification = 0;
    x.instructionLength = 0;
    x.guestPhysicalAddress = 0;
    x.guestLinearAddress = 0;
    x.intrInfo = 0;
    x.intrErrorCode = 0;
    x.idtVectoringInfo = 0;
    x.idtVectoringErrorCode = 0;
    x.instructionInfo = 0;
    x.port = 0;
    x.size = 0;
    x.isWrite = 0;
    x.value = 0;
    x.value2 = 0;
    x.string = 0;
    x.rep = 0;
    x.gpa = 0;
    x.index = 0;
    x.vector = -1;
    x.errorCode = -1;
    x.message = "";
    this.entryIcount = this.cpu.icount;
  }

  private requireVmx(what: string): void {
    if (!this.vmxOn) throw new Error(`${what} outside VMX operation (#UD)`);
  }

  private requireCurrent(what: string): Vmcs {
    this.requireVmx(what);
    if (this.current === null) throw new VmxInstructionError(0, `${what}: no current VMCS (VMfailInvalid)`);
    return this.current;
  }

  private failValid(error: number, message: string): never {
    if (this.current !== null) this.current.set(F.VM_INSTRUCTION_ERROR, error);
    throw new VmxInstructionError(error, message);
  }
}

/** The vendor-neutral kind of a VMX exit. */
function kindOf(reason: number, x: VmxExit): HvmExitKind {
  switch (reason) {
    case EXIT_REASON_EXCEPTION_NMI: return ((x.intrInfo >> 8) & 7) === INTR_TYPE.NMI_INTR ? "nmi" : "exception";
    case EXIT_REASON_EXTERNAL_INTERRUPT: return "external-interrupt";
    case EXIT_REASON_TRIPLE_FAULT: return "shutdown";
    case EXIT_REASON_INTERRUPT_WINDOW: return "interrupt-window";
    case EXIT_REASON_CPUID: return "cpuid";
    case EXIT_REASON_HLT: return "hlt";
    case EXIT_REASON_INVLPG: return "invlpg";
    case EXIT_REASON_VMCALL: return "hypercall";
    case EXIT_REASON_CR_ACCESS: return "cr-access";
    case EXIT_REASON_RDTSC: return "rdtsc";
    case EXIT_REASON_IO_INSTRUCTION: return "io";
    case EXIT_REASON_MSR_READ: return "msr-read";
    case EXIT_REASON_MSR_WRITE: return "msr-write";
    // A violation on a page the EPT allows nothing on is plain MMIO; otherwise a permission fault.
    case EXIT_REASON_EPT_VIOLATION: return (x.qualification & 0x38) === 0 ? "mmio" : "npf";
    case EXIT_REASON_EPT_MISCONFIG: return "mmio";
    case EXIT_REASON_MONITOR_TRAP_FLAG:
    case EXIT_REASON_PREEMPTION_TIMER: return "preempted";
    case HOST_EXIT_TIME_SLICE: return "time-slice";
    case HOST_EXIT_GUEST_HALTED: return "halted";
    default: return "other";
  }
}
