/**
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE. A repeated
 * instruction runs a bounded chunk of iterations, then restarts itself (EIP stays on it) so
 * that interrupts and the budget are checked between chunks, as real processors allow.
 * Element size is in i.imm; the source segment is i.seg, the destination always ES.
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { ExitReason, Flag, Seg } from "../constants.js";
import { alu8, alu16, alu32 } from "./alu.js";
import { checkIoPermission } from "../system.js";

/** Iterations per chunk before a REP instruction yields to the run loop. */
const CHUNK = 4096;

function readAt(cpu: Cpu, seg: number, ea: number, size: number): number {
  return size === 1 ? cpu.rd8(seg, ea) : size === 2 ? cpu.rd16(seg, ea) : cpu.rd32(seg, ea);
}

function writeAt(cpu: Cpu, seg: number, ea: number, size: number, v: number): void {
  if (size === 1) cpu.wr8(seg, ea, v);
  else if (size === 2) cpu.wr16(seg, ea, v);
  else cpu.wr32(seg, ea, v);
}

/** Advance an index register (ESI/EDI) by delta under the address size. */
function advance(cpu: Cpu, reg: number, delta: number, a32: number): void {
  const r = cpu.regs;
  r[reg] = a32 !== 0 ? (r[reg] + delta) | 0 : (r[reg] & ~0xffff) | ((r[reg] + delta) & 0xffff);
}

/** Read the count register (CX/ECX). */
function count(cpu: Cpu, i: Insn): number {
  return i.a32 !== 0 ? cpu.regs[1] : cpu.regs[1] & 0xffff;
}

/** Decrement the count register; returns the new value. */
function decCount(cpu: Cpu, i: Insn): number {
  const r = cpu.regs;
  if (i.a32 !== 0) {
    r[1] = (r[1] - 1) | 0;
    return r[1];
  }
  const c = (r[1] - 1) & 0xffff;
  r[1] = (r[1] & ~0xffff) | c;
  return c;
}

/** Leave a REP instruction unfinished: execute it again next time. */
function restart(cpu: Cpu, i: Insn, done: number): void {
  cpu.eip = i.eip;
  cpu.repRestart = 1;
  cpu.icount += done;
}

/** MOVS. */
export function movs(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const m = i.amask;
  if (i.rep === 0) {
    writeAt(cpu, Seg.ES, cpu.regs[7] & m, size, readAt(cpu, i.seg, cpu.regs[6] & m, size));
    advance(cpu, 6, delta, i.a32);
    advance(cpu, 7, delta, i.a32);
    return;
  }
  let n = 0;
  while (count(cpu, i) !== 0) {
    if (n === CHUNK) {
      restart(cpu, i, n - 1);
      return;
    }
    writeAt(cpu, Seg.ES, cpu.regs[7] & m, size, readAt(cpu, i.seg, cpu.regs[6] & m, size));
    advance(cpu, 6, delta, i.a32);
    advance(cpu, 7, delta, i.a32);
    decCount(cpu, i);
    n++;
  }
  if (n > 1) cpu.icount += n - 1;
}

/** STOS. */
export function stos(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const m = i.amask;
  const v = size === 1 ? cpu.r8[0] : size === 2 ? cpu.r16[0] : cpu.regs[0];
  if (i.rep === 0) {
    writeAt(cpu, Seg.ES, cpu.regs[7] & m, size, v);
    advance(cpu, 7, delta, i.a32);
    return;
  }
  let n = 0;
  while (count(cpu, i) !== 0) {
    if (n === CHUNK) {
      restart(cpu, i, n - 1);
      return;
    }
    writeAt(cpu, Seg.ES, cpu.regs[7] & m, size, v);
    advance(cpu, 7, delta, i.a32);
    decCount(cpu, i);
    n++;
  }
  if (n > 1) cpu.icount += n - 1;
}

/** LODS. */
export function lods(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const m = i.amask;
  let n = 0;
  for (;;) {
    if (i.rep !== 0) {
      if (count(cpu, i) === 0) break;
      if (n === CHUNK) {
        restart(cpu, i, n - 1);
        return;
      }
    }
    const v = readAt(cpu, i.seg, cpu.regs[6] & m, size);
    if (size === 1) cpu.r8[0] = v;
    else if (size === 2) cpu.r16[0] = v;
    else cpu.regs[0] = v;
    advance(cpu, 6, delta, i.a32);
    n++;
    if (i.rep === 0) return;
    decCount(cpu, i);
  }
  if (n > 1) cpu.icount += n - 1;
}

