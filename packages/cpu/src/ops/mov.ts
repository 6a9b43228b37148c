/**
 * Data movement: MOV forms, MOVZX/MOVSX, LEA, XCHG, PUSH/POP (registers, memory, immediates,
 * segment registers, PUSHA/POPA), ENTER/LEAVE, CBW family, CMOVcc, SETcc, BSWAP, XLAT, LDS family.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Seg } from "../constants.js";
import { loadSegment } from "../system.js";

// ---- MOV r/m, r and r, r/m

/** MOV r/m8(reg), r8. */
export function mov8_EG_r(cpu: Cpu, i: Insn): void {
  cpu.r8[i.rm] = cpu.r8[i.reg];
}
/** MOV m8, r8. */
export function mov8_EG_m(cpu: Cpu, i: Insn): void {
  cpu.wr8(i.seg, cpu.ea(i), cpu.r8[i.reg]);
}
/** MOV r8, r/m8(reg). */
export function mov8_GE_r(cpu: Cpu, i: Insn): void {
  cpu.r8[i.reg] = cpu.r8[i.rm];
}
/** MOV r8, m8. */
export function mov8_GE_m(cpu: Cpu, i: Insn): void {
  cpu.r8[i.reg] = cpu.rd8(i.seg, cpu.ea(i));
}
/** MOV r/m16(reg), r16. */
export function mov16_EG_r(cpu: Cpu, i: Insn): void {
  cpu.r16[i.rm] = cpu.r16[i.reg];
}
/** MOV m16, r16. */
export function mov16_EG_m(cpu: Cpu, i: Insn): void {
  cpu.wr16(i.seg, cpu.ea(i), cpu.r16[i.reg]);
}
/** MOV r16, r/m16(reg). */
export function mov16_GE_r(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = cpu.r16[i.rm];
}
/** MOV r16, m16. */
export function mov16_GE_m(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = cpu.rd16(i.seg, cpu.ea(i));
}
/** MOV r/m32(reg), r32. */
export function mov32_EG_r(cpu: Cpu, i: Insn): void {
  cpu.regs[i.rm] = cpu.regs[i.reg];
}
/** MOV m32, r32. */
export function mov32_EG_m(cpu: Cpu, i: Insn): void {
  cpu.wr32(i.seg, cpu.ea(i), cpu.regs[i.reg]);
}
/** MOV r32, r/m32(reg). */
export function mov32_GE_r(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = cpu.regs[i.rm];
}
/** MOV r32, m32. */
export function mov32_GE_m(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = cpu.rd32(i.seg, cpu.ea(i));
}

// ---- MOV immediates

/** MOV r8, imm8. */
export function mov8_RI(cpu: Cpu, i: Insn): void {
  cpu.r8[i.reg] = i.imm;
}
/** MOV r16, imm16. */
export function mov16_RI(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = i.imm;
}
/** MOV r32, imm32. */
export function mov32_RI(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = i.imm;
}
/** MOV r/m8(reg), imm8. */
export function mov8_EI_r(cpu: Cpu, i: Insn): void {
  cpu.r8[i.rm] = i.imm;
}
/** MOV m8, imm8. */
export function mov8_EI_m(cpu: Cpu, i: Insn): void {
  cpu.wr8(i.seg, cpu.ea(i), i.imm);
}
/** MOV r/m16(reg), imm16. */
export function mov16_EI_r(cpu: Cpu, i: Insn): void {
  cpu.r16[i.rm] = i.imm;
}
/** MOV m16, imm16. */
export function mov16_EI_m(cpu: Cpu, i: Insn): void {
  cpu.wr16(i.seg, cpu.ea(i), i.imm);
}
/** MOV r/m32(reg), imm32. */
export function mov32_EI_r(cpu: Cpu, i: Insn): void {
  cpu.regs[i.rm] = i.imm;
}
/** MOV m32, imm32. */
export function mov32_EI_m(cpu: Cpu, i: Insn): void {
  cpu.wr32(i.seg, cpu.ea(i), i.imm);
}

