import { PageKind } from "@virtkit/mmu";
import { Seg, type Cpu } from "@virtkit/cpu";

/**
 * Just enough x86 decoding for the VM-exit information the CPU does not report yet: the
 * length and operands of an OUT/OUTS or INVLPG that has already retired (the CPU exits after
 * them with EIP past the instruction), the length of RDMSR/WRMSR, and VMCALL under #UD. Slow
 * path only. See README "CPU requirements": with the exiting Insn reported by the CPU this
 * file goes away.
 */

/** Legacy-prefix summary of an instruction. */
export interface Decoded {
  /** Start EIP. */
  eip: number;
  /** Length in bytes. */
  len: number;
  /** Opcode byte (0x0F-prefixed ones as 0x100 | byte). */
  opcode: number;
  /** 1 = 32-bit operand size. */
  o32: number;
  /** 1 = 32-bit address size. */
  a32: number;
  /** Segment override (Seg number) or -1. */
  seg: number;
  /** 0 none, 1 REP/REPE, 2 REPNE. */
  rep: number;
  /** Immediate byte (OUT imm8) or ModRM byte (INVLPG). */
  imm: number;
  /** INVLPG: the linear address of its memory operand. */
  linear: number;
}

/** Read up to 16 code bytes at CS:eip without side effects on MMIO; -1 for unreadable bytes. */
export function readCode(cpu: Cpu, eip: number, out: Int16Array): void {
  const csBase = cpu.segBase[Seg.CS];
  const mask = cpu.csD !== 0 ? -1 : 0xffff;
  for (let k = 0; k < out.length; k++) {
    const lin = (csBase + ((eip + k) & mask)) | 0;
    const gpa = cpu.space.translate(lin, 0, false);
    if (gpa < 0 || gpa >= 0x100000000) {
      out[k] = -1;
      continue;
    }
    const kind = cpu.mem.pageKind[Math.floor(gpa / 4096)];
    out[k] = kind === PageKind.Ram || kind === PageKind.Rom || kind === PageKind.Overlay ? cpu.mem.read8(gpa) : -1;
  }
}

const bytes = new Int16Array(16);
const window16 = new Int16Array(16);

/** Decode prefixes and opcode at `eip`; modrm-carrying forms handled: 0F 01 /7 only. */
export function decodeAt(cpu: Cpu, eip: number): Decoded | null {
  readCode(cpu, eip, bytes);
  return decodeBytes(cpu, eip);
}

/** Load `bytes` with the `len` bytes before `end` (from `window16`, which holds the 16 before it). */
function loadTail(len: number): void {
  bytes.fill(-1);
  for (let k = 0; k < len; k++) bytes[k] = window16[16 - len + k];
}

/** Decode the instruction whose bytes are in `bytes` and which starts at `eip`. */
function decodeBytes(cpu: Cpu, eip: number): Decoded | null {
  const d: Decoded = { eip, len: 0, opcode: -1, o32: cpu.csD, a32: cpu.csD, seg: -1, rep: 0, imm: 0, linear: 0 };
  let k = 0;
  for (; k < 15; k++) {
    const b = bytes[k];
    if (b === 0x66) d.o32 = cpu.csD ^ 1;
    else if (b === 0x67) d.a32 = cpu.csD ^ 1;
    else if (b === 0xf3) d.rep = 1;
    else if (b === 0xf2) d.rep = 2;
    else if (b === 0xf0) { /* LOCK */ }
    else if (b === 0x26) d.seg = Seg.ES;
    else if (b === 0x2e) d.seg = Seg.CS;
    else if (b === 0x36) d.seg = Seg.SS;
    else if (b === 0x3e) d.seg = Seg.DS;
    else if (b === 0x64) d.seg = Seg.FS;
    else if (b === 0x65) d.seg = Seg.GS;
    else break;
  }
  if (k >= 15 || bytes[k] < 0) return null;
  let op = bytes[k++];
  if (op === 0x0f) {
    if (bytes[k] < 0) return null;
    op = 0x100 | bytes[k++];
  }
  d.opcode = op;
  switch (op) {
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
      if (bytes[k] < 0) return null;
      d.imm = bytes[k++];
      break;
    case 0x101: {
      const m = bytes[k++];
      if (m < 0) return null;
      d.imm = m;
      const r = modrmAddress(cpu, d, k, m);
      if (r < 0) return null;
      k = r;
      break;
    }
    default:
      break;
  }
  d.len = k;
  return d;
}

/**
 * Parse a ModRM memory operand starting after the ModRM byte at `k`; computes the linear
 * address into `d.linear` and returns the index after the operand (-1 if unreadable or a
 * register operand).
 */
