import type { Cpu } from "./cpu.js";

/**
 * The semantics of one instruction form. Handlers are plain functions taking the vCPU and
 * the decoded instruction, so that the interpreter calls them through `insn.fn` and a block
 * translator can emit direct (inlinable) calls to the very same functions.
 */
export type Handler = (cpu: Cpu, i: Insn) => void;

/** Register index 8 of `Cpu.regs` is always zero: "no base" / "no index" in an address. */
export const NO_REG = 8;

/**
 * A decoded instruction. Every field is an int32 so that all instances share one hidden
 * class. Register operands are pre-scaled for the view that the handler uses: 32-bit
 * operands index `regs` (0..7), 16-bit operands index `r16` (2*n), 8-bit ones index `r8`
 * (byte offset of AL..BH), so no handler recomputes them.
 */
export class Insn {
  /** Semantics. */
  fn: Handler = udHandler;
  /** Sub-operation (ALU op, condition code, shift kind, group index…). */
  op = 0;
  /** Length in bytes. */
  len = 0;
  /** EIP of this instruction. */
  eip = 0;
  /** EIP of the next instruction (wrapped to 16 bits in 16-bit code). */
  next = 0;
  /** ModRM.reg operand, pre-scaled for the operand size (or a raw number for groups). */
  reg = 0;
  /** ModRM.rm register operand when mod = 3, pre-scaled for the operand size. */
  rm = 0;
  /** Memory operand: base register (NO_REG = none). */
  base = NO_REG;
  /** Memory operand: index register (NO_REG = none). */
  index = NO_REG;
  /** Memory operand: scale as a shift count 0..3. */
  scale = 0;
  /** Memory operand: displacement. */
  disp = 0;
  /** Memory operand: segment register (after overrides). */
  seg = 3;
  /** Address-size mask: -1 for 32-bit addressing, 0xffff for 16-bit. */
  amask = -1;
  /** Immediate operand. */
  imm = 0;
  /** Second immediate (ENTER level, far pointer selector). */
  imm2 = 0;
  /** Branch target EIP for relative branches. */
  target = 0;
  /** 1 = 32-bit operand size, 0 = 16-bit. */
  o32 = 1;
  /** 1 = 32-bit address size, 0 = 16-bit. */
  a32 = 1;
  /** REP prefix: 0 none, 1 REP/REPE (F3), 2 REPNE (F2). */
  rep = 0;
  /** 1 if the memory operand form (mod != 3) was decoded. */
  mem = 0;
  /** Raw opcode (0x0F-prefixed ones as 0x100 | byte) for diagnostics and generic handlers. */
  opcode = 0;
  /** 1 if the LOCK prefix was present. */
  lock = 0;
  /** 1 if a segment override prefix was present. */
  segOverride = 0;
}

/** Placeholder semantics for a not-yet-filled Insn: #UD. Replaced by the decoder. */
function udHandler(cpu: Cpu): void {
  cpu.raiseUd();
}

/** A decoded basic block: straight-line instructions within one page. */
export class Block {
  /** EIP of the first instruction. */
  eip = 0;
  /** Decoding mode key the block was decoded under (CS.D). */
  mode = 0;
  /** Highest CS offset + 1 that the block's bytes occupy (checked against the CS limit). */
  csEnd = 0;
  /** Number of instructions. */
  n = 0;
  /** Set when a write hit the page holding this block: stop executing it. */
  dead = 0;
  /** The instructions. */
  insns: Insn[] = [];
  /** Host page this block lives in (-1 for uncached page-crossing blocks). */
  hostPage = -1;
}
