/**
 * The IA-32 decoder: turns code bytes into `Insn` records bound to their semantics. This
 * file is the opcode table: for every opcode form it says which handler runs and how the
 * operands are laid out. Decoded blocks are cached per physical page by the Cpu.
 */
import type { Cpu } from "./cpu.js";
import { GUEST_FAULT } from "./cpu.js";
import { Seg } from "./constants.js";
import { Block, Insn, NO_REG, type Handler } from "./insn.js";
import * as A from "./ops/alu.js";
import { fastAlu32 } from "./ops/alu-fast.js";
import * as M from "./ops/mov.js";
import * as C from "./ops/control.js";
import * as S from "./ops/string.js";
import * as X from "./ops/misc.js";
import * as P from "./ops/system-ops.js";
import * as F from "./ops/fpu-ops.js";

/** Longest block, in instructions. */
const MAX_BLOCK = 48;

/** Byte offset in `Cpu.r8` of 8-bit register n (AL CL DL BL AH CH DH BH). */
export const R8 = [0, 4, 8, 12, 1, 5, 9, 13];

/** Thrown inside the decoder to end a block before an instruction that cannot be decoded yet. */
const STOP: Error = Object.freeze(new Error("decoder: end of block"));
/** Thrown inside the decoder for an instruction longer than 15 bytes. */
const TOO_LONG: Error = Object.freeze(new Error("decoder: instruction longer than 15 bytes"));

/** Decoder scratch state (one per Cpu). */
export class Decoder {
  cpu: Cpu | null = null;
  /** Host byte offset of the page (host page * 4096), or -1 when not host-backed. */
  hostBase = -1;
  /** Offset in the page of the current instruction's first byte. */
  pageOff = 0;
  /** Linear address of the current instruction. */
  lin = 0;
  /** EIP of the current instruction. */
  eip = 0;
  /** Bytes consumed so far. */
  len = 0;
  /** The current instruction is the block's first (it may cross pages and fault). */
  first = true;
  /** The instruction crossed into the next page. */
  crossed = false;
  /** CS limit (uint32 as int32). */
  csLimit = 0;
  // prefixes
  o32 = 1;
  a32 = 1;
  seg = -1;
  rep = 0;
  lock = 0;
  // ModRM fields of the current instruction
  mod = 0;
  regField = 0;
  rmField = 0;

  /** Next instruction byte. */
  byte(): number {
    if (this.len >= 15) throw TOO_LONG;
    const off = this.pageOff + this.len;
    // CS limit: every byte of the instruction must lie within it.
    if ((((this.eip + this.len) | 0) ^ 0x80000000) > (this.csLimit ^ 0x80000000)) {
      if (!this.first) throw STOP;
      (this.cpu as Cpu).raiseGp(0);
    }
    let b: number;
    if (off < 4096 && this.hostBase >= 0) {
      b = (this.cpu as Cpu).m8[this.hostBase + off];
    } else {
      if (!this.first) throw STOP;
      if (off >= 4096) this.crossed = true;
      b = (this.cpu as Cpu).fetchByte((this.lin + this.len) | 0);
    }
    this.len++;
    return b;
  }

  /** Sign-extended byte. */
  s8(): number {
    return (this.byte() << 24) >> 24;
  }

  /** Little-endian word. */
  u16(): number {
    const lo = this.byte();
    return lo | (this.byte() << 8);
  }

  /** Little-endian dword (int32). */
  u32(): number {
    const a = this.byte();
    const b = this.byte();
    const c = this.byte();
    return a | (b << 8) | (c << 16) | (this.byte() << 24);
  }

  /** Immediate of the operand size (zero-extended word or dword). */
  iv(): number {
    return this.o32 !== 0 ? this.u32() : this.u16();
  }
}

/** Create the decoder state for a Cpu. */
export function createDecoder(): Decoder {
  return new Decoder();
}

/**
 * Decode a block starting at CS:eip (linear `lin`, host page `host` or -1). Stops after a
 * control transfer or other block-ending instruction, at the page end, or after MAX_BLOCK.
 */
