/**
 * What the lockstep needs to know about the next instruction before it runs, from its bytes:
 * whether QEMU must supply its result (IN, RDTSC, CPUID, RDMSR, RDPMC), whether it is a REP
 * string instruction (QEMU executes one iteration per translation block), and which EFLAGS
 * bits (and destination registers) the SDM leaves undefined after it.
 */
import { Cpu, Flag } from "@virtkit/cpu";

/** Non-deterministic instructions whose results are taken from QEMU. */
export const Nondet = { None: 0, In: 1, Ins: 2, Rdtsc: 3, Cpuid: 4, Rdmsr: 5, Rdpmc: 6 } as const;

const OF = Flag.OF;
const SF = Flag.SF;
const ZF = Flag.ZF;
const AF = Flag.AF;
const PF = Flag.PF;
const CF = Flag.CF;
const ALL = OF | SF | ZF | AF | PF | CF;

/** Decoded facts about one instruction (reused object: no allocation per instruction). */
export class InsnInfo {
  /** Bytes fetched (up to 15); `len` is how many could be read. */
  readonly bytes = new Uint8Array(15);
  len = 0;
  /** Opcode after prefixes: 0x00-0xff one-byte map, 0x100-0x1ff two-byte (0F xx) map. */
  op = -1;
  /** ModRM byte or -1. */
  modrm = -1;
  /** Offset of the ModRM byte in `bytes`. */
  modrmAt = -1;
  /** Operand size 16 (0x66 toggled) or 32. */
  opsize = 32;
  addrsize = 32;
  /** F2/F3 prefix present. */
  rep = 0;
  /** REP/REPNE + string opcode. */
  repString = false;
  nondet: number = Nondet.None;
  /** Bytes of the IN operand (1, 2, 4). */
  ioSize = 0;
  /** EFLAGS bits the SDM leaves undefined after this instruction (given its operands). */
  undefFlags = 0;
  /** x87 status-word bits (C0 C2 C3) the SDM leaves undefined after this instruction. */
  undefFsw = 0;
  /** A register whose value is undefined afterwards (BSF/BSR with zero source), -1 none. */
  undefReg = -1;
}

/** Length of the ModRM/SIB/displacement bytes starting at `at` (the ModRM byte). */
function modrmBytes(b: Uint8Array, at: number, addr16: boolean): number {
  const m = b[at];
  const mod = m >> 6;
  const rm = m & 7;
  if (mod === 3) return 1;
  if (addr16) {
    if (mod === 0) return rm === 6 ? 3 : 1;
    return mod === 1 ? 2 : 3;
  }
  let n = 1;
  let base = rm;
  if (rm === 4) {
    n++;
    base = b[at + 1] & 7;
  }
  if (mod === 0) return n + (base === 5 ? 4 : 0);
  return n + (mod === 1 ? 1 : 4);
}

/**
 * Classify the instruction in `i.bytes[0..i.len)`. `cs32`: default operand size 32;
 * `cl`: current CL (shift counts).
 */
