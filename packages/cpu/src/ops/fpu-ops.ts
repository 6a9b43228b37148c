/**
 * x87 escape opcodes (D8–DF), FWAIT and group 15 (FXSAVE/FXRSTOR).
 *
 * The decoder hands every escape to `esc` with i.op = (opcode & 7) << 3 | ModRM.reg,
 * i.imm = ModRM.rm and i.mem set for the memory forms. The arithmetic lives in
 * ../fpu/f80.ts (exact 80-bit rounding) and ../fpu/transcendental.ts; this file does the
 * stack discipline, exception flags and masks, memory operands and the pointer registers.
 */
import { GUEST_EXIT, type Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Cr0, Flag, Seg, Vec } from "../constants.js";
import { NO_REG } from "../insn.js";
import { Cw, Sw, type Fpu } from "../fpu/fpu.js";
import * as X from "../fpu/f80.js";
import { Cls, Ex, res } from "../fpu/f80.js";
import * as T from "../fpu/transcendental.js";

/** Exceptions that suppress the result when unmasked. */
const SUPPRESS = Ex.IE | Ex.ZE | Ex.DE;
/** FSW bits cleared by FNCLEX. */
const CLEAR_MASK = Ex.IE | Ex.DE | Ex.ZE | Ex.OE | Ex.UE | Ex.PE | Ex.SF | Ex.ES | Sw.B;

/** Precision in bits selected by FCW.PC (00 = 24, 10 = 53, 11 = 64; 01 reserved → 64). */
function precOf(cw: number): number {
  const pc = (cw >> Cw.PC_SHIFT) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

/** FCW.RC. */
function rcOf(cw: number): number {
  return (cw >> Cw.RC_SHIFT) & 3;
}

// =====================================================================================
// Exceptions and pointers
// =====================================================================================

/**
 * A waiting instruction found an unmasked exception pending: #MF when CR0.NE = 1;
 * otherwise FERR# is asserted and, unless IGNNE# is, the processor freezes until an
 * interrupt (modelled as HLT before the instruction, which re-executes afterwards).
 */
function pending(cpu: Cpu, f: Fpu): void {
  if ((cpu.cr0 & Cr0.NE) !== 0) cpu.fault(Vec.MF, -1);
  f.setFerr(true);
  if (f.ignne) return;
  cpu.halted = 1;
  throw GUEST_EXIT;
}

/** Merge exception flags into FSW; returns false when an unmasked IE/ZE/DE suppresses the result. */
function raise(f: Fpu, flags: number): boolean {
  if (flags === 0) return true;
  f.sw |= flags & 0x7f;
  const un = flags & ~f.cw & Cw.MASKS;
  if (un === 0) return true;
  f.sw |= Ex.ES | Sw.B;
  return (un & SUPPRESS) === 0;
}

/** Set C1 (and clear it otherwise). */
function setC1(f: Fpu, on: number): void {
  f.sw = on !== 0 ? f.sw | Sw.C1 : f.sw & ~Sw.C1;
}

/** Stack underflow (read of an empty register): IE+SF, C1 = 0. Returns true if masked. */
function underflow(f: Fpu): boolean {
  f.sw &= ~Sw.C1;
  return raise(f, Ex.IE | Ex.SF);
}

/** Stack overflow (push onto a full register): IE+SF, C1 = 1. Returns true if masked. */
function overflow(f: Fpu): boolean {
  f.sw |= Sw.C1;
  return raise(f, Ex.IE | Ex.SF);
}

/** The ModRM byte of the instruction (mod reconstructed for memory forms). */
function modrmOf(i: Insn): number {
  let mod = 3;
  if (i.mem !== 0) {
    if (i.base === NO_REG && (i.a32 === 0 || i.index === NO_REG) && i.disp !== 0) mod = 0;
    else if (i.disp === 0) mod = 0;
    else if (i.disp >= -128 && i.disp <= 127) mod = 1;
    else mod = 2;
  }
  return (mod << 6) | ((i.op & 7) << 3) | i.imm;
}

/** Record FIP/FCS/FOP (every non-control instruction). */
function setIp(cpu: Cpu, f: Fpu, i: Insn): void {
  f.fip = i.eip;
  f.fcs = cpu.segSel[Seg.CS];
  f.fop = ((i.op >> 3) << 8) | modrmOf(i);
}

/** Record FDP/FDS for a memory operand. */
function setDp(cpu: Cpu, f: Fpu, i: Insn, ea: number): void {
  f.fdp = ea;
  f.fds = cpu.segSel[i.seg];
}

/** #AC for an x87 operand that needs `align`-byte alignment (CPL 3 with AM and AC). */
function alignCheck(cpu: Cpu, lin: number, align: number): void {
  if (cpu.ac !== 0 && (lin & (align - 1)) !== 0) cpu.fault(Vec.AC, 0);
}

/** Linear address of a `size`-byte read, every page checked first. */
function readRange(cpu: Cpu, i: Insn, ea: number, size: number, align: number): number {
  const lin = cpu.linR(i.seg, ea, size);
  alignCheck(cpu, lin, align);
  cpu.probeRead(lin, size, cpu.cpl === 3);
  return lin;
}

/** Linear address of a `size`-byte write, every page checked first. */
function writeRange(cpu: Cpu, i: Insn, ea: number, size: number, align: number): number {
  const lin = cpu.linW(i.seg, ea, size);
  alignCheck(cpu, lin, align);
  cpu.probeWrite(lin, size, cpu.cpl === 3);
  return lin;
}

// =====================================================================================
// Entry points
// =====================================================================================

/** ESC (D8–DF): i.op = (opcode & 7) << 3 | ModRM.reg, i.imm = ModRM.rm. */
export function esc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr0 & (Cr0.EM | Cr0.TS)) !== 0) cpu.fault(Vec.NM, -1);
  if (i.mem !== 0) escMem(cpu, cpu.fpu, i);
  else escReg(cpu, cpu.fpu, i);
}

