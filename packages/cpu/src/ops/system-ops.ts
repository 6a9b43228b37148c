/**
 * System instructions: far transfers, INT/IRET, HLT, CLI/STI, port I/O, descriptor-table and
 * control/debug-register instructions, LAR/LSL/VERR/VERW/ARPL, MSRs, TSC, CPUID,
 * SYSENTER/SYSEXIT. The privilege rules are the SDM's.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Ar, Cr0, Cr4, ExitReason, Flag, Msr, Seg, Vec } from "../constants.js";
import {
  callFar as sysCallFar, checkIoPermission, descAr, descLimit, iret as sysIret, jmpFar as sysJmpFar,
  lastDescriptor, readDescriptor, retFar as sysRetFar, descBase,
} from "../system.js";

/** #GP(0) unless CPL 0 (privileged instructions; also in virtual-8086 mode). */
function requireCpl0(cpu: Cpu): void {
  if (cpu.pe !== 0 && cpu.cpl !== 0) cpu.raiseGp(0);
}

// ---- far transfers

/** CALL ptr16:16/32. */
export function callFar(cpu: Cpu, i: Insn): void {
  sysCallFar(cpu, i.imm2, i.imm, i.o32, i.next);
}
/** CALL m16:16/32. */
export function callFarInd(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  const off = i.o32 !== 0 ? cpu.rd32(i.seg, ea) : cpu.rd16(i.seg, ea);
  const sel = cpu.rd16(i.seg, (ea + (i.o32 !== 0 ? 4 : 2)) & i.amask);
  sysCallFar(cpu, sel, off, i.o32, i.next);
}
/** JMP ptr16:16/32. */
export function jmpFar(cpu: Cpu, i: Insn): void {
  sysJmpFar(cpu, i.imm2, i.imm, i.o32);
}
/** JMP m16:16/32. */
export function jmpFarInd(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  const off = i.o32 !== 0 ? cpu.rd32(i.seg, ea) : cpu.rd16(i.seg, ea);
  const sel = cpu.rd16(i.seg, (ea + (i.o32 !== 0 ? 4 : 2)) & i.amask);
  sysJmpFar(cpu, sel, off, i.o32);
}
/** RETF [imm16]. */
export function retFar(cpu: Cpu, i: Insn): void {
  sysRetFar(cpu, i.o32, i.imm);
}
/** IRET/IRETD. */
export function iret(cpu: Cpu, i: Insn): void {
  sysIret(cpu, i.o32);
}

// ---- software interrupts

/** INT3: #BP as a trap (EIP after the instruction). */
export function int3(cpu: Cpu): void {
  softInterrupt(cpu, Vec.BP, true);
}
/** INTO: #OF if OF is set. */
export function into(cpu: Cpu): void {
  if (cpu.getOF()) softInterrupt(cpu, Vec.OF, true);
}
/** INT imm8. */
export function intN(cpu: Cpu, i: Insn): void {
  // Virtual-8086 mode without VME: INT n needs IOPL 3.
  if (cpu.vm !== 0 && (cpu.flags & Flag.IOPL) !== Flag.IOPL) cpu.raiseGp(0);
  softInterrupt(cpu, i.imm, false);
}
/** INT1 / ICEBP: a #DB trap delivered like an external event (no gate DPL check). */
export function icebp(cpu: Cpu): void {
  cpu.pendingVector = Vec.DB;
  cpu.pendingError = -1;
  cpu.pendingTrap = 1;
  cpu.deliverOrExit(Vec.DB, -1, 1);
}

/**
 * A software interrupt: INT3/INTO are exceptions (interceptable with exceptionExits); INT n
 * is delivered directly. EIP already points after the instruction.
 */
function softInterrupt(cpu: Cpu, vec: number, exception: boolean): void {
  if (exception && ((cpu.exceptionExits >>> vec) & 1) !== 0) {
    cpu.trap(vec);
  }
  cpu.deliver(vec, -1, 1, 0);
}

// ---- HLT, CLI, STI

/** HLT (CPL 0): halts until an interrupt; the run loop reports a Hlt exit. */
export function hlt(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  cpu.halted = 1;
  cpu.exit.reason = ExitReason.Hlt;
  cpu.exitInsn = i;
}
/** CLI. */
export function cli(cpu: Cpu): void {
  if (cpu.pe !== 0) {
    const iopl = (cpu.flags >> 12) & 3;
    if (cpu.cpl > iopl) cpu.raiseGp(0);
  }
  cpu.flags &= ~Flag.IF;
  cpu.updateEvents();
}
/** STI: enables interrupts after the next instruction. */
export function sti(cpu: Cpu): void {
  if (cpu.pe !== 0) {
    const iopl = (cpu.flags >> 12) & 3;
    if (cpu.cpl > iopl) cpu.raiseGp(0);
  }
  if ((cpu.flags & Flag.IF) === 0) {
    cpu.flags |= Flag.IF;
    cpu.setShadow();
  }
  cpu.updateEvents();
}

