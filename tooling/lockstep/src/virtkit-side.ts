/**
 * The virtkit half of a lockstep run: the machine (RAM + CPU loaded by the multiboot loader),
 * stepping one instruction with QEMU's results for the non-deterministic ones, syncing the
 * flags the SDM leaves undefined, and a short history for reports.
 */
import { Cpu, ExitReason, Flag } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { findMultibootHeader, loadMultiboot } from "@virtkit/runner";
import { classify, fetchInsn, InsnInfo, Nondet } from "./insn-info.js";
import { ArchState, captureVirtkit } from "./state.js";

/** One executed instruction kept for the report. */
export interface HistoryEntry {
  cs: number;
  eip: number;
  pc: number;
  code32: boolean;
  bytes: Uint8Array;
}

/** What one virtkit step did besides changing registers. */
export const StepEvent = { None: 0, DebugExit: 1, Halted: 2, TripleFault: 3, HostError: 4 } as const;

export class VirtkitSide {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  /** Multiboot entry point, or -1 for other images (QEMU loads them; see --start-at). */
  readonly entry: number;
  /** Facts about the instruction at the current CS:EIP (refresh with `peek`). */
  readonly insn = new InsnInfo();
  /** Debug console output (port 0xE9). */
  output = "";
  onOutput: ((s: string) => void) | null = null;
  /** isa-debug-exit value written, or -1. */
  exitValue = -1;
  /** Instructions retired by lockstep steps. */
  count = 0;
  /** Instructions that read MMIO: their register results were taken from QEMU. */
  mmioSyncs = 0;
  /** x87 status bits taken from QEMU because of its known gaps (see `syncFromQemu`). */
  x87QemuQuirks = 0;
  /** Instructions whose undefined flags/registers were taken from QEMU. */
  undefSyncs = 0;
  /** Non-deterministic results taken from QEMU. */
  nondetSyncs = 0;
  private readonly hist: HistoryEntry[] = [];
  private histPos = 0;
  private readonly scratch = new ArchState();
  /** FSW before the current instruction. */
  private preFsw = 0;

  constructor(image: Uint8Array, memMiB: number, historySize = 12) {
    const ramSize = memMiB << 20;
    this.mem = new PhysicalMemory({ ramSize });
    this.mem.mapRam(0, ramSize);
    this.cpu = new Cpu(this.mem);
    this.entry = findMultibootHeader(image) >= 0 ? loadMultiboot(image, this.mem, this.cpu).entry : -1;
    // Accesses outside RAM (LAPIC, IOAPIC, HPET…) exit; reads take QEMU's results.
    this.cpu.mmioExits = true;
    // Which MSRs exist is the embedder's choice: every MSR the core does not implement
    // exits, and completes (or #GPs) as it did in QEMU.
    this.cpu.msrHandler = { read: () => false, write: () => false };
    for (let k = 0; k < historySize; k++) this.hist.push({ cs: 0, eip: 0, pc: 0, code32: true, bytes: new Uint8Array(0) });
  }

  /** Replace guest RAM with QEMU's (from address 0). */
  loadRam(ram: Uint8Array): void {
    this.mem.writeBytes(0, ram.subarray(0, Math.min(ram.length, this.mem.ramSize)));
    this.cpu.flushCodeCache();
    this.cpu.space.flushAll();
  }

  /** Decode the instruction at CS:EIP into `insn`. */
  peek(): InsnInfo {
    const cpu = this.cpu;
    fetchInsn(cpu, this.insn);
    classify(this.insn, cpu.csD !== 0, cpu.regs[1] & 0xff);
    return this.insn;
  }

  /** The current state (reused object). */
  state(): ArchState {
    return captureVirtkit(this.cpu, this.scratch);
  }