/** FWAIT: #NM when CR0.MP and CR0.TS are both set; then any pending exception. */
export function fwait(cpu: Cpu): void {
  if ((cpu.cr0 & (Cr0.MP | Cr0.TS)) === (Cr0.MP | Cr0.TS)) cpu.fault(Vec.NM, -1);
  if ((cpu.fpu.sw & Ex.ES) !== 0) pending(cpu, cpu.fpu);
}

/** 0F AE group: /0 FXSAVE, /1 FXRSTOR (memory forms); the SSE members are #UD on a P6. */
export function grp15(cpu: Cpu, i: Insn): void {
  if (i.mem === 0 || i.op > 1) cpu.raiseUd();
  if ((cpu.cr0 & (Cr0.EM | Cr0.TS)) !== 0) cpu.fault(Vec.NM, -1);
  const f = cpu.fpu;
  const ea = cpu.ea(i);
  if (i.op === 0) {
    const lin = cpu.linW(i.seg, ea, 512);
    if ((lin & 15) !== 0) cpu.raiseGp(0);
    cpu.probeWrite(lin, 288, cpu.cpl === 3);
    cpu.wrLin16(lin, f.cw);
    cpu.wrLin16(lin + 2, f.getSw());
    cpu.wrLin16(lin + 4, f.getAbridgedTw());
    cpu.wrLin16(lin + 6, f.fop);
    cpu.wrLin32(lin + 8, f.fip);
    cpu.wrLin32(lin + 12, f.fcs);
    cpu.wrLin32(lin + 16, f.fdp);
    cpu.wrLin32(lin + 20, f.fds);
    for (let k = 0; k < 8; k++) {
      const p = f.phys(k);
      const o = lin + 32 + 16 * k;
      cpu.wrLin32(o, f.lo[p]);
      cpu.wrLin32(o + 4, f.hi[p]);
      cpu.wrLin32(o + 8, f.se[p] & 0xffff);
      cpu.wrLin32(o + 12, 0);
    }
  } else {
    const lin = cpu.linR(i.seg, ea, 512);
    if ((lin & 15) !== 0) cpu.raiseGp(0);
    cpu.probeRead(lin, 288, cpu.cpl === 3);
    const cw = cpu.rdLin16(lin);
    const sw = cpu.rdLin16(lin + 2);
    const tw = cpu.rdLin8(lin + 4);
    const fop = cpu.rdLin16(lin + 6);
    const fip = cpu.rdLin32(lin + 8);
    const fcs = cpu.rdLin16(lin + 12);
    const fdp = cpu.rdLin32(lin + 16);
    const fds = cpu.rdLin16(lin + 20);
    for (let k = 0; k < 8; k++) {
      const o = lin + 32 + 16 * k;
      // Physical order is resolved after TOP is known; stash in the scratch first.
      scratch[3 * k] = cpu.rdLin32(o);
      scratch[3 * k + 1] = cpu.rdLin32(o + 4);
      scratch[3 * k + 2] = cpu.rdLin16(o + 8);
    }
    f.cw = cw;
    f.setSw(sw);
    f.valid = tw & 0xff;
    f.fop = fop & 0x7ff;
    f.fip = fip;
    f.fcs = fcs;
    f.fdp = fdp;
    f.fds = fds;
    for (let k = 0; k < 8; k++) {
      const p = f.phys(k);
      f.lo[p] = scratch[3 * k];
      f.hi[p] = scratch[3 * k + 1];
      f.se[p] = scratch[3 * k + 2];
    }
    f.updateEs();
  }
}

/** Scratch for FRSTOR/FXRSTOR (register images read before anything changes). */
const scratch = new Int32Array(24);

// =====================================================================================
// Register forms
// =====================================================================================

