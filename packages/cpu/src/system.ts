/**
 * Protected-mode mechanisms: descriptor loading, segment register loads with their checks,
 * interrupt/exception delivery (real, protected, virtual-8086), far transfers, IRET, task
 * switches, I/O permission, EFLAGS writes. Everything here follows SDM vol. 3 ch. 5–7 and
 * the pseudo-code of the instructions in vol. 2.
 */
import type { Cpu } from "./cpu.js";
import type { Insn } from "./insn.js";
import { Ar, Cr0, Flag, Seg, Vec } from "./constants.js";
import { completeIns } from "./ops/string.js";

// ---- descriptors ------------------------------------------------------------------------

/** Scratch for the last descriptor read: low and high dwords. */
export class DescScratch {
  lo = 0;
  hi = 0;
}
const desc = new DescScratch();

/** Base of a descriptor. */
export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}

/** Byte-granular limit of a descriptor. */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & (1 << 23)) !== 0 ? ((raw << 12) | 0xfff) | 0 : raw;
}

/** VMX-layout access rights of a descriptor. */
export function descAr(hi: number): number {
  return (hi >> 8) & 0xf0ff;
}

/**
 * Read the descriptor for `sel` from the GDT/LDT into `desc`. Returns false when the
 * selector's index lies beyond the table limit (or the LDT is unusable).
 */
export function readDescriptor(cpu: Cpu, sel: number): boolean {
  let base: number;
  let limit: number;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtrAr & Ar.UNUSABLE) !== 0 || (cpu.ldtrSel & 0xfffc) === 0) return false;
    base = cpu.ldtrBase;
    limit = cpu.ldtrLimit;
  } else {
    base = cpu.gdtrBase;
    limit = cpu.gdtrLimit;
  }
  const off = sel & 0xfff8;
  if (((off + 7) ^ 0x80000000) > (limit ^ 0x80000000)) return false;
  desc.lo = cpu.sysRd32((base + off) | 0);
  desc.hi = cpu.sysRd32((base + off + 4) | 0);
  return true;
}

/** The descriptor last read by readDescriptor. */
export function lastDescriptor(): DescScratch {
  return desc;
}

/** Set the accessed bit of the descriptor for `sel` (in memory) if it is clear. */
function setAccessed(cpu: Cpu, sel: number): void {
  if ((desc.hi & 0x100) !== 0) return;
  const base = (sel & 4) !== 0 ? cpu.ldtrBase : cpu.gdtrBase;
  desc.hi |= 0x100;
  cpu.sysWr32((base + (sel & 0xfff8) + 4) | 0, desc.hi);
}

/** Write the descriptor cache of a segment register from `desc`. */
function loadCache(cpu: Cpu, seg: number, sel: number): void {
  cpu.segSel[seg] = sel & 0xffff;
  cpu.segBase[seg] = descBase(desc.lo, desc.hi);
  cpu.segLimit[seg] = descLimit(desc.lo, desc.hi);
  cpu.segAr[seg] = descAr(desc.hi);
  cpu.updateSegChecks(seg);
  if (seg === Seg.CS || seg === Seg.SS) cpu.updateMode();
}

/** Load a segment register in real or virtual-8086 mode. */
function loadReal(cpu: Cpu, seg: number, sel: number): void {
  cpu.segSel[seg] = sel & 0xffff;
  cpu.segBase[seg] = (sel & 0xffff) << 4;
  if (cpu.vm !== 0) {
    cpu.segLimit[seg] = 0xffff;
    cpu.segAr[seg] = seg === Seg.CS ? 0xfb : 0xf3;
  } else if (seg === Seg.CS) {
    // Real mode: CS keeps its limit; it becomes a (readable, writable) 16-bit segment.
    cpu.segAr[seg] = (cpu.segAr[seg] & ~(Ar.DB | Ar.UNUSABLE)) | Ar.P | Ar.S;
  } else {
    cpu.segAr[seg] = (cpu.segAr[seg] & ~Ar.UNUSABLE) | Ar.P | Ar.S;
  }
  cpu.updateSegChecks(seg);
  if (seg === Seg.CS || seg === Seg.SS) cpu.updateMode();
}

/** Load a null selector into a data segment register (protected mode): it becomes unusable. */
function loadNull(cpu: Cpu, seg: number, sel: number): void {
  cpu.segSel[seg] = sel & 0xffff;
  cpu.segBase[seg] = 0;
  cpu.segLimit[seg] = 0;
  cpu.segAr[seg] = Ar.UNUSABLE;
  cpu.updateSegChecks(seg);
}

/**
 * MOV/POP/LxS to a data or stack segment register, with every protected-mode check
 * (SDM vol. 2 MOV: "IF SS is loaded …" / "IF DS, ES, FS, or GS is loaded …").
 */
export function loadSegment(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (cpu.pe === 0 || cpu.vm !== 0) {
    loadReal(cpu, seg, sel);
    return;
  }
  const rpl = sel & 3;
  const cpl = cpu.cpl;
  if (seg === Seg.SS) {
    if ((sel & 0xfffc) === 0) cpu.raiseGp(0);
    if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
    const ar = descAr(desc.hi);
    const dpl = (ar >> 5) & 3;
    if (rpl !== cpl || dpl !== cpl || (ar & Ar.S) === 0 || (ar & Ar.TYPE_CODE) !== 0 || (ar & Ar.TYPE_RW) === 0) {
      cpu.raiseGp(sel & 0xfffc);
    }
    if ((ar & Ar.P) === 0) cpu.fault(Vec.SS, sel & 0xfffc);
    setAccessed(cpu, sel);
    loadCache(cpu, seg, sel);
    return;
  }
  if ((sel & 0xfffc) === 0) {
    loadNull(cpu, seg, sel);
    return;
  }
  if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
  const ar = descAr(desc.hi);
  const dpl = (ar >> 5) & 3;
  const code = (ar & Ar.TYPE_CODE) !== 0;
  if ((ar & Ar.S) === 0 || (code && (ar & Ar.TYPE_RW) === 0)) cpu.raiseGp(sel & 0xfffc);
  if (!code || (ar & Ar.TYPE_EC) === 0) {
    // Data or non-conforming code: DPL must be >= both CPL and RPL.
    if (dpl < cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
  }
  if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
  setAccessed(cpu, sel);
  loadCache(cpu, seg, sel);
}

/** After a privilege drop: data segment registers the new CPL may not use become null. */
function nullifyForCpl(cpu: Cpu): void {
  const cpl = cpu.cpl;
  for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const ar = cpu.segAr[s];
    if ((ar & Ar.UNUSABLE) !== 0) continue;
    const dpl = (ar >> 5) & 3;
    const conformingCode = (ar & (Ar.TYPE_CODE | Ar.TYPE_EC)) === (Ar.TYPE_CODE | Ar.TYPE_EC);
    if (!conformingCode && dpl < cpl) loadNull(cpu, s, 0);
  }
}