// ---- segment registers

/** MOV r/m16, Sreg (memory: always a word). */
export function movEwSw_m(cpu: Cpu, i: Insn): void {
  cpu.wr16(i.seg, cpu.ea(i), cpu.segSel[i.imm]);
}
/** MOV r16, Sreg. */
export function movEwSw_r16(cpu: Cpu, i: Insn): void {
  cpu.r16[i.rm] = cpu.segSel[i.imm];
}
/** MOV r32, Sreg (zero-extended, as P6 processors do). */
export function movEwSw_r32(cpu: Cpu, i: Insn): void {
  cpu.regs[i.rm] = cpu.segSel[i.imm];
}
/** MOV Sreg, r16. */
export function movSwEw_r(cpu: Cpu, i: Insn): void {
  loadSegment(cpu, i.imm, cpu.r16[i.rm]);
  if (i.imm === Seg.SS) cpu.setShadow();
}
/** MOV Sreg, m16. */
export function movSwEw_m(cpu: Cpu, i: Insn): void {
  loadSegment(cpu, i.imm, cpu.rd16(i.seg, cpu.ea(i)));
  if (i.imm === Seg.SS) cpu.setShadow();
}

/** PUSH Sreg (16-bit operand size). */
export function pushSeg16(cpu: Cpu, i: Insn): void {
  cpu.push16(cpu.segSel[i.reg]);
}
/**
 * PUSH Sreg (32-bit operand size): P6 processors write only the low word of the stack slot,
 * leaving the upper half unchanged.
 */
export function pushSeg32(cpu: Cpu, i: Insn): void {
  const sp = (cpu.regs[4] - 4) & cpu.spMask;
  const lin = cpu.linW(Seg.SS, sp, 4);
  cpu.probeWrite(lin, 4, cpu.cpl === 3);
  cpu.wrLin16(lin, cpu.segSel[i.reg]);
  cpu.setSp(sp);
}
/** POP Sreg (16-bit). */
export function popSeg16(cpu: Cpu, i: Insn): void {
  const v = cpu.peek16(0);
  loadSegment(cpu, i.reg, v);
  cpu.setSp(cpu.regs[4] + 2);
  if (i.reg === Seg.SS) cpu.setShadow();
}
/** POP Sreg (32-bit). */
export function popSeg32(cpu: Cpu, i: Insn): void {
  const v = cpu.peek32(0) & 0xffff;
  loadSegment(cpu, i.reg, v);
  cpu.setSp(cpu.regs[4] + 4);
  if (i.reg === Seg.SS) cpu.setShadow();
}

/** LDS/LES/LSS/LFS/LGS r, m16:16/32 (i.imm = the segment register). */
export function lxs(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  let off: number;
  let sel: number;
  if (i.o32 !== 0) {
    off = cpu.rd32(i.seg, ea);
    sel = cpu.rd16(i.seg, (ea + 4) & i.amask);
  } else {
    off = cpu.rd16(i.seg, ea);
    sel = cpu.rd16(i.seg, (ea + 2) & i.amask);
  }
  loadSegment(cpu, i.imm, sel);
  if (i.o32 !== 0) cpu.regs[i.reg] = off;
  else cpu.r16[i.reg] = off;
  if (i.imm === Seg.SS) cpu.setShadow();
}

// ---- LEA, MOVZX, MOVSX

/** LEA r16, m. */
export function lea16(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = cpu.ea(i);
}
/** LEA r32, m. */
export function lea32(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = cpu.ea(i);
}
/** MOVZX r16, r/m8. */
export function movzx16_b(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = i.mem !== 0 ? cpu.rd8(i.seg, cpu.ea(i)) : cpu.r8[i.rm];
}
/** MOVZX r32, r/m8. */
export function movzx32_b(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = i.mem !== 0 ? cpu.rd8(i.seg, cpu.ea(i)) : cpu.r8[i.rm];
}
/** MOVZX r16, r/m16. */
export function movzx16_w(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
}
/** MOVZX r32, r/m16. */
export function movzx32_w(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
}
/** MOVSX r16, r/m8. */
export function movsx16_b(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd8(i.seg, cpu.ea(i)) : cpu.r8[i.rm];
  cpu.r16[i.reg] = (v << 24) >> 24;
}
/** MOVSX r32, r/m8. */
export function movsx32_b(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd8(i.seg, cpu.ea(i)) : cpu.r8[i.rm];
  cpu.regs[i.reg] = (v << 24) >> 24;
}
/** MOVSX r16, r/m16. */
export function movsx16_w(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg] = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
}
/** MOVSX r32, r/m16. */
export function movsx32_w(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  cpu.regs[i.reg] = (v << 16) >> 16;
}