export function classify(i: InsnInfo, cs32: boolean, cl: number): void {
  const b = i.bytes;
  let k = 0;
  let opsize = cs32 ? 32 : 16;
  let addrsize = opsize;
  let rep = 0;
  i.nondet = Nondet.None;
  i.undefFlags = 0;
  i.undefFsw = 0;
  i.undefReg = -1;
  i.modrm = -1;
  i.modrmAt = -1;
  i.repString = false;
  i.ioSize = 0;
  for (; k < i.len; k++) {
    const p = b[k];
    if (p === 0x66) opsize = cs32 ? 16 : 32;
    else if (p === 0x67) addrsize = cs32 ? 16 : 32;
    else if (p === 0xf2 || p === 0xf3) rep = p;
    else if (p !== 0xf0 && p !== 0x26 && p !== 0x2e && p !== 0x36 && p !== 0x3e && p !== 0x64 && p !== 0x65) break;
  }
  i.opsize = opsize;
  i.addrsize = addrsize;
  i.rep = rep;
  if (k >= i.len) {
    i.op = -1;
    return;
  }
  let op = b[k++];
  if (op === 0x0f) op = 0x100 | b[k++];
  i.op = op;
  const hasModrm = (op >= 0x100 && op !== 0x131 && op !== 0x1a2 && op !== 0x132 && op !== 0x133 && !(op >= 0x180 && op <= 0x18f) && !(op >= 0x1c8 && op <= 0x1cf)) ||
    (op < 0x40 && (op & 7) < 4) || (op >= 0x62 && op <= 0x63) || op === 0x69 || op === 0x6b || (op >= 0x80 && op <= 0x8f) ||
    op === 0xc0 || op === 0xc1 || op === 0xc4 || op === 0xc5 || op === 0xc6 || op === 0xc7 || (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) ||
    op === 0xf6 || op === 0xf7 || op === 0xfe || op === 0xff;
  if (hasModrm && k < i.len) {
    i.modrm = b[k];
    i.modrmAt = k;
  }
  const reg = (i.modrm >> 3) & 7;
  const width = op === 0xc0 || op === 0xd0 || op === 0xd2 ? 8 : opsize;
  switch (op) {
    // String instructions under REP/REPNE.
    case 0x6c: case 0x6d: case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab:
    case 0xac: case 0xad: case 0xae: case 0xaf: case 0x6e: case 0x6f:
      i.repString = rep !== 0;
      if (op === 0x6c || op === 0x6d) {
        i.nondet = Nondet.Ins;
        i.ioSize = op === 0x6c ? 1 : opsize >> 3;
      }
      break;
    case 0xe4: case 0xec: i.nondet = Nondet.In; i.ioSize = 1; break;
    case 0xe5: case 0xed: i.nondet = Nondet.In; i.ioSize = opsize >> 3; break;
    case 0x131: i.nondet = Nondet.Rdtsc; break;
    case 0x1a2: i.nondet = Nondet.Cpuid; break;
    case 0x132: i.nondet = Nondet.Rdmsr; break;
    case 0x133: i.nondet = Nondet.Rdpmc; break;
    // Logic: AF undefined.
    case 0x08: case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25:
    case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
    case 0x84: case 0x85: case 0xa8: case 0xa9:
      i.undefFlags = AF;
      break;
    case 0x80: case 0x81: case 0x83:
      if (reg === 1 || reg === 4 || reg === 6) i.undefFlags = AF;
      break;
    case 0xf6: case 0xf7:
      if (reg === 0 || reg === 1) i.undefFlags = AF; // TEST
      else if (reg === 4 || reg === 5) i.undefFlags = SF | ZF | AF | PF; // MUL, IMUL
      else if (reg === 6 || reg === 7) i.undefFlags = ALL; // DIV, IDIV
      break;
    case 0x69: case 0x6b: case 0x1af:
      i.undefFlags = SF | ZF | AF | PF;
      break;
    // Shifts and rotates: count from 1, CL or imm8 (masked to 5 bits).
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      let count = 1;
      if (op === 0xd2 || op === 0xd3) count = cl & 0x1f;
      else if (op === 0xc0 || op === 0xc1) {
        const at = i.modrmAt + modrmBytes(b, i.modrmAt, addrsize === 16);
        count = at < i.len ? b[at] & 0x1f : 2;
      }
      if (count === 0) break;
      if (reg >= 4) {
        // SHL/SHR/SAL/SAR: AF undefined; OF undefined unless the count is 1; a count at
        // least the operand width leaves CF undefined for SHL/SHR (SDM: "undefined for
        // SHL and SHR instructions where the count is greater than or equal to the size").
        i.undefFlags = AF | (count !== 1 ? OF : 0);
        if (count >= width && (reg === 4 || reg === 5 || reg === 6)) i.undefFlags |= CF;
      } else {
        // ROL/ROR/RCL/RCR: OF undefined unless the (masked) count is 1.
        i.undefFlags = count !== 1 ? OF : 0;
      }
      break;
    }
    // SHLD/SHRD.
    case 0x1a4: case 0x1a5: case 0x1ac: case 0x1ad: {
      let count = cl & 0x1f;
      if (op === 0x1a4 || op === 0x1ac) {
        const at = i.modrmAt + modrmBytes(b, i.modrmAt, addrsize === 16);
        count = at < i.len ? b[at] & 0x1f : 2;
      }
      if (count === 0) break;
      i.undefFlags = AF | (count !== 1 ? OF : 0);
      if (count > opsize) {
        i.undefFlags = ALL;
        if ((i.modrm >> 6) === 3) i.undefReg = i.modrm & 7;
      }
      break;
    }
    // BT/BTS/BTR/BTC.
    case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb: case 0x1ba:
      i.undefFlags = OF | SF | AF | PF;
      break;
    // BSF/BSR: all but ZF; destination undefined when the source is zero.
    case 0x1bc: case 0x1bd:
      i.undefFlags = OF | SF | AF | PF | CF;
      i.undefReg = reg; // only used when QEMU reports ZF=1
      break;
    case 0x27: case 0x2f: i.undefFlags = OF; break; // DAA, DAS
    case 0x37: case 0x3f: i.undefFlags = OF | SF | ZF | PF; break; // AAA, AAS
    case 0xd4: case 0xd5: i.undefFlags = OF | AF | CF; break; // AAM, AAD
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      i.undefFsw = x87UndefinedCc(op, i.modrm);
      break;
    // MOV to/from control and debug registers.
    case 0x120: case 0x121: case 0x122: case 0x123:
      i.undefFlags = ALL;
      break;
    default:
      break;
  }
}

