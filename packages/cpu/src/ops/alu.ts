/**
 * Integer arithmetic: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC/DEC, NOT/NEG, MUL/IMUL/DIV/IDIV,
 * shifts and rotates, SHLD/SHRD, bit tests, BSF/BSR, XADD, CMPXCHG, CMPXCHG8B.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Flag, STATUS_FLAGS, Vec } from "../constants.js";

const S8 = 0x80;
const S16 = 0x8000;
const S32 = 0x80000000 | 0;
const B = 0x80000000 | 0;

// =======================================================================================
// The eight ALU operations, per width. op: 0 ADD 1 OR 2 ADC 3 SBB 4 AND 5 SUB 6 XOR 7 CMP.
// =======================================================================================

/** 8-bit ALU operation; returns the result (0..255). */
export function alu8(cpu: Cpu, op: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case 0: r = (a + b) & 0xff; cpu.lazyAdd(a, b, r, 0xff, S8); return r;
    case 1: r = a | b; cpu.lazyLogic(r, 0xff, S8); return r;
    case 2: {
      const c = cpu.getCF() ? 1 : 0;
      r = (a + b + c) & 0xff;
      cpu.lazyAdd(a, b, r, 0xff, S8);
      cpu.setCF(a + b + c > 0xff);
      return r;
    }
    case 3: {
      const c = cpu.getCF() ? 1 : 0;
      r = (a - b - c) & 0xff;
      cpu.lazySub(a, b, r, 0xff, S8);
      cpu.setCF(a < b + c);
      return r;
    }
    case 4: r = a & b; cpu.lazyLogic(r, 0xff, S8); return r;
    case 5: r = (a - b) & 0xff; cpu.lazySub(a, b, r, 0xff, S8); return r;
    case 6: r = a ^ b; cpu.lazyLogic(r, 0xff, S8); return r;
    default: r = (a - b) & 0xff; cpu.lazySub(a, b, r, 0xff, S8); return r;
  }
}

/** 16-bit ALU operation; returns the result (0..65535). */
export function alu16(cpu: Cpu, op: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case 0: r = (a + b) & 0xffff; cpu.lazyAdd(a, b, r, 0xffff, S16); return r;
    case 1: r = a | b; cpu.lazyLogic(r, 0xffff, S16); return r;
    case 2: {
      const c = cpu.getCF() ? 1 : 0;
      r = (a + b + c) & 0xffff;
      cpu.lazyAdd(a, b, r, 0xffff, S16);
      cpu.setCF(a + b + c > 0xffff);
      return r;
    }
    case 3: {
      const c = cpu.getCF() ? 1 : 0;
      r = (a - b - c) & 0xffff;
      cpu.lazySub(a, b, r, 0xffff, S16);
      cpu.setCF(a < b + c);
      return r;
    }
    case 4: r = a & b; cpu.lazyLogic(r, 0xffff, S16); return r;
    case 5: r = (a - b) & 0xffff; cpu.lazySub(a, b, r, 0xffff, S16); return r;
    case 6: r = a ^ b; cpu.lazyLogic(r, 0xffff, S16); return r;
    default: r = (a - b) & 0xffff; cpu.lazySub(a, b, r, 0xffff, S16); return r;
  }
}

/** 32-bit ALU operation; returns the int32 result. */
export function alu32(cpu: Cpu, op: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case 0: r = (a + b) | 0; cpu.lazyAdd(a, b, r, -1, S32); return r;
    case 1: r = a | b; cpu.lazyLogic(r, -1, S32); return r;
    case 2: {
      const c = cpu.getCF();
      r = (a + b + (c ? 1 : 0)) | 0;
      cpu.lazyAdd(a, b, r, -1, S32);
      cpu.setCF(c ? (r ^ B) <= (a ^ B) : (r ^ B) < (a ^ B));
      return r;
    }
    case 3: {
      const c = cpu.getCF();
      r = (a - b - (c ? 1 : 0)) | 0;
      cpu.lazySub(a, b, r, -1, S32);
      cpu.setCF(c ? (a ^ B) <= (b ^ B) : (a ^ B) < (b ^ B));
      return r;
    }
    case 4: r = a & b; cpu.lazyLogic(r, -1, S32); return r;
    case 5: r = (a - b) | 0; cpu.lazySub(a, b, r, -1, S32); return r;
    case 6: r = a ^ b; cpu.lazyLogic(r, -1, S32); return r;
    default: r = (a - b) | 0; cpu.lazySub(a, b, r, -1, S32); return r;
  }
}

// ---- Eb,Gb / Ev,Gv: destination r/m.