// ---- port I/O (i.imm2 = size)

function doIn(cpu: Cpu, i: Insn, port: number): void {
  checkIoPermission(cpu, port, i.imm2);
  cpu.eip = i.eip;
  cpu.pendingInsn = i;
  cpu.ioPendingSize = i.imm2;
  cpu.ioPendingString = 0;
  const x = cpu.exit;
  x.reason = ExitReason.IoIn;
  x.port = port;
  x.size = i.imm2;
  x.value = 0;
  cpu.icount--;
}

function doOut(cpu: Cpu, i: Insn, port: number): void {
  checkIoPermission(cpu, port, i.imm2);
  const size = i.imm2;
  const v = size === 1 ? cpu.r8[0] : size === 2 ? cpu.r16[0] : cpu.regs[0] >>> 0;
  const x = cpu.exit;
  x.reason = ExitReason.IoOut;
  x.port = port;
  x.size = size;
  x.value = v;
  cpu.exitInsn = i;
}

/** IN AL/AX/EAX, imm8. */
export function inImm(cpu: Cpu, i: Insn): void {
  doIn(cpu, i, i.imm);
}
/** IN AL/AX/EAX, DX. */
export function inDx(cpu: Cpu, i: Insn): void {
  doIn(cpu, i, cpu.regs[2] & 0xffff);
}
/** OUT imm8, AL/AX/EAX. */
export function outImm(cpu: Cpu, i: Insn): void {
  doOut(cpu, i, i.imm);
}
/** OUT DX, AL/AX/EAX. */
export function outDx(cpu: Cpu, i: Insn): void {
  doOut(cpu, i, cpu.regs[2] & 0xffff);
}

// ---- group 6: SLDT STR LLDT LTR VERR VERW

