import { AddressSpace, TlbFlag, type PhysicalMemory } from "@virtkit/mmu";
import { Ar, Cr0, Cr4, ExitReason, Flag, Seg, STATUS_FLAGS, Vec } from "./constants.js";
import { LazyOp, PARITY } from "./flags.js";
import { Block, type Insn } from "./insn.js";
import { decodeBlock, type Decoder, createDecoder } from "./decoder.js";
import { defaultCpuid, type CpuidFunction } from "./cpuid.js";
import * as sys from "./system.js";
import { Fpu } from "./fpu/fpu.js";

/** Bias that turns an unsigned 32-bit comparison into a signed one: (a ^ B) < (b ^ B). */
const B = 0x80000000 | 0;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("@virtkit/cpu needs a little-endian host");
}

/**
 * The one object thrown to unwind a guest fault out of an instruction (never allocated per
 * fault). The details live in the Cpu (`pendingVector`, `pendingError`).
 */
export const GUEST_FAULT: Error = Object.freeze(new Error("guest fault (internal unwinding sentinel)"));

/** Thrown to abandon an instruction because it needs an exit (MMIO) before it can finish. */
export const GUEST_EXIT: Error = Object.freeze(new Error("guest exit (internal unwinding sentinel)"));

/** Details of the last exit from `Cpu.run`. Preallocated and reused. */
export class CpuExit {
  /** An `ExitReason`. */
  reason = 0;
  /** Exception vector (Exception exits). */
  vector = 0;
  /** Exception error code, or -1 when the exception has none. */
  errorCode = -1;
  /** I/O port. */
  port = 0;
  /** Access size in bytes (I/O, MMIO). */
  size = 0;
  /** Data written (IoOut, MMIO writes). */
  value = 0;
  /** Guest-physical address (MMIO). */
  gpa = 0;
  /** 1 for an MMIO write, 0 for a read. */
  isWrite = 0;
  /** MSR index (Rdmsr/Wrmsr) or CPUID leaf (Cpuid). */
  index = 0;
  /** WRMSR high half, CPUID subleaf. */
  value2 = 0;
}

/** The embedder's MSR hooks: return true if handled. Unhandled MSRs cause Rdmsr/Wrmsr exits or #GP. */
export interface MsrHandler {
  /** Read an MSR into `out[0]` (low) and `out[1]` (high). */
  read(index: number, out: Int32Array): boolean;
  /** Write an MSR. */
  write(index: number, lo: number, hi: number): boolean;
}

/** The interrupt controller interface the CPU uses to take a maskable interrupt. */
export interface InterruptController {
  /** Called when the CPU accepts INTR: returns the vector (the INTA cycle). */
  acknowledge(): number;
}

/** Options for constructing a Cpu. */
export interface CpuOptions {
  /** CPUID provider; defaults to a P6-class CPU (`defaultCpuid`). */
  cpuid?: CpuidFunction;
  /** MSR hooks tried before the core's own MSRs. */
  msr?: MsrHandler;
}

/** A per-host-page cache of decoded blocks. */
class CodePage {
  readonly blocks: (Block | undefined)[] = new Array<Block | undefined>(4096);
  count = 0;
}

/**
 * An IA-32 vCPU of the P6 family. Architectural state lives in typed arrays and int32 fields;
 * `run` executes decoded basic blocks until an exit.
 */
export class Cpu {
  /** Guest physical memory. */
  readonly mem: PhysicalMemory;
  /** Linear→physical translation and TLB of this vCPU. */
  readonly space: AddressSpace;
  /** EAX ECX EDX EBX ESP EBP ESI EDI, then index 8 which is always 0. */
  readonly regs = new Int32Array(9);
  /** 16-bit view of `regs` (AX = r16[0], CX = r16[2], …). */
  readonly r16 = new Uint16Array(this.regs.buffer);
  /** 8-bit view of `regs` (AL = r8[0], AH = r8[1], CL = r8[4], …). */
  readonly r8 = new Uint8Array(this.regs.buffer);
  /** Instruction pointer (offset in CS). */
  eip = 0;
  /** The x87 floating-point unit. */
  readonly fpu = new Fpu();

  // ---- EFLAGS: `flags` holds every bit; the six status flags in `lazy` are stale and
  // are computed from the lazy record.
  /** EFLAGS, except the status flags listed in `lazy`. */
  flags = Flag.FIXED;
  /** Status flags currently held in the lazy record. */
  lazy = 0;
  /** Lazy record: operation (LazyOp). */
  lfOp = 0;
  /** Lazy record: first operand. */
  lfA = 0;
  /** Lazy record: second operand. */
  lfB = 0;
  /** Lazy record: result. */
  lfRes = 0;
  /** Lazy record: operand-size mask. */
  lfMask = -1;
  /** Lazy record: sign bit. */
  lfSign = B;

  // ---- Segment registers: descriptor caches.
  /** Selectors. */
  readonly segSel = new Int32Array(6);
  /** Bases. */
  readonly segBase = new Int32Array(6);
  /** Limits (byte granular, as uint32 in int32). */
  readonly segLimit = new Int32Array(6);
  /** Access rights (VMX layout). */
  readonly segAr = new Int32Array(6);
  /** Biased (x ^ 0x80000000) lowest/highest readable offsets, per segment. */
  readonly segRLo = new Int32Array(6);
  readonly segRHi = new Int32Array(6);
  /** Biased lowest/highest writable offsets, per segment (empty range if not writable). */
  readonly segWLo = new Int32Array(6);
  readonly segWHi = new Int32Array(6);

  /** GDTR/IDTR. */
  gdtrBase = 0;
  gdtrLimit = 0xffff;
  idtrBase = 0;
  idtrLimit = 0x3ff;
  /** LDTR and TR (selector + descriptor cache). */
  ldtrSel = 0;
  ldtrBase = 0;
  ldtrLimit = 0;
  ldtrAr = Ar.UNUSABLE;
  trSel = 0;
  trBase = 0;
  trLimit = 0;
  trAr = 0x8b;

  /** Control registers. */
  cr0 = Cr0.ET;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** Debug registers DR0..DR7 (DR4/5 alias DR6/7). */
  readonly dr = new Int32Array(8);
  /** IA32_EFER (only NXE is meaningful here). */
  efer = 0;
  /** SYSENTER MSRs. */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  /** IA32_PAT (low, high). */
  patLo = 0x00070406;
  patHi = 0x00070406;
  /** IA32_APIC_BASE (low half; the embedder's APIC model owns its meaning). */
  apicBase = 0xfee00900 | 0;
  /** MTRR and other stored-but-inert MSRs. */
  readonly msrStore = new Map<number, bigint>();
  /** Microcode revision reported in IA32_BIOS_SIGN_ID (EDX). */
  microcodeRevision = 1;
  /** Time-stamp counter offset: TSC = icount + tscOffset (deterministic). */
  tscOffset = 0;

  /** Current privilege level. */
  cpl = 0;
  /** CR0.PE. */
  pe = 0;
  /** EFLAGS.VM. */
  vm = 0;
  /** CS.D: default operand/address size 32. */
  csD = 0;
  /** SS.B: 32-bit stack pointer. */
  ssB = 0;
  /** Stack-pointer mask (0xffff or -1). */
  spMask = 0xffff;