function modrmAddress(cpu: Cpu, d: Decoded, k: number, m: number): number {
  const mod = m >> 6;
  const rm = m & 7;
  if (mod === 3) return -1;
  const r = cpu.regs;
  let ea = 0;
  let seg: number = Seg.DS;
  const rd = (n: number): number => {
    let v = 0;
    for (let j = 0; j < n; j++) {
      if (bytes[k + j] < 0) return NaN;
      v |= bytes[k + j] << (8 * j);
    }
    k += n;
    return n === 1 ? (v << 24) >> 24 : n === 2 ? (v << 16) >> 16 : v | 0;
  };
  if (d.a32 !== 0) {
    let base = rm;
    if (rm === 4) {
      const sib = bytes[k++];
      if (sib < 0) return -1;
      const idx = (sib >> 3) & 7;
      base = sib & 7;
      if (idx !== 4) ea = r[idx] << (sib >> 6);
      if (base === 5 && mod === 0) {
        const disp = rd(4);
        if (Number.isNaN(disp)) return -1;
        ea += disp;
        base = -1;
      }
    } else if (rm === 5 && mod === 0) {
      const disp = rd(4);
      if (Number.isNaN(disp)) return -1;
      ea = disp;
      base = -1;
    }
    if (base >= 0) {
      ea += r[base];
      if (base === 4 || base === 5) seg = Seg.SS;
    }
    if (mod === 1 || mod === 2) {
      const disp = rd(mod === 1 ? 1 : 4);
      if (Number.isNaN(disp)) return -1;
      ea += disp;
    }
    ea |= 0;
  } else {
    const bx = r[3] & 0xffff;
    const bp = r[5] & 0xffff;
    const si = r[6] & 0xffff;
    const di = r[7] & 0xffff;
    const table = [bx + si, bx + di, bp + si, bp + di, si, di, bp, bx];
    if (rm === 6 && mod === 0) {
      const disp = rd(2);
      if (Number.isNaN(disp)) return -1;
      ea = disp;
    } else {
      ea = table[rm];
      if (rm === 2 || rm === 3 || rm === 6) seg = Seg.SS;
    }
    if (mod === 1 || mod === 2) {
      const disp = rd(mod === 1 ? 1 : 2);
      if (Number.isNaN(disp)) return -1;
      ea += disp;
    }
    ea &= 0xffff;
  }
  if (d.seg >= 0) seg = d.seg;
  d.linear = (cpu.segBase[seg] + ea) | 0;
  return k;
}

/**
 * Find the OUT/OUTS that just retired and ended at `end` (EIP after it): an instruction
 * ending there whose opcode, operand size and port agree with the exit. Prefix bytes are
 * ambiguous backwards (the previous instruction may end in a byte that looks like one), so
 * the shortest match wins, except that a REP OUTS is preferred when the count register
 * reached 0 (its last iteration). Returns null if nothing matches.
 */
export function findRetiredOut(cpu: Cpu, end: number, port: number, size: number): Decoded | null {
  let best: Decoded | null = null;
  readCode(cpu, (end - 16) | 0, window16);
  for (let len = 1; len <= 15; len++) {
    loadTail(len);
    const d = decodeBytes(cpu, (end - len) | 0);
    if (d === null || d.len !== len) continue;
    const string = d.opcode === 0x6e || d.opcode === 0x6f;
    if (!outMatches(cpu, d, port, size, string)) continue;
    if (best === null) best = d;
    if (!string) break;
    const count = d.a32 !== 0 ? cpu.regs[1] : cpu.regs[1] & 0xffff;
    if (d.rep !== 0 && count === 0) return d;
  }
  return best;
}

/** True if `d` is an OUT/OUTS of `size` bytes to `port`. */
export function outMatches(cpu: Cpu, d: Decoded, port: number, size: number, string: boolean): boolean {
  const wide = d.o32 !== 0 ? 4 : 2;
  switch (d.opcode) {
    case 0xe6: return !string && size === 1 && d.imm === port;
    case 0xe7: return !string && size === wide && d.imm === port;
    case 0xee: return !string && size === 1 && (cpu.regs[2] & 0xffff) === port;
    case 0xef: return !string && size === wide && (cpu.regs[2] & 0xffff) === port;
    case 0x6e: return string && size === 1 && (cpu.regs[2] & 0xffff) === port;
    case 0x6f: return string && size === wide && (cpu.regs[2] & 0xffff) === port;
    default: return false;
  }
}

/** Find the INVLPG that just retired, ended at `end` and invalidated linear address `linear`. */
export function findRetiredInvlpg(cpu: Cpu, end: number, linear: number): Decoded | null {
  readCode(cpu, (end - 16) | 0, window16);
  for (let len = 3; len <= 15; len++) {
    loadTail(len);
    const d = decodeBytes(cpu, (end - len) | 0);
    if (d === null || d.len !== len || d.opcode !== 0x101 || ((d.imm >> 3) & 7) !== 7) continue;
    if ((d.linear >>> 0) === (linear >>> 0)) return d;
  }
  return null;
}
