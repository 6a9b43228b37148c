/**
 * x87 escape opcodes (D8–DF), FWAIT and group 15 (FXSAVE/FXRSTOR).
 *
 * The x87 unit itself is the subject of a separate piece of work; until it lands this CPU
 * behaves like a P6 board without a coprocessor answering: CPUID does not advertise FPU,
 * CR0.EM/TS give #NM as the SDM says, and with EM clear an escape performs only its memory
 * operand's address and access checks (as the 286 recordings in the conformance suite show).
 */
import type { Cpu } from "../cpu.js";
import type { Insn } from "../insn.js";
import { Cr0, Vec } from "../constants.js";

/** ESC (D8–DF): i.op = (opcode & 7) << 3 | ModRM.reg, i.imm = ModRM.rm. */
export function esc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr0 & (Cr0.EM | Cr0.TS)) !== 0) cpu.fault(Vec.NM, -1);
  if (i.mem !== 0) cpu.linR(i.seg, cpu.ea(i), 1);
}

/** FWAIT: #NM when CR0.MP and CR0.TS are both set. */
export function fwait(cpu: Cpu): void {
  if ((cpu.cr0 & (Cr0.MP | Cr0.TS)) === (Cr0.MP | Cr0.TS)) cpu.fault(Vec.NM, -1);
}

/** 0F AE group: FXSAVE/FXRSTOR need FXSR, which this CPU does not advertise: #UD. */
export function grp15(cpu: Cpu): void {
  cpu.raiseUd();
}