/** C0, C2 and C3 of the x87 status word. */
const FSW_C023 = 0x4500;

/**
 * x87 condition codes left undefined: the SDM's pattern is "C1 as specified, C0 C2 C3
 * undefined" for loads, stores, arithmetic and transcendentals; compares, FXAM, FPREM and the
 * control instructions define them (or leave them unchanged).
 */
function x87UndefinedCc(op: number, modrm: number): number {
  if (modrm < 0) return 0;
  const reg = (modrm >> 3) & 7;
  const mem = modrm < 0xc0;
  switch (op) {
    case 0xd8: case 0xdc: // FCOM/FCOMP
      return reg === 2 || reg === 3 ? 0 : FSW_C023;
    case 0xda:
      if (mem) return reg === 2 || reg === 3 ? 0 : FSW_C023; // FICOM
      return modrm === 0xe9 ? 0 : FSW_C023; // FUCOMPP; FCMOVcc
    case 0xde:
      if (mem) return reg === 2 || reg === 3 ? 0 : FSW_C023; // FICOM m16
      return modrm === 0xd9 ? 0 : FSW_C023; // FCOMPP
    case 0xd9:
      if (mem) return reg >= 4 ? 0 : FSW_C023; // FLDENV FLDCW FNSTENV FNSTCW
      if (modrm === 0xe4 || modrm === 0xe5 || modrm === 0xf8 || modrm === 0xf5 || modrm === 0xd0) return 0; // FTST FXAM FPREM FPREM1 FNOP
      return FSW_C023;
    case 0xdb:
      if (!mem && (modrm === 0xe2 || modrm === 0xe3 || reg === 5 || reg === 6)) return 0; // FNCLEX FNINIT FUCOMI FCOMI
      return FSW_C023;
    case 0xdd:
      if (mem) return reg === 4 || reg === 6 || reg === 7 ? 0 : FSW_C023; // FRSTOR FNSAVE FNSTSW
      return reg === 4 || reg === 5 || reg === 0 ? 0 : FSW_C023; // FUCOM FUCOMP FFREE
    case 0xdf:
      if (!mem && (modrm === 0xe0 || reg === 5 || reg === 6)) return 0; // FNSTSW AX FUCOMIP FCOMIP
      return FSW_C023;
    default:
      return 0;
  }
}

/**
 * Read-only linear → physical translation of the virtkit CPU's current paging mode (no
 * accessed/dirty bit updates, no TLB fills). Returns -1 when not present.
 */
export function peekTranslate(cpu: Cpu, lin: number): number {
  const mem = cpu.mem;
  lin >>>= 0;
  if ((cpu.cr0 & 0x80000000) === 0) return lin;
  if ((cpu.cr4 & 0x20) !== 0) {
    const i = lin >>> 30;
    const lo = cpu.space.pdpteLo(i);
    if ((lo & 1) === 0) return -1;
    const pde = mem.read32(((lo & ~0xfff) >>> 0) + ((lin >>> 21) & 0x1ff) * 8);
    if ((pde & 1) === 0) return -1;
    if ((pde & 0x80) !== 0) return (((pde & 0xffe00000) >>> 0) + (lin & 0x1fffff)) >>> 0;
    const pte = mem.read32(((pde & ~0xfff) >>> 0) + ((lin >>> 12) & 0x1ff) * 8);
    if ((pte & 1) === 0) return -1;
    return (((pte & ~0xfff) >>> 0) + (lin & 0xfff)) >>> 0;
  }
  const pde = mem.read32(((cpu.cr3 & ~0xfff) >>> 0) + (lin >>> 22) * 4);
  if ((pde & 1) === 0) return -1;
  if ((pde & 0x80) !== 0 && (cpu.cr4 & 0x10) !== 0) return (((pde & 0xffc00000) >>> 0) + (lin & 0x3fffff)) >>> 0;
  const pte = mem.read32(((pde & ~0xfff) >>> 0) + ((lin >>> 12) & 0x3ff) * 4);
  if ((pte & 1) === 0) return -1;
  return (((pte & ~0xfff) >>> 0) + (lin & 0xfff)) >>> 0;
}

/** Fetch up to 15 bytes at the CPU's CS:EIP into `i.bytes` (stops at a non-present page). */
export function fetchInsn(cpu: Cpu, i: InsnInfo): void {
  const lin = (cpu.segBase[1] + (cpu.csD !== 0 ? cpu.eip : cpu.eip & 0xffff)) >>> 0;
  let page = -1;
  let phys = -1;
  let n = 0;
  for (; n < 15; n++) {
    const a = (lin + n) >>> 0;
    if (a >>> 12 !== page) {
      page = a >>> 12;
      phys = peekTranslate(cpu, a & ~0xfff);
      if (phys < 0) break;
    }
    i.bytes[n] = cpu.mem.read8(phys + (a & 0xfff));
  }
  i.len = n;
}