/** Group 6 (0F 00). */
export function grp6(cpu: Cpu, i: Insn): void {
  if (cpu.pe === 0 || cpu.vm !== 0) cpu.raiseUd();
  switch (i.op) {
    case 0: case 1: { // SLDT / STR
      const v = i.op === 0 ? cpu.ldtrSel : cpu.trSel;
      if (i.mem !== 0) cpu.wr16(i.seg, cpu.ea(i), v);
      else if (i.o32 !== 0) cpu.regs[i.rm >> 1] = v;
      else cpu.r16[i.rm] = v;
      return;
    }
    case 2: { // LLDT
      requireCpl0(cpu);
      const sel = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
      if ((sel & 0xfffc) === 0) {
        cpu.ldtrSel = sel;
        cpu.ldtrAr = Ar.UNUSABLE;
        return;
      }
      if ((sel & 4) !== 0) cpu.raiseGp(sel & 0xfffc);
      if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
      const d = lastDescriptor();
      if ((d.hi & 0x1f00) !== 0x0200) cpu.raiseGp(sel & 0xfffc);
      if ((d.hi & 0x8000) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      cpu.ldtrSel = sel;
      cpu.ldtrBase = descBase(d.lo, d.hi);
      cpu.ldtrLimit = descLimit(d.lo, d.hi);
      cpu.ldtrAr = descAr(d.hi);
      return;
    }
    case 3: { // LTR
      requireCpl0(cpu);
      const sel = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
      if ((sel & 0xfffc) === 0) cpu.raiseGp(0);
      if ((sel & 4) !== 0) cpu.raiseGp(sel & 0xfffc);
      if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
      const d = lastDescriptor();
      const type = (d.hi >> 8) & 0x1f;
      if (type !== 1 && type !== 9) cpu.raiseGp(sel & 0xfffc);
      if ((d.hi & 0x8000) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      const a = (cpu.gdtrBase + (sel & 0xfff8) + 4) | 0;
      cpu.sysWr32(a, d.hi | 0x200);
      cpu.trSel = sel;
      cpu.trBase = descBase(d.lo, d.hi);
      cpu.trLimit = descLimit(d.lo, d.hi);
      cpu.trAr = descAr(d.hi) | 2;
      return;
    }
    case 4: case 5: { // VERR / VERW
      const sel = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
      let ok = false;
      if ((sel & 0xfffc) !== 0 && readDescriptor(cpu, sel)) {
        const ar = descAr(lastDescriptor().hi);
        const dpl = (ar >> 5) & 3;
        if ((ar & Ar.S) !== 0) {
          const code = (ar & Ar.TYPE_CODE) !== 0;
          const conforming = code && (ar & Ar.TYPE_EC) !== 0;
          const privOk = conforming || (dpl >= cpu.cpl && dpl >= (sel & 3));
          if (privOk) ok = i.op === 4 ? !code || (ar & Ar.TYPE_RW) !== 0 : !code && (ar & Ar.TYPE_RW) !== 0;
        }
      }
      setZF(cpu, ok);
      return;
    }
    default:
      cpu.raiseUd();
  }
}

function setZF(cpu: Cpu, on: boolean): void {
  cpu.materialize();
  cpu.flags = on ? cpu.flags | Flag.ZF : cpu.flags & ~Flag.ZF;
}

// ---- group 7: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG

/** Group 7 (0F 01). */
export function grp7(cpu: Cpu, i: Insn): void {
  switch (i.op) {
    case 0: case 1: { // SGDT / SIDT
      const ea = cpu.ea(i);
      const base = i.op === 0 ? cpu.gdtrBase : cpu.idtrBase;
      const limit = i.op === 0 ? cpu.gdtrLimit : cpu.idtrLimit;
      cpu.linW(i.seg, ea, 6);
      cpu.wr16(i.seg, ea, limit);
      // 16-bit operand size stores 24 bits of base (the high byte is 0 on P6 processors).
      cpu.wr32(i.seg, (ea + 2) & i.amask, i.o32 !== 0 ? base : base & 0xffffff);
      return;
    }
    case 2: case 3: { // LGDT / LIDT
      requireCpl0(cpu);
      const ea = cpu.ea(i);
      const limit = cpu.rd16(i.seg, ea);
      let base = cpu.rd32(i.seg, (ea + 2) & i.amask);
      if (i.o32 === 0) base &= 0xffffff;
      if (i.op === 2) cpu.setGdtr(base, limit);
      else cpu.setIdtr(base, limit);
      return;
    }
    case 4: { // SMSW (never offered to crAccessHook; reads through the CR0 read shadow)
      const cr0 = cpu.readCr0();
      const v = cr0 & 0xffff;
      if (i.mem !== 0) cpu.wr16(i.seg, cpu.ea(i), v);
      else if (i.o32 !== 0) cpu.regs[i.rm] = cr0;
      else cpu.r16[i.rm * 2] = v;
      return;
    }
    case 6: { // LMSW: PE can be set, never cleared; MP/EM/TS
      requireCpl0(cpu);
      const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm * 2];
      if (cpu.crAccessHook !== null) cpu.crAccess(i, 0, 3, i.mem !== 0 ? 0 : i.rm, v, i.mem !== 0);
      const cr0 = (cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & 1);
      cpu.setCr0(cr0);
      return;
    }
    case 7: { // INVLPG
      requireCpl0(cpu);
      const lin = (cpu.segBase[i.seg] + cpu.ea(i)) | 0;
      cpu.space.invlpg(lin);
      if (cpu.invlpgExits) {
        cpu.exit.reason = ExitReason.Invlpg;
        cpu.exit.gpa = lin >>> 0;
        cpu.exitInsn = i;
      }
      return;
    }
    default:
      cpu.raiseUd();
  }
}

/**
 * The descriptor LAR/LSL may report for `sel`: in the table, a code/data segment or one of
 * the system types in `sysTypes`, and visible at this CPL/RPL (conforming code always is).
 * Returns null when ZF must be cleared.
 */
function visibleDescriptor(cpu: Cpu, sel: number, sysTypes: readonly number[]): { lo: number; hi: number } | null {
  if ((sel & 0xfffc) === 0 || !readDescriptor(cpu, sel)) return null;
  const d = lastDescriptor();
  const ar = descAr(d.hi);
  const dpl = (ar >> 5) & 3;
  const conforming = (ar & Ar.S) !== 0 && (ar & (Ar.TYPE_CODE | Ar.TYPE_EC)) === (Ar.TYPE_CODE | Ar.TYPE_EC);
  const validType = (ar & Ar.S) !== 0 || sysTypes.includes(ar & 0xf);
  return validType && (conforming || (dpl >= cpu.cpl && dpl >= (sel & 3))) ? d : null;
}

/** The selector operand of LAR/LSL (a word register or memory). */
function selectorOperand(cpu: Cpu, i: Insn): number {
  if (cpu.pe === 0 || cpu.vm !== 0) cpu.raiseUd();
  return i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.o32 !== 0 ? i.rm * 2 : i.rm];
}