/** ALU r/m8(reg), r8. */
export function alu8_EG_r(cpu: Cpu, i: Insn): void {
  const r8 = cpu.r8;
  const v = alu8(cpu, i.op, r8[i.rm], r8[i.reg]);
  if (i.op !== 7) r8[i.rm] = v;
}
/** ALU m8, r8. */
export function alu8_EG_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu8(cpu, 7, cpu.rd8(i.seg, cpu.ea(i)), cpu.r8[i.reg]);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  cpu.wrLin8(lin, alu8(cpu, i.op, cpu.rdLin8(lin), cpu.r8[i.reg]));
}
/** ALU r/m16(reg), r16. */
export function alu16_EG_r(cpu: Cpu, i: Insn): void {
  const r16 = cpu.r16;
  const v = alu16(cpu, i.op, r16[i.rm], r16[i.reg]);
  if (i.op !== 7) r16[i.rm] = v;
}
/** ALU m16, r16. */
export function alu16_EG_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu16(cpu, 7, cpu.rd16(i.seg, cpu.ea(i)), cpu.r16[i.reg]);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  cpu.wrLin16(lin, alu16(cpu, i.op, cpu.rdLin16(lin), cpu.r16[i.reg]));
}
/** ALU r/m32(reg), r32. */
export function alu32_EG_r(cpu: Cpu, i: Insn): void {
  const r = cpu.regs;
  const v = alu32(cpu, i.op, r[i.rm], r[i.reg]);
  if (i.op !== 7) r[i.rm] = v;
}
/** ALU m32, r32. */
export function alu32_EG_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu32(cpu, 7, cpu.rd32(i.seg, cpu.ea(i)), cpu.regs[i.reg]);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  cpu.wrLin32(lin, alu32(cpu, i.op, cpu.rdLin32(lin), cpu.regs[i.reg]));
}

// ---- Gb,Eb / Gv,Ev: destination register.

/** ALU r8, r/m8(reg). */
export function alu8_GE_r(cpu: Cpu, i: Insn): void {
  const r8 = cpu.r8;
  const v = alu8(cpu, i.op, r8[i.reg], r8[i.rm]);
  if (i.op !== 7) r8[i.reg] = v;
}
/** ALU r8, m8. */
export function alu8_GE_m(cpu: Cpu, i: Insn): void {
  const r8 = cpu.r8;
  const v = alu8(cpu, i.op, r8[i.reg], cpu.rd8(i.seg, cpu.ea(i)));
  if (i.op !== 7) r8[i.reg] = v;
}
/** ALU r16, r/m16(reg). */
export function alu16_GE_r(cpu: Cpu, i: Insn): void {
  const r16 = cpu.r16;
  const v = alu16(cpu, i.op, r16[i.reg], r16[i.rm]);
  if (i.op !== 7) r16[i.reg] = v;
}
/** ALU r16, m16. */
export function alu16_GE_m(cpu: Cpu, i: Insn): void {
  const r16 = cpu.r16;
  const v = alu16(cpu, i.op, r16[i.reg], cpu.rd16(i.seg, cpu.ea(i)));
  if (i.op !== 7) r16[i.reg] = v;
}
/** ALU r32, r/m32(reg). */
export function alu32_GE_r(cpu: Cpu, i: Insn): void {
  const r = cpu.regs;
  const v = alu32(cpu, i.op, r[i.reg], r[i.rm]);
  if (i.op !== 7) r[i.reg] = v;
}
/** ALU r32, m32. */
export function alu32_GE_m(cpu: Cpu, i: Insn): void {
  const r = cpu.regs;
  const v = alu32(cpu, i.op, r[i.reg], cpu.rd32(i.seg, cpu.ea(i)));
  if (i.op !== 7) r[i.reg] = v;
}

// ---- immediate source.

/** ALU r/m8(reg), imm8. */
export function alu8_EI_r(cpu: Cpu, i: Insn): void {
  const r8 = cpu.r8;
  const v = alu8(cpu, i.op, r8[i.rm], i.imm);
  if (i.op !== 7) r8[i.rm] = v;
}
/** ALU m8, imm8. */
export function alu8_EI_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu8(cpu, 7, cpu.rd8(i.seg, cpu.ea(i)), i.imm);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  cpu.wrLin8(lin, alu8(cpu, i.op, cpu.rdLin8(lin), i.imm));
}
/** ALU r/m16(reg), imm16. */
export function alu16_EI_r(cpu: Cpu, i: Insn): void {
  const r16 = cpu.r16;
  const v = alu16(cpu, i.op, r16[i.rm], i.imm);
  if (i.op !== 7) r16[i.rm] = v;
}
/** ALU m16, imm16. */
export function alu16_EI_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu16(cpu, 7, cpu.rd16(i.seg, cpu.ea(i)), i.imm);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  cpu.wrLin16(lin, alu16(cpu, i.op, cpu.rdLin16(lin), i.imm));
}
/** ALU r/m32(reg), imm32. */
export function alu32_EI_r(cpu: Cpu, i: Insn): void {
  const r = cpu.regs;
  const v = alu32(cpu, i.op, r[i.rm], i.imm);
  if (i.op !== 7) r[i.rm] = v;
}
/** ALU m32, imm32. */
export function alu32_EI_m(cpu: Cpu, i: Insn): void {
  if (i.op === 7) {
    alu32(cpu, 7, cpu.rd32(i.seg, cpu.ea(i)), i.imm);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  cpu.wrLin32(lin, alu32(cpu, i.op, cpu.rdLin32(lin), i.imm));
}

// ---- TEST.

/** TEST r/m8(reg), r8. */
export function test8_EG_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.r8[i.rm] & cpu.r8[i.reg], 0xff, S8);
}
/** TEST m8, r8. */
export function test8_EG_m(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.rd8(i.seg, cpu.ea(i)) & cpu.r8[i.reg], 0xff, S8);
}
/** TEST r/m16(reg), r16. */
export function test16_EG_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.r16[i.rm] & cpu.r16[i.reg], 0xffff, S16);
}
/** TEST m16, r16. */
export function test16_EG_m(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.rd16(i.seg, cpu.ea(i)) & cpu.r16[i.reg], 0xffff, S16);
}
/** TEST r/m32(reg), r32. */
export function test32_EG_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.regs[i.rm] & cpu.regs[i.reg], -1, S32);
}
/** TEST m32, r32. */
export function test32_EG_m(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.rd32(i.seg, cpu.ea(i)) & cpu.regs[i.reg], -1, S32);
}
/** TEST AL, imm8. */
export function test8_EI_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.r8[i.rm] & i.imm, 0xff, S8);
}
/** TEST AX, imm16. */
export function test16_EI_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.r16[i.rm] & i.imm, 0xffff, S16);
}
/** TEST EAX, imm32. */
export function test32_EI_r(cpu: Cpu, i: Insn): void {
  cpu.lazyLogic(cpu.regs[i.rm] & i.imm, -1, S32);
}

