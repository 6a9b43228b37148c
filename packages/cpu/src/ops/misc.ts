/**
 * Flag instructions, BCD adjustments, BOUND, NOP/UD, PUSHF/POPF, SAHF/LAHF.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Flag, Vec } from "../constants.js";
import { PARITY } from "../flags.js";
import { popFlags, pushFlagsValue } from "../system.js";

/** NOP (and the hint-NOP forms). */
export function nop(): void {
  /* nothing */
}
/** Invalid opcode: #UD. */
export function ud(cpu: Cpu): void {
  cpu.raiseUd();
}
/** An instruction longer than 15 bytes: #GP(0). */
export function gp0(cpu: Cpu): void {
  cpu.raiseGp(0);
}

/** CLC. */
export function clc(cpu: Cpu): void {
  cpu.setCF(false);
}
/** STC. */
export function stc(cpu: Cpu): void {
  cpu.setCF(true);
}
/** CMC. */
export function cmc(cpu: Cpu): void {
  cpu.setCF(!cpu.getCF());
}
/** CLD. */
export function cld(cpu: Cpu): void {
  cpu.flags &= ~Flag.DF;
}
/** STD. */
export function std(cpu: Cpu): void {
  cpu.flags |= Flag.DF;
}
/** SAHF: SF ZF AF PF CF from AH. */
export function sahf(cpu: Cpu): void {
  const ah = cpu.r8[1];
  cpu.materialize();
  cpu.flags = (cpu.flags & ~0xd5) | (ah & 0xd5) | Flag.FIXED;
}
/** LAHF: AH = SF ZF 0 AF 0 PF 1 CF. */
export function lahf(cpu: Cpu): void {
  cpu.r8[1] = (cpu.materialize() & 0xd5) | 2;
}
/** SALC (undocumented, P6 has it): AL = CF ? 0xFF : 0. */
export function salc(cpu: Cpu): void {
  cpu.r8[0] = cpu.getCF() ? 0xff : 0;
}

/** PUSHF (16-bit). */
export function pushf16(cpu: Cpu): void {
  cpu.push16(pushFlagsValue(cpu) & 0xffff);
}
/** PUSHFD: VM and RF are pushed as 0. */
export function pushf32(cpu: Cpu): void {
  cpu.push32(pushFlagsValue(cpu) & 0x00fcffff);
}
/** POPF (16-bit). */
export function popf16(cpu: Cpu): void {
  popFlags(cpu, false);
}
/** POPFD. */
export function popf32(cpu: Cpu): void {
  popFlags(cpu, true);
}

function setSZP8(cpu: Cpu, al: number, extra: number): void {
  let f = cpu.flags & ~(Flag.SF | Flag.ZF | Flag.PF);
  f |= PARITY[al];
  if (al === 0) f |= Flag.ZF;
  if ((al & 0x80) !== 0) f |= Flag.SF;
  cpu.flags = f | extra;
}

/** DAA. */
export function daa(cpu: Cpu): void {
  const f = cpu.materialize();
  const oldAl = cpu.r8[0];
  const oldCf = (f & Flag.CF) !== 0;
  let al = oldAl;
  let cf = false;
  let af = false;
  if ((al & 0x0f) > 9 || (f & Flag.AF) !== 0) {
    al = (al + 6) & 0xff;
    cf = oldCf || oldAl + 6 > 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = true;
  }
  cpu.r8[0] = al;
  // OF is undefined; compute it as the add that was done would.
  const of = (~oldAl & al & 0x80) !== 0;
  cpu.flags &= ~(Flag.CF | Flag.AF | Flag.OF);
  setSZP8(cpu, al, (cf ? Flag.CF : 0) | (af ? Flag.AF : 0) | (of ? Flag.OF : 0));
}

/** DAS. */
export function das(cpu: Cpu): void {
  const f = cpu.materialize();
  const oldAl = cpu.r8[0];
  const oldCf = (f & Flag.CF) !== 0;
  let al = oldAl;
  let cf = false;
  let af = false;
  if ((al & 0x0f) > 9 || (f & Flag.AF) !== 0) {
    cf = oldCf || al < 6;
    al = (al - 6) & 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = true;
  }
  cpu.r8[0] = al;
  const of = (oldAl & ~al & 0x80) !== 0;
  cpu.flags &= ~(Flag.CF | Flag.AF | Flag.OF);
  setSZP8(cpu, al, (cf ? Flag.CF : 0) | (af ? Flag.AF : 0) | (of ? Flag.OF : 0));
}

/** AAA. */
export function aaa(cpu: Cpu): void {
  const f = cpu.materialize();
  const r16 = cpu.r16;
  let adj = false;
  if ((cpu.r8[0] & 0x0f) > 9 || (f & Flag.AF) !== 0) {
    r16[0] = (r16[0] + 0x106) & 0xffff;
    adj = true;
  }
  cpu.r8[0] &= 0x0f;
  const al = cpu.r8[0];
  cpu.flags &= ~(Flag.CF | Flag.AF | Flag.OF);
  setSZP8(cpu, al, adj ? Flag.CF | Flag.AF : 0);
}

/** AAS. */
export function aas(cpu: Cpu): void {
  const f = cpu.materialize();
  const r16 = cpu.r16;
  let adj = false;
  if ((cpu.r8[0] & 0x0f) > 9 || (f & Flag.AF) !== 0) {
    r16[0] = (r16[0] - 6) & 0xffff;
    cpu.r8[1] = (cpu.r8[1] - 1) & 0xff;
    adj = true;
  }
  cpu.r8[0] &= 0x0f;
  const al = cpu.r8[0];
  cpu.flags &= ~(Flag.CF | Flag.AF | Flag.OF);
  setSZP8(cpu, al, adj ? Flag.CF | Flag.AF : 0);
}

/** AAM imm8: #DE when the base is 0. */
export function aam(cpu: Cpu, i: Insn): void {
  if (i.imm === 0) cpu.fault(Vec.DE, -1);
  const al = cpu.r8[0];
  cpu.r8[1] = Math.floor(al / i.imm);
  const r = al % i.imm;
  cpu.r8[0] = r;
  cpu.materialize();
  cpu.flags &= ~(Flag.CF | Flag.AF | Flag.OF);
  setSZP8(cpu, r, 0);
}

/** AAD imm8. */
export function aad(cpu: Cpu, i: Insn): void {
  const al = cpu.r8[0];
  const prod = cpu.r8[1] * i.imm;
  const r = (al + prod) & 0xff;
  cpu.r16[0] = r;
  // Flags as the 8-bit ADD AL, (AH*imm) that the processor performs.
  const b = prod & 0xff;
  cpu.lazyAdd(al, b, r, 0xff, 0x80);
  cpu.materialize();
}

/** BOUND r16, m16&16: #BR when out of range. */
export function bound16(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  const lo = (cpu.rd16(i.seg, ea) << 16) >> 16;
  const hi = (cpu.rd16(i.seg, (ea + 2) & i.amask) << 16) >> 16;
  const v = (cpu.r16[i.reg] << 16) >> 16;
  if (v < lo || v > hi) cpu.fault(Vec.BR, -1);
}
/** BOUND r32, m32&32. */
export function bound32(cpu: Cpu, i: Insn): void {
  const ea = cpu.ea(i);
  const lo = cpu.rd32(i.seg, ea);
  const hi = cpu.rd32(i.seg, (ea + 4) & i.amask);
  const v = cpu.regs[i.reg];
  if (v < lo || v > hi) cpu.fault(Vec.BR, -1);
}
