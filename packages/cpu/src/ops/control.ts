/**
 * Near control transfers: Jcc, JMP, CALL, RET, LOOP/JCXZ. Each sets EIP itself (the run loop
 * has already set EIP to the next instruction). A target beyond the CS limit raises #GP(0)
 * with nothing changed.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Seg } from "../constants.js";

/** Check a near branch target against the CS limit. */
function checkTarget(cpu: Cpu, t: number): void {
  if ((t ^ 0x80000000) > (cpu.segLimit[Seg.CS] ^ 0x80000000)) cpu.raiseGp(0);
}

/** Jcc rel (i.op = condition). */
export function jcc(cpu: Cpu, i: Insn): void {
  if (cpu.cond(i.op)) {
    checkTarget(cpu, i.target);
    cpu.eip = i.target;
  }
}
/** JMP rel. */
export function jmp(cpu: Cpu, i: Insn): void {
  checkTarget(cpu, i.target);
  cpu.eip = i.target;
}
/** CALL rel (32-bit operand size). */
export function call32(cpu: Cpu, i: Insn): void {
  checkTarget(cpu, i.target);
  cpu.push32(i.next);
  cpu.eip = i.target;
}
/** CALL rel (16-bit operand size). */
export function call16(cpu: Cpu, i: Insn): void {
  checkTarget(cpu, i.target);
  cpu.push16(i.next & 0xffff);
  cpu.eip = i.target;
}
/** CALL r/m32. */
export function callInd32(cpu: Cpu, i: Insn): void {
  const t = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  checkTarget(cpu, t);
  cpu.push32(i.next);
  cpu.eip = t;
}
/** CALL r/m16. */
export function callInd16(cpu: Cpu, i: Insn): void {
  const t = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  checkTarget(cpu, t);
  cpu.push16(i.next & 0xffff);
  cpu.eip = t;
}
/** JMP r/m32. */
export function jmpInd32(cpu: Cpu, i: Insn): void {
  const t = i.mem !== 0 ? cpu.rd32(i.seg, cpu.ea(i)) : cpu.regs[i.rm];
  checkTarget(cpu, t);
  cpu.eip = t;
}
/** JMP r/m16. */
export function jmpInd16(cpu: Cpu, i: Insn): void {
  const t = i.mem !== 0 ? cpu.rd16(i.seg, cpu.ea(i)) : cpu.r16[i.rm];
  checkTarget(cpu, t);
  cpu.eip = t;
}
/** RET / RET imm16 (32-bit operand size). */
export function retn32(cpu: Cpu, i: Insn): void {
  const t = cpu.peek32(0);
  checkTarget(cpu, t);
  cpu.setSp(cpu.regs[4] + 4 + i.imm);
  cpu.eip = t;
}
/** RET / RET imm16 (16-bit operand size). */
export function retn16(cpu: Cpu, i: Insn): void {
  const t = cpu.peek16(0);
  checkTarget(cpu, t);
  cpu.setSp(cpu.regs[4] + 2 + i.imm);
  cpu.eip = t;
}
/** LOOPNE/LOOPE/LOOP/JCXZ (i.op 0..3); the counter is CX or ECX by address size. */
export function loop(cpu: Cpu, i: Insn): void {
  const r = cpu.regs;
  let taken: boolean;
  if (i.op === 3) {
    taken = (r[1] & i.amask) === 0;
  } else {
    let c: number;
    if (i.a32 !== 0) {
      c = (r[1] - 1) | 0;
      r[1] = c;
    } else {
      c = (r[1] - 1) & 0xffff;
      cpu.r16[2] = c;
    }
    taken = c !== 0;
    if (i.op === 0) taken = taken && !cpu.getZF();
    else if (i.op === 1) taken = taken && cpu.getZF();
  }
  if (taken) {
    if ((i.target ^ 0x80000000) > (cpu.segLimit[Seg.CS] ^ 0x80000000)) {
      // Undo the counter update: a fault leaves the state unchanged.
      if (i.op !== 3) {
        if (i.a32 !== 0) r[1] = (r[1] + 1) | 0;
        else cpu.r16[2] = (cpu.r16[2] + 1) & 0xffff;
      }
      cpu.raiseGp(0);
    }
    cpu.eip = i.target;
  }
}