/** LAR r, r/m16. */
export function lar(cpu: Cpu, i: Insn): void {
  const d = visibleDescriptor(cpu, selectorOperand(cpu, i), [1, 2, 3, 4, 5, 9, 11, 12]);
  if (d !== null) {
    const v = d.hi & 0x00f0ff00;
    if (i.o32 !== 0) cpu.regs[i.reg] = v;
    else cpu.r16[i.reg] = v & 0xffff;
  }
  setZF(cpu, d !== null);
}

/** LSL r, r/m16. */
export function lsl(cpu: Cpu, i: Insn): void {
  const d = visibleDescriptor(cpu, selectorOperand(cpu, i), [1, 2, 3, 9, 11]);
  if (d !== null) {
    const lim = descLimit(d.lo, d.hi);
    if (i.o32 !== 0) cpu.regs[i.reg] = lim;
    else cpu.r16[i.reg] = lim & 0xffff;
  }
  setZF(cpu, d !== null);
}

/** ARPL r/m16, r16. */
export function arpl(cpu: Cpu, i: Insn): void {
  if (cpu.pe === 0 || cpu.vm !== 0) cpu.raiseUd();
  const src = cpu.r16[i.reg];
  if (i.mem !== 0) {
    const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
    const dst = cpu.rdLin16(lin);
    if ((dst & 3) < (src & 3)) {
      cpu.wrLin16(lin, (dst & ~3) | (src & 3));
      setZF(cpu, true);
    } else setZF(cpu, false);
    return;
  }
  const dst = cpu.r16[i.rm];
  if ((dst & 3) < (src & 3)) {
    cpu.r16[i.rm] = (dst & ~3) | (src & 3);
    setZF(cpu, true);
  } else setZF(cpu, false);
}

/** CLTS. */
export function clts(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.crAccessHook !== null) cpu.crAccess(i, 0, 2, 0, 0);
  cpu.cr0 &= ~Cr0.TS;
}
/** INVD / WBINVD: caches are not modelled. */
export function wbinvd(cpu: Cpu): void {
  requireCpl0(cpu);
}

// ---- control and debug registers

/** MOV r32, CRn. */
export function movRCr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (i.reg === 1 || i.reg > 4) cpu.raiseUd();
  if (cpu.crAccessHook !== null && i.reg !== 2) cpu.crAccess(i, i.reg, 1, i.rm, 0);
  cpu.regs[i.rm] = i.reg === 0 ? cpu.readCr0() : i.reg === 4 ? cpu.readCr4() : cpu.getCr(i.reg);
}
/** MOV CRn, r32 (with the SDM's #GP checks). */
export function movCrR(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  const v = cpu.regs[i.rm];
  if (cpu.crAccessHook !== null && (i.reg === 0 || i.reg === 3 || i.reg === 4)) cpu.crAccess(i, i.reg, 0, i.rm, v);
  switch (i.reg) {
    case 0:
      if ((v & Cr0.PG) !== 0 && (v & Cr0.PE) === 0) cpu.raiseGp(0);
      if ((v & Cr0.NW) !== 0 && (v & Cr0.CD) === 0) cpu.raiseGp(0);
      if ((v & Cr0.PG) !== 0 && (cpu.cr0 & Cr0.PG) === 0 && (cpu.cr4 & Cr4.PAE) !== 0) {
        const old = cpu.cr0;
        cpu.cr0 = v;
        cpu.syncPaging();
        if (!cpu.space.loadPdptes()) {
          cpu.cr0 = old;
          cpu.syncPaging();
          cpu.raiseGp(0);
        }
        cpu.cr0 = old;
      }
      cpu.setCr0((v & 0xe005003f) | 0x10);
      return;
    case 2:
      cpu.cr2 = v;
      return;
    case 3:
      if ((cpu.cr0 & Cr0.PG) !== 0 && (cpu.cr4 & Cr4.PAE) !== 0) {
        const old = cpu.cr3;
        cpu.cr3 = v;
        cpu.syncPaging();
        if (!cpu.space.loadPdptes()) {
          cpu.cr3 = old;
          cpu.syncPaging();
          cpu.raiseGp(0);
        }
      }
      cpu.setCr3(v);
      return;
    case 4:
      if ((v & ~0x7ff) !== 0) cpu.raiseGp(0);
      if ((cpu.cr0 & Cr0.PG) !== 0 && ((v ^ cpu.cr4) & Cr4.PAE) !== 0 && (v & Cr4.PAE) !== 0) {
        const old = cpu.cr4;
        cpu.cr4 = v;
        cpu.syncPaging();
        const ok = cpu.space.loadPdptes();
        cpu.cr4 = old;
        cpu.syncPaging();
        if (!ok) cpu.raiseGp(0);
      }
      cpu.setCr4(v);
      return;
    default:
      cpu.raiseUd();
  }
}
/** MOV r32, DRn. */
export function movRDr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  let n = i.reg;
  if (n === 4 || n === 5) {
    if ((cpu.cr4 & Cr4.DE) !== 0) cpu.raiseUd();
    n += 2;
  }
  cpu.regs[i.rm] = cpu.dr[n];
}
/** MOV DRn, r32. */
export function movDrR(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  let n = i.reg;
  if (n === 4 || n === 5) {
    if ((cpu.cr4 & Cr4.DE) !== 0) cpu.raiseUd();
    n += 2;
  }
  let v = cpu.regs[i.rm];
  if (n === 6) v = (v & 0xe00f) | (0xffff0ff0 | 0);
  else if (n === 7) v = (v & 0xffff2bff) | 0x400;
  cpu.dr[n] = v;
}