/** Load CS from `desc` with RPL forced to `cpl` (the new CPL). */
function loadCs(cpu: Cpu, sel: number, cpl: number): void {
  setAccessed(cpu, sel);
  cpu.segSel[Seg.CS] = (sel & 0xfffc) | cpl;
  cpu.segBase[Seg.CS] = descBase(desc.lo, desc.hi);
  cpu.segLimit[Seg.CS] = descLimit(desc.lo, desc.hi);
  // CPL comes from the DPL field of the cached CS; a conforming segment runs at the caller's CPL.
  cpu.segAr[Seg.CS] = (descAr(desc.hi) & ~(3 << 5)) | (cpl << 5);
  cpu.updateSegChecks(Seg.CS);
  cpu.updateMode();
}

// ---- stack helpers for transfers that build frames before committing -------------------

/** A pending stack write: frames are checked, then written, then ESP committed. */
function stackPush(cpu: Cpu, ssBase: number, sp: number, mask: number, size: number, v: number, user: boolean): number {
  const nsp = (sp - size) & mask;
  const lin = (ssBase + nsp) | 0;
  if (size === 4) cpu.writeSlow(lin, 4, v, user);
  else cpu.writeSlow(lin, 2, v & 0xffff, user);
  return nsp;
}

// ---- EFLAGS ------------------------------------------------------------------------------

/** The EFLAGS image PUSHF pushes (checks v86 IOPL). */
export function pushFlagsValue(cpu: Cpu): number {
  const f = cpu.materialize();
  if (cpu.vm !== 0 && (f & Flag.IOPL) !== Flag.IOPL) cpu.raiseGp(0);
  return f;
}

/**
 * Write EFLAGS as POPF/IRET do at the current privilege: IOPL only at CPL 0, IF only when
 * CPL <= IOPL; VM, RF, VIP, VIF never (callers handle those); bit 1 set, reserved bits clear.
 */
export function writeFlags(cpu: Cpu, v: number, size32: boolean): void {
  const cur = cpu.materialize();
  let mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT;
  if (size32) mask |= Flag.AC | Flag.ID;
  const iopl = (cur >> 12) & 3;
  if (cpu.pe === 0 || cpu.cpl === 0) mask |= Flag.IOPL;
  if (cpu.pe === 0 || cpu.cpl <= iopl) mask |= Flag.IF;
  cpu.flags = ((cur & ~mask) | (v & mask) | Flag.FIXED) & ~Flag.RF;
  cpu.lazy = 0;
  cpu.updateMode();
}

/** POPF/POPFD. */
export function popFlags(cpu: Cpu, size32: boolean): void {
  const f = cpu.materialize();
  if (cpu.vm !== 0 && (f & Flag.IOPL) !== Flag.IOPL) cpu.raiseGp(0);
  let v: number;
  if (size32) {
    v = cpu.peek32(0);
    cpu.setSp(cpu.regs[4] + 4);
  } else {
    v = (f & ~0xffff) | cpu.peek16(0);
    cpu.setSp(cpu.regs[4] + 2);
  }
  if (cpu.vm !== 0) {
    // IOPL = 3 here: IF may change, IOPL may not.
    const mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.IF |
      (size32 ? Flag.AC | Flag.ID : 0);
    cpu.flags = ((f & ~mask) | (v & mask) | Flag.FIXED) & ~Flag.RF;
    cpu.lazy = 0;
    cpu.updateMode();
    return;
  }
  writeFlags(cpu, v, size32);
}

// ---- I/O permission ----------------------------------------------------------------------

/** #GP(0) unless the current privilege may access `size` ports at `port` (IOPL, TSS bitmap). */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if (cpu.pe === 0) return;
  const iopl = (cpu.flags >> 12) & 3;
  if (cpu.vm === 0 && cpu.cpl <= iopl) return;
  // The I/O bitmap of a 32-bit TSS.
  const type = cpu.trAr & 0xf;
  if ((type !== 9 && type !== 11) || (cpu.trLimit >>> 0) < 103) cpu.raiseGp(0);
  const mapBase = cpu.sysRd16((cpu.trBase + 102) | 0);
  const byteOff = mapBase + (port >> 3);
  if (byteOff + 1 > (cpu.trLimit >>> 0)) cpu.raiseGp(0);
  const bits = cpu.sysRd16((cpu.trBase + byteOff) | 0);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) cpu.raiseGp(0);
}

/** Finish an IN/INS after its IoIn exit. */
export function completeIn(cpu: Cpu, i: Insn, size: number, value: number): void {
  if (cpu.ioPendingString !== 0) {
    cpu.ioPendingString = 0;
    completeIns(cpu, i, size, value);
    return;
  }
  if (size === 1) cpu.r8[0] = value;
  else if (size === 2) cpu.r16[0] = value;
  else cpu.regs[0] = value;
  cpu.eip = i.next;
  cpu.icount++;
}

// ---- interrupts and exceptions -----------------------------------------------------------

/** Exceptions that push an error code in protected mode. */
function hasErrorCode(vec: number): boolean {
  return vec === 8 || (vec >= 10 && vec <= 14) || vec === 17;
}

/**
 * Deliver vector `vec` (SDM vol. 3 §6.12, vol. 2 INT n pseudo-code). `code` is the error code
 * (-1: none), `soft` is 1 for INT n/INT3/INTO (gate DPL checked, v86 IOPL rules), `ext` is 1
 * for external interrupts (the EXT bit of error codes).
 */