  /**
   * Execute the instruction `insn` describes (call `peek` first). `q` is QEMU's state after
   * it, when known: IN/CPUID/RDTSC/RDMSR/RDPMC results and undefined flags come from there.
   */
  step(q: ArchState | null): number {
    const cpu = this.cpu;
    const i = this.insn;
    const h = this.hist[this.histPos];
    this.histPos = (this.histPos + 1) % this.hist.length;
    h.cs = cpu.segSel[1];
    h.eip = cpu.eip;
    h.pc = (cpu.segBase[1] + cpu.eip) >>> 0;
    h.code32 = cpu.csD !== 0;
    h.bytes = i.bytes.slice(0, i.len);
    const preCs = cpu.segSel[1];
    this.preFsw = cpu.fpu.getSw();
    const preEip = cpu.eip;
    this.count++;
    let ev: number = StepEvent.None;
    let mmioRead = false;
    for (let guard = 0; guard < 32; guard++) {
      const r = cpu.step();
      if (r === ExitReason.None || r === ExitReason.Budget) break;
      if (r === ExitReason.IoIn) {
        const x = cpu.exit;
        let v = x.size === 4 ? -1 : (1 << (8 * x.size)) - 1;
        if (q !== null && i.nondet === Nondet.In) {
          v = x.size === 4 ? q.gpr[0] : q.gpr[0] & ((1 << (8 * x.size)) - 1);
          this.nondetSyncs++;
        } else if (x.port === 0xe9) v = 0xe9;
        cpu.completeIo(v);
        break;
      }
      if (r === ExitReason.IoOut) {
        const x = cpu.exit;
        if (x.port === 0xe9 || x.port === 0x3f8) {
          const s = String.fromCharCode(x.value & 0xff);
          this.output += s;
          this.onOutput?.(s);
        } else if (x.port === 0xf4) {
          this.exitValue = x.value & 0xff;
          ev = StepEvent.DebugExit;
        }
        break;
      }
      if (r === ExitReason.Hlt) {
        ev = StepEvent.Halted;
        break;
      }
      if (r === ExitReason.TripleFault) {
        ev = cpu.hostError !== null ? StepEvent.HostError : StepEvent.TripleFault;
        break;
      }
      if (r === ExitReason.Cpuid) {
        const s = q ?? this.scratch;
        cpu.completeCpuid(s.gpr[0], s.gpr[3], s.gpr[1], s.gpr[2]);
        break;
      }
      if (r === ExitReason.Rdmsr || r === ExitReason.Wrmsr) {
        // QEMU raised no fault when it is at the next instruction in the same code segment.
        const ok = q !== null && q.sel[1] === preCs && ((q.eip - preEip) >>> 0) <= 15 && q.eip !== preEip;
        if (r === ExitReason.Rdmsr) cpu.completeRdmsr(ok, q?.gpr[0] ?? 0, q?.gpr[2] ?? 0);
        else cpu.completeWrmsr(ok);
        break;
      }
      if (r === ExitReason.Mmio) {
        // No device models here: writes are dropped, reads return 0 and the instruction's
        // register results are taken from QEMU afterwards.
        if (cpu.exit.isWrite === 0) mmioRead = true;
        cpu.completeMmio(0);
        continue;
      }
      // Other exits (exception exits, interrupt windows) are not enabled.
      break;
    }
    if (q !== null && q.eip === cpu.eip && q.sel[1] === cpu.segSel[1]) {
      this.syncFromQemu(q);
      if (mmioRead) {
        cpu.regs.set(q.gpr);
        cpu.setEflags((cpu.getEflags() & ~0x8d5) | (q.eflags & 0x8d5));
        this.mmioSyncs++;
      }
    }
    return ev;
  }