export function decodeBlock(d: Decoder, cpu: Cpu, eip: number, lin: number, host: number): Block {
  const block = new Block();
  block.eip = eip;
  block.mode = cpu.csD;
  block.hostPage = host;
  d.cpu = cpu;
  d.hostBase = host >= 0 ? host * 4096 : -1;
  d.csLimit = cpu.segLimit[Seg.CS];
  const wrap = cpu.csD !== 0 ? -1 : 0xffff;
  let curEip = eip;
  let curLin = lin;
  for (;;) {
    const i = new Insn();
    d.first = block.n === 0;
    d.crossed = false;
    d.eip = curEip;
    d.lin = curLin;
    d.pageOff = curLin & 4095;
    d.len = 0;
    let ends: boolean;
    try {
      ends = decodeOne(d, cpu, i);
    } catch (e) {
      if (e === STOP) break;
      if (e === TOO_LONG) {
        if (block.n > 0) break;
        i.fn = X.gp0;
        i.len = 15;
        ends = true;
      } else {
        if (e === GUEST_FAULT && block.n > 0) break;
        throw e;
      }
    }
    i.eip = curEip;
    i.len = d.len;
    i.next = (curEip + d.len) & wrap;
    if (d.crossed) block.hostPage = -1;
    block.insns.push(i);
    block.n++;
    block.csEnd = (curEip + d.len) | 0;
    if (ends || d.crossed || block.n >= MAX_BLOCK || d.hostBase < 0) break;
    curEip = i.next;
    curLin = (curLin + d.len) | 0;
    if ((curLin & 4095) === 0 || i.next !== ((i.eip + i.len) | 0)) break;
  }
  return block;
}

/** Parse ModRM (+SIB, displacement) into `i`; register fields scaled by `rsz` (1, 2 or 4). */
function modrm(d: Decoder, i: Insn, rsz: number): void {
  const m = d.byte();
  const mod = m >> 6;
  const reg = (m >> 3) & 7;
  const rm = m & 7;
  d.mod = mod;
  d.regField = reg;
  d.rmField = rm;
  i.reg = rsz === 1 ? R8[reg] : rsz === 2 ? reg * 2 : reg;
  if (mod === 3) {
    i.mem = 0;
    i.rm = rsz === 1 ? R8[rm] : rsz === 2 ? rm * 2 : rm;
    return;
  }
  i.mem = 1;
  let ss = false;
  if (d.a32 !== 0) {
    i.amask = -1;
    let base = rm;
    let index = NO_REG;
    let scale = 0;
    let disp = 0;
    if (rm === 4) {
      const sib = d.byte();
      scale = sib >> 6;
      index = (sib >> 3) & 7;
      if (index === 4) index = NO_REG;
      base = sib & 7;
      if (base === 5 && mod === 0) {
        base = NO_REG;
        disp = d.u32();
      }
    } else if (rm === 5 && mod === 0) {
      base = NO_REG;
      disp = d.u32();
    }
    if (mod === 1) disp = d.s8();
    else if (mod === 2) disp = d.u32();
    ss = base === 4 || base === 5;
    i.base = base;
    i.index = index;
    i.scale = scale;
    i.disp = disp;
  } else {
    i.amask = 0xffff;
    i.scale = 0;
    let base: number;
    let index = NO_REG;
    switch (rm) {
      case 0: base = 3; index = 6; break;
      case 1: base = 3; index = 7; break;
      case 2: base = 5; index = 6; ss = true; break;
      case 3: base = 5; index = 7; ss = true; break;
      case 4: base = 6; break;
      case 5: base = 7; break;
      case 6: base = 5; ss = true; break;
      default: base = 3; break;
    }
    let disp = 0;
    if (mod === 0 && rm === 6) {
      base = NO_REG;
      ss = false;
      disp = d.u16();
    } else if (mod === 1) disp = d.s8();
    else if (mod === 2) disp = d.u16();
    i.base = base;
    i.index = index;
    i.disp = disp;
  }
  i.seg = d.seg >= 0 ? d.seg : ss ? Seg.SS : Seg.DS;
}

/** Choose between the register and the memory handler after modrm(). */
function rm(i: Insn, reg: Handler, mem: Handler): void {
  i.fn = i.mem !== 0 ? mem : reg;
}

/** Operand-size choice. */
function osz(d: Decoder, h16: Handler, h32: Handler): Handler {
  return d.o32 !== 0 ? h32 : h16;
}

/** Set up a moffs operand (MOV A0-A3). */
function moffs(d: Decoder, i: Insn): void {
  i.mem = 1;
  i.base = NO_REG;
  i.index = NO_REG;
  i.scale = 0;
  i.amask = d.a32 !== 0 ? -1 : 0xffff;
  i.disp = d.a32 !== 0 ? d.u32() : d.u16();
  i.seg = d.seg >= 0 ? d.seg : Seg.DS;
}