export function deliverInterrupt(cpu: Cpu, vec: number, code: number, soft: number, ext: number): void {
  if (cpu.pe === 0) {
    deliverReal(cpu, vec);
    return;
  }
  // EXT is set for events external to the program: hardware interrupts and exceptions.
  const extBit = soft !== 0 ? 0 : ext | 1;
  const gateErr = vec * 8 + 2 + extBit;
  if (vec * 8 + 7 > cpu.idtrLimit) cpu.raiseGp(gateErr);
  const glo = cpu.sysRd32((cpu.idtrBase + vec * 8) | 0);
  const ghi = cpu.sysRd32((cpu.idtrBase + vec * 8 + 4) | 0);
  const type = (ghi >> 8) & 0x1f;
  const gdpl = (ghi >> 13) & 3;
  if (type !== 5 && type !== 6 && type !== 7 && type !== 14 && type !== 15) cpu.raiseGp(gateErr);
  if (soft !== 0 && gdpl < cpu.cpl) cpu.raiseGp(vec * 8 + 2);
  if ((ghi & 0x8000) === 0) cpu.fault(Vec.NP, gateErr);
  const errCode = soft === 0 && hasErrorCode(vec) ? (code < 0 ? 0 : code) : -1;
  if (type === 5) {
    taskSwitch(cpu, glo >>> 16, TaskReason.InterruptOrException, errCode, extBit);
    return;
  }
  const sel = glo >>> 16;
  const offset = type >= 14 ? ((glo & 0xffff) | (ghi & 0xffff0000)) | 0 : glo & 0xffff;
  const gate32 = type >= 14;
  const trapGate = (type & 1) !== 0;
  if ((sel & 0xfffc) === 0) cpu.raiseGp(extBit);
  if (!readDescriptor(cpu, sel)) cpu.raiseGp((sel & 0xfffc) + extBit);
  const ar = descAr(desc.hi);
  const dpl = (ar >> 5) & 3;
  if ((ar & (Ar.S | Ar.TYPE_CODE)) !== (Ar.S | Ar.TYPE_CODE) || dpl > cpu.cpl) cpu.raiseGp((sel & 0xfffc) + extBit);
  if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, (sel & 0xfffc) + extBit);
  const limit = descLimit(desc.lo, desc.hi);
  const conforming = (ar & Ar.TYPE_EC) !== 0;
  const flags = cpu.materialize();
  const oldCs = cpu.segSel[Seg.CS];
  const oldEip = cpu.eip;
  const csLo = desc.lo;
  const csHi = desc.hi;
  if (!conforming && dpl < cpu.cpl) {
    // Inter-privilege: the new stack comes from the TSS.
    if (cpu.vm !== 0 && dpl !== 0) cpu.raiseGp((sel & 0xfffc) + extBit);
    const wasVm = cpu.vm;
    const tss = tssStack(cpu, dpl);
    const ssSel = tss.ss;
    const esp = tss.esp;
    if ((ssSel & 0xfffc) === 0) cpu.fault(Vec.TS, extBit);
    if (!readDescriptor(cpu, ssSel)) cpu.fault(Vec.TS, (ssSel & 0xfffc) + extBit);
    const sar = descAr(desc.hi);
    if ((ssSel & 3) !== dpl || ((sar >> 5) & 3) !== dpl || (sar & (Ar.S | Ar.TYPE_CODE | Ar.TYPE_RW)) !== (Ar.S | Ar.TYPE_RW)) {
      cpu.fault(Vec.TS, (ssSel & 0xfffc) + extBit);
    }
    if ((sar & Ar.P) === 0) cpu.fault(Vec.SS, (ssSel & 0xfffc) + extBit);
    const ssLo = desc.lo;
    const ssHi = desc.hi;
    const ssBase = descBase(ssLo, ssHi);
    const ssMask = (sar & Ar.DB) !== 0 ? -1 : 0xffff;
    if ((offset ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(extBit);
    const w = gate32 ? 4 : 2;
    let sp = esp;
    // Build the frame on the new stack (supervisor writes); nothing is committed until done.
    if (wasVm !== 0) {
      sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.segSel[Seg.GS], false);
      sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.segSel[Seg.FS], false);
      sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.segSel[Seg.DS], false);
      sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.segSel[Seg.ES], false);
    }
    sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.segSel[Seg.SS], false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, cpu.regs[4], false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, flags, false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, oldCs, false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, oldEip, false);
    if (errCode >= 0) sp = stackPush(cpu, ssBase, sp, ssMask, w, errCode, false);
    // Commit.
    if (wasVm !== 0) {
      for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) loadNull(cpu, s, 0);
    }
    cpu.flags = flags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (trapGate ? 0 : Flag.IF));
    desc.lo = ssLo;
    desc.hi = ssHi;
    setAccessed(cpu, ssSel);
    loadCache(cpu, Seg.SS, ssSel);
    cpu.regs[4] = ssMask === -1 ? sp : (esp & ~0xffff) | (sp & 0xffff);
    desc.lo = csLo;
    desc.hi = csHi;
    loadCs(cpu, sel, dpl);
    cpu.eip = offset;
    cpu.updateMode();
    return;
  }
  // Same privilege (or conforming).
  if (cpu.vm !== 0) cpu.raiseGp((sel & 0xfffc) + extBit);
  if ((offset ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(extBit);
  const w = gate32 ? 4 : 2;
  const ssBase = cpu.segBase[Seg.SS];
  const m = cpu.spMask;
  let sp = cpu.regs[4];
  // Check the frame against SS's limit, then write it.
  const total = (errCode >= 0 ? 4 : 3) * w;
  cpu.linW(Seg.SS, (sp - total) & m, total);
  const user = cpu.cpl === 3;
  sp = stackPush(cpu, ssBase, sp, m, w, flags, user);
  sp = stackPush(cpu, ssBase, sp, m, w, oldCs, user);
  sp = stackPush(cpu, ssBase, sp, m, w, oldEip, user);
  if (errCode >= 0) sp = stackPush(cpu, ssBase, sp, m, w, errCode, user);
  cpu.setSp(sp);
  cpu.flags = flags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (trapGate ? 0 : Flag.IF));
  desc.lo = csLo;
  desc.hi = csHi;
  loadCs(cpu, sel, cpu.cpl);
  cpu.eip = offset;
  cpu.updateMode();
}