  /** After a normally completed instruction: take QEMU's results for what the SDM leaves open. */
  private syncFromQemu(q: ArchState): void {
    const cpu = this.cpu;
    const i = this.insn;
    const r = cpu.regs;
    switch (i.nondet) {
      case Nondet.Rdtsc:
      case Nondet.Rdmsr:
      case Nondet.Rdpmc:
        r[0] = q.gpr[0];
        r[2] = q.gpr[2];
        this.nondetSyncs++;
        break;
      case Nondet.Cpuid:
        r[0] = q.gpr[0];
        r[1] = q.gpr[1];
        r[2] = q.gpr[2];
        r[3] = q.gpr[3];
        this.nondetSyncs++;
        break;
      default:
        break;
    }
    if (i.op >= 0xd8 && i.op <= 0xdf && q.hasX87) {
      const fpu = cpu.fpu;
      const sw = fpu.getSw();
      // - an unmasked exception (ES newly set): the SDM leaves the destination unchanged,
      //   QEMU stores the masked response anyway; its registers are taken.
      if ((sw & 0x80) !== 0 && (this.preFsw & 0x80) === 0 && !sameX87Regs(fpu, q)) {
        for (let p = 0; p < 8; p++) {
          const o = p * 10;
          const st = q.st;
          fpu.lo[p] = st[o] | (st[o + 1] << 8) | (st[o + 2] << 16) | (st[o + 3] << 24);
          fpu.hi[p] = st[o + 4] | (st[o + 5] << 8) | (st[o + 6] << 16) | (st[o + 7] << 24);
          fpu.se[p] = st[o + 8] | (st[o + 9] << 8);
        }
        fpu.valid = q.ftw & 0xff;
        this.x87QemuQuirks++;
      }
      let m = i.undefFsw;
      // Known QEMU 7.2 x87 gaps, taken from QEMU and counted (x87QemuQuirks):
      // - C1 = 1 "rounded up" with PE: QEMU never reports the round-up;
      // - DE (denormal operand): QEMU does not raise it;
      // - FPREM/FPREM1 quotient bits Q2 Q1 Q0 in C0 C3 C1: QEMU leaves them clear.
      if ((sw & 0x220) === 0x220 && (q.fsw & 0x220) === 0x020) m |= 0x200;
      if ((sw & 0x02) !== 0 && (q.fsw & 0x02) === 0) m |= 0x02;
      if (i.op === 0xd9 && (i.modrm === 0xf8 || i.modrm === 0xf5)) m |= 0x4300;
      // - unmasked overflow: QEMU computes the masked response (infinity), so it also
      //   reports PE; the SDM's scaled result is exact here.
      if ((sw & 0x88) === 0x88 && (fpu.cw & 0x08) === 0 && (sw & 0x20) === 0 && (q.fsw & 0x20) !== 0) m |= 0x20;
      if (((sw ^ q.fsw) & (m & ~i.undefFsw)) !== 0) this.x87QemuQuirks++;
      // - FNSTENV: the SDM masks all exceptions in FCW afterwards; QEMU does not, and so
      //   leaves ES/B as they were. FCW, ES and B are taken from QEMU.
      if (i.op === 0xd9 && i.modrm < 0xc0 && ((i.modrm >> 3) & 7) === 6 && fpu.cw !== q.fcw) {
        fpu.setCw(q.fcw);
        fpu.setSw((fpu.getSw() & ~0x8080) | (q.fsw & 0x8080));
        this.x87QemuQuirks++;
      }
      // - FCOMI/FUCOMI(P): the SDM clears OF, SF, AF; QEMU leaves them as they were.
      if ((i.op === 0xdb || i.op === 0xdf) && i.modrm >= 0xe8 && i.modrm <= 0xf7) {
        const f = cpu.getEflags();
        const fm = Flag.OF | Flag.SF | Flag.AF;
        if (((f ^ q.eflags) & fm) !== 0) {
          cpu.setEflags((f & ~fm) | (q.eflags & fm));
          this.x87QemuQuirks++;
        }
      }
      if (((sw ^ q.fsw) & m) !== 0) {
        fpu.setSw((sw & ~m) | (q.fsw & m));
        this.undefSyncs++;
      }
    }
    const m = i.undefFlags;
    if (m !== 0) {
      const f = cpu.getEflags();
      if (((f ^ q.eflags) & m) !== 0) {
        cpu.setEflags((f & ~m) | (q.eflags & m));
        this.undefSyncs++;
      }
      if (i.undefReg >= 0) {
        const bsf = i.op === 0x1bc || i.op === 0x1bd;
        if (!bsf || (q.eflags & Flag.ZF) !== 0) {
          const k = i.undefReg;
          if (i.opsize === 16) r[k] = (r[k] & ~0xffff) | (q.gpr[k] & 0xffff);
          else r[k] = q.gpr[k];
        }
      }
    }
  }

  /** Deliver an external interrupt as QEMU did between two instructions. */
  deliverExternal(vector: number): void {
    this.cpu.deliver(vector & 0xff, -1, 0, 1);
  }

  /** The last executed instructions, oldest first. */
  history(): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let k = 0; k < this.hist.length; k++) {
      const h = this.hist[(this.histPos + k) % this.hist.length];
      if (h.bytes.length > 0 || h.pc !== 0) out.push({ ...h });
    }
    return out;
  }
}

/** True when the live x87 registers of virtkit equal QEMU's dump. */
function sameX87Regs(fpu: Cpu["fpu"], q: ArchState): boolean {
  if ((fpu.valid & 0xff) !== (q.ftw & 0xff)) return false;
  for (let p = 0; p < 8; p++) {
    if (((q.ftw >> p) & 1) === 0) continue;
    const o = p * 10;
    const st = q.st;
    if (fpu.lo[p] !== (st[o] | (st[o + 1] << 8) | (st[o + 2] << 16) | (st[o + 3] << 24))) return false;
    if (fpu.hi[p] !== (st[o + 4] | (st[o + 5] << 8) | (st[o + 6] << 16) | (st[o + 7] << 24))) return false;
    if ((fpu.se[p] & 0xffff) !== (st[o + 8] | (st[o + 9] << 8))) return false;
  }
  return true;
}