/** Lockable opcode forms (with a memory destination). */
function lockable(op: number, regField: number): boolean {
  if (op < 0x40) return (op & 7) < 2 && (op & 0x38) !== 0x38; // ALU Eb,Gb / Ev,Gv except CMP
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return regField !== 7;
    case 0x86: case 0x87: return true;
    case 0xf6: case 0xf7: return regField === 2 || regField === 3;
    case 0xfe: case 0xff: return regField < 2;
    case 0x1ab: case 0x1b3: case 0x1bb: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1: return true;
    case 0x1ba: return regField >= 5;
    case 0x1c7: return regField === 1;
    default: return false;
  }
}

/**
 * Decode one instruction into `i`. Returns true when it ends the block (control transfer,
 * mode change, exit, or anything the run loop must see before the next instruction).
 */
function decodeOne(d: Decoder, cpu: Cpu, i: Insn): boolean {
  const def = cpu.csD;
  d.o32 = def;
  d.a32 = def;
  d.seg = -1;
  d.rep = 0;
  d.lock = 0;
  d.mod = 3;
  d.regField = 0;
  let b: number;
  for (;;) {
    b = d.byte();
    switch (b) {
      case 0x26: d.seg = Seg.ES; continue;
      case 0x2e: d.seg = Seg.CS; continue;
      case 0x36: d.seg = Seg.SS; continue;
      case 0x3e: d.seg = Seg.DS; continue;
      case 0x64: d.seg = Seg.FS; continue;
      case 0x65: d.seg = Seg.GS; continue;
      case 0x66: d.o32 = def ^ 1; continue;
      case 0x67: d.a32 = def ^ 1; continue;
      case 0xf0: d.lock = 1; continue;
      case 0xf2: d.rep = 2; continue;
      case 0xf3: d.rep = 1; continue;
      default: break;
    }
    break;
  }
  if (b === 0x0f) b = 0x100 | d.byte();
  i.opcode = b;
  i.o32 = d.o32;
  i.a32 = d.a32;
  i.rep = d.rep;
  i.lock = d.lock;
  i.segOverride = d.seg >= 0 ? 1 : 0;
  i.seg = d.seg >= 0 ? d.seg : Seg.DS;
  i.amask = d.a32 !== 0 ? -1 : 0xffff;
  const ends = decodeOpcode(d, cpu, i, b);
  if (d.lock !== 0 && (d.mod === 3 || !lockable(b, d.regField))) {
    i.fn = X.ud;
    return true;
  }
  return ends;
}

