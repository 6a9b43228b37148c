/**
 * Just enough 16-bit (real-mode) instruction decoding to decide how a 286 vector
 * must be judged on a 386/P6: LOCK legality, segment and offset of memory operands
 * (for 386 segment-limit faults, #SS versus #GP), the immediate count of C0 rotates.
 *
 * This is not an emulator: it never computes results.
 */

export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;

const SEG_PREFIX: Record<number, number> = { 0x26: SEG_ES, 0x2e: SEG_CS, 0x36: SEG_SS, 0x3e: SEG_DS };

export interface Decoded16 {
  /** Number of prefix bytes. */
  prefixLen: number;
  lock: boolean;
  /** 0xF2 / 0xF3 or 0 */
  rep: number;
  /** Segment override (SEG_*) or -1. */
  segOverride: number;
  opcode: number;
  /** ModRM byte or -1 when the opcode has none. */
  modrm: number;
  /** Offset of the first byte after ModRM and displacement (immediates start here). */
  afterModrm: number;
  /** For a memory ModRM operand: effective offset (16-bit) and its segment; -1 otherwise. */
  ea: number;
  eaSeg: number;
}

/** One-byte opcodes that take a ModRM byte (the subset that exists in 16-bit real mode). */
export function hasModrm(op: number): boolean {
  if (op < 0x40) return (op & 7) < 4;
  if (op === 0x62 || op === 0x63 || op === 0x69 || op === 0x6b) return true;
  if (op >= 0x80 && op <= 0x8f) return true;
  if (op === 0xc0 || op === 0xc1 || (op >= 0xc4 && op <= 0xc7)) return true;
  if (op >= 0xd0 && op <= 0xd3) return true;
  if (op >= 0xd8 && op <= 0xdf) return true;
  return op === 0xf6 || op === 0xf7 || op === 0xfe || op === 0xff;
}

export function decode16(bytes: Uint8Array, regs: { bx: number; bp: number; si: number; di: number }): Decoded16 {
  let p = 0;
  let lock = false;
  let rep = 0;
  let segOverride = -1;
  for (;;) {
    const b = bytes[p];
    if (b === undefined) break;
    if (b === 0xf0) lock = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b in SEG_PREFIX) segOverride = SEG_PREFIX[b];
    else break;
    p++;
  }
  const prefixLen = p;
  const opcode = bytes[p++] ?? -1;
  let modrm = -1;
  let ea = -1;
  let eaSeg = -1;
  if (hasModrm(opcode)) {
    modrm = bytes[p++] ?? 0;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (mod !== 3) {
      let disp = 0;
      if (mod === 0 && rm === 6) {
        disp = (bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8);
        p += 2;
      } else if (mod === 1) {
        disp = ((bytes[p] ?? 0) << 24) >> 24;
        p += 1;
      } else if (mod === 2) {
        disp = (bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8);
        p += 2;
      }
      let base = 0;
      let seg = SEG_DS;
      switch (rm) {
        case 0: base = regs.bx + regs.si; break;
        case 1: base = regs.bx + regs.di; break;
        case 2: base = regs.bp + regs.si; seg = SEG_SS; break;
        case 3: base = regs.bp + regs.di; seg = SEG_SS; break;
        case 4: base = regs.si; break;
        case 5: base = regs.di; break;
        case 6: if (mod !== 0) { base = regs.bp; seg = SEG_SS; } break;
        default: base = regs.bx; break;
      }
      ea = (base + disp) & 0xffff;
      eaSeg = segOverride >= 0 ? segOverride : seg;
    }
  }
  return { prefixLen, lock, rep, segOverride, opcode, modrm, afterModrm: p, ea, eaSeg };
}

const LOCKABLE_ALU = new Set([0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x86, 0x87]);

/**
 * Whether LOCK is legal on this instruction on a 386 and later: only the
 * read-modify-write forms with a memory destination (ADD ADC AND OR SBB SUB XOR,
 * 80–83 except CMP, XCHG, NOT/NEG, INC/DEC). Everything else is #UD.
 */