/** Real-address-mode delivery through the IVT. */
function deliverReal(cpu: Cpu, vec: number): void {
  if (vec * 4 + 3 > cpu.idtrLimit) cpu.raiseGp(0);
  const flags = cpu.materialize();
  const off = cpu.sysRd16((cpu.idtrBase + vec * 4) | 0);
  const seg = cpu.sysRd16((cpu.idtrBase + vec * 4 + 2) | 0);
  const sp = cpu.regs[4];
  const m = cpu.spMask;
  cpu.linW(Seg.SS, (sp - 6) & m, 2);
  cpu.linW(Seg.SS, (sp - 2) & m, 2);
  cpu.push16(flags & 0xffff);
  cpu.push16(cpu.segSel[Seg.CS]);
  cpu.push16(cpu.eip & 0xffff);
  cpu.flags = flags & ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF);
  loadReal(cpu, Seg.CS, seg);
  cpu.eip = off;
  cpu.updateMode();
}

/** The ring-`dpl` stack pointer from the current TSS. */
function tssStack(cpu: Cpu, dpl: number): { ss: number; esp: number } {
  const type = cpu.trAr & 0xf;
  const tr = cpu.trSel & 0xfffc;
  if (type === 9 || type === 11) {
    const off = 4 + dpl * 8;
    if (off + 5 > (cpu.trLimit >>> 0)) cpu.fault(Vec.TS, tr);
    return { esp: cpu.sysRd32((cpu.trBase + off) | 0), ss: cpu.sysRd16((cpu.trBase + off + 4) | 0) };
  }
  const off = 2 + dpl * 4;
  if (off + 3 > (cpu.trLimit >>> 0)) cpu.fault(Vec.TS, tr);
  return { esp: cpu.sysRd16((cpu.trBase + off) | 0), ss: cpu.sysRd16((cpu.trBase + off + 2) | 0) };
}

// ---- far transfers -----------------------------------------------------------------------

/**
 * The checks of a far JMP/CALL straight to a code segment (`desc` holds its descriptor):
 * conforming needs DPL <= CPL, non-conforming RPL <= CPL and DPL = CPL; present; offset within
 * the limit. Returns the offset masked to the operand size.
 */
function checkCodeTarget(cpu: Cpu, sel: number, ar: number, off: number, o32: number): number {
  const dpl = (ar >> 5) & 3;
  if ((ar & Ar.TYPE_CODE) === 0) cpu.raiseGp(sel & 0xfffc);
  if ((ar & Ar.TYPE_EC) !== 0) {
    if (dpl > cpu.cpl) cpu.raiseGp(sel & 0xfffc);
  } else if ((sel & 3) > cpu.cpl || dpl !== cpu.cpl) cpu.raiseGp(sel & 0xfffc);
  if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
  const t = o32 === 0 ? off & 0xffff : off;
  if ((t ^ 0x80000000) > (descLimit(desc.lo, desc.hi) ^ 0x80000000)) cpu.raiseGp(0);
  return t;
}