function decodeOpcode(d: Decoder, cpu: Cpu, i: Insn, b: number): boolean {
  const o32 = d.o32;
  if (b < 0x40 && (b & 7) < 6) {
    // ALU: ADD OR ADC SBB AND SUB XOR CMP
    i.op = b >> 3;
    switch (b & 7) {
      case 0: modrm(d, i, 1); rm(i, A.alu8_EG_r, A.alu8_EG_m); return false;
      case 1:
        if (o32 !== 0) { modrm(d, i, 4); rm(i, fastAlu32(i.op, "EG_r") ?? A.alu32_EG_r, A.alu32_EG_m); }
        else { modrm(d, i, 2); rm(i, A.alu16_EG_r, A.alu16_EG_m); }
        return false;
      case 2: modrm(d, i, 1); rm(i, A.alu8_GE_r, A.alu8_GE_m); return false;
      case 3:
        if (o32 !== 0) {
          modrm(d, i, 4);
          rm(i, fastAlu32(i.op, "GE_r") ?? A.alu32_GE_r, fastAlu32(i.op, "GE_m") ?? A.alu32_GE_m);
        }
        else { modrm(d, i, 2); rm(i, A.alu16_GE_r, A.alu16_GE_m); }
        return false;
      case 4: i.rm = 0; i.imm = d.byte(); i.fn = A.alu8_EI_r; return false;
      default:
        i.rm = 0;
        i.imm = d.iv();
        i.fn = o32 !== 0 ? fastAlu32(i.op, "EI_r") ?? A.alu32_EI_r : A.alu16_EI_r;
        return false;
    }
  }
  switch (b) {
    // ---- segment register push/pop
    case 0x06: case 0x0e: case 0x16: case 0x1e:
      i.reg = b >> 3;
      i.fn = osz(d, M.pushSeg16, M.pushSeg32);
      return false;
    case 0x07: case 0x17: case 0x1f:
      i.reg = b >> 3;
      i.fn = osz(d, M.popSeg16, M.popSeg32);
      return true;
    case 0x1a0: case 0x1a8:
      i.reg = b === 0x1a0 ? Seg.FS : Seg.GS;
      i.fn = osz(d, M.pushSeg16, M.pushSeg32);
      return false;
    case 0x1a1: case 0x1a9:
      i.reg = b === 0x1a1 ? Seg.FS : Seg.GS;
      i.fn = osz(d, M.popSeg16, M.popSeg32);
      return true;
    // ---- BCD
    case 0x27: i.fn = X.daa; return false;
    case 0x2f: i.fn = X.das; return false;
    case 0x37: i.fn = X.aaa; return false;
    case 0x3f: i.fn = X.aas; return false;
    case 0xd4: i.imm = d.byte(); i.fn = X.aam; return false;
    case 0xd5: i.imm = d.byte(); i.fn = X.aad; return false;
    case 0xd6: i.fn = X.salc; return false;
    // ---- INC/DEC/PUSH/POP reg
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
      i.reg = o32 !== 0 ? b & 7 : (b & 7) * 2;
      i.fn = osz(d, A.inc16_r, A.inc32_r);
      return false;
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
      i.reg = o32 !== 0 ? b & 7 : (b & 7) * 2;
      i.fn = osz(d, A.dec16_r, A.dec32_r);
      return false;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      i.reg = b & 7;
      i.fn = osz(d, M.push16_r, M.push32_r);
      return false;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
      i.reg = b & 7;
      i.fn = osz(d, M.pop16_r, M.pop32_r);
      return false;
    case 0x60: i.fn = osz(d, M.pusha16, M.pusha32); return false;
    case 0x61: i.fn = osz(d, M.popa16, M.popa32); return false;
    case 0x62:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.fn = i.mem !== 0 ? osz(d, X.bound16, X.bound32) : X.ud;
      return i.mem === 0;
    case 0x63: modrm(d, i, 2); i.fn = P.arpl; return false;
    case 0x68: i.imm = d.iv(); i.fn = osz(d, M.push16_i, M.push32_i); return false;
    case 0x6a: i.imm = d.s8(); i.fn = osz(d, M.push16_i, M.push32_i); return false;
    case 0x69:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.imm = o32 !== 0 ? d.u32() : (d.u16() << 16) >> 16;
      i.fn = osz(d, A.imul16_GEI, A.imul32_GEI);
      return false;
    case 0x6b:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.imm = d.s8();
      i.fn = osz(d, A.imul16_GEI, A.imul32_GEI);
      return false;
    // ---- string I/O
    case 0x6c: i.imm = 1; i.fn = S.ins; return true;
    case 0x6d: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.ins; return true;
    case 0x6e: i.imm = 1; i.fn = S.outs; return true;
    case 0x6f: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.outs; return true;
    // ---- Jcc rel8
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
      const rel = d.s8();
      i.op = b & 15;
      i.target = relTarget(d, rel);
      i.fn = C.jcc;
      return true;
    }
    // ---- group 1
    case 0x80: case 0x82:
      modrm(d, i, 1);
      i.op = d.regField;
      i.imm = d.byte();
      rm(i, A.alu8_EI_r, A.alu8_EI_m);
      return false;
    case 0x81:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = d.regField;
      i.imm = d.iv();
      if (o32 !== 0) rm(i, fastAlu32(i.op, "EI_r") ?? A.alu32_EI_r, A.alu32_EI_m);
      else rm(i, A.alu16_EI_r, A.alu16_EI_m);
      return false;
    case 0x83:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = d.regField;
      i.imm = o32 !== 0 ? d.s8() : d.s8() & 0xffff;
      if (o32 !== 0) rm(i, fastAlu32(i.op, "EI_r") ?? A.alu32_EI_r, A.alu32_EI_m);
      else rm(i, A.alu16_EI_r, A.alu16_EI_m);
      return false;
    case 0x84: modrm(d, i, 1); i.op = 4; rm(i, A.test8_EG_r, A.test8_EG_m); return false;
    case 0x85:
      if (o32 !== 0) { modrm(d, i, 4); rm(i, A.test32_EG_r, A.test32_EG_m); }
      else { modrm(d, i, 2); rm(i, A.test16_EG_r, A.test16_EG_m); }
      return false;
    case 0x86: modrm(d, i, 1); rm(i, M.xchg8_r, M.xchg8_m); return false;
    case 0x87:
      if (o32 !== 0) { modrm(d, i, 4); rm(i, M.xchg32_r, M.xchg32_m); }
      else { modrm(d, i, 2); rm(i, M.xchg16_r, M.xchg16_m); }
      return false;
    // ---- MOV
    case 0x88: modrm(d, i, 1); rm(i, M.mov8_EG_r, M.mov8_EG_m); return false;
    case 0x89:
      if (o32 !== 0) { modrm(d, i, 4); rm(i, M.mov32_EG_r, M.mov32_EG_m); }
      else { modrm(d, i, 2); rm(i, M.mov16_EG_r, M.mov16_EG_m); }
      return false;
    case 0x8a: modrm(d, i, 1); rm(i, M.mov8_GE_r, M.mov8_GE_m); return false;
    case 0x8b:
      if (o32 !== 0) { modrm(d, i, 4); rm(i, M.mov32_GE_r, M.mov32_GE_m); }
      else { modrm(d, i, 2); rm(i, M.mov16_GE_r, M.mov16_GE_m); }
      return false;
    case 0x8c:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.imm = d.regField;
      if (d.regField > 5) { i.fn = X.ud; return true; }
      i.fn = i.mem !== 0 ? M.movEwSw_m : osz(d, M.movEwSw_r16, M.movEwSw_r32);
      return false;
    case 0x8d:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (i.mem === 0) { i.fn = X.ud; return true; }
      i.fn = osz(d, M.lea16, M.lea32);
      return false;
    case 0x8e:
      modrm(d, i, 2);
      i.imm = d.regField;
      if (d.regField === Seg.CS || d.regField > 5) { i.fn = X.ud; return true; }
      rm(i, M.movSwEw_r, M.movSwEw_m);
      return true;
    case 0x8f:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (d.regField !== 0) { i.fn = X.ud; return true; }
      if (o32 !== 0) rm(i, M.pop32_r, M.pop32_m);
      else rm(i, M.pop16_r, M.pop16_m);
      if (i.mem === 0) i.reg = d.rmField;
      return false;
    case 0x90:
      i.fn = X.nop;
      return false;
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
      i.reg = o32 !== 0 ? b & 7 : (b & 7) * 2;
      i.rm = 0;
      i.fn = osz(d, M.xchg16_r, M.xchg32_r);
      return false;
    case 0x98: i.fn = osz(d, M.cbw, M.cwde); return false;
    case 0x99: i.fn = osz(d, M.cwd, M.cdq); return false;
    case 0x9a:
      i.imm = d.iv();
      i.imm2 = d.u16();
      i.fn = P.callFar;
      return true;
    case 0x9b: i.fn = F.fwait; return false;
    case 0x9c: i.fn = osz(d, X.pushf16, X.pushf32); return false;
    case 0x9d: i.fn = osz(d, X.popf16, X.popf32); return true;
    case 0x9e: i.fn = X.sahf; return false;
    case 0x9f: i.fn = X.lahf; return false;
    case 0xa0: moffs(d, i); i.reg = 0; i.fn = M.mov8_GE_m; return false;
    case 0xa1: moffs(d, i); i.reg = 0; i.fn = osz(d, M.mov16_GE_m, M.mov32_GE_m); return false;
    case 0xa2: moffs(d, i); i.reg = 0; i.fn = M.mov8_EG_m; return false;
    case 0xa3: moffs(d, i); i.reg = 0; i.fn = osz(d, M.mov16_EG_m, M.mov32_EG_m); return false;
    // ---- string instructions: i.imm = element size
    case 0xa4: i.imm = 1; i.fn = S.movs; return i.rep !== 0;
    case 0xa5: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.movs; return i.rep !== 0;
    case 0xa6: i.imm = 1; i.fn = S.cmps; return i.rep !== 0;
    case 0xa7: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.cmps; return i.rep !== 0;
    case 0xa8: i.rm = 0; i.imm = d.byte(); i.fn = A.test8_EI_r; return false;
    case 0xa9: i.rm = 0; i.imm = d.iv(); i.fn = osz(d, A.test16_EI_r, A.test32_EI_r); return false;
    case 0xaa: i.imm = 1; i.fn = S.stos; return i.rep !== 0;
    case 0xab: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.stos; return i.rep !== 0;
    case 0xac: i.imm = 1; i.fn = S.lods; return i.rep !== 0;
    case 0xad: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.lods; return i.rep !== 0;
    case 0xae: i.imm = 1; i.fn = S.scas; return i.rep !== 0;
    case 0xaf: i.imm = o32 !== 0 ? 4 : 2; i.fn = S.scas; return i.rep !== 0;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      i.reg = R8[b & 7];
      i.imm = d.byte();
      i.fn = M.mov8_RI;
      return false;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      i.reg = o32 !== 0 ? b & 7 : (b & 7) * 2;
      i.imm = d.iv();
      i.fn = osz(d, M.mov16_RI, M.mov32_RI);
      return false;
    // ---- shifts (group 2): i.op = kind, i.imm = count, i.imm2 = 1 for CL
    case 0xc0: case 0xd0: case 0xd2:
      modrm(d, i, 1);
      i.op = d.regField;
      i.imm = b === 0xc0 ? d.byte() : 1;
      i.imm2 = b === 0xd2 ? 1 : 0;
      i.fn = A.shift8;
      return false;
    case 0xc1: case 0xd1: case 0xd3:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = d.regField;
      i.imm = b === 0xc1 ? d.byte() : 1;
      i.imm2 = b === 0xd3 ? 1 : 0;
      i.fn = osz(d, A.shift16, A.shift32);
      return false;
    case 0xc2: i.imm = d.u16(); i.fn = osz(d, C.retn16, C.retn32); return true;
    case 0xc3: i.imm = 0; i.fn = osz(d, C.retn16, C.retn32); return true;
    case 0xc4: case 0xc5:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (i.mem === 0) { i.fn = X.ud; return true; }
      i.imm = b === 0xc4 ? Seg.ES : Seg.DS;
      i.fn = M.lxs;
      return true;
    case 0xc6:
      modrm(d, i, 1);
      if (d.regField !== 0) { i.fn = X.ud; return true; }
      i.imm = d.byte();
      rm(i, M.mov8_EI_r, M.mov8_EI_m);
      return false;
    case 0xc7:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (d.regField !== 0) { i.fn = X.ud; return true; }
      i.imm = d.iv();
      if (o32 !== 0) rm(i, M.mov32_EI_r, M.mov32_EI_m);
      else rm(i, M.mov16_EI_r, M.mov16_EI_m);
      return false;
    case 0xc8:
      i.imm = d.u16();
      i.imm2 = d.byte();
      i.fn = osz(d, M.enter16, M.enter32);
      return false;
    case 0xc9: i.fn = osz(d, M.leave16, M.leave32); return false;
    case 0xca: i.imm = d.u16(); i.fn = P.retFar; return true;
    case 0xcb: i.imm = 0; i.fn = P.retFar; return true;
    case 0xcc: i.fn = P.int3; return true;
    case 0xcd: i.imm = d.byte(); i.fn = P.intN; return true;
    case 0xce: i.fn = P.into; return true;
    case 0xcf: i.fn = P.iret; return true;
    case 0xd7: i.fn = M.xlat; return false;
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      modrm(d, i, 4);
      i.op = ((b & 7) << 3) | d.regField;
      i.imm = d.rmField;
      i.fn = F.esc;
      return false;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
      const rel = d.s8();
      i.target = relTarget(d, rel);
      i.op = b & 3;
      i.fn = C.loop;
      return true;
    }
    case 0xe4: i.imm = d.byte(); i.imm2 = 1; i.fn = P.inImm; return true;
    case 0xe5: i.imm = d.byte(); i.imm2 = o32 !== 0 ? 4 : 2; i.fn = P.inImm; return true;
    case 0xe6: i.imm = d.byte(); i.imm2 = 1; i.fn = P.outImm; return true;
    case 0xe7: i.imm = d.byte(); i.imm2 = o32 !== 0 ? 4 : 2; i.fn = P.outImm; return true;
    case 0xec: i.imm2 = 1; i.fn = P.inDx; return true;
    case 0xed: i.imm2 = o32 !== 0 ? 4 : 2; i.fn = P.inDx; return true;
    case 0xee: i.imm2 = 1; i.fn = P.outDx; return true;
    case 0xef: i.imm2 = o32 !== 0 ? 4 : 2; i.fn = P.outDx; return true;
    case 0xe8: {
      const rel = o32 !== 0 ? d.u32() : (d.u16() << 16) >> 16;
      i.target = relTarget(d, rel);
      i.fn = osz(d, C.call16, C.call32);
      return true;
    }
    case 0xe9: {
      const rel = o32 !== 0 ? d.u32() : (d.u16() << 16) >> 16;
      i.target = relTarget(d, rel);
      i.fn = C.jmp;
      return true;
    }
    case 0xea:
      i.imm = d.iv();
      i.imm2 = d.u16();
      i.fn = P.jmpFar;
      return true;
    case 0xeb: {
      const rel = d.s8();
      i.target = relTarget(d, rel);
      i.fn = C.jmp;
      return true;
    }
    case 0xf1: i.fn = P.icebp; return true;
    case 0xf4: i.fn = P.hlt; return true;
    case 0xf5: i.fn = X.cmc; return false;
    case 0xf6:
      modrm(d, i, 1);
      i.op = d.regField;
      if (d.regField < 2) i.imm = d.byte();
      i.fn = A.grp3_8;
      return false;
    case 0xf7:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = d.regField;
      if (d.regField < 2) i.imm = d.iv();
      i.fn = osz(d, A.grp3_16, A.grp3_32);
      return false;
    case 0xf8: i.fn = X.clc; return false;
    case 0xf9: i.fn = X.stc; return false;
    case 0xfa: i.fn = P.cli; return true;
    case 0xfb: i.fn = P.sti; return true;
    case 0xfc: i.fn = X.cld; return false;
    case 0xfd: i.fn = X.std; return false;
    case 0xfe:
      modrm(d, i, 1);
      if (d.regField > 1) { i.fn = X.ud; return true; }
      i.op = d.regField;
      i.fn = A.incdec8;
      return false;
    case 0xff:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = d.regField;
      switch (d.regField) {
        case 0: case 1: i.fn = osz(d, A.incdec16, A.incdec32); return false;
        case 2: i.fn = osz(d, C.callInd16, C.callInd32); return true;
        case 3: if (i.mem === 0) { i.fn = X.ud; return true; } i.fn = P.callFarInd; return true;
        case 4: i.fn = osz(d, C.jmpInd16, C.jmpInd32); return true;
        case 5: if (i.mem === 0) { i.fn = X.ud; return true; } i.fn = P.jmpFarInd; return true;
        case 6: if (o32 !== 0) rm(i, M.push32_E, M.push32_E); else i.fn = M.push16_E; return false;
        default: i.fn = X.ud; return true;
      }
    default:
      return decode0F(d, i, b);
  }
}