// ---- MSRs, TSC, CPUID

/** RDMSR. */
export function rdmsr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  const idx = cpu.regs[1] >>> 0;
  const out = cpu.scratch;
  if (cpu.msrHandler !== null && cpu.msrHandler.read(idx, out)) {
    cpu.regs[0] = out[0];
    cpu.regs[2] = out[1];
    return;
  }
  if (readCoreMsr(cpu, idx, out)) {
    cpu.regs[0] = out[0];
    cpu.regs[2] = out[1];
    return;
  }
  if (cpu.msrHandler !== null) {
    cpu.eip = i.eip;
    cpu.pendingInsn = i;
    cpu.exit.reason = ExitReason.Rdmsr;
    cpu.exit.index = idx;
    cpu.icount--;
    return;
  }
  cpu.raiseGp(0);
}

/** WRMSR. */
export function wrmsr(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  const idx = cpu.regs[1] >>> 0;
  const lo = cpu.regs[0];
  const hi = cpu.regs[2];
  if (cpu.msrHandler !== null && cpu.msrHandler.write(idx, lo, hi)) return;
  if (writeCoreMsr(cpu, idx, lo, hi)) return;
  if (cpu.msrHandler !== null) {
    cpu.eip = i.eip;
    cpu.pendingInsn = i;
    cpu.exit.reason = ExitReason.Wrmsr;
    cpu.exit.index = idx;
    cpu.exit.value = lo;
    cpu.exit.value2 = hi;
    cpu.icount--;
    return;
  }
  cpu.raiseGp(0);
}

/** MSRs a P6 core implements itself. */
const MTRR_MSRS = new Set<number>([
  0xfe, 0x2ff, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
  ...Array.from({ length: 16 }, (_, k) => 0x200 + k),
]);

function readCoreMsr(cpu: Cpu, idx: number, out: Int32Array): boolean {
  switch (idx) {
    case Msr.IA32_TIME_STAMP_COUNTER: {
      const t = cpu.readTsc();
      out[0] = t % 0x100000000 | 0;
      out[1] = Math.floor(t / 0x100000000) | 0;
      return true;
    }
    case Msr.IA32_SYSENTER_CS: out[0] = cpu.sysenterCs; out[1] = 0; return true;
    case Msr.IA32_SYSENTER_ESP: out[0] = cpu.sysenterEsp; out[1] = 0; return true;
    case Msr.IA32_SYSENTER_EIP: out[0] = cpu.sysenterEip; out[1] = 0; return true;
    case Msr.IA32_APIC_BASE: out[0] = cpu.apicBase; out[1] = 0; return true;
    case Msr.IA32_PAT: out[0] = cpu.patLo; out[1] = cpu.patHi; return true;
    case Msr.IA32_MISC_ENABLE: out[0] = 1; out[1] = 0; return true;
    case Msr.IA32_PLATFORM_ID: out[0] = 0; out[1] = 0; return true;
    // The microcode update signature: 0 until a WRMSR of 0 followed by CPUID loads it.
    case Msr.IA32_BIOS_SIGN_ID: out[0] = 0; out[1] = cpu.microcodeRevision; return true;
    default:
      if (MTRR_MSRS.has(idx)) {
        const v = cpu.msrStore.get(idx) ?? (idx === 0xfe ? 0x508n : 0n);
        out[0] = Number(v & 0xffffffffn) | 0;
        out[1] = Number(v >> 32n) | 0;
        return true;
      }
      return false;
  }
}