// ---- XCHG

/** XCHG r8, r8. */
export function xchg8_r(cpu: Cpu, i: Insn): void {
  const t = cpu.r8[i.rm];
  cpu.r8[i.rm] = cpu.r8[i.reg];
  cpu.r8[i.reg] = t;
}
/** XCHG m8, r8. */
export function xchg8_m(cpu: Cpu, i: Insn): void {
  const lin = cpu.rmw(i.seg, cpu.ea(i), 1);
  const t = cpu.rdLin8(lin);
  cpu.wrLin8(lin, cpu.r8[i.reg]);
  cpu.r8[i.reg] = t;
}
/** XCHG r16, r16. */
export function xchg16_r(cpu: Cpu, i: Insn): void {
  const t = cpu.r16[i.rm];
  cpu.r16[i.rm] = cpu.r16[i.reg];
  cpu.r16[i.reg] = t;
}
/** XCHG m16, r16. */
export function xchg16_m(cpu: Cpu, i: Insn): void {
  const lin = cpu.rmw(i.seg, cpu.ea(i), 2);
  const t = cpu.rdLin16(lin);
  cpu.wrLin16(lin, cpu.r16[i.reg]);
  cpu.r16[i.reg] = t;
}
/** XCHG r32, r32. */
export function xchg32_r(cpu: Cpu, i: Insn): void {
  const t = cpu.regs[i.rm];
  cpu.regs[i.rm] = cpu.regs[i.reg];
  cpu.regs[i.reg] = t;
}
/** XCHG m32, r32. */
export function xchg32_m(cpu: Cpu, i: Insn): void {
  const lin = cpu.rmw(i.seg, cpu.ea(i), 4);
  const t = cpu.rdLin32(lin);
  cpu.wrLin32(lin, cpu.regs[i.reg]);
  cpu.regs[i.reg] = t;
}

// ---- PUSH / POP (i.reg is the raw register number for the register forms)

/** PUSH r32. */
export function push32_r(cpu: Cpu, i: Insn): void {
  cpu.push32(cpu.regs[i.reg]);
}
/** PUSH r16. */
export function push16_r(cpu: Cpu, i: Insn): void {
  cpu.push16(cpu.r16[i.reg * 2]);
}
/** POP r32. */
export function pop32_r(cpu: Cpu, i: Insn): void {
  const v = cpu.pop32();
  cpu.regs[i.reg] = v;
}
/** POP r16. */
export function pop16_r(cpu: Cpu, i: Insn): void {
  const v = cpu.pop16();
  cpu.r16[i.reg * 2] = v;
}
/** PUSH imm (32-bit operand size). */
export function push32_i(cpu: Cpu, i: Insn): void {
  cpu.push32(i.imm);
}
/** PUSH imm (16-bit operand size). */
export function push16_i(cpu: Cpu, i: Insn): void {
  cpu.push16(i.imm & 0xffff);
}
/** PUSH r/m32. */
export function push32_E(cpu: Cpu, i: Insn): void {
  cpu.push32(i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm]);
}
/** PUSH r/m16. */
export function push16_E(cpu: Cpu, i: Insn): void {
  cpu.push16(i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm]);
}
/**
 * POP m32. The address is computed with ESP already incremented (SDM: "if ESP is used as a
 * base register, its value after the pop").
 */