/** Relative branch target: next EIP + rel, wrapped to the operand size. */
function relTarget(d: Decoder, rel: number): number {
  const next = (d.eip + d.len) | 0;
  const t = (next + rel) | 0;
  return d.o32 !== 0 ? t : t & 0xffff;
}

function decode0F(d: Decoder, i: Insn, b: number): boolean {
  const o32 = d.o32;
  switch (b) {
    case 0x100:
      modrm(d, i, 2);
      i.op = d.regField;
      i.fn = P.grp6;
      return true;
    case 0x101:
      modrm(d, i, 4);
      i.op = d.regField;
      if (d.regField === 5 || (i.mem === 0 && d.regField !== 4 && d.regField !== 6)) { i.fn = X.ud; return true; }
      i.fn = P.grp7;
      return true;
    case 0x102: modrm(d, i, o32 !== 0 ? 4 : 2); i.fn = P.lar; return false;
    case 0x103: modrm(d, i, o32 !== 0 ? 4 : 2); i.fn = P.lsl; return false;
    case 0x106: i.fn = P.clts; return true;
    case 0x108: case 0x109: i.fn = P.wbinvd; return false;
    case 0x10b: case 0x1b9: case 0x1ff:
      if (b !== 0x10b) modrm(d, i, 4);
      i.fn = X.ud;
      return true;
    case 0x118: case 0x119: case 0x11a: case 0x11b: case 0x11c: case 0x11d: case 0x11e: case 0x11f:
      modrm(d, i, 4);
      i.fn = X.nop;
      return false;
    case 0x120: case 0x121: case 0x122: case 0x123: {
      // MOV to/from CRn/DRn: always register operand (mod ignored).
      const m = d.byte();
      i.reg = (m >> 3) & 7;
      i.rm = m & 7;
      i.fn = b === 0x120 ? P.movRCr : b === 0x121 ? P.movRDr : b === 0x122 ? P.movCrR : P.movDrR;
      return b === 0x122 || b === 0x123;
    }
    case 0x130: i.fn = P.wrmsr; return true;
    case 0x131: i.fn = P.rdtsc; return false;
    case 0x132: i.fn = P.rdmsr; return true;
    case 0x133: i.fn = P.rdpmc; return false;
    case 0x134: i.fn = P.sysenter; return true;
    case 0x135: i.fn = P.sysexit; return true;
    case 0x140: case 0x141: case 0x142: case 0x143: case 0x144: case 0x145: case 0x146: case 0x147:
    case 0x148: case 0x149: case 0x14a: case 0x14b: case 0x14c: case 0x14d: case 0x14e: case 0x14f:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = b & 15;
      i.fn = osz(d, M.cmov16, M.cmov32);
      return false;
    case 0x180: case 0x181: case 0x182: case 0x183: case 0x184: case 0x185: case 0x186: case 0x187:
    case 0x188: case 0x189: case 0x18a: case 0x18b: case 0x18c: case 0x18d: case 0x18e: case 0x18f: {
      const rel = o32 !== 0 ? d.u32() : (d.u16() << 16) >> 16;
      i.op = b & 15;
      i.target = relTarget(d, rel);
      i.fn = C.jcc;
      return true;
    }
    case 0x190: case 0x191: case 0x192: case 0x193: case 0x194: case 0x195: case 0x196: case 0x197:
    case 0x198: case 0x199: case 0x19a: case 0x19b: case 0x19c: case 0x19d: case 0x19e: case 0x19f:
      modrm(d, i, 1);
      i.op = b & 15;
      rm(i, M.setcc_r, M.setcc_m);
      return false;
    case 0x1a2: i.fn = P.cpuid; return true;
    case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = (b >> 3) & 3; // 0 BT, 1 BTS, 2 BTR, 3 BTC
      i.fn = osz(d, A.bt16_G, A.bt32_G);
      return false;
    case 0x1ba:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (d.regField < 4) { i.fn = X.ud; return true; }
      i.op = d.regField - 4;
      i.imm = d.byte();
      i.fn = osz(d, A.bt16_I, A.bt32_I);
      return false;
    case 0x1a4: case 0x1a5: case 0x1ac: case 0x1ad:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = b >= 0x1ac ? 1 : 0; // 0 SHLD, 1 SHRD
      i.imm2 = (b & 1) !== 0 ? 1 : 0;
      if ((b & 1) === 0) i.imm = d.byte();
      i.fn = osz(d, A.shld16, A.shld32);
      return false;
    case 0x1aa: i.fn = X.ud; return true;
    case 0x1af: modrm(d, i, o32 !== 0 ? 4 : 2); i.fn = osz(d, A.imul16_GE, A.imul32_GE); return false;
    case 0x1b0: modrm(d, i, 1); i.fn = A.cmpxchg8; return false;
    case 0x1b1: modrm(d, i, o32 !== 0 ? 4 : 2); i.fn = osz(d, A.cmpxchg16, A.cmpxchg32); return false;
    case 0x1b2: case 0x1b4: case 0x1b5:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      if (i.mem === 0) { i.fn = X.ud; return true; }
      i.imm = b === 0x1b2 ? Seg.SS : b === 0x1b4 ? Seg.FS : Seg.GS;
      i.fn = M.lxs;
      return true;
    case 0x1b6: modrm(d, i, o32 !== 0 ? 4 : 2); fixRm8(i); i.fn = osz(d, M.movzx16_b, M.movzx32_b); return false;
    case 0x1b7: modrm(d, i, o32 !== 0 ? 4 : 2); fixRm16(i); i.fn = osz(d, M.movzx16_w, M.movzx32_w); return false;
    case 0x1be: modrm(d, i, o32 !== 0 ? 4 : 2); fixRm8(i); i.fn = osz(d, M.movsx16_b, M.movsx32_b); return false;
    case 0x1bf: modrm(d, i, o32 !== 0 ? 4 : 2); fixRm16(i); i.fn = osz(d, M.movsx16_w, M.movsx32_w); return false;
    case 0x1bc: case 0x1bd:
      modrm(d, i, o32 !== 0 ? 4 : 2);
      i.op = b & 1;
      i.fn = osz(d, A.bsf16, A.bsf32);
      return false;
    case 0x1c0: modrm(d, i, 1); i.fn = A.xadd8; return false;
    case 0x1c1: modrm(d, i, o32 !== 0 ? 4 : 2); i.fn = osz(d, A.xadd16, A.xadd32); return false;
    case 0x1c7:
      modrm(d, i, 4);
      if (d.regField !== 1 || i.mem === 0) { i.fn = X.ud; return true; }
      i.fn = A.cmpxchg8b;
      return false;
    case 0x1c8: case 0x1c9: case 0x1ca: case 0x1cb: case 0x1cc: case 0x1cd: case 0x1ce: case 0x1cf:
      i.reg = b & 7;
      i.fn = o32 !== 0 ? M.bswap32 : M.bswap16;
      return false;
    case 0x1ae:
      modrm(d, i, 4);
      i.op = d.regField;
      i.fn = F.grp15;
      return true;
    default:
      i.fn = X.ud;
      return true;
  }
}

/** MOVZX/MOVSX from a byte register: the source is an 8-bit register. */
function fixRm8(i: Insn): void {
  if (i.mem === 0) {
    // rm was scaled for the destination size; recover the raw number and rescale.
    const raw = i.o32 !== 0 ? i.rm : i.rm >> 1;
    i.rm = R8[raw];
  }
}

/** MOVZX/MOVSX from a word register. */
function fixRm16(i: Insn): void {
  if (i.mem === 0) {
    const raw = i.o32 !== 0 ? i.rm : i.rm >> 1;
    i.rm = raw * 2;
  }
}