  // ---- Memory fast path.
  /** The TLB entries (see @virtkit/mmu TlbFlag). */
  readonly tlb: Int32Array;
  readonly m8: Uint8Array;
  readonly m16: Uint16Array;
  readonly m32: Int32Array;
  readonly dv: DataView;
  /** TLB bit that allows a data read at the current CPL. */
  rbit: number = TlbFlag.Valid;
  /** TLB bit that allows a fast write at the current CPL. */
  wbit: number = TlbFlag.WriteSuper;
  /** TLB bits that allow an instruction fetch at the current CPL. */
  xmask: number = TlbFlag.Valid | TlbFlag.Exec;
  /** 1 when alignment checking is live (CR0.AM, EFLAGS.AC, CPL 3). */
  ac = 0;

  // ---- Execution.
  /** Retired instruction count (virtual time). */
  icount = 0;
  /** Exit details. */
  readonly exit = new CpuExit();
  /** Exception vectors (bit n) that exit instead of being delivered. */
  exceptionExits = 0;
  /** Exit on CPUID instead of answering from `cpuid`. */
  cpuidExits = false;
  /** Exit when IF=1 and no interrupt shadow at an instruction boundary. */
  interruptWindowExits = false;
  /** Exit on INVLPG (after performing it). */
  invlpgExits = false;
  /** Exit on RDTSC before it executes (complete with `completeRdtsc`). */
  rdtscExits = false;
  /**
   * Control-register access hook, called after the privilege checks of MOV to/from
   * CR0/CR3/CR4, CLTS and LMSW (not SMSW): `type` 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW;
   * `gpr` the register of a MOV (LMSW: the r/m register, or -1 for a memory operand);
   * `value` the value written (MOV to CR) or the LMSW source, else 0. Returning true makes
   * the instruction exit with `ExitReason.CrAccess` instead of executing.
   */
  crAccessHook: ((cr: number, type: number, gpr: number, value: number) => boolean) | null = null;
  /** CR0 bits whose reads (MOV from CR0, SMSW) come from `cr0ReadShadow` (0: no shadowing). */
  cr0ReadMask = 0;
  /** Values read for the `cr0ReadMask` bits. */
  cr0ReadShadow = 0;
  /** CR4 bits whose reads (MOV from CR4) come from `cr4ReadShadow` (0: no shadowing). */
  cr4ReadMask = 0;
  /** Values read for the `cr4ReadMask` bits. */
  cr4ReadShadow = 0;
  /** Accesses to unmapped guest-physical pages exit (KVM_EXIT_MMIO style) instead of reading all ones. */
  mmioExits = false;
  /** INTR line from the interrupt controller. */
  intr = 0;
  /** NMI pending. */
  nmiPending = 0;
  /** Interrupt controller answering INTA. */
  pic: InterruptController | null = null;
  /** One-instruction interrupt shadow after STI / MOV SS / POP SS. */
  shadow = 0;
  /** Set while the CPU is halted (HLT until an interrupt). */
  halted = 0;
  /** Non-zero when the run loop must take its slow path at the next boundary. */
  events = 0;
  /** CPUID provider. */
  cpuidFn: CpuidFunction;
  /** Embedder MSR hooks. */
  msrHandler: MsrHandler | null;

  /** Pending exception (set before GUEST_FAULT is thrown). */
  pendingVector = -1;
  pendingError = -1;
  /** 1 if the pending exception is a trap (EIP already after the instruction). */
  pendingTrap = 0;
  /** Exception currently being delivered (for double-fault rules), -1 if none. */
  delivering = -1;

  /** Pending IN completion: register width (0 none) and kind. */
  ioPendingSize = 0;
  ioPendingString = 0;
  /** The instruction that exited for IN/CPUID/RDMSR completion. */
  pendingInsn: Insn | null = null;
  /**
   * The instruction behind the last exit that happens after retirement (OUT/OUTS, HLT,
   * INVLPG): its `eip` and `len` let a VMX model report VM_EXIT_INSTRUCTION_LEN and rewind.
   */
  exitInsn: Insn | null = null;
  /** MMIO replay log for the current instruction: [gpa, size, isWrite, value] records. */
  readonly mmioLog = new Float64Array(32);
  mmioLogLen = 0;
  mmioLogPos = 0;

  /** Block currently executing. */
  curBlock: Block | null = null;
  /** A REP string instruction was interrupted and must resume (for `step`). */
  repRestart = 0;
  /** Scratch for CPUID/MSR results. */
  readonly scratch = new Int32Array(4);
  /** Scratch for POPA. */
  readonly scratch8 = new Int32Array(8);
  /** Low/high halves of the last 32x32 multiplication. */
  mulLo = 0;
  mulHi = 0;

  private readonly codePages: (CodePage | undefined)[] = [];
  private readonly decoder: Decoder;
  /** Hook a block translator or tracer can use: called before each block when set. */
  traceHook: ((cpu: Cpu) => void) | null = null;

  constructor(mem: PhysicalMemory, opts: CpuOptions = {}) {
    this.mem = mem;
    this.space = new AddressSpace(mem);
    this.tlb = this.space.tlb;
    this.m8 = mem.u8;
    this.m16 = mem.u16;
    this.m32 = mem.i32;
    this.dv = mem.view;
    this.cpuidFn = opts.cpuid ?? defaultCpuid;
    this.msrHandler = opts.msr ?? null;
    this.decoder = createDecoder();
    mem.addWriteWatchListener((gpage, hostPage) => {
      this.invalidateCode(gpage, hostPage);
    });
    this.reset();
  }

  // =====================================================================================
  // Reset and state access
  // =====================================================================================