export function pop32_m(cpu: Cpu, i: Insn): void {
  const v = cpu.peek32(0);
  const oldSp = cpu.regs[4];
  cpu.setSp(oldSp + 4);
  try {
    cpu.wr32(i.seg, cpu.ea(i), v);
  } catch (e) {
    cpu.regs[4] = oldSp;
    throw e;
  }
}
/** POP m16. */
export function pop16_m(cpu: Cpu, i: Insn): void {
  const v = cpu.peek16(0);
  const oldSp = cpu.regs[4];
  cpu.setSp(oldSp + 2);
  try {
    cpu.wr16(i.seg, cpu.ea(i), v);
  } catch (e) {
    cpu.regs[4] = oldSp;
    throw e;
  }
}

/** PUSHAD. */
export function pusha32(cpu: Cpu): void {
  const r = cpu.regs;
  const sp = r[4];
  const lin = cpu.linW(Seg.SS, (sp - 32) & cpu.spMask, 32);
  cpu.probeWrite(lin, 32, cpu.cpl === 3);
  for (let k = 0; k < 8; k++) {
    const off = (sp - 4 * (k + 1)) & cpu.spMask;
    cpu.wr32(Seg.SS, off, k === 4 ? sp : r[k]);
  }
  cpu.setSp(sp - 32);
}
/** PUSHA (16-bit). */
export function pusha16(cpu: Cpu): void {
  const r = cpu.regs;
  const sp = r[4];
  for (let k = 0; k < 8; k++) {
    const off = (sp - 2 * (k + 1)) & cpu.spMask;
    cpu.linW(Seg.SS, off, 2);
  }
  for (let k = 0; k < 8; k++) {
    const off = (sp - 2 * (k + 1)) & cpu.spMask;
    cpu.wr16(Seg.SS, off, k === 4 ? sp & 0xffff : cpu.r16[k * 2]);
  }
  cpu.setSp(sp - 16);
}
/** POPAD (the ESP slot is skipped). */
export function popa32(cpu: Cpu): void {
  const r = cpu.regs;
  const sp = r[4];
  const vals = cpu.scratch8;
  for (let k = 0; k < 8; k++) vals[k] = cpu.rd32(Seg.SS, (sp + 4 * (7 - k)) & cpu.spMask);
  for (let k = 0; k < 8; k++) if (k !== 4) r[k] = vals[k];
  cpu.setSp(sp + 32);
}
/** POPA (16-bit). */
export function popa16(cpu: Cpu): void {
  const sp = cpu.regs[4];
  const vals = cpu.scratch8;
  for (let k = 0; k < 8; k++) vals[k] = cpu.rd16(Seg.SS, (sp + 2 * (7 - k)) & cpu.spMask);
  for (let k = 0; k < 8; k++) if (k !== 4) cpu.r16[k * 2] = vals[k];
  cpu.setSp(sp + 16);
}