// =======================================================================================
// INC / DEC
// =======================================================================================

/** INC r32. */
export function inc32_r(cpu: Cpu, i: Insn): void {
  const a = cpu.regs[i.reg];
  const r = (a + 1) | 0;
  cpu.keepCF();
  cpu.lazyAdd(a, 1, r, -1, S32);
  cpu.lazy = STATUS_FLAGS & ~Flag.CF;
  cpu.regs[i.reg] = r;
}
/** DEC r32. */
export function dec32_r(cpu: Cpu, i: Insn): void {
  const a = cpu.regs[i.reg];
  const r = (a - 1) | 0;
  cpu.keepCF();
  cpu.lazySub(a, 1, r, -1, S32);
  cpu.lazy = STATUS_FLAGS & ~Flag.CF;
  cpu.regs[i.reg] = r;
}
/** INC r16. */
export function inc16_r(cpu: Cpu, i: Insn): void {
  const a = cpu.r16[i.reg];
  const r = (a + 1) & 0xffff;
  cpu.keepCF();
  cpu.lazyAdd(a, 1, r, 0xffff, S16);
  cpu.lazy = STATUS_FLAGS & ~Flag.CF;
  cpu.r16[i.reg] = r;
}
/** DEC r16. */
export function dec16_r(cpu: Cpu, i: Insn): void {
  const a = cpu.r16[i.reg];
  const r = (a - 1) & 0xffff;
  cpu.keepCF();
  cpu.lazySub(a, 1, r, 0xffff, S16);
  cpu.lazy = STATUS_FLAGS & ~Flag.CF;
  cpu.r16[i.reg] = r;
}

function incdecFlags(cpu: Cpu, dec: boolean, a: number, r: number, mask: number, sign: number): void {
  cpu.keepCF();
  if (dec) cpu.lazySub(a, 1, r, mask, sign);
  else cpu.lazyAdd(a, 1, r, mask, sign);
  cpu.lazy = STATUS_FLAGS & ~Flag.CF;
}