function compare(cpu: Cpu, size: number, a: number, b: number): void {
  if (size === 1) alu8(cpu, 7, a, b);
  else if (size === 2) alu16(cpu, 7, a, b);
  else alu32(cpu, 7, a, b);
}

/** CMPS (REPE/REPNE stop on ZF). */
export function cmps(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const m = i.amask;
  let n = 0;
  for (;;) {
    if (i.rep !== 0) {
      if (count(cpu, i) === 0) break;
      if (n === CHUNK) {
        restart(cpu, i, n - 1);
        return;
      }
    }
    const a = readAt(cpu, i.seg, cpu.regs[6] & m, size);
    const b = readAt(cpu, Seg.ES, cpu.regs[7] & m, size);
    compare(cpu, size, a, b);
    advance(cpu, 6, delta, i.a32);
    advance(cpu, 7, delta, i.a32);
    n++;
    if (i.rep === 0) return;
    decCount(cpu, i);
    if (cpu.getZF() !== (i.rep === 1)) break;
  }
  if (n > 1) cpu.icount += n - 1;
}

/** SCAS (REPE/REPNE stop on ZF). */
export function scas(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const m = i.amask;
  const acc = size === 1 ? cpu.r8[0] : size === 2 ? cpu.r16[0] : cpu.regs[0];
  let n = 0;
  for (;;) {
    if (i.rep !== 0) {
      if (count(cpu, i) === 0) break;
      if (n === CHUNK) {
        restart(cpu, i, n - 1);
        return;
      }
    }
    const b = readAt(cpu, Seg.ES, cpu.regs[7] & m, size);
    compare(cpu, size, acc, b);
    advance(cpu, 7, delta, i.a32);
    n++;
    if (i.rep === 0) return;
    decCount(cpu, i);
    if (cpu.getZF() !== (i.rep === 1)) break;
  }
  if (n > 1) cpu.icount += n - 1;
}

/**
 * INS: one element per exit. The IoIn exit leaves EIP on the instruction; `completeIo`
 * stores the element, advances EDI, decrements the count and, if more remain, leaves EIP on
 * the instruction again.
 */
export function ins(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  if (i.rep !== 0 && count(cpu, i) === 0) return;
  const port = cpu.regs[2] & 0xffff;
  checkIoPermission(cpu, port, size);
  // The destination must be writable before the port is read.
  cpu.probeWrite(cpu.linW(Seg.ES, cpu.regs[7] & i.amask, size), size, cpu.cpl === 3);
  cpu.eip = i.eip;
  cpu.pendingInsn = i;
  cpu.ioPendingSize = size;
  cpu.ioPendingString = 1;
  const x = cpu.exit;
  x.reason = ExitReason.IoIn;
  x.port = port;
  x.size = size;
  x.value = 0;
  // Not retired until completed: the run loop counted it, take it back.
  cpu.icount--;
}

/** Store the element an INS exit read, and advance (called from completeIo). */
export function completeIns(cpu: Cpu, i: Insn, size: number, value: number): void {
  writeAt(cpu, Seg.ES, cpu.regs[7] & i.amask, size, value);
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  advance(cpu, 7, delta, i.a32);
  cpu.icount++;
  if (i.rep !== 0 && decCount(cpu, i) !== 0) {
    cpu.eip = i.eip;
    cpu.repRestart = 1;
    return;
  }
  cpu.eip = i.next;
}

/** OUTS: one element per exit (the iteration retires before the exit). */
export function outs(cpu: Cpu, i: Insn): void {
  const size = i.imm;
  if (i.rep !== 0 && count(cpu, i) === 0) return;
  const port = cpu.regs[2] & 0xffff;
  checkIoPermission(cpu, port, size);
  const v = readAt(cpu, i.seg, cpu.regs[6] & i.amask, size);
  const delta = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  advance(cpu, 6, delta, i.a32);
  if (i.rep !== 0 && decCount(cpu, i) !== 0) {
    cpu.eip = i.eip;
    cpu.repRestart = 1;
  }
  const x = cpu.exit;
  x.reason = ExitReason.IoOut;
  x.port = port;
  x.size = size;
  x.value = size === 4 ? v >>> 0 : v;
  cpu.exitInsn = i;
}