/** ENTER imm16, imm8 (32-bit operand size). */
export function enter32(cpu: Cpu, i: Insn): void {
  const level = i.imm2 & 31;
  const r = cpu.regs;
  const m = cpu.spMask;
  const ebp = r[5];
  let sp = (r[4] - 4) & m;
  // Check the whole frame first so that a fault leaves nothing changed.
  cpu.linW(Seg.SS, sp, 4);
  cpu.probeWrite(cpu.linW(Seg.SS, sp, 4), 4, cpu.cpl === 3);
  cpu.wr32(Seg.SS, sp, ebp);
  const frame = sp;
  let bp = ebp;
  if (level > 0) {
    for (let k = 1; k < level; k++) {
      bp = cpu.ssB !== 0 ? (bp - 4) | 0 : (bp & ~0xffff) | ((bp - 4) & 0xffff);
      const v = cpu.rd32(Seg.SS, bp & m);
      sp = (sp - 4) & m;
      cpu.wr32(Seg.SS, sp, v);
    }
    sp = (sp - 4) & m;
    cpu.wr32(Seg.SS, sp, frame);
  }
  const newSp = (sp - i.imm) & m;
  cpu.linW(Seg.SS, newSp, 1);
  if (cpu.ssB !== 0) r[5] = frame;
  else r[5] = (ebp & ~0xffff) | (frame & 0xffff);
  cpu.setSp(newSp);
}
/** ENTER imm16, imm8 (16-bit operand size). */
export function enter16(cpu: Cpu, i: Insn): void {
  const level = i.imm2 & 31;
  const r = cpu.regs;
  const m = cpu.spMask;
  const bp0 = cpu.ssB !== 0 ? r[5] : r[5] & 0xffff;
  let sp = (r[4] - 2) & m;
  cpu.wr16(Seg.SS, sp, r[5] & 0xffff);
  const frame = sp;
  let bp = bp0;
  if (level > 0) {
    for (let k = 1; k < level; k++) {
      bp = (bp - 2) & m;
      const v = cpu.rd16(Seg.SS, bp);
      sp = (sp - 2) & m;
      cpu.wr16(Seg.SS, sp, v);
    }
    sp = (sp - 2) & m;
    cpu.wr16(Seg.SS, sp, frame & 0xffff);
  }
  const newSp = (sp - i.imm) & m;
  cpu.r16[10] = frame & 0xffff;
  cpu.setSp(newSp);
}
/** LEAVE (32-bit). */
export function leave32(cpu: Cpu): void {
  const m = cpu.spMask;
  const bp = cpu.regs[5] & m;
  const v = cpu.rd32(Seg.SS, bp);
  cpu.setSp(bp + 4);
  cpu.regs[5] = v;
}
/** LEAVE (16-bit). */
export function leave16(cpu: Cpu): void {
  const m = cpu.spMask;
  const bp = cpu.regs[5] & m;
  const v = cpu.rd16(Seg.SS, bp);
  cpu.setSp(bp + 2);
  cpu.r16[10] = v;
}

// ---- conversions, conditional moves, SETcc, BSWAP, XLAT

/** CBW. */
export function cbw(cpu: Cpu): void {
  cpu.r16[0] = (cpu.r8[0] << 24) >> 24;
}
/** CWDE. */
export function cwde(cpu: Cpu): void {
  cpu.regs[0] = (cpu.r16[0] << 16) >> 16;
}
/** CWD. */
export function cwd(cpu: Cpu): void {
  cpu.r16[4] = (cpu.r16[0] & 0x8000) !== 0 ? 0xffff : 0;
}
/** CDQ. */
export function cdq(cpu: Cpu): void {
  cpu.regs[2] = cpu.regs[0] >> 31;
}
/** CMOVcc r16, r/m16 (the source is read, and may fault, even when the condition is false). */
export function cmov16(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  if (cpu.cond(i.op)) cpu.r16[i.reg] = v;
}
/** CMOVcc r32, r/m32. */
export function cmov32(cpu: Cpu, i: Insn): void {
  const v = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  if (cpu.cond(i.op)) cpu.regs[i.reg] = v;
}
/** SETcc r8. */
export function setcc_r(cpu: Cpu, i: Insn): void {
  cpu.r8[i.rm] = cpu.cond(i.op) ? 1 : 0;
}
/** SETcc m8. */
export function setcc_m(cpu: Cpu, i: Insn): void {
  cpu.wr8(i.seg, cpu.ea(i), cpu.cond(i.op) ? 1 : 0);
}
/** BSWAP r32. */
export function bswap32(cpu: Cpu, i: Insn): void {
  const v = cpu.regs[i.reg];
  cpu.regs[i.reg] = ((v >>> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) | 0;
}
/** BSWAP r16: undefined by the SDM; P6 processors clear the low word. */
export function bswap16(cpu: Cpu, i: Insn): void {
  cpu.r16[i.reg * 2] = 0;
}
/** XLAT: AL = [seg:(E)BX + AL]. */
export function xlat(cpu: Cpu, i: Insn): void {
  const ea = (cpu.regs[3] + cpu.r8[0]) & i.amask;
  cpu.r8[0] = cpu.rd8(i.seg, ea);
}