/** INC/DEC r/m8 (i.op 0 INC, 1 DEC). */
export function incdec8(cpu: Cpu, i: Insn): void {
  const dec = i.op === 1;
  if (i.mem === 0) {
    const a = cpu.r8[i.rm];
    const r = (dec ? a - 1 : a + 1) & 0xff;
    incdecFlags(cpu, dec, a, r, 0xff, S8);
    cpu.r8[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  const a = cpu.rdLin8(lin);
  const r = (dec ? a - 1 : a + 1) & 0xff;
  cpu.wrLin8(lin, r);
  incdecFlags(cpu, dec, a, r, 0xff, S8);
}
/** INC/DEC r/m16. */
export function incdec16(cpu: Cpu, i: Insn): void {
  const dec = i.op === 1;
  if (i.mem === 0) {
    const a = cpu.r16[i.rm];
    const r = (dec ? a - 1 : a + 1) & 0xffff;
    incdecFlags(cpu, dec, a, r, 0xffff, S16);
    cpu.r16[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  const a = cpu.rdLin16(lin);
  const r = (dec ? a - 1 : a + 1) & 0xffff;
  cpu.wrLin16(lin, r);
  incdecFlags(cpu, dec, a, r, 0xffff, S16);
}
/** INC/DEC r/m32. */
export function incdec32(cpu: Cpu, i: Insn): void {
  const dec = i.op === 1;
  if (i.mem === 0) {
    const a = cpu.regs[i.rm];
    const r = (dec ? a - 1 : a + 1) | 0;
    incdecFlags(cpu, dec, a, r, -1, S32);
    cpu.regs[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  const a = cpu.rdLin32(lin);
  const r = (dec ? a - 1 : a + 1) | 0;
  cpu.wrLin32(lin, r);
  incdecFlags(cpu, dec, a, r, -1, S32);
}

// =======================================================================================
// Group 3: TEST NOT NEG MUL IMUL DIV IDIV
// =======================================================================================

/** Group 3, byte operand. */
export function grp3_8(cpu: Cpu, i: Insn): void {
  const op = i.op;
  let lin = 0;
  let v: number;
  if (i.mem !== 0) {
    lin = op === 2 || op === 3 ? cpu.rmw(i.seg, cpu.ea(i), 1) : cpu.linR(i.seg, cpu.ea(i), 1);
    v = cpu.rdLin8(lin);
  } else v = cpu.r8[i.rm];
  const r = cpu.regs;
  switch (op) {
    case 0: case 1: cpu.lazyLogic(v & i.imm, 0xff, S8); return;
    case 2: case 3: {
      const res = op === 2 ? ~v & 0xff : -v & 0xff;
      if (op === 3) cpu.lazySub(0, v, res, 0xff, S8);
      if (i.mem !== 0) cpu.wrLin8(lin, res);
      else cpu.r8[i.rm] = res;
      return;
    }
    case 4: {
      const p = (r[0] & 0xff) * v;
      cpu.r16[0] = p;
      mulFlags(cpu, p > 0xff, p & 0xff, 0xff, S8);
      return;
    }
    case 5: {
      const p = ((r[0] << 24) >> 24) * ((v << 24) >> 24);
      cpu.r16[0] = p & 0xffff;
      mulFlags(cpu, p !== (p << 24) >> 24, p & 0xff, 0xff, S8);
      return;
    }
    case 6: {
      const ax = cpu.r16[0];
      if (v === 0) cpu.fault(Vec.DE, -1);
      const q = Math.floor(ax / v);
      if (q > 0xff) cpu.fault(Vec.DE, -1);
      cpu.r16[0] = q | ((ax % v) << 8);
      return;
    }
    default: {
      const ax = (cpu.r16[0] << 16) >> 16;
      const d = (v << 24) >> 24;
      if (d === 0) cpu.fault(Vec.DE, -1);
      const q = Math.trunc(ax / d);
      if (q > 127 || q < -128) cpu.fault(Vec.DE, -1);
      cpu.r16[0] = (q & 0xff) | (((ax % d) & 0xff) << 8);
      return;
    }
  }
}

/** Group 3, word operand. */
export function grp3_16(cpu: Cpu, i: Insn): void {
  const op = i.op;
  let lin = 0;
  let v: number;
  if (i.mem !== 0) {
    lin = op === 2 || op === 3 ? cpu.rmw(i.seg, cpu.ea(i), 2) : cpu.linR(i.seg, cpu.ea(i), 2);
    v = cpu.rdLin16(lin);
  } else v = cpu.r16[i.rm];
  const r16 = cpu.r16;
  switch (op) {
    case 0: case 1: cpu.lazyLogic(v & i.imm, 0xffff, S16); return;
    case 2: case 3: {
      const res = op === 2 ? ~v & 0xffff : -v & 0xffff;
      if (op === 3) cpu.lazySub(0, v, res, 0xffff, S16);
      if (i.mem !== 0) cpu.wrLin16(lin, res);
      else r16[i.rm] = res;
      return;
    }
    case 4: {
      const p = r16[0] * v;
      r16[0] = p & 0xffff;
      r16[4] = p >>> 16;
      mulFlags(cpu, p > 0xffff, p & 0xffff, 0xffff, S16);
      return;
    }
    case 5: {
      const p = ((r16[0] << 16) >> 16) * ((v << 16) >> 16);
      r16[0] = p & 0xffff;
      r16[4] = (p >> 16) & 0xffff;
      mulFlags(cpu, p !== (p << 16) >> 16, p & 0xffff, 0xffff, S16);
      return;
    }
    case 6: {
      if (v === 0) cpu.fault(Vec.DE, -1);
      const n = (r16[4] << 16 | r16[0]) >>> 0;
      const q = Math.floor(n / v);
      if (q > 0xffff) cpu.fault(Vec.DE, -1);
      r16[0] = q;
      r16[4] = n % v;
      return;
    }
    default: {
      const d = (v << 16) >> 16;
      if (d === 0) cpu.fault(Vec.DE, -1);
      const n = (r16[4] << 16) | r16[0];
      const q = Math.trunc(n / d);
      if (q > 32767 || q < -32768) cpu.fault(Vec.DE, -1);
      r16[0] = q & 0xffff;
      r16[4] = (n % d) & 0xffff;
      return;
    }
  }
}

/** Group 3, dword operand. */
export function grp3_32(cpu: Cpu, i: Insn): void {
  const op = i.op;
  let lin = 0;
  let v: number;
  if (i.mem !== 0) {
    lin = op === 2 || op === 3 ? cpu.rmw(i.seg, cpu.ea(i), 4) : cpu.linR(i.seg, cpu.ea(i), 4);
    v = cpu.rdLin32(lin);
  } else v = cpu.regs[i.rm];
  const r = cpu.regs;
  switch (op) {
    case 0: case 1: cpu.lazyLogic(v & i.imm, -1, S32); return;
    case 2: case 3: {
      const res = op === 2 ? ~v : -v | 0;
      if (op === 3) cpu.lazySub(0, v, res, -1, S32);
      if (i.mem !== 0) cpu.wrLin32(lin, res);
      else r[i.rm] = res;
      return;
    }
    case 4: {
      mul32(cpu, r[0] >>> 0, v >>> 0);
      const hi = cpu.mulHi;
      r[0] = cpu.mulLo;
      r[2] = hi;
      mulFlags(cpu, hi !== 0, cpu.mulLo, -1, S32);
      return;
    }
    case 5: {
      imul32(cpu, r[0], v);
      r[0] = cpu.mulLo;
      r[2] = cpu.mulHi;
      mulFlags(cpu, cpu.mulHi !== cpu.mulLo >> 31, cpu.mulLo, -1, S32);
      return;
    }
    case 6: div32(cpu, v); return;
    default: idiv32(cpu, v); return;
  }
}

/** MUL/IMUL flags: CF = OF = overflow; SF/ZF/PF from the low half (AF cleared). */
function mulFlags(cpu: Cpu, overflow: boolean, low: number, mask: number, sign: number): void {
  cpu.lazyLogic(low, mask, sign);
  cpu.setCF(overflow);
  cpu.setOF(overflow);
}

/** Unsigned 32x32→64 into cpu.mulLo/mulHi (int32 halves). */
function mul32(cpu: Cpu, a: number, b: number): void {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  cpu.mulLo = ((mid << 16) | (ll & 0xffff)) | 0;
  cpu.mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/** Signed 32x32→64 into cpu.mulLo/mulHi. */
function imul32(cpu: Cpu, a: number, b: number): void {
  mul32(cpu, a >>> 0, b >>> 0);
  // Correct the unsigned high half for signed operands.
  let hi = cpu.mulHi;
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  cpu.mulHi = hi;
}

/** DIV r/m32: EDX:EAX / v. */
function div32(cpu: Cpu, v: number): void {
  const r = cpu.regs;
  const d = v >>> 0;
  if (d === 0) cpu.fault(Vec.DE, -1);
  const hi = r[2] >>> 0;
  const lo = r[0] >>> 0;
  if (hi >= d) cpu.fault(Vec.DE, -1);
  if (hi === 0) {
    r[0] = Math.floor(lo / d) | 0;
    r[2] = lo % d | 0;
    return;
  }
  const n = (BigInt(hi) << 32n) | BigInt(lo);
  const bd = BigInt(d);
  r[0] = Number(n / bd) | 0;
  r[2] = Number(n % bd) | 0;
}

/** IDIV r/m32: EDX:EAX / v, signed. */
function idiv32(cpu: Cpu, v: number): void {
  const r = cpu.regs;
  if (v === 0) cpu.fault(Vec.DE, -1);
  const hi = r[2];
  const lo = r[0];
  if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) {
    // The dividend fits in 32 bits.
    if (lo === (0x80000000 | 0) && v === -1) cpu.fault(Vec.DE, -1);
    r[0] = (lo / v) | 0;
    r[2] = lo % v | 0;
    return;
  }
  const n = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const bd = BigInt(v);
  const q = n / bd;
  if (q > 0x7fffffffn || q < -0x80000000n) cpu.fault(Vec.DE, -1);
  r[0] = Number(q) | 0;
  r[2] = Number(n % bd) | 0;
}

// ---- IMUL two/three operand forms.

/** IMUL r16, r/m16, imm (and the two-operand form via imul16_GE). */
export function imul16_GEI(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  const p = ((v << 16) >> 16) * ((i.imm << 16) >> 16);
  cpu.r16[i.reg] = p & 0xffff;
  mulFlags(cpu, p !== (p << 16) >> 16, p & 0xffff, 0xffff, S16);
}
/**
 * Truncating signed 32x32 multiply: the low half from Math.imul; overflow from the double
 * product (inexact beyond 2^53, but then far outside the int32 range anyway).
 */
function imulTrunc32(cpu: Cpu, a: number, b: number): number {
  const lo = Math.imul(a, b);
  const p = a * b;
  mulFlags(cpu, p > 2147483647 || p < -2147483648, lo, -1, S32);
  return lo;
}

/** IMUL r32, r/m32, imm. */
export function imul32_GEI(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  cpu.regs[i.reg] = imulTrunc32(cpu, v, i.imm);
}
/** IMUL r16, r/m16. */
export function imul16_GE(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  const p = ((v << 16) >> 16) * ((cpu.r16[i.reg] << 16) >> 16);
  cpu.r16[i.reg] = p & 0xffff;
  mulFlags(cpu, p !== (p << 16) >> 16, p & 0xffff, 0xffff, S16);
}
/** IMUL r32, r/m32. */
export function imul32_GE(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  cpu.regs[i.reg] = imulTrunc32(cpu, v, cpu.regs[i.reg]);
}

// =======================================================================================
// Shifts and rotates (group 2). i.op: 0 ROL 1 ROR 2 RCL 3 RCR 4 SHL 5 SHR 6 SAL(=SHL) 7 SAR.
// =======================================================================================

/**
 * Shift/rotate `v` (width bits, unsigned) by count (already masked to 5 bits, non-zero).
 * Sets the flags and returns the result.
 */
function shiftOp(cpu: Cpu, op: number, v: number, count: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const sign = bits === 32 ? S32 : 1 << (bits - 1);
  let r: number;
  switch (op) {
    case 0: { // ROL
      const c = count % bits;
      r = c === 0 ? v : ((v << c) | (v >>> (bits - c))) & mask;
      cpu.materialize();
      const cf = r & 1;
      cpu.setCF(cf !== 0);
      cpu.setOF(((r & sign) !== 0 ? 1 : 0) !== cf);
      return r;
    }
    case 1: { // ROR
      const c = count % bits;
      r = c === 0 ? v : ((v >>> c) | (v << (bits - c))) & mask;
      cpu.materialize();
      const hi = (r & sign) !== 0;
      const hi2 = (r & (sign >>> 1)) !== 0;
      cpu.setCF(hi);
      cpu.setOF(hi !== hi2);
      return r;
    }
    case 2: { // RCL
      const c = count % (bits + 1);
      cpu.materialize();
      let cf = cpu.getCF() ? 1 : 0;
      r = v;
      for (let k = 0; k < c; k++) {
        const out = (r & sign) !== 0 ? 1 : 0;
        r = ((r << 1) | cf) & mask;
        cf = out;
      }
      cpu.setCF(cf !== 0);
      cpu.setOF(((r & sign) !== 0 ? 1 : 0) !== cf);
      return r;
    }
    case 3: { // RCR
      const c = count % (bits + 1);
      cpu.materialize();
      let cf = cpu.getCF() ? 1 : 0;
      r = v;
      // OF (defined for count 1) is computed from the operand before the rotation.
      const of = ((r & sign) !== 0 ? 1 : 0) !== cf;
      for (let k = 0; k < c; k++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf !== 0 ? sign : 0)) & mask;
        cf = out;
      }
      cpu.setCF(cf !== 0);
      cpu.setOF(of);
      return r;
    }
    case 4: case 6: { // SHL
      let cf: boolean;
      if (count < bits) {
        r = (v << count) & mask;
        cf = ((v >>> (bits - count)) & 1) !== 0;
      } else {
        r = 0;
        cf = count === bits ? (v & 1) !== 0 : false;
      }
      cpu.lazyLogic(r, mask, sign);
      cpu.setCF(cf);
      cpu.setOF(((r & sign) !== 0) !== cf);
      cpu.setAF(false);
      return r;
    }
    case 5: { // SHR
      r = count < bits ? (v >>> count) & mask : 0;
      const cf = count <= bits ? ((v >>> (count - 1)) & 1) !== 0 : false;
      cpu.lazyLogic(r, mask, sign);
      cpu.setCF(cf);
      cpu.setOF((v & sign) !== 0);
      cpu.setAF(false);
      return r;
    }
    default: { // SAR
      const sv = bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
      const c = count < bits ? count : bits - 1;
      r = (sv >> c) & mask;
      const cf = ((sv >> (count < bits ? count - 1 : bits - 1)) & 1) !== 0;
      cpu.lazyLogic(r, mask, sign);
      cpu.setCF(cf);
      cpu.setOF(false);
      cpu.setAF(false);
      return r;
    }
  }
}

/** Group 2, byte operand. */
export function shift8(cpu: Cpu, i: Insn): void {
  const count = (i.imm2 !== 0 ? cpu.regs[1] : i.imm) & 31;
  if (i.mem === 0) {
    if (count === 0) return;
    cpu.r8[i.rm] = shiftOp(cpu, i.op, cpu.r8[i.rm], count, 8);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  const v = cpu.rdLin8(lin);
  if (count === 0) return;
  cpu.wrLin8(lin, shiftOp(cpu, i.op, v, count, 8));
}
/** Group 2, word operand. */
export function shift16(cpu: Cpu, i: Insn): void {
  const count = (i.imm2 !== 0 ? cpu.regs[1] : i.imm) & 31;
  if (i.mem === 0) {
    if (count === 0) return;
    cpu.r16[i.rm] = shiftOp(cpu, i.op, cpu.r16[i.rm], count, 16);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  const v = cpu.rdLin16(lin);
  if (count === 0) return;
  cpu.wrLin16(lin, shiftOp(cpu, i.op, v, count, 16));
}
/** Group 2, dword operand. */
export function shift32(cpu: Cpu, i: Insn): void {
  const count = (i.imm2 !== 0 ? cpu.regs[1] : i.imm) & 31;
  if (i.mem === 0) {
    if (count === 0) return;
    cpu.regs[i.rm] = shiftOp(cpu, i.op, cpu.regs[i.rm], count, 32);
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  const v = cpu.rdLin32(lin);
  if (count === 0) return;
  cpu.wrLin32(lin, shiftOp(cpu, i.op, v, count, 32));
}

/** SHLD/SHRD r/m16, r16, imm8/CL (i.op 0 SHLD, 1 SHRD). */
export function shld16(cpu: Cpu, i: Insn): void {
  const count = (i.imm2 !== 0 ? cpu.regs[1] : i.imm) & 31;
  let lin = 0;
  let dst: number;
  if (i.mem !== 0) {
    lin = cpu.rmw(i.seg, cpu.ea(i), 2);
    dst = cpu.rdLin16(lin);
  } else dst = cpu.r16[i.rm];
  if (count === 0) return;
  const src = cpu.r16[i.reg];
  let r: number;
  let cf: boolean;
  if (i.op === 0) {
    // 32-bit pattern dst:src shifted left; counts above 16 pull src bits then dst again.
    const pat = (dst << 16) | src;
    const ext = count <= 16 ? pat : (src << 16) | dst;
    const c = count <= 16 ? count : count - 16;
    r = c === 16 ? ext & 0xffff : ((ext << c) >>> 16) & 0xffff;
    if (c === 16) r = ext & 0xffff;
    cf = ((count <= 16 ? dst : src) >>> (16 - c)) & 1 ? true : false;
    if (c === 0) cf = (dst & 1) !== 0;
  } else {
    const pat = ((src << 16) | dst) >>> 0;
    const ext = count <= 16 ? pat : (((dst << 16) | src) >>> 0);
    const c = count <= 16 ? count : count - 16;
    r = (ext >>> c) & 0xffff;
    cf = ((ext >>> (c - 1)) & 1) !== 0;
  }
  if (i.mem !== 0) cpu.wrLin16(lin, r);
  else cpu.r16[i.rm] = r;
  cpu.lazyLogic(r, 0xffff, S16);
  cpu.setCF(cf);
  cpu.setOF(((r ^ dst) & S16) !== 0);
  cpu.setAF(false);
}

/** SHLD/SHRD r/m32, r32, imm8/CL. */
export function shld32(cpu: Cpu, i: Insn): void {
  const count = (i.imm2 !== 0 ? cpu.regs[1] : i.imm) & 31;
  let lin = 0;
  let dst: number;
  if (i.mem !== 0) {
    lin = cpu.rmw(i.seg, cpu.ea(i), 4);
    dst = cpu.rdLin32(lin);
  } else dst = cpu.regs[i.rm];
  if (count === 0) return;
  const src = cpu.regs[i.reg];
  let r: number;
  let cf: boolean;
  if (i.op === 0) {
    r = (dst << count) | (src >>> (32 - count));
    cf = ((dst >>> (32 - count)) & 1) !== 0;
  } else {
    r = (dst >>> count) | (src << (32 - count));
    cf = ((dst >>> (count - 1)) & 1) !== 0;
  }
  if (i.mem !== 0) cpu.wrLin32(lin, r);
  else cpu.regs[i.rm] = r;
  cpu.lazyLogic(r, -1, S32);
  cpu.setCF(cf);
  cpu.setOF(((r ^ dst) & S32) !== 0);
  cpu.setAF(false);
}

// =======================================================================================
// Bit tests: BT BTS BTR BTC (i.op 0..3), BSF/BSR.
// =======================================================================================

function btApply(cpu: Cpu, op: number, v: number, bit: number): number {
  const m = 1 << bit;
  cpu.setCF((v & m) !== 0);
  switch (op) {
    case 1: return v | m;
    case 2: return v & ~m;
    case 3: return v ^ m;
    default: return v;
  }
}

/** BTx r/m16, r16 (a register bit offset addresses a bit string in memory). */
export function bt16_G(cpu: Cpu, i: Insn): void {
  const off = (cpu.r16[i.reg] << 16) >> 16;
  if (i.mem === 0) {
    const v = btApply(cpu, i.op, cpu.r16[i.rm], off & 15);
    if (i.op !== 0) cpu.r16[i.rm] = v;
    return;
  }
  const ea = (cpu.ea(i) + 2 * (off >> 4)) & i.amask;
  btMem(cpu, i, ea, off & 15, 2);
}

/** BTx r/m32, r32. */
export function bt32_G(cpu: Cpu, i: Insn): void {
  const off = cpu.regs[i.reg];
  if (i.mem === 0) {
    const v = btApply(cpu, i.op, cpu.regs[i.rm], off & 31);
    if (i.op !== 0) cpu.regs[i.rm] = v;
    return;
  }
  const ea = (cpu.ea(i) + 4 * (off >> 5)) & i.amask;
  btMem(cpu, i, ea, off & 31, 4);
}

/** BTx r/m16, imm8. */
export function bt16_I(cpu: Cpu, i: Insn): void {
  const bit = i.imm & 15;
  if (i.mem === 0) {
    const v = btApply(cpu, i.op, cpu.r16[i.rm], bit);
    if (i.op !== 0) cpu.r16[i.rm] = v;
    return;
  }
  btMem(cpu, i, cpu.ea(i), bit, 2);
}

/** BTx r/m32, imm8. */
export function bt32_I(cpu: Cpu, i: Insn): void {
  const bit = i.imm & 31;
  if (i.mem === 0) {
    const v = btApply(cpu, i.op, cpu.regs[i.rm], bit);
    if (i.op !== 0) cpu.regs[i.rm] = v;
    return;
  }
  btMem(cpu, i, cpu.ea(i), bit, 4);
}

function btMem(cpu: Cpu, i: Insn, ea: number, bit: number, size: number): void {
  if (i.op === 0) {
    const v = size === 2 ? cpu.rd16(i.seg, ea) : cpu.rd32(i.seg, ea);
    cpu.setCF(((v >>> bit) & 1) !== 0);
    return;
  }
  const lin = cpu.rmw(i.seg, ea, size);
  if (size === 2) cpu.wrLin16(lin, btApply(cpu, i.op, cpu.rdLin16(lin), bit) & 0xffff);
  else cpu.wrLin32(lin, btApply(cpu, i.op, cpu.rdLin32(lin), bit));
}

/** BSF/BSR r16, r/m16 (i.op 0 BSF, 1 BSR). A zero source sets ZF and leaves the destination. */
export function bsf16(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  bitScanFlags(cpu, v);
  if (v === 0) return;
  cpu.r16[i.reg] = i.op === 0 ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
}

/** BSF/BSR r32, r/m32. */
export function bsf32(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  bitScanFlags(cpu, v);
  if (v === 0) return;
  cpu.regs[i.reg] = i.op === 0 ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
}

function bitScanFlags(cpu: Cpu, v: number): void {
  // ZF from the source; CF, OF, SF, AF, PF are undefined: computed like a logic op on it.
  cpu.lazyLogic(v, -1, S32);
  cpu.materialize();
  cpu.setStatus((cpu.flags & ~Flag.ZF) | (v === 0 ? Flag.ZF : 0));
}

// =======================================================================================
// XADD, CMPXCHG, CMPXCHG8B
// =======================================================================================

/** XADD r/m8, r8. */
export function xadd8(cpu: Cpu, i: Insn): void {
  const src = cpu.r8[i.reg];
  if (i.mem === 0) {
    const dst = cpu.r8[i.rm];
    const r = alu8(cpu, 0, dst, src);
    cpu.r8[i.reg] = dst;
    cpu.r8[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  const dst = cpu.rdLin8(lin);
  const r = alu8(cpu, 0, dst, src);
  cpu.wrLin8(lin, r);
  cpu.r8[i.reg] = dst;
}
/** XADD r/m16, r16. */
export function xadd16(cpu: Cpu, i: Insn): void {
  const src = cpu.r16[i.reg];
  if (i.mem === 0) {
    const dst = cpu.r16[i.rm];
    const r = alu16(cpu, 0, dst, src);
    cpu.r16[i.reg] = dst;
    cpu.r16[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  const dst = cpu.rdLin16(lin);
  const r = alu16(cpu, 0, dst, src);
  cpu.wrLin16(lin, r);
  cpu.r16[i.reg] = dst;
}
/** XADD r/m32, r32. */
export function xadd32(cpu: Cpu, i: Insn): void {
  const src = cpu.regs[i.reg];
  if (i.mem === 0) {
    const dst = cpu.regs[i.rm];
    const r = alu32(cpu, 0, dst, src);
    cpu.regs[i.reg] = dst;
    cpu.regs[i.rm] = r;
    return;
  }
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  const dst = cpu.rdLin32(lin);
  const r = alu32(cpu, 0, dst, src);
  cpu.wrLin32(lin, r);
  cpu.regs[i.reg] = dst;
}

/** CMPXCHG r/m8, r8. The destination is always written (the old value on failure). */
export function cmpxchg8(cpu: Cpu, i: Insn): void {
  const lin = i.mem !== 0 ? cpu.rmw(i.seg, cpu.ea(i), 1) : 0;
  const dst = i.mem !== 0 ? cpu.rdLin8(lin) : cpu.r8[i.rm];
  const al = cpu.r8[0];
  alu8(cpu, 7, al, dst);
  const eq = al === dst;
  const w = eq ? cpu.r8[i.reg] : dst;
  if (i.mem !== 0) cpu.wrLin8(lin, w);
  else cpu.r8[i.rm] = w;
  if (!eq) cpu.r8[0] = dst;
}
/** CMPXCHG r/m16, r16. */
export function cmpxchg16(cpu: Cpu, i: Insn): void {
  const lin = i.mem !== 0 ? cpu.rmw(i.seg, cpu.ea(i), 2) : 0;
  const dst = i.mem !== 0 ? cpu.rdLin16(lin) : cpu.r16[i.rm];
  const ax = cpu.r16[0];
  alu16(cpu, 7, ax, dst);
  const eq = ax === dst;
  const w = eq ? cpu.r16[i.reg] : dst;
  if (i.mem !== 0) cpu.wrLin16(lin, w);
  else cpu.r16[i.rm] = w;
  if (!eq) cpu.r16[0] = dst;
}
/** CMPXCHG r/m32, r32. */
export function cmpxchg32(cpu: Cpu, i: Insn): void {
  const lin = i.mem !== 0 ? cpu.rmw(i.seg, cpu.ea(i), 4) : 0;
  const dst = i.mem !== 0 ? cpu.rdLin32(lin) : cpu.regs[i.rm];
  const eax = cpu.regs[0];
  alu32(cpu, 7, eax, dst);
  const eq = eax === dst;
  if (i.mem !== 0) cpu.wrLin32(lin, eq ? cpu.regs[i.reg] : dst);
  else if (eq) cpu.regs[i.rm] = cpu.regs[i.reg];
  if (!eq) cpu.regs[0] = dst;
}

/** CMPXCHG8B m64. */
export function cmpxchg8b(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  const lin = cpu.rmw(i.seg, ea, 8);
  const lo = cpu.rdLin32(lin);
  const hi = cpu.rdLin32((lin + 4) | 0);
  const r = cpu.regs;
  cpu.materialize();
  if (lo === r[0] && hi === r[2]) {
    cpu.wrLin32(lin, r[3]);
    cpu.wrLin32((lin + 4) | 0, r[1]);
    cpu.flags |= Flag.ZF;
  } else {
    cpu.wrLin32(lin, lo);
    cpu.wrLin32((lin + 4) | 0, hi);
    r[0] = lo;
    r[2] = hi;
    cpu.flags &= ~Flag.ZF;
  }
}