  /** Power-on/RESET state (SDM vol. 3 table 9-1): real mode at F000:FFF0. */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = 0x600; // EDX: family 6 signature
    this.eip = 0xfff0;
    this.flags = Flag.FIXED;
    this.lazy = 0;
    this.cr0 = Cr0.ET | Cr0.CD | Cr0.NW;
    this.cr2 = 0;
    this.cr3 = 0;
    this.cr4 = 0;
    this.efer = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.pe = 0;
    this.vm = 0;
    for (let s = 0; s < 6; s++) this.setSegment(s, 0, 0, 0xffff, 0x93);
    this.setSegment(Seg.CS, 0xf000, 0xffff0000 | 0, 0xffff, 0x9b);
    this.gdtrBase = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBase = 0;
    this.idtrLimit = 0xffff;
    this.ldtrSel = 0;
    this.ldtrBase = 0;
    this.ldtrLimit = 0xffff;
    this.ldtrAr = 0x82;
    this.trSel = 0;
    this.trBase = 0;
    this.trLimit = 0xffff;
    this.trAr = 0x8b;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.shadow = 0;
    this.halted = 0;
    this.nmiPending = 0;
    this.ioPendingSize = 0;
    this.pendingInsn = null;
    this.mmioLogLen = 0;
    this.repRestart = 0;
    this.delivering = -1;
    this.fpu.reset();
    this.syncPaging();
    this.space.flushAll();
    this.updateMode();
  }

  /** Full EFLAGS value. */
  getEflags(): number {
    return this.materialize();
  }

  /** Load EFLAGS (all bits; no privilege checks: this is the embedder's/debugger's view). */
  setEflags(v: number): void {
    this.flags = (v & 0x3f7fd7) | Flag.FIXED;
    this.lazy = 0;
    this.updateMode();
  }

  /** Compute every lazy status flag into `flags` and return EFLAGS. */
  materialize(): number {
    const lz = this.lazy;
    if (lz !== 0) {
      let f = this.flags & ~lz;
      if ((lz & Flag.CF) !== 0 && this.getCF()) f |= Flag.CF;
      if ((lz & Flag.PF) !== 0) f |= PARITY[this.lfRes & 0xff];
      if ((lz & Flag.AF) !== 0) f |= (this.lfA ^ this.lfB ^ this.lfRes) & Flag.AF;
      if ((lz & Flag.ZF) !== 0 && (this.lfRes & this.lfMask) === 0) f |= Flag.ZF;
      if ((lz & Flag.SF) !== 0 && (this.lfRes & this.lfSign) !== 0) f |= Flag.SF;
      if ((lz & Flag.OF) !== 0 && this.getOF()) f |= Flag.OF;
      this.flags = f;
      this.lazy = 0;
    }
    return this.flags;
  }

  /** CF. */
  getCF(): boolean {
    if ((this.lazy & Flag.CF) === 0) return (this.flags & Flag.CF) !== 0;
    const m = this.lfMask;
    switch (this.lfOp) {
      case LazyOp.ADD:
        return ((this.lfRes & m) ^ B) < ((this.lfA & m) ^ B);
      case LazyOp.SUB:
        return ((this.lfA & m) ^ B) < ((this.lfB & m) ^ B);
      default:
        return false;
    }
  }

  /** OF. */
  getOF(): boolean {
    if ((this.lazy & Flag.OF) === 0) return (this.flags & Flag.OF) !== 0;
    switch (this.lfOp) {
      case LazyOp.ADD:
        return ((this.lfA ^ this.lfRes) & (this.lfB ^ this.lfRes) & this.lfSign) !== 0;
      case LazyOp.SUB:
        return ((this.lfA ^ this.lfB) & (this.lfA ^ this.lfRes) & this.lfSign) !== 0;
      default:
        return false;
    }
  }

  /** ZF. */
  getZF(): boolean {
    if ((this.lazy & Flag.ZF) === 0) return (this.flags & Flag.ZF) !== 0;
    return (this.lfRes & this.lfMask) === 0;
  }

  /** SF. */
  getSF(): boolean {
    if ((this.lazy & Flag.SF) === 0) return (this.flags & Flag.SF) !== 0;
    return (this.lfRes & this.lfSign) !== 0;
  }

  /** PF. */
  getPF(): boolean {
    if ((this.lazy & Flag.PF) === 0) return (this.flags & Flag.PF) !== 0;
    return PARITY[this.lfRes & 0xff] !== 0;
  }

  /** AF. */
  getAF(): boolean {
    if ((this.lazy & Flag.AF) === 0) return (this.flags & Flag.AF) !== 0;
    return ((this.lfA ^ this.lfB ^ this.lfRes) & Flag.AF) !== 0;
  }

  /** Evaluate condition code cc (0..15, as in Jcc/SETcc/CMOVcc). */
  cond(cc: number): boolean {
    // Fast path: the flags still describe a 32-bit CMP/SUB, so compare its operands directly.
    if (this.lazy === STATUS_FLAGS && this.lfOp === LazyOp.SUB && this.lfMask === -1) {
      const a = this.lfA;
      const b = this.lfB;
      switch (cc) {
        case 2: return (a ^ B) < (b ^ B);
        case 3: return (a ^ B) >= (b ^ B);
        case 4: return a === b;
        case 5: return a !== b;
        case 6: return (a ^ B) <= (b ^ B);
        case 7: return (a ^ B) > (b ^ B);
        case 12: return a < b;
        case 13: return a >= b;
        case 14: return a <= b;
        case 15: return a > b;
        default: break;
      }
    }
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF(); break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() || this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() !== this.getOF(); break;
      default: r = this.getZF() || this.getSF() !== this.getOF(); break;
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  /** Set the status flags from an explicit value (bits of STATUS_FLAGS), dropping the lazy record. */
  setStatus(bits: number): void {
    this.flags = (this.flags & ~STATUS_FLAGS) | (bits & STATUS_FLAGS);
    this.lazy = 0;
  }

  /** Set CF explicitly, keeping other lazy flags lazy. */
  setCF(on: boolean): void {
    if ((this.lazy & Flag.CF) !== 0) this.lazy &= ~Flag.CF;
    this.flags = on ? this.flags | Flag.CF : this.flags & ~Flag.CF;
  }

  /** Set OF explicitly, keeping other lazy flags lazy. */
  setOF(on: boolean): void {
    if ((this.lazy & Flag.OF) !== 0) this.lazy &= ~Flag.OF;
    this.flags = on ? this.flags | Flag.OF : this.flags & ~Flag.OF;
  }

  /** Set AF explicitly, keeping other lazy flags lazy. */
  setAF(on: boolean): void {
    if ((this.lazy & Flag.AF) !== 0) this.lazy &= ~Flag.AF;
    this.flags = on ? this.flags | Flag.AF : this.flags & ~Flag.AF;
  }

  /** Record an ADD-type result lazily (all six flags). */
  lazyAdd(a: number, b: number, r: number, mask: number, sign: number): void {
    this.lfOp = LazyOp.ADD;
    this.lfA = a;
    this.lfB = b;
    this.lfRes = r;
    this.lfMask = mask;
    this.lfSign = sign;
    this.lazy = STATUS_FLAGS;
  }

  /** Record a SUB-type result lazily (all six flags). */
  lazySub(a: number, b: number, r: number, mask: number, sign: number): void {
    this.lfOp = LazyOp.SUB;
    this.lfA = a;
    this.lfB = b;
    this.lfRes = r;
    this.lfMask = mask;
    this.lfSign = sign;
    this.lazy = STATUS_FLAGS;
  }

  /** Record a logical result lazily: CF = OF = AF = 0; ZF/SF/PF from r. */
  lazyLogic(r: number, mask: number, sign: number): void {
    this.lfOp = LazyOp.LOGIC;
    this.lfA = 0;
    this.lfB = 0;
    this.lfRes = r;
    this.lfMask = mask;
    this.lfSign = sign;
    this.lazy = STATUS_FLAGS;
  }

  /** Make CF concrete so that an INC/DEC can leave it untouched. */
  keepCF(): void {
    if ((this.lazy & Flag.CF) !== 0) {
      this.flags = this.getCF() ? this.flags | Flag.CF : this.flags & ~Flag.CF;
      this.lazy &= ~Flag.CF;
    }
  }

  // =====================================================================================
  // Segments
  // =====================================================================================

  /**
   * Load a segment register's descriptor cache directly (embedder/loader view; no checks).
   * `limit` is byte granular; `ar` uses the VMX access-rights layout.
   */
  setSegment(seg: number, selector: number, base: number, limit: number, ar: number): void {
    this.segSel[seg] = selector & 0xffff;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = limit | 0;
    this.segAr[seg] = ar;
    this.updateSegChecks(seg);
    if (seg === Seg.CS || seg === Seg.SS) this.updateMode();
  }

  /** Descriptor cache of a segment register (cold path). */
  getSegment(seg: number): { selector: number; base: number; limit: number; ar: number } {
    return {
      selector: this.segSel[seg],
      base: this.segBase[seg] >>> 0,
      limit: this.segLimit[seg] >>> 0,
      ar: this.segAr[seg],
    };
  }

  /** Recompute the fast limit/permission ranges of a segment from its cache. */
  updateSegChecks(seg: number): void {
    const ar = this.segAr[seg];
    const limit = this.segLimit[seg];
    let lo = 0;
    let hi = limit;
    let readable = true;
    let writable = true;
    const protectedChecks = this.pe !== 0 && this.vm === 0;
    if (protectedChecks) {
      if ((ar & Ar.UNUSABLE) !== 0 || (ar & Ar.P) === 0) {
        readable = writable = false;
      } else if ((ar & Ar.TYPE_CODE) !== 0) {
        writable = false;
        readable = (ar & Ar.TYPE_RW) !== 0;
      } else {
        writable = (ar & Ar.TYPE_RW) !== 0;
        if ((ar & Ar.TYPE_EC) !== 0) {
          lo = (limit + 1) | 0;
          hi = (ar & Ar.DB) !== 0 ? -1 : 0xffff;
        }
      }
    }
    // An empty range is lo = 1, hi = 0 (biased).
    this.segRLo[seg] = readable ? lo ^ B : 1 ^ B;
    this.segRHi[seg] = readable ? hi ^ B : 0 ^ B;
    this.segWLo[seg] = writable ? lo ^ B : 1 ^ B;
    this.segWHi[seg] = writable ? hi ^ B : 0 ^ B;
  }

  /** Recompute every cached mode bit after a change of CR0, EFLAGS.VM/AC, CS or SS. */
  updateMode(): void {
    const wasPe = this.pe;
    const wasVm = this.vm;
    this.pe = this.cr0 & Cr0.PE;
    this.vm = (this.flags & Flag.VM) !== 0 && this.pe !== 0 ? 1 : 0;
    if (this.pe === 0) this.cpl = 0;
    else if (this.vm !== 0) this.cpl = 3;
    else this.cpl = (this.segAr[Seg.CS] >> Ar.DPL_SHIFT) & 3;
    this.csD = this.vm === 0 && (this.segAr[Seg.CS] & Ar.DB) !== 0 ? 1 : 0;
    this.ssB = this.vm === 0 && (this.segAr[Seg.SS] & Ar.DB) !== 0 ? 1 : 0;
    this.spMask = this.ssB !== 0 ? -1 : 0xffff;
    const user = this.cpl === 3;
    this.rbit = user ? TlbFlag.User : TlbFlag.Valid;
    this.wbit = user ? TlbFlag.WriteUser : TlbFlag.WriteSuper;
    this.xmask = user ? TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec : TlbFlag.Valid | TlbFlag.Exec;
    this.ac = user && (this.cr0 & Cr0.AM) !== 0 && (this.flags & Flag.AC) !== 0 ? 1 : 0;
    if (wasPe !== this.pe || wasVm !== this.vm) {
      for (let s = 0; s < 6; s++) this.updateSegChecks(s);
    }
    this.updateEvents();
  }

  /** Recompute `events` (the run loop's reason to leave its fast path). */
  updateEvents(): void {
    let e = 0;
    if (this.intr !== 0 && (this.flags & Flag.IF) !== 0) e |= 1;
    if (this.nmiPending !== 0) e |= 2;
    if ((this.flags & Flag.TF) !== 0) e |= 4;
    if (this.shadow !== 0) e |= 8;
    if (this.interruptWindowExits && (this.flags & Flag.IF) !== 0) e |= 16;
    this.events = e;
  }

  /** Start a one-instruction interrupt shadow (STI, MOV SS, POP SS). */
  setShadow(): void {
    this.shadow = 1;
    this.events |= 8;
  }

  /** Set the INTR input (level) from the interrupt controller. */
  setIntr(level: boolean): void {
    this.intr = level ? 1 : 0;
    if (level) this.halted = 0;
    this.updateEvents();
  }

  /** Raise NMI. */
  raiseNmi(): void {
    this.nmiPending = 1;
    this.halted = 0;
    this.updateEvents();
  }

  // =====================================================================================
  // Control registers
  // =====================================================================================

  /** Hand the paging-relevant control bits to the address space. */
  syncPaging(): void {
    const s = this.space;
    s.pg = (this.cr0 & Cr0.PG) !== 0;
    s.wp = (this.cr0 & Cr0.WP) !== 0;
    s.pse = (this.cr4 & Cr4.PSE) !== 0;
    s.pae = (this.cr4 & Cr4.PAE) !== 0;
    s.pge = (this.cr4 & Cr4.PGE) !== 0;
    s.nxe = (this.efer & (1 << 11)) !== 0;
    s.cr3 = this.cr3;
  }

  /** Write CR0 (embedder view: no checks beyond keeping ET set). */
  setCr0(v: number): void {
    const old = this.cr0;
    this.cr0 = v | Cr0.ET;
    this.syncPaging();
    if (((old ^ this.cr0) & (Cr0.PG | Cr0.WP | Cr0.PE)) !== 0) this.space.flushAll();
    if ((this.cr0 & Cr0.PG) !== 0 && (this.cr4 & Cr4.PAE) !== 0 && (old & Cr0.PG) === 0) this.space.loadPdptes();
    this.updateMode();
  }

  /** Write CR3 (flushes non-global TLB entries). */
  setCr3(v: number): void {
    this.cr3 = v;
    this.syncPaging();
    if ((this.cr0 & Cr0.PG) !== 0 && (this.cr4 & Cr4.PAE) !== 0) this.space.loadPdptes();
    this.space.flushNonGlobal();
  }

  /** Write CR4. */
  setCr4(v: number): void {
    const old = this.cr4;
    this.cr4 = v;
    this.syncPaging();
    if (((old ^ v) & (Cr4.PSE | Cr4.PAE | Cr4.PGE)) !== 0) this.space.flushAll();
    if ((this.cr0 & Cr0.PG) !== 0 && (v & Cr4.PAE) !== 0 && ((old ^ v) & Cr4.PAE) !== 0) this.space.loadPdptes();
  }

  /** Read CRn. */
  getCr(n: number): number {
    switch (n) {
      case 0: return this.cr0;
      case 2: return this.cr2;
      case 3: return this.cr3;
      case 4: return this.cr4;
      default: return 0;
    }
  }

  /** Write EFER (embedder view). */
  setEfer(v: number): void {
    this.efer = v;
    this.syncPaging();
    this.space.flushAll();
  }

  /** Load GDTR. */
  setGdtr(base: number, limit: number): void {
    this.gdtrBase = base | 0;
    this.gdtrLimit = limit & 0xffff;
  }

  /** Load IDTR. */
  setIdtr(base: number, limit: number): void {
    this.idtrBase = base | 0;
    this.idtrLimit = limit & 0xffff;
  }

  // =====================================================================================
  // Faults
  // =====================================================================================

  /** Raise a fault (EIP stays at the instruction). Never returns. */
  fault(vector: number, errorCode: number): never {
    this.pendingVector = vector;
    this.pendingError = errorCode;
    this.pendingTrap = 0;
    throw GUEST_FAULT;
  }

  /** Raise a trap-class exception (EIP must already point after the instruction). Never returns. */
  trap(vector: number): never {
    this.pendingVector = vector;
    this.pendingError = -1;
    this.pendingTrap = 1;
    throw GUEST_FAULT;
  }

  /** #UD. */
  raiseUd(): never {
    return this.fault(Vec.UD, -1);
  }

  /** #GP(code). */
  raiseGp(code: number): never {
    return this.fault(Vec.GP, code);
  }

  /** The fault a limit/type violation raises in segment `seg`. */
  segFault(seg: number): never {
    return this.fault(seg === Seg.SS ? Vec.SS : Vec.GP, 0);
  }

  // =====================================================================================
  // Memory: segment checks + TLB fast path
  // =====================================================================================

  /** Linear address of a `size`-byte read at seg:ea, checking the segment. */
  linR(seg: number, ea: number, size: number): number {
    const lo = ea ^ B;
    const hi = (ea + size - 1) ^ B;
    if (lo < this.segRLo[seg] || hi > this.segRHi[seg] || hi < lo) return this.linSlow(seg, ea, size, false);
    return (this.segBase[seg] + ea) | 0;
  }

  /** Linear address of a `size`-byte write at seg:ea, checking the segment. */
  linW(seg: number, ea: number, size: number): number {
    const lo = ea ^ B;
    const hi = (ea + size - 1) ^ B;
    if (lo < this.segWLo[seg] || hi > this.segWHi[seg] || hi < lo) return this.linSlow(seg, ea, size, true);
    return (this.segBase[seg] + ea) | 0;
  }

  /** Segment check slow path: offset wrap-around and the faults. */
  private linSlow(seg: number, ea: number, size: number, write: boolean): number {
    const lo = ea ^ B;
    const rlo = write ? this.segWLo[seg] : this.segRLo[seg];
    const rhi = write ? this.segWHi[seg] : this.segRHi[seg];
    if (rlo > rhi) {
      // Unusable or wrong type.
      if (this.pe !== 0 && this.vm === 0 && (this.segAr[seg] & (Ar.UNUSABLE | Ar.P)) !== Ar.P) {
        return this.fault(seg === Seg.SS ? Vec.SS : Vec.GP, 0);
      }
      return this.segFault(seg);
    }
    const hi = (ea + size - 1) ^ B;
    // A 4 GiB segment lets the offset wrap around (the linear address wraps too).
    if (hi < lo && rlo === B && rhi === (-1 ^ B) && lo >= rlo) return (this.segBase[seg] + ea) | 0;
    return this.segFault(seg);
  }

  /** Effective address of the memory operand of `i`. */
  ea(i: Insn): number {
    const r = this.regs;
    return (r[i.base] + (r[i.index] << i.scale) + i.disp) & i.amask;
  }

  /** Read a byte at linear address `lin`. */
  rdLin8(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.rbit) !== 0) return this.m8[(e & -4096) | (lin & 4095)];
    return this.readSlow(lin, 1, this.cpl === 3);
  }

  /** Read a word at linear address `lin`. */
  rdLin16(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.rbit) !== 0) {
      const o = (e & -4096) | (lin & 4095);
      if ((o & 1) === 0) return this.m16[o >> 1];
      if ((lin & 4095) !== 4095 && this.ac === 0) return this.dv.getUint16(o, true);
    }
    return this.readSlow(lin, 2, this.cpl === 3);
  }

  /** Read a dword at linear address `lin` (int32). */
  rdLin32(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.rbit) !== 0) {
      const o = (e & -4096) | (lin & 4095);
      if ((o & 3) === 0) return this.m32[o >> 2];
      if ((lin & 4095) <= 4092 && this.ac === 0) return this.dv.getInt32(o, true);
    }
    return this.readSlow(lin, 4, this.cpl === 3);
  }

  /** Write a byte at linear address `lin`. */
  wrLin8(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.wbit) !== 0) {
      this.m8[(e & -4096) | (lin & 4095)] = v;
      return;
    }
    this.writeSlow(lin, 1, v, this.cpl === 3);
  }

  /** Write a word at linear address `lin`. */
  wrLin16(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.wbit) !== 0) {
      const o = (e & -4096) | (lin & 4095);
      if ((o & 1) === 0) {
        this.m16[o >> 1] = v;
        return;
      }
      if ((lin & 4095) !== 4095 && this.ac === 0) {
        this.dv.setUint16(o, v, true);
        return;
      }
    }
    this.writeSlow(lin, 2, v, this.cpl === 3);
  }

  /** Write a dword at linear address `lin`. */
  wrLin32(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.wbit) !== 0) {
      const o = (e & -4096) | (lin & 4095);
      if ((o & 3) === 0) {
        this.m32[o >> 2] = v;
        return;
      }
      if ((lin & 4095) <= 4092 && this.ac === 0) {
        this.dv.setInt32(o, v, true);
        return;
      }
    }
    this.writeSlow(lin, 4, v, this.cpl === 3);
  }

  /** Read seg:ea (byte). */
  rd8(seg: number, ea: number): number {
    return this.rdLin8(this.linR(seg, ea, 1));
  }
  /** Read seg:ea (word). */
  rd16(seg: number, ea: number): number {
    return this.rdLin16(this.linR(seg, ea, 2));
  }
  /** Read seg:ea (dword). */
  rd32(seg: number, ea: number): number {
    return this.rdLin32(this.linR(seg, ea, 4));
  }
  /** Write seg:ea (byte). */
  wr8(seg: number, ea: number, v: number): void {
    this.wrLin8(this.linW(seg, ea, 1), v);
  }
  /** Write seg:ea (word). */
  wr16(seg: number, ea: number, v: number): void {
    this.wrLin16(this.linW(seg, ea, 2), v);
  }
  /** Write seg:ea (dword). */
  wr32(seg: number, ea: number, v: number): void {
    this.wrLin32(this.linW(seg, ea, 4), v);
  }

  /**
   * Prepare a read-modify-write of `size` bytes at seg:ea: checks the segment for writing and
   * makes sure the page is writable (faulting now, before anything changes). Returns the linear
   * address for the rdLin/wrLin accessors.
   */
  rmw(seg: number, ea: number, size: number): number {
    const lin = this.linW(seg, ea, size);
    const e = this.tlb[lin >>> 12];
    if ((e & this.wbit) === 0 || (lin & 4095) > 4096 - size) this.probeWrite(lin, size, this.cpl === 3);
    return lin;
  }

  /** Check that a write of `size` bytes at `lin` would not fault (translating every page). */
  probeWrite(lin: number, size: number, user: boolean): void {
    this.translateOrFault(lin, 1, user);
    const last = (lin + size - 1) | 0;
    if (((last ^ lin) & -4096) !== 0) this.translateOrFault(last & -4096, 1, user);
  }

  /** Check that a read of `size` bytes at `lin` would not fault. */
  probeRead(lin: number, size: number, user: boolean): void {
    this.translateOrFault(lin, 0, user);
    const last = (lin + size - 1) | 0;
    if (((last ^ lin) & -4096) !== 0) this.translateOrFault(last & -4096, 0, user);
  }

  /** Translate or raise #PF. Returns the guest-physical address (a non-negative number). */
  translateOrFault(lin: number, access: 0 | 1 | 2, user: boolean): number {
    const p = this.space.translate(lin, access, user);
    if (p < 0) {
      this.cr2 = lin;
      return this.fault(Vec.PF, this.space.faultErrorCode);
    }
    return p;
  }

  /** #AC check for a misaligned data access at CPL 3. */
  private alignCheck(lin: number, size: number): void {
    if (this.ac !== 0 && (lin & (size - 1)) !== 0) this.fault(Vec.AC, 0);
  }

  /** Slow read: alignment check, translation (both pages), MMIO. `user` selects the privilege. */
  readSlow(lin: number, size: number, user: boolean): number {
    if (user) this.alignCheck(lin, size);
    const p0 = this.translateOrFault(lin, 0, user);
    const last = (lin + size - 1) | 0;
    if (((last ^ lin) & -4096) === 0) return this.physRead(p0, size);
    // The second page's base: CR2 of a fault there is its first byte.
    const p1 = this.translateOrFault(last & -4096, 0, user);
    let v = 0;
    for (let k = 0; k < size; k++) {
      const a = ((lin + k) & -4096) === (lin & -4096) ? p0 + k : p1 + ((lin + k) & 4095);
      v |= this.physRead(a, 1) << (8 * k);
    }
    return size === 4 ? v | 0 : v;
  }

  /** Slow write: alignment check, translation of every page first, then the stores. */
  writeSlow(lin: number, size: number, v: number, user: boolean): void {
    if (user) this.alignCheck(lin, size);
    const p0 = this.translateOrFault(lin, 1, user);
    const last = (lin + size - 1) | 0;
    if (((last ^ lin) & -4096) === 0) {
      this.physWrite(p0, size, v);
      return;
    }
    const p1 = this.translateOrFault(last & -4096, 1, user);
    for (let k = 0; k < size; k++) {
      const a = ((lin + k) & -4096) === (lin & -4096) ? p0 + k : p1 + ((lin + k) & 4095);
      this.physWrite(a, 1, (v >>> (8 * k)) & 0xff);
    }
  }

  /** Read guest-physical memory for the CPU (MMIO exits when enabled). */
  physRead(gpa: number, size: number): number {
    if (gpa >= 0x100000000) return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    if (this.mmioExits && this.mem.pageKind[gpa >>> 12] === 0) return this.mmioAccess(gpa, size, 0, 0);
    return size === 1 ? this.mem.read8(gpa) : size === 2 ? this.mem.read16(gpa) : this.mem.read32(gpa);
  }

  /** Write guest-physical memory for the CPU (MMIO exits when enabled). */
  physWrite(gpa: number, size: number, v: number): void {
    if (gpa >= 0x100000000) return;
    if (this.mmioExits && this.mem.pageKind[gpa >>> 12] === 0) {
      this.mmioAccess(gpa, size, 1, v);
      return;
    }
    if (size === 1) this.mem.write8(gpa, v);
    else if (size === 2) this.mem.write16(gpa, v);
    else this.mem.write32(gpa, v);
  }

  /**
   * An access to an unclaimed physical page with MMIO exits on: replay it from the log if the
   * instruction already exited for it, otherwise record an exit and abandon the instruction
   * (it is re-executed after the embedder completes the access).
   */
  private mmioAccess(gpa: number, size: number, isWrite: number, value: number): number {
    const log = this.mmioLog;
    if (this.mmioLogPos < this.mmioLogLen) {
      const k = this.mmioLogPos * 4;
      if (log[k] === gpa && log[k + 1] === size && log[k + 2] === isWrite) {
        this.mmioLogPos++;
        return log[k + 3] | 0;
      }
      // The instruction took another path on re-execution: forget the log.
      this.mmioLogLen = 0;
    }
    if (this.mmioLogLen >= 8) this.mmioLogLen = 0;
    const x = this.exit;
    x.reason = ExitReason.Mmio;
    x.gpa = gpa;
    x.size = size;
    x.isWrite = isWrite;
    x.value = isWrite !== 0 ? value : 0;
    throw GUEST_EXIT;
  }

  /** Complete an MMIO exit: for a read, `value` is the data. The instruction then re-runs. */
  completeMmio(value: number): void {
    const x = this.exit;
    const k = this.mmioLogLen * 4;
    this.mmioLog[k] = x.gpa;
    this.mmioLog[k + 1] = x.size;
    this.mmioLog[k + 2] = x.isWrite;
    this.mmioLog[k + 3] = x.isWrite !== 0 ? x.value : value;
    this.mmioLogLen++;
  }

  // ---- Supervisor (system) accesses: descriptor tables, TSS, IDT. Always CPL-0 privilege.

  /** System read (byte) of linear address. */
  sysRd8(lin: number): number {
    return this.readSlow(lin, 1, false);
  }
  /** System read (word). */
  sysRd16(lin: number): number {
    return this.readSlow(lin, 2, false);
  }
  /** System read (dword). */
  sysRd32(lin: number): number {
    return this.readSlow(lin, 4, false);
  }
  /** System write (byte). */
  sysWr8(lin: number, v: number): void {
    this.writeSlow(lin, 1, v, false);
  }
  /** System write (word). */
  sysWr16(lin: number, v: number): void {
    this.writeSlow(lin, 2, v, false);
  }
  /** System write (dword). */
  sysWr32(lin: number, v: number): void {
    this.writeSlow(lin, 4, v, false);
  }

  // =====================================================================================
  // Stack
  // =====================================================================================

  /** Push a dword. */
  push32(v: number): void {
    const sp = (this.regs[4] - 4) & this.spMask;
    this.wrLin32(this.linW(Seg.SS, sp, 4), v);
    this.regs[4] = this.ssB !== 0 ? sp : (this.regs[4] & ~0xffff) | sp;
  }

  /** Push a word. */
  push16(v: number): void {
    const sp = (this.regs[4] - 2) & this.spMask;
    this.wrLin16(this.linW(Seg.SS, sp, 2), v);
    this.regs[4] = this.ssB !== 0 ? sp : (this.regs[4] & ~0xffff) | sp;
  }

  /** Pop a dword. */
  pop32(): number {
    const sp = this.regs[4] & this.spMask;
    const v = this.rdLin32(this.linR(Seg.SS, sp, 4));
    this.regs[4] = this.ssB !== 0 ? (sp + 4) | 0 : (this.regs[4] & ~0xffff) | ((sp + 4) & 0xffff);
    return v;
  }

  /** Pop a word. */
  pop16(): number {
    const sp = this.regs[4] & this.spMask;
    const v = this.rdLin16(this.linR(Seg.SS, sp, 2));
    this.regs[4] = this.ssB !== 0 ? (sp + 2) | 0 : (this.regs[4] & ~0xffff) | ((sp + 2) & 0xffff);
    return v;
  }

  /** Read the stack at ESP+off (no change to ESP). */
  peek32(off: number): number {
    return this.rdLin32(this.linR(Seg.SS, (this.regs[4] + off) & this.spMask, 4));
  }

  /** Read the stack at ESP+off, word. */
  peek16(off: number): number {
    return this.rdLin16(this.linR(Seg.SS, (this.regs[4] + off) & this.spMask, 2));
  }

  /** Set ESP/SP according to the stack size. */
  setSp(v: number): void {
    this.regs[4] = this.ssB !== 0 ? v | 0 : (this.regs[4] & ~0xffff) | (v & 0xffff);
  }

  // =====================================================================================
  // Decoded-code cache
  // =====================================================================================

  /** A write hit a page holding decoded code: drop its blocks and stop watching it. */
  private invalidateCode(gpage: number, hostPage: number): void {
    const cp = this.codePages[hostPage];
    if (cp !== undefined) {
      for (const b of cp.blocks) if (b !== undefined) b.dead = 1;
      this.codePages[hostPage] = undefined;
    }
    this.mem.unwatch(gpage);
  }

  /** Drop every decoded block (e.g. after the embedder rewrote memory behind our back). */
  flushCodeCache(): void {
    for (let h = 0; h < this.codePages.length; h++) {
      const cp = this.codePages[h];
      if (cp === undefined) continue;
      for (const b of cp.blocks) if (b !== undefined) b.dead = 1;
      this.codePages[h] = undefined;
      const g = this.mem.hostPageGuest[h];
      if (g >= 0) this.mem.unwatch(g);
    }
  }

  /** Find or decode the block at CS:EIP. Faults (fetch #PF, CS limit) are raised here. */
  private getBlock(): Block {
    const eip = this.eip;
    const lin = (this.segBase[Seg.CS] + eip) | 0;
    const e = this.tlb[lin >>> 12];
    if ((e & this.xmask) === this.xmask) {
      const host = e >>> 12;
      const cp = this.codePages[host];
      if (cp !== undefined) {
        const b = cp.blocks[lin & 4095];
        if (b !== undefined && b.eip === eip && b.mode === this.csD &&
          ((b.csEnd - 1) ^ B) <= (this.segLimit[Seg.CS] ^ B)) return b;
      }
    }
    return this.decodeAt(eip, lin);
  }

  /** Decode a new block at CS:EIP (linear `lin`) and cache it by host page. */
  private decodeAt(eip: number, lin: number): Block {
    // Translating for execute fills the TLB (or faults if the first byte is not fetchable).
    if ((eip ^ B) > (this.segLimit[Seg.CS] ^ B)) this.raiseGp(0);
    const gpa = this.translateOrFault(lin, 2, this.cpl === 3);
    const gpage = Math.floor(gpa / 4096);
    const host = gpage < 0x100000 ? this.mem.pageHost[gpage] : -1;
    const block = decodeBlock(this.decoder, this, eip, lin, host);
    if (host >= 0 && block.hostPage >= 0) {
      let cp = this.codePages[host];
      if (cp === undefined) {
        cp = new CodePage();
        this.codePages[host] = cp;
        this.mem.watch(gpage);
      }
      cp.blocks[lin & 4095] = block;
    }
    return block;
  }

  /** Fetch a code byte for the decoder at a linear address (slow, exact faults). */
  fetchByte(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.xmask) === this.xmask) return this.m8[(e & -4096) | (lin & 4095)];
    const p = this.translateOrFault(lin, 2, this.cpl === 3);
    return this.physRead(p, 1);
  }

  // =====================================================================================
  // Run loop
  // =====================================================================================

  /**
   * Execute up to `budget` instructions. Returns an ExitReason; details in `exit`.
   * Guest behaviour never throws out of here.
   */
  run(budget: number): number {
    const x = this.exit;
    x.reason = ExitReason.None;
    if (this.pendingInsn !== null || this.ioPendingSize !== 0) {
      // An IN/CPUID/RDMSR/CR-access/RDTSC exit was not completed: it re-executes.
      this.pendingInsn = null;
      this.ioPendingSize = 0;
      this.crPending = -1;
      this.rdtscPending = false;
    }
    const stop = this.icount + budget;
    this.repRestart = 0;
    for (;;) {
      if (this.icount >= stop) {
        x.reason = ExitReason.Budget;
        return x.reason;
      }
      try {
        if (this.events !== 0 || this.halted !== 0) {
          if (this.slowBoundary()) return x.reason;
          continue;
        }
        const block = this.getBlock();
        this.curBlock = block;
        const insns = block.insns;
        let n = block.n;
        const left = stop - this.icount;
        if (left < n) n = left;
        let k = 0;
        for (; k < n; k++) {
          const i = insns[k];
          this.eip = i.next;
          i.fn(this, i);
          if (block.dead !== 0) {
            k++;
            break;
          }
        }
        this.icount += k;
        this.curBlock = null;
        this.mmioLogLen = 0;
        this.mmioLogPos = 0;
        if (x.reason !== ExitReason.None) return x.reason;
      } catch (err) {
        if (this.handleThrow(err)) return x.reason;
        // In step(), a delivered exception ends the step (EIP at the handler).
        if (this.stepping) {
          x.reason = ExitReason.Budget;
          return x.reason;
        }
      }
    }
  }

  /**
   * Execute exactly one instruction (a REP string instruction runs to completion), delivering
   * a pending interrupt first if one is due. Returns an ExitReason (None when it completed).
   */
  step(): number {
    for (let guard = 0; guard < 1 << 30; guard++) {
      this.stepping = true;
      let r: number;
      try {
        r = this.run(1);
      } finally {
        this.stepping = false;
      }
      if (r === ExitReason.Budget) {
        if (this.repRestart !== 0) continue;
        this.exit.reason = ExitReason.None;
        return ExitReason.None;
      }
      return r;
    }
    return ExitReason.None;
  }

  /** Run one instruction outside the block fast path (TF, shadows, interrupts, HLT). */
  private slowBoundary(): boolean {
    const x = this.exit;
    // NMI, then INTR, unless in an interrupt shadow.
    if (this.shadow === 0) {
      if (this.nmiPending !== 0) {
        this.nmiPending = 0;
        this.halted = 0;
        this.updateEvents();
        this.deliver(Vec.NMI, -1, 0, 0);
        return false;
      }
      if (this.intr !== 0 && (this.flags & Flag.IF) !== 0) {
        if (this.interruptWindowExits) {
          x.reason = ExitReason.InterruptWindow;
          return true;
        }
        if (this.pic !== null) {
          this.halted = 0;
          // INTR is a level: the controller lowers it during INTA if nothing else is pending.
          const v = this.pic.acknowledge();
          this.updateEvents();
          this.deliver(v & 0xff, -1, 0, 1);
          return false;
        }
      }
      if (this.interruptWindowExits && (this.flags & Flag.IF) !== 0) {
        x.reason = ExitReason.InterruptWindow;
        return true;
      }
    }
    if (this.halted !== 0) {
      x.reason = ExitReason.Hlt;
      return true;
    }
    // Single instruction with TF / shadow handling.
    const tf = (this.flags & Flag.TF) !== 0;
    const hadShadow = this.shadow;
    const block = this.getBlock();
    this.curBlock = block;
    const i = block.insns[0];
    this.eip = i.next;
    i.fn(this, i);
    this.icount++;
    this.curBlock = null;
    this.mmioLogLen = 0;
    this.mmioLogPos = 0;
    if (hadShadow !== 0 && this.shadow === hadShadow) {
      this.shadow = 0;
      this.updateEvents();
    } else if (hadShadow !== 0) {
      this.shadow = 0;
      this.updateEvents();
    }
    if (tf && this.repRestart === 0) {
      this.dr[6] |= 0x4000; // BS
      this.deliverOrExit(Vec.DB, -1, 1);
      if (x.reason !== ExitReason.None) return true;
    }
    return x.reason !== ExitReason.None;
  }

  /** Turn a thrown value into an exception delivery or an exit. Returns true to leave run(). */
  private handleThrow(err: unknown): boolean {
    const block = this.curBlock;
    this.curBlock = null;
    if (err === GUEST_EXIT) {
      // Abandon the instruction: rewind EIP to it.
      if (block !== null) this.rewind(block, false);
      this.mmioLogPos = 0;
      return true;
    }
    if (err !== GUEST_FAULT) {
      // A host-side bug must not escape as a crash of the host; report it as a triple fault
      // with the message kept for diagnostics.
      this.hostError = err instanceof Error ? err : new Error(String(err));
      this.exit.reason = ExitReason.TripleFault;
      return true;
    }
    this.mmioLogLen = 0;
    this.mmioLogPos = 0;
    if (block !== null) this.rewind(block, this.pendingTrap !== 0);
    const vec = this.pendingVector;
    const code = this.pendingError;
    this.pendingVector = -1;
    this.deliverOrExit(vec, code, this.pendingTrap);
    return this.exit.reason !== ExitReason.None;
  }

  /** Set while step() runs: an exception delivery ends the step. */
  private stepping = false;

  /** Host-side error that ended the last run (diagnostics), or null. */
  hostError: Error | null = null;

  /** After an abandoned instruction in `block`: set EIP to it and count the retired ones. */
  private rewind(block: Block, trap: boolean): void {
    const insns = block.insns;
    for (let k = 0; k < block.n; k++) {
      if (insns[k].next === this.eip || k === block.n - 1) {
        if (insns[k].next === this.eip) {
          if (!trap) this.eip = insns[k].eip;
          this.icount += trap ? k + 1 : k;
          return;
        }
      }
    }
    // EIP was already redirected (a far transfer faulted late); keep it.
  }

  /** Deliver exception `vec` or exit if it is intercepted. */
  deliverOrExit(vec: number, code: number, trap: number): void {
    if (vec < 32 && ((this.exceptionExits >>> vec) & 1) !== 0) {
      const x = this.exit;
      x.reason = ExitReason.Exception;
      x.vector = vec;
      x.errorCode = code;
      this.delivering = -1;
      return;
    }
    this.deliverException(vec, code, trap);
  }

  /** Deliver an exception with the double-fault rules; a fault during it is handled here. */
  private deliverException(vec: number, code: number, trap: number): void {
    for (;;) {
      const prev = this.delivering;
      if (prev !== -1) {
        if (prev === Vec.DF) {
          this.exit.reason = ExitReason.TripleFault;
          this.delivering = -1;
          return;
        }
        if (isDoubleFault(prev, vec)) {
          vec = Vec.DF;
          code = 0;
          if (((this.exceptionExits >>> Vec.DF) & 1) !== 0) {
            const x = this.exit;
            x.reason = ExitReason.Exception;
            x.vector = Vec.DF;
            x.errorCode = 0;
            this.delivering = -1;
            return;
          }
        }
      }
      this.delivering = vec;
      try {
        this.deliver(vec, code, trap, 0);
        this.delivering = -1;
        return;
      } catch (err) {
        if (err !== GUEST_FAULT) {
          this.delivering = -1;
          throw err;
        }
        vec = this.pendingVector;
        code = this.pendingError;
        trap = 0;
        this.pendingVector = -1;
      }
    }
  }

  /**
   * Deliver interrupt/exception `vec` through the IVT/IDT. `code` is the error code (-1 none);
   * `soft` marks INT n / INT3 / INTO (privilege check against the gate DPL); `ext` marks an
   * external interrupt.
   */
  deliver(vec: number, code: number, soft: number, ext: number): void {
    this.halted = 0;
    sys.deliverInterrupt(this, vec, code, soft, ext);
  }

  // =====================================================================================
  // Exits completed by the embedder
  // =====================================================================================

  /** Complete an IoIn exit with the value read; the instruction retires. */
  completeIo(value: number): void {
    const i = this.pendingInsn;
    if (i === null || this.ioPendingSize === 0) return;
    this.pendingInsn = null;
    const size = this.ioPendingSize;
    this.ioPendingSize = 0;
    try {
      sys.completeIn(this, i, size, value);
    } catch (err) {
      // INS stores after the exit: a fault there (the page changed meanwhile) is delivered.
      if (err !== GUEST_FAULT) throw err;
      this.eip = i.eip;
      const vec = this.pendingVector;
      this.pendingVector = -1;
      this.deliverOrExit(vec, this.pendingError, 0);
    }
  }

  /** Complete a Cpuid exit with the four result registers. */
  completeCpuid(eax: number, ebx: number, ecx: number, edx: number): void {
    const i = this.pendingInsn;
    if (i === null) return;
    this.pendingInsn = null;
    const r = this.regs;
    r[0] = eax;
    r[3] = ebx;
    r[1] = ecx;
    r[2] = edx;
    this.eip = i.next;
    this.icount++;
  }

  /**
   * Complete a CrAccess exit as if the monitor executed the instruction: for MOV from CR,
   * `value` goes into the GPR; the instruction then retires. (The monitor performs any
   * state change of a MOV to CR / CLTS / LMSW itself.)
   */
  completeCrAccess(value = 0): void {
    const i = this.pendingInsn;
    const q = this.crPending;
    if (i === null || q < 0) return;
    this.pendingInsn = null;
    this.crPending = -1;
    if ((q & 3) === 1) this.regs[(q >> 8) & 7] = value;
    this.mmioLogLen = 0;
    this.mmioLogPos = 0;
    this.eip = i.next;
    this.icount++;
  }

  /** Complete an Rdtsc exit with the counter value EDX:EAX = hi:lo; the instruction retires. */
  completeRdtsc(lo: number, hi: number): void {
    const i = this.pendingInsn;
    if (i === null || !this.rdtscPending) return;
    this.pendingInsn = null;
    this.rdtscPending = false;
    this.regs[0] = lo;
    this.regs[2] = hi;
    this.eip = i.next;
    this.icount++;
  }

  /** The CrAccess exit awaiting `completeCrAccess`: its `exit.value2`, or -1. */
  private crPending = -1;
  /** An Rdtsc exit awaits `completeRdtsc`. */
  private rdtscPending = false;

  /**
   * Leave run() before `i` executes (EIP stays on it; it is not counted as retired) with
   * `reason`; the caller has filled the other exit fields. Used by exits that can happen in
   * the middle of a block. Complete with the matching `complete*` method.
   */
  exitBefore(i: Insn, reason: number): never {
    this.pendingInsn = i;
    this.crPending = reason === ExitReason.CrAccess ? this.exit.value2 : -1;
    this.rdtscPending = reason === ExitReason.Rdtsc;
    this.exit.reason = reason;
    throw GUEST_EXIT;
  }

  /**
   * Offer a control-register access to `crAccessHook`; if the hook claims it, exit with
   * `ExitReason.CrAccess` before the instruction executes (does not return).
   */
  crAccess(i: Insn, cr: number, type: number, gpr: number, value: number, lmswMemory = false): void {
    const hook = this.crAccessHook;
    if (hook === null || !hook(cr, type, gpr, value)) return;
    const x = this.exit;
    x.index = cr;
    x.value = value;
    x.value2 = type | (lmswMemory ? 0x40 : 0) | ((gpr & 15) << 8);
    this.exitBefore(i, ExitReason.CrAccess);
  }

  /** CR0 as the guest reads it (MOV from CR0, SMSW): shadowed bits from `cr0ReadShadow`. */
  readCr0(): number {
    return (this.cr0 & ~this.cr0ReadMask) | (this.cr0ReadShadow & this.cr0ReadMask);
  }

  /** CR4 as the guest reads it (MOV from CR4): shadowed bits from `cr4ReadShadow`. */
  readCr4(): number {
    return (this.cr4 & ~this.cr4ReadMask) | (this.cr4ReadShadow & this.cr4ReadMask);
  }

  /** Complete an Rdmsr exit: `ok` false raises #GP(0) in the guest. */
  completeRdmsr(ok: boolean, lo: number, hi: number): void {
    const i = this.pendingInsn;
    if (i === null) return;
    this.pendingInsn = null;
    if (!ok) {
      this.deliverOrExit(Vec.GP, 0, 0);
      return;
    }
    this.regs[0] = lo;
    this.regs[2] = hi;
    this.eip = i.next;
    this.icount++;
  }

  /** Complete a Wrmsr exit: `ok` false raises #GP(0) in the guest. */
  completeWrmsr(ok: boolean): void {
    const i = this.pendingInsn;
    if (i === null) return;
    this.pendingInsn = null;
    if (!ok) {
      this.deliverOrExit(Vec.GP, 0, 0);
      return;
    }
    this.eip = i.next;
    this.icount++;
  }

  /**
   * Where the TSC counts from: null (default) counts retired instructions, which makes time
   * deterministic; an embedder running in real time supplies host-derived ticks instead.
   */
  tscSource: (() => number) | null = null;

  /** Time-stamp counter: the source (retired instructions by default) plus tscOffset. */
  readTsc(): number {
    return (this.tscSource !== null ? this.tscSource() : this.icount) + this.tscOffset;
  }
}

/** SDM table 6-5: does exception `second` raised while delivering `first` make a #DF? */
function isDoubleFault(first: number, second: number): boolean {
  const contributory = (v: number): boolean => v === 0 || (v >= 10 && v <= 13);
  if (contributory(first) && contributory(second)) return true;
  if (first === Vec.PF && (contributory(second) || second === Vec.PF)) return true;
  return false;
}