export function isLockable(d: Decoded16): boolean {
  if (d.modrm < 0 || d.modrm >> 6 === 3) return false;
  const reg = (d.modrm >> 3) & 7;
  const op = d.opcode;
  if (LOCKABLE_ALU.has(op)) return true;
  if (op >= 0x80 && op <= 0x83) return reg !== 7;
  if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3;
  if (op === 0xfe || op === 0xff) return reg === 0 || reg === 1;
  return false;
}

/** Size in bytes of the ModRM memory operand as a 386 accesses it (0 = no access / unknown). */
export function modrmOperandSize(d: Decoded16): number {
  if (d.modrm < 0 || d.modrm >> 6 === 3) return 0;
  const op = d.opcode;
  const reg = (d.modrm >> 3) & 7;
  if (op === 0x8d) return 0; // LEA: no access
  if (op === 0x62 || op === 0xc4 || op === 0xc5) return 4; // BOUND m16&16, LES/LDS m16:16
  if (op === 0xd8) return 4; // ESC D8: m32real
  if (op === 0xff && (reg === 3 || reg === 5)) return 4; // CALL/JMP far m16:16
  if (op === 0x8c || op === 0x8e || op === 0x8f || op === 0x69 || op === 0x6b || op === 0x63) return 2;
  if (op === 0x82) return 1;
  if (op < 0x40 || (op >= 0x80 && op <= 0x8b) || op === 0xc0 || op === 0xc1 || op === 0xc6 || op === 0xc7 || (op >= 0xd0 && op <= 0xd3) || op === 0xf6 || op === 0xf7 || op === 0xfe || op === 0xff) {
    return (op & 1) === 1 ? 2 : 1; // w bit (0x82 is byte, 0x83 word)
  }
  return 0;
}

export interface Access {
  seg: number;
  offset: number;
  size: number;
}

/**
 * Memory accesses a 386 makes through a segment for this instruction, in order,
 * as far as this module models them: the ModRM operand, string operands (first
 * iteration) and LEAVE's pop through SS:BP. Stack pushes are not listed.
 */
export function memoryAccesses(d: Decoded16, regs: { bp: number; si: number; di: number }): Access[] {
  const out: Access[] = [];
  const size = modrmOperandSize(d);
  if (size > 0) out.push({ seg: d.eaSeg, offset: d.ea, size });
  const op = d.opcode;
  const src = d.segOverride >= 0 ? d.segOverride : SEG_DS;
  const w = (op & 1) === 1 ? 2 : 1;
  switch (op) {
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: // MOVS, CMPS: DS:SI then ES:DI
      out.push({ seg: src, offset: regs.si, size: w }, { seg: SEG_ES, offset: regs.di, size: w });
      break;
    case 0xac: case 0xad: case 0x6e: case 0x6f: // LODS, OUTS
      out.push({ seg: src, offset: regs.si, size: w });
      break;
    case 0xaa: case 0xab: case 0xae: case 0xaf: case 0x6c: case 0x6d: // STOS, SCAS, INS
      out.push({ seg: SEG_ES, offset: regs.di, size: w });
      break;
    case 0xc9: // LEAVE: SP = BP, pop BP
      out.push({ seg: SEG_SS, offset: regs.bp, size: 2 });
      break;
    default:
      break;
  }
  return out;
}

/** First access that crosses the real-mode limit 0xFFFF, or null. */
export function firstLimitViolation(acc: Access[]): Access | null {
  for (const a of acc) if (a.offset + a.size - 1 > 0xffff) return a;
  return null;
}

/** String instructions that update SI and/or DI. */
export function stringIndexRegs(op: number): ("si" | "di")[] {
  switch (op) {
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: return ["si", "di"];
    case 0xac: case 0xad: case 0x6e: case 0x6f: return ["si"];
    case 0xaa: case 0xab: case 0xae: case 0xaf: case 0x6c: case 0x6d: return ["di"];
    default: return [];
  }
}