/** Register forms (mod = 3). */
function escReg(cpu: Cpu, f: Fpu, i: Insn): void {
  const op = i.op;
  const rm = i.imm;
  // Non-waiting and control forms first.
  if (op === 0x1c) {
    // DB E0-E7: FNENI, FNDISI, FNCLEX, FNINIT, FNSETPM (NOPs on a 387+), others #UD.
    switch (rm) {
      case 0: case 1: case 4: return;
      case 2: f.sw &= ~CLEAR_MASK; f.setFerr(false); return;
      case 3: f.reset(); return;
      default: cpu.raiseUd();
    }
  }
  if (op === 0x3c) {
    // DF E0: FNSTSW AX.
    if (rm !== 0) cpu.raiseUd();
    cpu.r16[0] = f.getSw();
    return;
  }
  if ((f.sw & Ex.ES) !== 0) pending(cpu, f);
  switch (op) {
    case 0x00: case 0x01: case 0x04: case 0x05: case 0x06: case 0x07:
      // D8: ST0 = ST0 op ST(i)
      setIp(cpu, f, i);
      arithReg(f, op & 7, 0, rm);
      return;
    case 0x02: case 0x03: case 0x22: case 0x23: case 0x32:
      // D8 D0/D8, DC D0/D8 (aliases), DE D0 (alias): FCOM/FCOMP ST(i)
      setIp(cpu, f, i);
      fcomReg(f, rm, false, (op & 1) !== 0 || op === 0x32 ? 1 : 0);
      return;
    case 0x08: // FLD ST(i)
      setIp(cpu, f, i);
      fldReg(f, rm);
      return;
    case 0x09: case 0x29: case 0x39: // FXCH (and aliases)
      setIp(cpu, f, i);
      fxch(f, rm);
      return;
    case 0x0a: // FNOP
      if (rm !== 0) cpu.raiseUd();
      return;
    case 0x0b: case 0x3a: case 0x3b: // FSTP1/FSTP8/FSTP9 aliases
    case 0x2b: // FSTP ST(i)
      setIp(cpu, f, i);
      fstReg(f, rm, true);
      return;
    case 0x2a: // FST ST(i)
      setIp(cpu, f, i);
      fstReg(f, rm, false);
      return;
    case 0x0c:
      setIp(cpu, f, i);
      switch (rm) {
        case 0: signOp(f, 0); return; // FCHS
        case 1: signOp(f, 1); return; // FABS
        case 4: ftst(f); return;
        case 5: fxam(f); return;
        default: cpu.raiseUd();
      }
      return;
    case 0x0d:
      if (rm === 7) cpu.raiseUd();
      setIp(cpu, f, i);
      fldConst(f, rm);
      return;
    case 0x0e:
      setIp(cpu, f, i);
      switch (rm) {
        case 0: T.f2xm1(f); return;
        case 1: T.fyl2x(f); return;
        case 2: T.fptan(f); return;
        case 3: T.fpatan(f); return;
        case 4: fxtract(f); return;
        case 5: fprem(f, true); return;
        case 6: f.top = (f.top - 1) & 7; f.sw &= ~Sw.C1; return; // FDECSTP
        default: f.top = (f.top + 1) & 7; f.sw &= ~Sw.C1; return; // FINCSTP
      }
    case 0x0f:
      setIp(cpu, f, i);
      switch (rm) {
        case 0: fprem(f, false); return;
        case 1: T.fyl2xp1(f); return;
        case 2: fsqrt(f); return;
        case 3: T.fsincos(f); return;
        case 4: frndint(f); return;
        case 5: fscale(f); return;
        case 6: T.fsin(f); return;
        default: T.fcos(f); return;
      }
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x18: case 0x19: case 0x1a: case 0x1b:
      setIp(cpu, f, i);
      fcmov(cpu, f, op, rm);
      return;
    case 0x15: // DA E9: FUCOMPP
      if (rm !== 1) cpu.raiseUd();
      setIp(cpu, f, i);
      fcomReg(f, 1, true, 2);
      return;
    case 0x1d: case 0x1e: // FUCOMI / FCOMI
      setIp(cpu, f, i);
      fcomi(cpu, f, rm, op === 0x1d, false);
      return;
    case 0x3d: case 0x3e: // FUCOMIP / FCOMIP
      setIp(cpu, f, i);
      fcomi(cpu, f, rm, op === 0x3d, true);
      return;
    case 0x20: case 0x21: case 0x24: case 0x25: case 0x26: case 0x27:
      // DC: ST(i) = ST(i) op ST0 (with the SUB/SUBR and DIV/DIVR encodings swapped)
      setIp(cpu, f, i);
      arithReg(f, (op & 7) >= 4 ? (op & 7) ^ 1 : op & 7, rm, 0);
      return;
    case 0x28: // FFREE
      f.valid &= ~(1 << f.phys(rm));
      return;
    case 0x38: // FFREEP (undocumented, P6)
      f.valid &= ~(1 << f.phys(rm));
      f.pop();
      return;
    case 0x2c: case 0x2d: // FUCOM / FUCOMP
      setIp(cpu, f, i);
      fcomReg(f, rm, true, op & 1);
      return;
    case 0x30: case 0x31: case 0x34: case 0x35: case 0x36: case 0x37:
      // DE: FADDP/FMULP/FSUBRP/FSUBP/FDIVRP/FDIVP ST(i), ST0
      setIp(cpu, f, i);
      if (arithReg(f, (op & 7) >= 4 ? (op & 7) ^ 1 : op & 7, rm, 0)) f.pop();
      return;
    case 0x33: // DE D9: FCOMPP
      if (rm !== 1) cpu.raiseUd();
      setIp(cpu, f, i);
      fcomReg(f, 1, false, 2);
      return;
    default:
      cpu.raiseUd();
  }
}

/**
 * dst = dst op src for k = 0 add, 1 mul, 4 sub, 6 div; dst = src op dst for 5 subr,
 * 7 divr (ST indices). Returns false when the instruction must not pop (unmasked fault).
 */
function arithReg(f: Fpu, k: number, dst: number, src: number): boolean {
  const pd = (f.top + dst) & 7;
  const ps = (f.top + src) & 7;
  if (((f.valid >> pd) & 1) === 0 || ((f.valid >> ps) & 1) === 0) {
    if (!underflow(f)) return false;
    f.setIndefinite(dst);
    return true;
  }
  return arithTo(f, k, pd, f.se[ps], f.hi[ps], f.lo[ps]);
}

/** Physical register pd = pd op (se,hi,lo) per `arithReg`'s k. */
function arithTo(f: Fpu, k: number, pd: number, se: number, hi: number, lo: number): boolean {
  const cw = f.cw;
  let flags: number;
  const prec = precOf(cw);
  const rc = rcOf(cw);
  const m = cw & Cw.MASKS;
  switch (k) {
    case 0: flags = X.arith(X.Op.ADD, f.se[pd], f.hi[pd], f.lo[pd], se, hi, lo, prec, rc, m); break;
    case 1: flags = X.arith(X.Op.MUL, f.se[pd], f.hi[pd], f.lo[pd], se, hi, lo, prec, rc, m); break;
    case 4: flags = X.arith(X.Op.SUB, f.se[pd], f.hi[pd], f.lo[pd], se, hi, lo, prec, rc, m); break;
    case 5: flags = X.arith(X.Op.SUB, se, hi, lo, f.se[pd], f.hi[pd], f.lo[pd], prec, rc, m); break;
    case 6: flags = X.arith(X.Op.DIV, f.se[pd], f.hi[pd], f.lo[pd], se, hi, lo, prec, rc, m); break;
    default: flags = X.arith(X.Op.DIV, se, hi, lo, f.se[pd], f.hi[pd], f.lo[pd], prec, rc, m); break;
  }
  setC1(f, res.c1);
  if (!raise(f, flags)) return false;
  f.se[pd] = res.se;
  f.hi[pd] = res.hi;
  f.lo[pd] = res.lo;
  return true;
}