/** Far JMP to sel:off (direct or indirect). */
export function jmpFar(cpu: Cpu, sel: number, off: number, o32: number): void {
  if (cpu.pe === 0 || cpu.vm !== 0) {
    if (o32 === 0) off &= 0xffff;
    loadReal(cpu, Seg.CS, sel);
    cpu.eip = off;
    return;
  }
  if ((sel & 0xfffc) === 0) cpu.raiseGp(0);
  if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
  const ar = descAr(desc.hi);
  const dpl = (ar >> 5) & 3;
  const rpl = sel & 3;
  if ((ar & Ar.S) !== 0) {
    off = checkCodeTarget(cpu, sel, ar, off, o32);
    loadCs(cpu, sel, cpu.cpl);
    cpu.eip = off;
    return;
  }
  const type = ar & 0xf;
  switch (type) {
    case 1: case 9: // available TSS
      if (dpl < cpu.cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
      if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      taskSwitch(cpu, sel, TaskReason.Jmp, -1, 0);
      return;
    case 5: { // task gate
      if (dpl < cpu.cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
      if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      taskSwitch(cpu, desc.lo >>> 16, TaskReason.Jmp, -1, 0);
      return;
    }
    case 4: case 12: { // call gate
      if (dpl < cpu.cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
      if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      const csSel = desc.lo >>> 16;
      const target = type === 12 ? ((desc.lo & 0xffff) | (desc.hi & 0xffff0000)) | 0 : desc.lo & 0xffff;
      if ((csSel & 0xfffc) === 0) cpu.raiseGp(0);
      if (!readDescriptor(cpu, csSel)) cpu.raiseGp(csSel & 0xfffc);
      const car = descAr(desc.hi);
      const cdpl = (car >> 5) & 3;
      if ((car & (Ar.S | Ar.TYPE_CODE)) !== (Ar.S | Ar.TYPE_CODE)) cpu.raiseGp(csSel & 0xfffc);
      if ((car & Ar.TYPE_EC) !== 0 ? cdpl > cpu.cpl : cdpl !== cpu.cpl) cpu.raiseGp(csSel & 0xfffc);
      if ((car & Ar.P) === 0) cpu.fault(Vec.NP, csSel & 0xfffc);
      if ((target ^ 0x80000000) > (descLimit(desc.lo, desc.hi) ^ 0x80000000)) cpu.raiseGp(0);
      loadCs(cpu, csSel, cpu.cpl);
      cpu.eip = target;
      return;
    }
    default:
      cpu.raiseGp(sel & 0xfffc);
  }
}

/** Far CALL to sel:off; `next` is the return EIP. */
export function callFar(cpu: Cpu, sel: number, off: number, o32: number, next: number): void {
  const w = o32 !== 0 ? 4 : 2;
  if (cpu.pe === 0 || cpu.vm !== 0) {
    const m = cpu.spMask;
    const sp = cpu.regs[4];
    cpu.linW(Seg.SS, (sp - 2 * w) & m, 2 * w);
    if (w === 4) {
      cpu.push32(cpu.segSel[Seg.CS]);
      cpu.push32(next);
    } else {
      cpu.push16(cpu.segSel[Seg.CS]);
      cpu.push16(next & 0xffff);
    }
    loadReal(cpu, Seg.CS, sel);
    cpu.eip = o32 !== 0 ? off : off & 0xffff;
    return;
  }
  if ((sel & 0xfffc) === 0) cpu.raiseGp(0);
  if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
  const ar = descAr(desc.hi);
  const dpl = (ar >> 5) & 3;
  const rpl = sel & 3;
  if ((ar & Ar.S) !== 0) {
    off = checkCodeTarget(cpu, sel, ar, off, o32);
    const lo = desc.lo;
    const hi = desc.hi;
    const sp = cpu.regs[4];
    cpu.linW(Seg.SS, (sp - 2 * w) & cpu.spMask, 2 * w);
    if (w === 4) {
      cpu.push32(cpu.segSel[Seg.CS]);
      cpu.push32(next);
    } else {
      cpu.push16(cpu.segSel[Seg.CS]);
      cpu.push16(next & 0xffff);
    }
    desc.lo = lo;
    desc.hi = hi;
    loadCs(cpu, sel, cpu.cpl);
    cpu.eip = off;
    return;
  }
  const type = ar & 0xf;
  switch (type) {
    case 1: case 9:
      if (dpl < cpu.cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
      if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      taskSwitch(cpu, sel, TaskReason.Call, -1, 0);
      return;
    case 5:
      if (dpl < cpu.cpl || dpl < rpl) cpu.raiseGp(sel & 0xfffc);
      if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
      taskSwitch(cpu, desc.lo >>> 16, TaskReason.Call, -1, 0);
      return;
    case 4: case 12:
      callGate(cpu, sel, ar, type === 12, next);
      return;
    default:
      cpu.raiseGp(sel & 0xfffc);
  }
}

/** CALL through a call gate (desc holds the gate). */
function callGate(cpu: Cpu, gateSel: number, gar: number, gate32: boolean, next: number): void {
  const gdpl = (gar >> 5) & 3;
  if (gdpl < cpu.cpl || gdpl < (gateSel & 3)) cpu.raiseGp(gateSel & 0xfffc);
  if ((gar & Ar.P) === 0) cpu.fault(Vec.NP, gateSel & 0xfffc);
  const csSel = desc.lo >>> 16;
  const target = gate32 ? ((desc.lo & 0xffff) | (desc.hi & 0xffff0000)) | 0 : desc.lo & 0xffff;
  const params = desc.hi & 0x1f;
  if ((csSel & 0xfffc) === 0) cpu.raiseGp(0);
  if (!readDescriptor(cpu, csSel)) cpu.raiseGp(csSel & 0xfffc);
  const car = descAr(desc.hi);
  const cdpl = (car >> 5) & 3;
  if ((car & (Ar.S | Ar.TYPE_CODE)) !== (Ar.S | Ar.TYPE_CODE) || cdpl > cpu.cpl) cpu.raiseGp(csSel & 0xfffc);
  if ((car & Ar.P) === 0) cpu.fault(Vec.NP, csSel & 0xfffc);
  if ((target ^ 0x80000000) > (descLimit(desc.lo, desc.hi) ^ 0x80000000)) cpu.raiseGp(0);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const w = gate32 ? 4 : 2;
  const oldCs = cpu.segSel[Seg.CS];
  if ((car & Ar.TYPE_EC) === 0 && cdpl < cpu.cpl) {
    // More privileged: switch stacks and copy the parameters.
    const tss = tssStack(cpu, cdpl);
    const ssSel = tss.ss;
    if ((ssSel & 0xfffc) === 0) cpu.fault(Vec.TS, 0);
    if (!readDescriptor(cpu, ssSel)) cpu.fault(Vec.TS, ssSel & 0xfffc);
    const sar = descAr(desc.hi);
    if ((ssSel & 3) !== cdpl || ((sar >> 5) & 3) !== cdpl || (sar & (Ar.S | Ar.TYPE_CODE | Ar.TYPE_RW)) !== (Ar.S | Ar.TYPE_RW)) {
      cpu.fault(Vec.TS, ssSel & 0xfffc);
    }
    if ((sar & Ar.P) === 0) cpu.fault(Vec.SS, ssSel & 0xfffc);
    const ssLo = desc.lo;
    const ssHi = desc.hi;
    const ssBase = descBase(ssLo, ssHi);
    const ssMask = (sar & Ar.DB) !== 0 ? -1 : 0xffff;
    const oldSs = cpu.segSel[Seg.SS];
    const oldEsp = cpu.regs[4];
    const oldSpM = cpu.spMask;
    const oldSsBase = cpu.segBase[Seg.SS];
    let sp = tss.esp;
    sp = stackPush(cpu, ssBase, sp, ssMask, w, oldSs, false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, oldEsp, false);
    for (let k = params - 1; k >= 0; k--) {
      const a = (oldSsBase + ((oldEsp + k * w) & oldSpM)) | 0;
      const v = cpu.readSlow(a, w, cpu.cpl === 3);
      sp = stackPush(cpu, ssBase, sp, ssMask, w, v, false);
    }
    sp = stackPush(cpu, ssBase, sp, ssMask, w, oldCs, false);
    sp = stackPush(cpu, ssBase, sp, ssMask, w, next, false);
    desc.lo = ssLo;
    desc.hi = ssHi;
    setAccessed(cpu, ssSel);
    loadCache(cpu, Seg.SS, ssSel);
    cpu.regs[4] = ssMask === -1 ? sp : (tss.esp & ~0xffff) | (sp & 0xffff);
    desc.lo = csLo;
    desc.hi = csHi;
    loadCs(cpu, csSel, cdpl);
    cpu.eip = target;
    return;
  }
  const sp = cpu.regs[4];
  cpu.linW(Seg.SS, (sp - 2 * w) & cpu.spMask, 2 * w);
  if (w === 4) {
    cpu.push32(oldCs);
    cpu.push32(next);
  } else {
    cpu.push16(oldCs);
    cpu.push16(next & 0xffff);
  }
  desc.lo = csLo;
  desc.hi = csHi;
  loadCs(cpu, csSel, cpu.cpl);
  cpu.eip = target;
}

/**
 * RET far / IRET: the checks of the return CS (`desc` then holds its descriptor): a code
 * segment, RPL >= CPL, DPL = RPL (conforming: DPL <= RPL), present.
 */
function checkReturnCs(cpu: Cpu, sel: number): void {
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) cpu.raiseGp(0);
  if (!readDescriptor(cpu, sel)) cpu.raiseGp(sel & 0xfffc);
  const ar = descAr(desc.hi);
  const dpl = (ar >> 5) & 3;
  if ((ar & (Ar.S | Ar.TYPE_CODE)) !== (Ar.S | Ar.TYPE_CODE) || rpl < cpu.cpl) cpu.raiseGp(sel & 0xfffc);
  if ((ar & Ar.TYPE_EC) !== 0 ? dpl > rpl : dpl !== rpl) cpu.raiseGp(sel & 0xfffc);
  if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, sel & 0xfffc);
}

/**
 * RET far / IRET to an outer level: the checks of the popped SS (`desc` then holds its
 * descriptor): RPL and DPL equal the new CPL, a writable data segment, present (#SS).
 */
function checkReturnSs(cpu: Cpu, ssSel: number, rpl: number): void {
  if ((ssSel & 0xfffc) === 0) cpu.raiseGp(0);
  if (!readDescriptor(cpu, ssSel)) cpu.raiseGp(ssSel & 0xfffc);
  const sar = descAr(desc.hi);
  if ((ssSel & 3) !== rpl || ((sar >> 5) & 3) !== rpl || (sar & (Ar.S | Ar.TYPE_CODE | Ar.TYPE_RW)) !== (Ar.S | Ar.TYPE_RW)) {
    cpu.raiseGp(ssSel & 0xfffc);
  }
  if ((sar & Ar.P) === 0) cpu.fault(Vec.SS, ssSel & 0xfffc);
}

/** Far RET [imm16]. */
export function retFar(cpu: Cpu, o32: number, imm: number): void {
  const w = o32 !== 0 ? 4 : 2;
  const rd = (off: number): number => (w === 4 ? cpu.peek32(off) : cpu.peek16(off));
  if (cpu.pe === 0 || cpu.vm !== 0) {
    const eip = rd(0);
    const cs = rd(w) & 0xffff;
    loadReal(cpu, Seg.CS, cs);
    cpu.eip = eip;
    cpu.setSp(cpu.regs[4] + 2 * w + imm);
    return;
  }
  const eip = rd(0);
  const sel = rd(w) & 0xffff;
  const rpl = sel & 3;
  checkReturnCs(cpu, sel);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const limit = descLimit(csLo, csHi);
  if (rpl === cpu.cpl) {
    const off = o32 !== 0 ? eip : eip & 0xffff;
    if ((off ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(0);
    loadCs(cpu, sel, cpu.cpl);
    cpu.eip = off;
    cpu.setSp(cpu.regs[4] + 2 * w + imm);
    return;
  }
  // Return to an outer privilege level: pop SS:ESP too.
  const newEsp = rd(2 * w + imm);
  const ssSel = rd(3 * w + imm) & 0xffff;
  checkReturnSs(cpu, ssSel, rpl);
  const off = o32 !== 0 ? eip : eip & 0xffff;
  if ((off ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(0);
  const ssLo = desc.lo;
  const ssHi = desc.hi;
  desc.lo = csLo;
  desc.hi = csHi;
  loadCs(cpu, sel, rpl);
  desc.lo = ssLo;
  desc.hi = ssHi;
  setAccessed(cpu, ssSel);
  loadCache(cpu, Seg.SS, ssSel);
  cpu.setSp(newEsp + imm);
  cpu.eip = off;
  nullifyForCpl(cpu);
}

/** IRET/IRETD. */
export function iret(cpu: Cpu, o32: number): void {
  const w = o32 !== 0 ? 4 : 2;
  const rd = (off: number): number => (w === 4 ? cpu.peek32(off) : cpu.peek16(off));
  if (cpu.pe === 0) {
    const eip = rd(0);
    const cs = rd(w) & 0xffff;
    const fl = rd(2 * w);
    loadReal(cpu, Seg.CS, cs);
    cpu.eip = o32 !== 0 ? eip : eip & 0xffff;
    cpu.setSp(cpu.regs[4] + 3 * w);
    const cur = cpu.materialize();
    const v = o32 !== 0 ? fl : (cur & ~0xffff) | fl;
    const mask = o32 !== 0 ? 0x257fd5 : 0x7fd5;
    cpu.flags = ((cur & ~mask) | (v & mask) | Flag.FIXED) & ~(Flag.VM | Flag.RF);
    cpu.lazy = 0;
    cpu.updateMode();
    return;
  }
  if (cpu.vm !== 0) {
    // IRET in virtual-8086 mode: allowed with IOPL 3.
    if ((cpu.flags & Flag.IOPL) !== Flag.IOPL) cpu.raiseGp(0);
    const eip = rd(0);
    const cs = rd(w) & 0xffff;
    const fl = rd(2 * w);
    loadReal(cpu, Seg.CS, cs);
    cpu.eip = o32 !== 0 ? eip : eip & 0xffff;
    cpu.setSp(cpu.regs[4] + 3 * w);
    const cur = cpu.materialize();
    const mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.IF | Flag.DF | Flag.OF | Flag.NT |
      (o32 !== 0 ? Flag.AC | Flag.ID : 0);
    cpu.flags = ((cur & ~mask) | (fl & mask) | Flag.FIXED) & ~Flag.RF;
    cpu.lazy = 0;
    cpu.updateMode();
    return;
  }
  if ((cpu.flags & Flag.NT) !== 0) {
    // Return from a nested task through the back link.
    const back = cpu.sysRd16(cpu.trBase);
    taskSwitch(cpu, back, TaskReason.Iret, -1, 0);
    return;
  }
  const eip = rd(0);
  const sel = rd(w) & 0xffff;
  const fl = rd(2 * w);
  if (o32 !== 0 && (fl & Flag.VM) !== 0 && cpu.cpl === 0) {
    // Return to virtual-8086 mode.
    const esp = cpu.peek32(12);
    const ss = cpu.peek32(16) & 0xffff;
    const es = cpu.peek32(20) & 0xffff;
    const ds = cpu.peek32(24) & 0xffff;
    const fs = cpu.peek32(28) & 0xffff;
    const gs = cpu.peek32(32) & 0xffff;
    cpu.flags = (fl & 0x3f7fd5) | Flag.FIXED | Flag.VM;
    cpu.lazy = 0;
    cpu.updateMode();
    loadReal(cpu, Seg.CS, sel);
    loadReal(cpu, Seg.ES, es);
    loadReal(cpu, Seg.DS, ds);
    loadReal(cpu, Seg.FS, fs);
    loadReal(cpu, Seg.GS, gs);
    loadReal(cpu, Seg.SS, ss);
    cpu.regs[4] = esp;
    cpu.eip = eip & 0xffff;
    cpu.updateMode();
    return;
  }
  const rpl = sel & 3;
  checkReturnCs(cpu, sel);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const limit = descLimit(csLo, csHi);
  const off = o32 !== 0 ? eip : eip & 0xffff;
  const oldCpl = cpu.cpl;
  if (rpl === oldCpl) {
    if ((off ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(0);
    loadCs(cpu, sel, rpl);
    cpu.eip = off;
    cpu.setSp(cpu.regs[4] + 3 * w);
    iretFlags(cpu, fl, o32, oldCpl);
    return;
  }
  const newEsp = rd(3 * w);
  const ssSel = rd(4 * w) & 0xffff;
  checkReturnSs(cpu, ssSel, rpl);
  if ((off ^ 0x80000000) > (limit ^ 0x80000000)) cpu.raiseGp(0);
  const ssLo = desc.lo;
  const ssHi = desc.hi;
  desc.lo = csLo;
  desc.hi = csHi;
  loadCs(cpu, sel, rpl);
  desc.lo = ssLo;
  desc.hi = ssHi;
  setAccessed(cpu, ssSel);
  loadCache(cpu, Seg.SS, ssSel);
  cpu.setSp(newEsp);
  cpu.eip = off;
  iretFlags(cpu, fl, o32, oldCpl);
  nullifyForCpl(cpu);
}

/** EFLAGS as IRET restores them in protected mode (privilege rules from the *old* CPL). */
function iretFlags(cpu: Cpu, fl: number, o32: number, oldCpl: number): void {
  const cur = cpu.materialize();
  let mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.RF;
  if (o32 !== 0) mask |= Flag.AC | Flag.ID;
  if (oldCpl === 0) mask |= Flag.IOPL | (o32 !== 0 ? Flag.VIF | Flag.VIP : 0);
  if (oldCpl <= ((cur >> 12) & 3)) mask |= Flag.IF;
  const v = o32 !== 0 ? fl : (cur & ~0xffff) | fl;
  cpu.flags = ((cur & ~mask) | (v & mask) | Flag.FIXED) & ~Flag.RF;
  cpu.lazy = 0;
  cpu.updateMode();
}

// ---- task switching ----------------------------------------------------------------------

/** Why a task switch happens (SDM §7.3). */
export const TaskReason = { Jmp: 0, Call: 1, Iret: 2, InterruptOrException: 3 } as const;

/**
 * Switch to the task whose TSS selector is `sel` (SDM vol. 3 §7.3). Saves the current state
 * into the current TSS, loads the new one, handles busy bits, NT and the back link, and
 * pushes `errCode` (>= 0) on the new stack for exceptions.
 */
export function taskSwitch(cpu: Cpu, sel: number, reason: number, errCode: number, ext: number): void {
  if ((sel & 4) !== 0) cpu.fault(Vec.TS, (sel & 0xfffc) + ext);
  if (!readDescriptor(cpu, sel)) cpu.fault(Vec.TS, (sel & 0xfffc) + ext);
  const ar = descAr(desc.hi);
  const type = ar & 0xf;
  const busy = (type & 2) !== 0;
  if ((ar & Ar.S) !== 0 || (type !== 1 && type !== 3 && type !== 9 && type !== 11)) {
    cpu.raiseGp((sel & 0xfffc) + ext);
  }
  if (reason === TaskReason.Iret ? !busy : busy) cpu.raiseGp((sel & 0xfffc) + ext);
  if ((ar & Ar.P) === 0) cpu.fault(Vec.NP, (sel & 0xfffc) + ext);
  const newLo = desc.lo;
  const newHi = desc.hi;
  const newBase = descBase(newLo, newHi);
  const newLimit = descLimit(newLo, newHi);
  const new32 = (type & 8) !== 0;
  if ((newLimit >>> 0) < (new32 ? 0x67 : 0x2b)) cpu.fault(Vec.TS, (sel & 0xfffc) + ext);

  // Read the new task's state first (faults here leave the old task intact).
  const nb = newBase;
  const rd32 = (o: number): number => cpu.sysRd32((nb + o) | 0);
  const rd16 = (o: number): number => cpu.sysRd16((nb + o) | 0);
  const regs = new Int32Array(8);
  let eip: number;
  let eflags: number;
  let cr3 = cpu.cr3;
  const segs = new Int32Array(6);
  let ldt: number;
  if (new32) {
    cr3 = rd32(0x1c);
    eip = rd32(0x20);
    eflags = rd32(0x24);
    for (let k = 0; k < 8; k++) regs[k] = rd32(0x28 + 4 * k);
    for (let k = 0; k < 6; k++) segs[k] = rd16(0x48 + 4 * k);
    ldt = rd16(0x60);
  } else {
    eip = rd16(0x0e);
    eflags = (cpu.materialize() & ~0xffff) | rd16(0x10);
    for (let k = 0; k < 8; k++) regs[k] = (cpu.regs[k] & ~0xffff) | rd16(0x12 + 2 * k);
    for (let k = 0; k < 4; k++) segs[k] = rd16(0x22 + 2 * k);
    segs[4] = segs[5] = 0;
    ldt = rd16(0x2a);
  }

  // Save the current task.
  const oldSel = cpu.trSel;
  const oldBase = cpu.trBase;
  const old32 = (cpu.trAr & 8) !== 0;
  let flagsOut = cpu.materialize();
  if (reason === TaskReason.Iret) flagsOut &= ~Flag.NT;
  const ob = oldBase;
  if (old32) {
    cpu.sysWr32((ob + 0x20) | 0, cpu.eip);
    cpu.sysWr32((ob + 0x24) | 0, flagsOut);
    for (let k = 0; k < 8; k++) cpu.sysWr32((ob + 0x28 + 4 * k) | 0, cpu.regs[k]);
    for (let k = 0; k < 6; k++) cpu.sysWr16((ob + 0x48 + 4 * k) | 0, cpu.segSel[k]);
  } else {
    cpu.sysWr16((ob + 0x0e) | 0, cpu.eip);
    cpu.sysWr16((ob + 0x10) | 0, flagsOut);
    for (let k = 0; k < 8; k++) cpu.sysWr16((ob + 0x12 + 2 * k) | 0, cpu.regs[k]);
    for (let k = 0; k < 4; k++) cpu.sysWr16((ob + 0x22 + 2 * k) | 0, cpu.segSel[k]);
  }
  // Busy bits.
  if (reason === TaskReason.Jmp || reason === TaskReason.Iret) setBusy(cpu, oldSel, false);
  if (reason !== TaskReason.Iret) setBusy(cpu, sel, true);
  if (reason === TaskReason.Call || reason === TaskReason.InterruptOrException) {
    cpu.sysWr16(nb, oldSel);
    eflags |= Flag.NT;
  }
  // Load TR.
  cpu.trSel = sel;
  cpu.trBase = newBase;
  cpu.trLimit = newLimit;
  readDescriptor(cpu, sel);
  cpu.trAr = descAr(desc.hi) | 2;
  cpu.cr0 |= Cr0.TS;
  // Registers.
  if (new32 && (cpu.cr0 & Cr0.PG) !== 0 && cr3 !== cpu.cr3) cpu.setCr3(cr3);
  for (let k = 0; k < 8; k++) cpu.regs[k] = regs[k];
  cpu.eip = eip;
  cpu.flags = (eflags & 0x3f7fd5) | Flag.FIXED;
  cpu.lazy = 0;
  // Segment selectors are loaded as if by the new task; faults now are in its context.
  cpu.updateMode();
  // Preload the selectors so a fault while loading reports the new task's state.
  for (let k = 0; k < 6; k++) cpu.segSel[k] = segs[k];
  // LDT.
  if ((ldt & 0xfffc) !== 0) {
    if ((ldt & 4) !== 0 || !readDescriptorGdt(cpu, ldt)) cpu.fault(Vec.TS, ldt & 0xfffc);
    if ((desc.hi & 0x1f00) !== 0x0200) cpu.fault(Vec.TS, ldt & 0xfffc);
    if ((desc.hi & 0x8000) === 0) cpu.fault(Vec.TS, ldt & 0xfffc);
    cpu.ldtrSel = ldt;
    cpu.ldtrBase = descBase(desc.lo, desc.hi);
    cpu.ldtrLimit = descLimit(desc.lo, desc.hi);
    cpu.ldtrAr = descAr(desc.hi);
  } else {
    cpu.ldtrSel = ldt;
    cpu.ldtrAr = Ar.UNUSABLE;
  }
  if ((eflags & Flag.VM) !== 0) {
    for (let k = 0; k < 6; k++) loadReal(cpu, k, segs[k]);
  } else {
    // CS first (it sets CPL), then SS, then the data segments; faults are #TS.
    const csSel = segs[Seg.CS];
    if ((csSel & 0xfffc) === 0 || !readDescriptor(cpu, csSel)) cpu.fault(Vec.TS, csSel & 0xfffc);
    const car = descAr(desc.hi);
    if ((car & (Ar.S | Ar.TYPE_CODE)) !== (Ar.S | Ar.TYPE_CODE)) cpu.fault(Vec.TS, csSel & 0xfffc);
    if ((car & Ar.P) === 0) cpu.fault(Vec.NP, csSel & 0xfffc);
    loadCache(cpu, Seg.CS, csSel);
    const cpl = csSel & 3;
    cpu.segAr[Seg.CS] = (cpu.segAr[Seg.CS] & ~(3 << 5)) | (cpl << 5);
    cpu.updateMode();
    const ssSel = segs[Seg.SS];
    if ((ssSel & 0xfffc) === 0 || !readDescriptor(cpu, ssSel)) cpu.fault(Vec.TS, ssSel & 0xfffc);
    const sar = descAr(desc.hi);
    if ((ssSel & 3) !== cpl || ((sar >> 5) & 3) !== cpl || (sar & (Ar.S | Ar.TYPE_CODE | Ar.TYPE_RW)) !== (Ar.S | Ar.TYPE_RW)) {
      cpu.fault(Vec.TS, ssSel & 0xfffc);
    }
    if ((sar & Ar.P) === 0) cpu.fault(Vec.SS, ssSel & 0xfffc);
    setAccessed(cpu, ssSel);
    loadCache(cpu, Seg.SS, ssSel);
    for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
      const ds = segs[s];
      if ((ds & 0xfffc) === 0) {
        loadNull(cpu, s, ds);
        continue;
      }
      if (!readDescriptor(cpu, ds)) cpu.fault(Vec.TS, ds & 0xfffc);
      const dar = descAr(desc.hi);
      const code = (dar & Ar.TYPE_CODE) !== 0;
      if ((dar & Ar.S) === 0 || (code && (dar & Ar.TYPE_RW) === 0)) cpu.fault(Vec.TS, ds & 0xfffc);
      const ddpl = (dar >> 5) & 3;
      if ((!code || (dar & Ar.TYPE_EC) === 0) && (ddpl < cpl || ddpl < (ds & 3))) cpu.fault(Vec.TS, ds & 0xfffc);
      if ((dar & Ar.P) === 0) cpu.fault(Vec.NP, ds & 0xfffc);
      setAccessed(cpu, ds);
      loadCache(cpu, s, ds);
    }
  }
  cpu.updateMode();
  if (errCode >= 0) {
    if (new32) cpu.push32(errCode);
    else cpu.push16(errCode);
  }
  if ((cpu.eip ^ 0x80000000) > (cpu.segLimit[Seg.CS] ^ 0x80000000)) cpu.raiseGp(0);
}

function readDescriptorGdt(cpu: Cpu, sel: number): boolean {
  return readDescriptor(cpu, sel & ~4);
}

/** Set or clear the busy bit of the TSS descriptor `sel` in the GDT. */
function setBusy(cpu: Cpu, sel: number, on: boolean): void {
  const a = (cpu.gdtrBase + (sel & 0xfff8) + 4) | 0;
  const hi = cpu.sysRd32(a);
  cpu.sysWr32(a, on ? hi | 0x200 : hi & ~0x200);
}