function writeCoreMsr(cpu: Cpu, idx: number, lo: number, hi: number): boolean {
  switch (idx) {
    case Msr.IA32_TIME_STAMP_COUNTER:
      cpu.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - cpu.icount;
      return true;
    case Msr.IA32_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return true;
    case Msr.IA32_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case Msr.IA32_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case Msr.IA32_APIC_BASE: cpu.apicBase = lo; return true;
    case Msr.IA32_PAT: cpu.patLo = lo; cpu.patHi = hi; return true;
    case Msr.IA32_MISC_ENABLE: return true;
    case Msr.IA32_BIOS_SIGN_ID: return true;
    default:
      if (MTRR_MSRS.has(idx) && idx !== 0xfe) {
        cpu.msrStore.set(idx, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
        return true;
      }
      return false;
  }
}

/** RDTSC (CR4.TSD restricts it to CPL 0). */
export function rdtsc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & Cr4.TSD) !== 0 && cpu.pe !== 0 && cpu.cpl !== 0) cpu.raiseGp(0);
  if (cpu.rdtscExits) cpu.exitBefore(i, ExitReason.Rdtsc);
  const t = cpu.readTsc();
  cpu.regs[0] = t % 0x100000000 | 0;
  cpu.regs[2] = Math.floor(t / 0x100000000) | 0;
}
/** RDPMC: no counters are modelled; ECX must select one of the two P6 counters. */
export function rdpmc(cpu: Cpu): void {
  if ((cpu.cr4 & Cr4.PCE) === 0 && cpu.pe !== 0 && cpu.cpl !== 0) cpu.raiseGp(0);
  if ((cpu.regs[1] >>> 0) > 1) cpu.raiseGp(0);
  cpu.regs[0] = 0;
  cpu.regs[2] = 0;
}
/** CPUID: answered by the embedder's provider, or an exit. */
export function cpuid(cpu: Cpu, i: Insn): void {
  if (cpu.cpuidExits) {
    cpu.eip = i.eip;
    cpu.pendingInsn = i;
    cpu.exit.reason = ExitReason.Cpuid;
    cpu.exit.index = cpu.regs[0] >>> 0;
    cpu.exit.value2 = cpu.regs[1] >>> 0;
    cpu.icount--;
    return;
  }
  const out = cpu.scratch;
  cpu.cpuidFn(cpu.regs[0] >>> 0, cpu.regs[1] >>> 0, out);
  cpu.regs[0] = out[0];
  cpu.regs[3] = out[1];
  cpu.regs[1] = out[2];
  cpu.regs[2] = out[3];
}

// ---- SYSENTER / SYSEXIT

/** SYSENTER: flat ring-0 CS/SS from IA32_SYSENTER_CS. */
export function sysenter(cpu: Cpu): void {
  if (cpu.pe === 0) cpu.raiseGp(0);
  const cs = cpu.sysenterCs & 0xfffc;
  if (cs === 0) cpu.raiseGp(0);
  cpu.materialize();
  cpu.flags &= ~(Flag.VM | Flag.IF | Flag.RF);
  cpu.setSegment(Seg.CS, cs, 0, -1, 0xc09b);
  cpu.setSegment(Seg.SS, (cs + 8) & 0xfffc, 0, -1, 0xc093);
  cpu.regs[4] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip;
  cpu.updateMode();
}
/** SYSEXIT: flat ring-3 CS/SS at IA32_SYSENTER_CS+16/+24; EIP = EDX, ESP = ECX. */
export function sysexit(cpu: Cpu): void {
  const cs = cpu.sysenterCs & 0xfffc;
  if (cpu.pe === 0 || cpu.vm !== 0 || cpu.cpl !== 0 || cs === 0) cpu.raiseGp(0);
  cpu.setSegment(Seg.CS, (cs + 16) | 3, 0, -1, 0xc0fb);
  cpu.setSegment(Seg.SS, (cs + 24) | 3, 0, -1, 0xc0f3);
  cpu.regs[4] = cpu.regs[1];
  cpu.eip = cpu.regs[2];
  cpu.updateMode();
}