/** FLD ST(i). */
function fldReg(f: Fpu, src: number): void {
  const ps = (f.top + src) & 7;
  const pn = (f.top - 1) & 7;
  if (((f.valid >> pn) & 1) !== 0) {
    if (overflow(f)) f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  if (((f.valid >> ps) & 1) === 0) {
    if (underflow(f)) f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  f.sw &= ~Sw.C1;
  f.push(f.se[ps], f.hi[ps], f.lo[ps]);
}

/** FST/FSTP ST(i). */
function fstReg(f: Fpu, dst: number, pop: boolean): void {
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    f.setIndefinite(dst);
  } else {
    f.sw &= ~Sw.C1;
    const p = f.top;
    f.setSt(dst, f.se[p], f.hi[p], f.lo[p]);
  }
  if (pop) f.pop();
}

/** FXCH ST(i). */
function fxch(f: Fpu, k: number): void {
  const p0 = f.top;
  const pk = (f.top + k) & 7;
  if (((f.valid >> p0) & 1) === 0 || ((f.valid >> pk) & 1) === 0) {
    if (!underflow(f)) return;
    if (((f.valid >> p0) & 1) === 0) f.setIndefinite(0);
    if (((f.valid >> pk) & 1) === 0) f.setIndefinite(k);
  } else f.sw &= ~Sw.C1;
  const se = f.se[p0], hi = f.hi[p0], lo = f.lo[p0];
  f.se[p0] = f.se[pk]; f.hi[p0] = f.hi[pk]; f.lo[p0] = f.lo[pk];
  f.se[pk] = se; f.hi[pk] = hi; f.lo[pk] = lo;
}

/** FCHS (abs = 0) / FABS (abs = 1). */
function signOp(f: Fpu, abs: number): void {
  if (f.isEmpty(0)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  f.sw &= ~Sw.C1;
  const p = f.top;
  f.se[p] = abs !== 0 ? f.se[p] & 0x7fff : f.se[p] ^ 0x8000;
}

/** Set C3/C2/C0 from a comparison outcome (C1 cleared). */
function setCc(f: Fpu, r: number): void {
  let cc: number;
  switch (r) {
    case X.Cmp.LESS: cc = Sw.C0; break;
    case X.Cmp.EQUAL: cc = Sw.C3; break;
    case X.Cmp.GREATER: cc = 0; break;
    default: cc = Sw.C3 | Sw.C2 | Sw.C0; break;
  }
  f.sw = (f.sw & ~Sw.CC) | cc;
}

/** FCOM/FUCOM ST(i) then pop `pops` times. */
function fcomReg(f: Fpu, k: number, quiet: boolean, pops: number): void {
  const p0 = f.top;
  const pk = (f.top + k) & 7;
  if (((f.valid >> p0) & 1) === 0 || ((f.valid >> pk) & 1) === 0) {
    if (!underflow(f)) return;
    setCc(f, X.Cmp.UNORDERED);
  } else {
    const r = X.compare(f.se[p0], f.hi[p0], f.lo[p0], f.se[pk], f.hi[pk], f.lo[pk], quiet);
    if (!raise(f, X.cmpFlags)) return;
    setCc(f, r);
  }
  for (let n = 0; n < pops; n++) f.pop();
}

/** Compare ST0 with a memory operand (already extended in se/hi/lo). */
function fcomValue(f: Fpu, se: number, hi: number, lo: number, pop: boolean, extraFlags: number): void {
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    setCc(f, X.Cmp.UNORDERED);
  } else {
    const p0 = f.top;
    const r = X.compare(f.se[p0], f.hi[p0], f.lo[p0], se, hi, lo, false);
    if (!raise(f, X.cmpFlags | (r !== X.Cmp.UNORDERED ? extraFlags : 0))) return;
    setCc(f, r);
  }
  if (pop) f.pop();
}

/** FCOMI/FUCOMI(P): ZF, PF, CF from the comparison; OF, SF, AF cleared. */
function fcomi(cpu: Cpu, f: Fpu, k: number, quiet: boolean, pop: boolean): void {
  const p0 = f.top;
  const pk = (f.top + k) & 7;
  let r: number;
  if (((f.valid >> p0) & 1) === 0 || ((f.valid >> pk) & 1) === 0) {
    if (!underflow(f)) return;
    r = X.Cmp.UNORDERED;
  } else {
    // C1 is left alone (as the recording CPU does; the SDM says it is cleared).
    r = X.compare(f.se[p0], f.hi[p0], f.lo[p0], f.se[pk], f.hi[pk], f.lo[pk], quiet);
    if (!raise(f, X.cmpFlags)) return;
  }
  let fl: number;
  switch (r) {
    case X.Cmp.LESS: fl = Flag.CF; break;
    case X.Cmp.EQUAL: fl = Flag.ZF; break;
    case X.Cmp.GREATER: fl = 0; break;
    default: fl = Flag.ZF | Flag.PF | Flag.CF; break;
  }
  cpu.setStatus(fl);
  if (pop) f.pop();
}

/** FTST: compare ST0 with +0.0. */
function ftst(f: Fpu): void {
  fcomValue(f, 0, 0, 0, false, 0);
}

/** FXAM: classify ST0 into C3 C2 C0, sign into C1. */
function fxam(f: Fpu): void {
  const p = f.top;
  let cc: number;
  if (((f.valid >> p) & 1) === 0) cc = Sw.C3 | Sw.C0;
  else {
    switch (X.classify(f.se[p], f.hi[p], f.lo[p])) {
      case Cls.ZERO: cc = Sw.C3; break;
      case Cls.NORMAL: cc = Sw.C2; break;
      case Cls.DENORMAL: cc = Sw.C3 | Sw.C2; break;
      case Cls.INF: cc = Sw.C2 | Sw.C0; break;
      case Cls.QNAN: case Cls.SNAN: cc = Sw.C0; break;
      default: cc = 0; break;
    }
  }
  if ((f.se[p] & 0x8000) !== 0) cc |= Sw.C1;
  f.sw = (f.sw & ~Sw.CC) | cc;
}

/** The 66-bit x87 constants: [se, hi, lo, round-to-nearest rounds up (1) or down (0)]. */
const CONSTS: readonly (readonly [number, number, number, number])[] = [
  [0x3fff, 0x80000000 | 0, 0, -1], // 1 (exact)
  [0x4000, 0xd49a784b | 0, 0xcd1b8afe | 0, 0], // log2(10)
  [0x3fff, 0xb8aa3b29 | 0, 0x5c17f0bb, 1], // log2(e)
  [0x4000, 0xc90fdaa2 | 0, 0x2168c234, 1], // pi
  [0x3ffd, 0x9a209a84 | 0, 0xfbcff798 | 0, 1], // log10(2)
  [0x3ffe, 0xb17217f7 | 0, 0xd1cf79ab | 0, 1], // ln(2)
  [0, 0, 0, -1], // +0
];

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (rounded per RC, as a 387+ does). */
function fldConst(f: Fpu, k: number): void {
  if (!f.isEmpty(7)) {
    if (overflow(f)) f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  f.sw &= ~Sw.C1;
  const c = CONSTS[k];
  let lo = c[2];
  if (c[3] >= 0) {
    // The truncated 64-bit significand is stored; nearest rounds up for all but log2(10),
    // up rounds up (all are positive and inexact), down and zero truncate.
    const rc = rcOf(f.cw);
    if ((rc === X.Rc.NEAREST && c[3] === 1) || rc === X.Rc.UP) lo = (lo + 1) | 0;
  }
  f.push(c[0], c[1], lo);
}

/** FSQRT. */
function fsqrt(f: Fpu): void {
  if (f.isEmpty(0)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  const p = f.top;
  const flags = X.sqrt(f.se[p], f.hi[p], f.lo[p], precOf(f.cw), rcOf(f.cw), f.cw & Cw.MASKS);
  setC1(f, res.c1);
  if (raise(f, flags)) f.setSt(0, res.se, res.hi, res.lo);
}

/** FRNDINT. */
function frndint(f: Fpu): void {
  if (f.isEmpty(0)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  const p = f.top;
  const flags = X.roundToInt(f.se[p], f.hi[p], f.lo[p], rcOf(f.cw), f.cw & Cw.MASKS);
  setC1(f, res.c1);
  if (raise(f, flags)) f.setSt(0, res.se, res.hi, res.lo);
}

/** FSCALE. */
function fscale(f: Fpu): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  const p0 = f.top;
  const p1 = (f.top + 1) & 7;
  const flags = X.scale(f.se[p0], f.hi[p0], f.lo[p0], f.se[p1], f.hi[p1], f.lo[p1], rcOf(f.cw), f.cw & Cw.MASKS);
  setC1(f, res.c1);
  if (raise(f, flags)) f.setSt(0, res.se, res.hi, res.lo);
}

/** FXTRACT: ST0 = exponent, then push the significand. */
function fxtract(f: Fpu): void {
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    f.setIndefinite(0);
    f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  if (!f.isEmpty(7)) {
    if (!overflow(f)) return;
    f.setIndefinite(0);
    f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  const p = f.top;
  const flags = X.extract(f.se[p], f.hi[p], f.lo[p]);
  f.sw &= ~Sw.C1;
  if (!raise(f, flags)) return;
  f.setSt(0, X.extracted.se, X.extracted.hi, X.extracted.lo);
  f.push(res.se, res.hi, res.lo);
}

/** FPREM (ieee = false) / FPREM1 (true). */
function fprem(f: Fpu, ieee: boolean): void {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  const p0 = f.top;
  const p1 = (f.top + 1) & 7;
  const flags = X.partialRemainder(f.se[p0], f.hi[p0], f.lo[p0], f.se[p1], f.hi[p1], f.lo[p1], ieee, f.cw & Cw.MASKS);
  if (!raise(f, flags)) return;
  const q = X.remInfo.q;
  let cc = 0;
  if (X.remInfo.incomplete !== 0) cc = Sw.C2;
  else {
    if ((q & 4) !== 0) cc |= Sw.C0;
    if ((q & 2) !== 0) cc |= Sw.C3;
    if ((q & 1) !== 0) cc |= Sw.C1;
  }
  f.sw = (f.sw & ~Sw.CC) | cc;
  f.setSt(0, res.se, res.hi, res.lo);
}

/** FCMOVcc ST0, ST(i): op 0x10-0x13 (B, E, BE, U) and 0x18-0x1b (negated). */
function fcmov(cpu: Cpu, f: Fpu, op: number, k: number): void {
  let c: boolean;
  switch (op & 3) {
    case 0: c = cpu.getCF(); break;
    case 1: c = cpu.getZF(); break;
    case 2: c = cpu.getCF() || cpu.getZF(); break;
    default: c = cpu.getPF(); break;
  }
  if ((op & 8) !== 0) c = !c;
  if (f.isEmpty(0) || f.isEmpty(k)) {
    if (underflow(f)) {
      if (f.isEmpty(0)) f.setIndefinite(0);
      if (c) f.setIndefinite(0);
    }
    return;
  }
  f.sw &= ~Sw.C1;
  if (c) {
    const pk = (f.top + k) & 7;
    f.setSt(0, f.se[pk], f.hi[pk], f.lo[pk]);
  }
}

// =====================================================================================
// Memory forms
// =====================================================================================

/** Memory forms (mod != 3). */
function escMem(cpu: Cpu, f: Fpu, i: Insn): void {
  const op = i.op;
  // Non-waiting control instructions.
  switch (op) {
    case 0x0e: fstenv(cpu, f, i); return; // FNSTENV
    case 0x0f: cpu.wr16(i.seg, cpu.ea(i), f.cw); return; // FNSTCW
    case 0x2e: fsave(cpu, f, i); return; // FNSAVE
    case 0x2f: cpu.wr16(i.seg, cpu.ea(i), f.getSw()); return; // FNSTSW m16
    default: break;
  }
  if ((f.sw & Ex.ES) !== 0) pending(cpu, f);
  const ea = cpu.ea(i);
  const grp = op >> 3;
  const reg = op & 7;
  switch (grp) {
    case 0: { // D8: m32real arithmetic
      const v = cpu.rd32(i.seg, ea);
      setIp(cpu, f, i);
      setDp(cpu, f, i, ea);
      const lf = X.fromF32(v);
      arithMem(f, reg, lf);
      return;
    }
    case 4: { // DC: m64real
      const lin = readRange(cpu, i, ea, 8, 8);
      const lo = cpu.rdLin32(lin);
      const hi = cpu.rdLin32((lin + 4) | 0);
      setIp(cpu, f, i);
      setDp(cpu, f, i, ea);
      const lf = X.fromF64(hi, lo);
      arithMem(f, reg, lf);
      return;
    }
    case 2: { // DA: m32int
      const v = cpu.rd32(i.seg, ea);
      setIp(cpu, f, i);
      setDp(cpu, f, i, ea);
      X.fromInt32(v);
      arithMem(f, reg, 0);
      return;
    }
    case 6: { // DE: m16int
      const v = (cpu.rd16(i.seg, ea) << 16) >> 16;
      setIp(cpu, f, i);
      setDp(cpu, f, i, ea);
      X.fromInt32(v);
      arithMem(f, reg, 0);
      return;
    }
    case 1:
      switch (reg) {
        case 0: { // FLD m32
          const v = cpu.rd32(i.seg, ea);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fldValue(f, X.fromF32(v));
          return;
        }
        case 2: case 3: { // FST/FSTP m32
          const lin = cpu.linW(i.seg, ea, 4);
          cpu.probeWrite(lin, 4, cpu.cpl === 3);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fstFloat(cpu, f, lin, 32, reg === 3);
          return;
        }
        case 4: fldenv(cpu, f, i, ea); return;
        case 5: f.setCw(cpu.rd16(i.seg, ea)); return; // FLDCW
        default: cpu.raiseUd();
      }
      return;
    case 5:
      switch (reg) {
        case 0: { // FLD m64
          const lin = readRange(cpu, i, ea, 8, 8);
          const lo = cpu.rdLin32(lin);
          const hi = cpu.rdLin32((lin + 4) | 0);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fldValue(f, X.fromF64(hi, lo));
          return;
        }
        case 1: case 2: case 3: { // FISTTP m64 / FST / FSTP m64
          if (reg === 1 && !f.fisttp) cpu.raiseUd();
          const lin = writeRange(cpu, i, ea, 8, 8);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          if (reg === 1) fistInt(cpu, f, lin, 64, true, true);
          else fstFloat(cpu, f, lin, 64, reg === 3);
          return;
        }
        case 4: frstor(cpu, f, i, ea); return;
        default: cpu.raiseUd();
      }
      return;
    case 3:
      switch (reg) {
        case 0: { // FILD m32
          const v = cpu.rd32(i.seg, ea);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          X.fromInt32(v);
          fldValue(f, 0);
          return;
        }
        case 1: case 2: case 3: { // FISTTP / FIST / FISTP m32
          if (reg === 1 && !f.fisttp) cpu.raiseUd();
          const lin = writeRange(cpu, i, ea, 4, 4);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fistInt(cpu, f, lin, 32, reg !== 2, reg === 1);
          return;
        }
        case 5: { // FLD m80
          const lin = readRange(cpu, i, ea, 10, 8);
          const lo = cpu.rdLin32(lin);
          const hi = cpu.rdLin32((lin + 4) | 0);
          const se = cpu.rdLin16((lin + 8) | 0);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          res.se = se;
          res.hi = hi;
          res.lo = lo;
          fldValue(f, 0);
          return;
        }
        case 7: { // FSTP m80
          const lin = writeRange(cpu, i, ea, 10, 8);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          if (f.isEmpty(0)) {
            if (!underflow(f)) return;
            f.setIndefinite(0);
          } else f.sw &= ~Sw.C1;
          const p = f.top;
          cpu.wrLin32(lin, f.lo[p]);
          cpu.wrLin32((lin + 4) | 0, f.hi[p]);
          cpu.wrLin16((lin + 8) | 0, f.se[p]);
          f.pop();
          return;
        }
        default: cpu.raiseUd();
      }
      return;
    default: // 7: DF
      switch (reg) {
        case 0: { // FILD m16
          const v = (cpu.rd16(i.seg, ea) << 16) >> 16;
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          X.fromInt32(v);
          fldValue(f, 0);
          return;
        }
        case 1: case 2: case 3: { // FISTTP / FIST / FISTP m16
          if (reg === 1 && !f.fisttp) cpu.raiseUd();
          const lin = writeRange(cpu, i, ea, 2, 2);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fistInt(cpu, f, lin, 16, reg !== 2, reg === 1);
          return;
        }
        case 4: { // FBLD
          const lin = readRange(cpu, i, ea, 10, 1);
          for (let k = 0; k < 10; k++) scratch[k] = cpu.rdLin8((lin + k) | 0);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fbld();
          fldValue(f, 0);
          return;
        }
        case 5: { // FILD m64
          const lin = readRange(cpu, i, ea, 8, 8);
          const lo = cpu.rdLin32(lin);
          const hi = cpu.rdLin32((lin + 4) | 0);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          X.fromInt64(hi, lo);
          fldValue(f, 0);
          return;
        }
        case 6: { // FBSTP
          const lin = writeRange(cpu, i, ea, 10, 1);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fbstp(cpu, f, lin);
          return;
        }
        default: { // FISTP m64
          const lin = writeRange(cpu, i, ea, 8, 8);
          setIp(cpu, f, i);
          setDp(cpu, f, i, ea);
          fistInt(cpu, f, lin, 64, true, false);
          return;
        }
      }
  }
}

/**
 * Arithmetic with a memory operand already converted into `res` (loadFlags: IE for an
 * SNaN single/double, DE for a denormal one). reg as D8 /reg.
 */
function arithMem(f: Fpu, reg: number, loadFlags: number): void {
  const se = res.se, hi = res.hi, lo = res.lo;
  // A denormal single/double was normalised by the conversion: report DE here unless a
  // NaN in ST0 takes precedence.
  const de = loadFlags & Ex.DE;
  if (reg === 2 || reg === 3) {
    fcomValue(f, se, hi, lo, reg === 3, de);
    return;
  }
  if (f.isEmpty(0)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  if (de !== 0) {
    const c = X.classify(f.se[f.top], f.hi[f.top], f.lo[f.top]);
    if (c !== Cls.QNAN && c !== Cls.SNAN && c !== Cls.UNSUPPORTED && !raise(f, Ex.DE)) return;
  }
  arithTo(f, reg, f.top, se, hi, lo);
}

/** Push `res` (FLD m32/m64/m80, FILD, FBLD); loadFlags from the conversion. */
function fldValue(f: Fpu, loadFlags: number): void {
  if (!f.isEmpty(7)) {
    if (overflow(f)) f.push(X.INDEF_SE, X.INDEF_HI, 0);
    return;
  }
  f.sw &= ~Sw.C1;
  if (!raise(f, loadFlags)) return;
  // FLD of an SNaN single/double pushes it quieted.
  if ((loadFlags & Ex.IE) !== 0) res.hi |= X.QUIET_BIT;
  f.push(res.se, res.hi, res.lo);
}

/** FST/FSTP m32 (bits 32) or m64 (bits 64) at linear `lin` (already probed). */
function fstFloat(cpu: Cpu, f: Fpu, lin: number, bits: number, pop: boolean): void {
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    X.toFloat(X.INDEF_SE, X.INDEF_HI, 0, bits, 0, 0x3f);
  } else {
    const p = f.top;
    const cw = f.cw;
    const flags = X.toFloat(f.se[p], f.hi[p], f.lo[p], bits, rcOf(cw), cw & Cw.MASKS);
    setC1(f, res.c1);
    if (!raise(f, flags)) return;
    if ((flags & ~cw & (Ex.OE | Ex.UE)) !== 0) return;
  }
  if (bits === 32) cpu.wrLin32(lin, X.packLo);
  else {
    cpu.wrLin32(lin, X.packLo);
    cpu.wrLin32((lin + 4) | 0, X.packHi);
  }
  if (pop) f.pop();
}

/** FIST/FISTP/FISTTP to a bits-wide integer at `lin`. */
function fistInt(cpu: Cpu, f: Fpu, lin: number, bits: number, pop: boolean, trunc: boolean): void {
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    X.toInt(X.INDEF_SE, X.INDEF_HI, 0, bits, 0);
  } else {
    const p = f.top;
    const flags = X.toInt(f.se[p], f.hi[p], f.lo[p], bits, trunc ? X.Rc.ZERO : rcOf(f.cw));
    setC1(f, res.c1);
    if (!raise(f, flags)) return;
  }
  if (bits === 16) cpu.wrLin16(lin, X.intLo);
  else {
    cpu.wrLin32(lin, X.intLo);
    if (bits === 64) cpu.wrLin32((lin + 4) | 0, X.intHi);
  }
  if (pop) f.pop();
}

/** Convert the 10 BCD bytes in `scratch` to an extended value in `res`. */
function fbld(): void {
  let v = 0n;
  for (let k = 8; k >= 0; k--) {
    const b = scratch[k];
    v = v * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  const s = (scratch[9] & 0x80) !== 0 ? 1 : 0;
  if (v === 0n) {
    res.se = s << 15;
    res.hi = res.lo = 0;
    return;
  }
  X.bigRound(s, v, 0, 64, X.Rc.NEAREST, 0x3f);
}

/** FBSTP m80bcd at `lin`. */
function fbstp(cpu: Cpu, f: Fpu, lin: number): void {
  let flags: number;
  let v = 0n;
  let s = 0;
  let indefinite = false;
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    indefinite = true;
  } else {
    const p = f.top;
    s = (f.se[p] >> 15) & 1;
    flags = X.toInt(f.se[p], f.hi[p], f.lo[p], 64, rcOf(f.cw));
    setC1(f, res.c1);
    if ((flags & Ex.IE) === 0) {
      v = (BigInt(X.intHi) << 32n) | BigInt(X.intLo >>> 0);
      if (v < 0n) v = -v;
      if (v > 999999999999999999n) {
        flags = Ex.IE;
        setC1(f, 0);
      }
    }
    if ((flags & Ex.IE) !== 0) indefinite = true;
    if (!raise(f, flags)) return;
  }
  if (indefinite) {
    for (let k = 0; k < 7; k++) cpu.wrLin8((lin + k) | 0, 0);
    cpu.wrLin8((lin + 7) | 0, 0xc0);
    cpu.wrLin8((lin + 8) | 0, 0xff);
    cpu.wrLin8((lin + 9) | 0, 0xff);
  } else {
    for (let k = 0; k < 9; k++) {
      const d = Number(v % 100n);
      v /= 100n;
      cpu.wrLin8((lin + k) | 0, ((d / 10) << 4) | (d % 10));
    }
    cpu.wrLin8((lin + 9) | 0, s << 7);
  }
  f.pop();
}

// =====================================================================================
// Environment and state images
// =====================================================================================

/** Size of the FSTENV image: 28 bytes (32-bit operand size) or 14. */
function envSize(i: Insn): number {
  return i.o32 !== 0 ? 28 : 14;
}

/** True when the current mode uses the real-mode image layout (real or virtual-8086). */
function realLayout(cpu: Cpu): boolean {
  return cpu.pe === 0 || cpu.vm !== 0;
}

/** Write the environment at linear `lin` (already probed). */
function writeEnv(cpu: Cpu, f: Fpu, i: Insn, lin: number): void {
  const real = realLayout(cpu);
  const ip = real ? ((f.fcs << 4) + f.fip) | 0 : f.fip;
  const dp = real ? ((f.fds << 4) + f.fdp) | 0 : f.fdp;
  if (i.o32 !== 0) {
    cpu.wrLin32(lin, f.cw | 0xffff0000);
    cpu.wrLin32((lin + 4) | 0, f.getSw() | 0xffff0000);
    cpu.wrLin32((lin + 8) | 0, f.getTw() | 0xffff0000);
    if (real) {
      cpu.wrLin32((lin + 12) | 0, (ip & 0xffff) | 0xffff0000);
      cpu.wrLin32((lin + 16) | 0, ((ip >>> 16) << 12) | f.fop);
      cpu.wrLin32((lin + 20) | 0, (dp & 0xffff) | 0xffff0000);
      cpu.wrLin32((lin + 24) | 0, (dp >>> 16) << 12);
    } else {
      cpu.wrLin32((lin + 12) | 0, ip);
      cpu.wrLin32((lin + 16) | 0, f.fcs | (f.fop << 16));
      cpu.wrLin32((lin + 20) | 0, dp);
      cpu.wrLin32((lin + 24) | 0, f.fds | 0xffff0000);
    }
  } else {
    cpu.wrLin16(lin, f.cw);
    cpu.wrLin16((lin + 2) | 0, f.getSw());
    cpu.wrLin16((lin + 4) | 0, f.getTw());
    if (real) {
      cpu.wrLin16((lin + 6) | 0, ip);
      cpu.wrLin16((lin + 8) | 0, (((ip >>> 16) & 0xf) << 12) | f.fop);
      cpu.wrLin16((lin + 10) | 0, dp);
      cpu.wrLin16((lin + 12) | 0, ((dp >>> 16) & 0xf) << 12);
    } else {
      cpu.wrLin16((lin + 6) | 0, ip);
      cpu.wrLin16((lin + 8) | 0, f.fcs);
      cpu.wrLin16((lin + 10) | 0, dp);
      cpu.wrLin16((lin + 12) | 0, f.fds);
    }
  }
}

/** Environment fields read by `readEnv` (applied only after the whole image was read). */
const env = { cw: 0, sw: 0, tw: 0, fip: 0, fcs: 0, fop: 0, fdp: 0, fds: 0 };

/** Read the environment at linear `lin` into `env`. */
function readEnv(cpu: Cpu, i: Insn, lin: number): void {
  const real = realLayout(cpu);
  if (i.o32 !== 0) {
    env.cw = cpu.rdLin16(lin);
    env.sw = cpu.rdLin16((lin + 4) | 0);
    env.tw = cpu.rdLin16((lin + 8) | 0);
    if (real) {
      const d16 = cpu.rdLin32((lin + 16) | 0);
      env.fip = (cpu.rdLin16((lin + 12) | 0) | ((d16 >>> 12) << 16)) | 0;
      env.fop = d16 & 0x7ff;
      env.fcs = 0;
      env.fdp = (cpu.rdLin16((lin + 20) | 0) | ((cpu.rdLin32((lin + 24) | 0) >>> 12) << 16)) | 0;
      env.fds = 0;
    } else {
      env.fip = cpu.rdLin32((lin + 12) | 0);
      const d16 = cpu.rdLin32((lin + 16) | 0);
      env.fcs = d16 & 0xffff;
      env.fop = (d16 >>> 16) & 0x7ff;
      env.fdp = cpu.rdLin32((lin + 20) | 0);
      env.fds = cpu.rdLin16((lin + 24) | 0);
    }
  } else {
    env.cw = cpu.rdLin16(lin);
    env.sw = cpu.rdLin16((lin + 2) | 0);
    env.tw = cpu.rdLin16((lin + 4) | 0);
    if (real) {
      const w8 = cpu.rdLin16((lin + 8) | 0);
      env.fip = cpu.rdLin16((lin + 6) | 0) | ((w8 >>> 12) << 16);
      env.fop = w8 & 0x7ff;
      env.fcs = 0;
      env.fdp = cpu.rdLin16((lin + 10) | 0) | ((cpu.rdLin16((lin + 12) | 0) >>> 12) << 16);
      env.fds = 0;
    } else {
      env.fip = cpu.rdLin16((lin + 6) | 0);
      env.fcs = cpu.rdLin16((lin + 8) | 0);
      env.fop = 0;
      env.fdp = cpu.rdLin16((lin + 10) | 0);
      env.fds = cpu.rdLin16((lin + 12) | 0);
    }
  }
}

/** Apply `env` to the FPU. */
function applyEnv(f: Fpu): void {
  f.cw = env.cw;
  f.setSw(env.sw);
  f.setTw(env.tw);
  f.fip = env.fip;
  f.fcs = env.fcs;
  f.fop = env.fop;
  f.fdp = env.fdp;
  f.fds = env.fds;
  f.updateEs();
}

/** FNSTENV: store the environment, then mask every exception. */
function fstenv(cpu: Cpu, f: Fpu, i: Insn): void {
  const size = envSize(i);
  const lin = writeRange(cpu, i, cpu.ea(i), size, i.o32 !== 0 ? 4 : 2);
  writeEnv(cpu, f, i, lin);
  f.cw |= Cw.MASKS;
  f.updateEs();
}

/** FLDENV. */
function fldenv(cpu: Cpu, f: Fpu, i: Insn, ea: number): void {
  const lin = readRange(cpu, i, ea, envSize(i), i.o32 !== 0 ? 4 : 2);
  readEnv(cpu, i, lin);
  applyEnv(f);
}

/** FNSAVE: environment + the eight registers in stack order, then FNINIT. */
function fsave(cpu: Cpu, f: Fpu, i: Insn): void {
  const size = envSize(i);
  const lin = writeRange(cpu, i, cpu.ea(i), size + 80, i.o32 !== 0 ? 4 : 2);
  writeEnv(cpu, f, i, lin);
  for (let k = 0; k < 8; k++) {
    const p = f.phys(k);
    const o = (lin + size + 10 * k) | 0;
    cpu.wrLin32(o, f.lo[p]);
    cpu.wrLin32((o + 4) | 0, f.hi[p]);
    cpu.wrLin16((o + 8) | 0, f.se[p]);
  }
  f.reset();
}

/** FRSTOR. */
function frstor(cpu: Cpu, f: Fpu, i: Insn, ea: number): void {
  const size = envSize(i);
  const lin = readRange(cpu, i, ea, size + 80, i.o32 !== 0 ? 4 : 2);
  readEnv(cpu, i, lin);
  for (let k = 0; k < 8; k++) {
    const o = (lin + size + 10 * k) | 0;
    scratch[3 * k] = cpu.rdLin32(o);
    scratch[3 * k + 1] = cpu.rdLin32((o + 4) | 0);
    scratch[3 * k + 2] = cpu.rdLin16((o + 8) | 0);
  }
  applyEnv(f);
  for (let k = 0; k < 8; k++) {
    const p = f.phys(k);
    f.lo[p] = scratch[3 * k];
    f.hi[p] = scratch[3 * k + 1];
    f.se[p] = scratch[3 * k + 2];
  }
}
