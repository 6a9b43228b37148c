/**
 * How a SingleStepTests 80286 real-mode vector is judged on a 386/P6.
 *
 * Where the suite README says a 386 legitimately differs from the 286, the
 * expectation is rewritten under 386 rules when that can be done exactly
 * ("judged under 386 rules"), and skipped with a reason otherwise:
 *  - FLAGS bits 12–15 are never compared;
 *  - LOCK on a non-lockable instruction: #UD (INT 6) is expected;
 *  - a word access crossing offset 0xFFFF through SS: INT 12 (#SS) instead of INT 13;
 *  - string instructions that fault: the 386 leaves SI/DI/CX unchanged (the 286 had
 *    advanced them before taking INT 13);
 *  - 4-byte operands (LES/LDS/BOUND/far pointers/ESC m32) crossing offset 0xFFFF fault
 *    on a 386 (#GP, or #SS through SS) where the 286 did not;
 *  - instructions longer than 10 bytes: skipped (the 286 faults, a 386 executes them
 *    and the result is not in the vector).
 */
import { MOO_REGS, type MooReg, type MooTest } from "./moo.js";
import { SEG_SS, decode16, firstLimitViolation, isLockable, memoryAccesses, stringIndexRegs, type Decoded16 } from "./x86-16.js";

/** FLAGS bits a 386 and the 286 must agree on (bits 12–15 excluded, see the README). */
const FLAGS_386 = 0x0fff;
const EFLAGS_TF_IF = 0x300;

export const SKIP_LONG = "long";
export const SKIP_X87 = "x87";
export const SKIP_UNBUILDABLE = "lock-unbuildable";

export interface Metadata {
  opcodes: Record<string, { "flags-mask"?: number; reg?: Record<string, { "flags-mask"?: number }> }>;
}

/** What a vector must end with on a 386. */
export interface Expect {
  regs: Record<MooReg, number>;
  /** Expected RAM bytes and the bits compared. */
  ram: Map<number, { value: number; mask: number }>;
  flagsMask: number;
  /** Bytes the harness writes before the run (IVT entries, HLT handlers). */
  plant: Map<number, number>;
}

export type Verdict = { kind: "run"; expect: Expect; adjusted: string | null } | { kind: "skip"; key: string; reason: string };

/** The metadata.json undefined-flags mask for an opcode file name like "F6.6.MOO.gz". */
export function flagsMaskFor(meta: Metadata | null, file: string): number {
  const [op, reg] = file.replace(/\.MOO(\.gz)?$/i, "").split(".");
  const o = meta?.opcodes[op.toUpperCase()];
  if (!o) return 0xffff;
  if (reg !== undefined && o.reg) return o.reg[reg]?.["flags-mask"] ?? 0xffff;
  return o["flags-mask"] ?? 0xffff;
}

function fullInitRegs(t: MooTest): Record<MooReg, number> {
  const r = {} as Record<MooReg, number>;
  for (const k of MOO_REGS) r[k] = t.init.regs[k] ?? 0;
  return r;
}

/**
 * Handler for an interrupt the 386 takes where the vector shows none (or another one):
 * an IVT entry pointing at a HLT the harness plants in free memory.
 */
function plantHandler(vector: number, used: Set<number>, plant: Map<number, number>): { cs: number; ipAfter: number } | null {
  const ivt = vector * 4;
  for (let k = 0; k < 4; k++) if (used.has(ivt + k)) return null;
  for (let x = 0x500; x < 0xa0000; x += 16) {
    if (used.has(x)) continue;
    plant.set(ivt, 0).set(ivt + 1, 0).set(ivt + 2, (x >> 4) & 0xff).set(ivt + 3, x >> 12);
    plant.set(x, 0xf4);
    return { cs: x >> 4, ipAfter: 1 };
  }
  return null;
}

/** Expectation for "the 386 raises `vector` before executing anything" (fault, no error code in real mode). */
function interruptBeforeExecution(t: MooTest, vector: number): Expect | null {
  const r = fullInitRegs(t);
  const sp = r.sp;
  if (sp === 1 || sp === 3 || sp === 5) return null; // a frame word would straddle 0xFFFF: #SS during delivery
  const used = new Set<number>([...t.init.ramAddr, ...t.final.ramAddr]);
  const ssBase = r.ss << 4;
  const pushed = (r.flags & 0x0fd7) | 2;
  const frame: [number, number, number][] = [
    [(sp - 2) & 0xffff, pushed, 0x0fff],
    [(sp - 4) & 0xffff, r.cs, 0xffff],
    [(sp - 6) & 0xffff, r.ip, 0xffff],
  ];
  const ram = new Map<number, { value: number; mask: number }>();
  for (const [off, v, m] of frame) {
    ram.set(ssBase + off, { value: v & 0xff, mask: m & 0xff });
    ram.set(ssBase + off + 1, { value: v >> 8, mask: m >> 8 });
    used.add(ssBase + off).add(ssBase + off + 1);
  }
  const plant = new Map<number, number>();
  const h = plantHandler(vector, used, plant);
  if (h === null) return null;
  const regs = { ...r, sp: (sp - 6) & 0xffff, cs: h.cs, ip: h.ipAfter, flags: pushed & ~EFLAGS_TF_IF };
  return { regs, ram, flagsMask: FLAGS_386, plant };
}

/**
 * MOV r/m16,FS/GS (8C /4 /5) or MOV FS/GS,r/m16 (8E /4 /5) executed by a 386, with FS and
 * GS holding 0 (as the harness loads them): the destination gets 0, or nothing visible
 * changes; IP moves past the instruction and the HLT.
 */
function movFsGs(t: MooTest, d: Decoded16, ir: Record<MooReg, number>): Expect {
  const regs = { ...ir, ip: (ir.ip + t.bytes.length) & 0xffff };
  const ram = new Map<number, { value: number; mask: number }>();
  if (d.opcode === 0x8c) {
    if (d.modrm >> 6 === 3) {
      const names: MooReg[] = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
      regs[names[d.modrm & 7]] = 0;
    } else {
      const segBase = [ir.es, ir.cs, ir.ss, ir.ds][d.eaSeg] << 4;
      ram.set(segBase + d.ea, { value: 0, mask: 0xff });
      ram.set(segBase + d.ea + 1, { value: 0, mask: 0xff });
    }
  }
  return { regs, ram, flagsMask: FLAGS_386, plant: new Map() };
}

/** The vector's own expectation: INIT overlaid with FINA. */
function recorded(t: MooTest, flagsMask: number): Expect {
  const regs = fullInitRegs(t);
  for (const k of MOO_REGS) {
    const v = t.final.regs[k];
    if (v !== undefined) regs[k] = v;
  }
  const ram = new Map<number, { value: number; mask: number }>();
  for (let i = 0; i < t.final.ramAddr.length; i++) ram.set(t.final.ramAddr[i], { value: t.final.ramValue[i], mask: 0xff });
  if (t.exception) {
    // The pushed FLAGS image may hold undefined flags too; bits 12–15 are 286-specific.
    // It sits at SS:SP+4 of the final (handler) stack. EXCP.flagsAddress is word-aligned
    // and so one byte off when SP is odd; the frame position is used instead.
    const fa = (regs.ss << 4) + ((regs.sp + 4) & 0xffff);
    const fa1 = (regs.ss << 4) + ((regs.sp + 5) & 0xffff);
    const lo = ram.get(fa);
    if (lo) lo.mask = flagsMask & 0xff;
    const hi = ram.get(fa1);
    if (hi) hi.mask = (flagsMask >> 8) & 0x0f;
  }
  return { regs, ram, flagsMask: flagsMask & FLAGS_386, plant: new Map() };
}

/** Decides how one vector is judged on a 386/P6. */
export function classify(t: MooTest, file: string, baseMask: number, fpuAvailable: boolean): Verdict {
  const ir = fullInitRegs(t);
  const d: Decoded16 = decode16(t.bytes, ir);
  let mask = baseMask;
  // C0 (8-bit shifts/rotates by imm8): OF is architecturally undefined for counts > 1.
  // metadata.json lacks it for C0.0–C0.3 (README) and also for C0.4–C0.7 (its mask there
  // is AF only, while C1.4–C1.7 and D2/D3 do mask OF).
  const notes: string[] = [];
  if (/^C0\./i.test(file)) {
    const count = (t.bytes[d.afterModrm] ?? 0) & 0x1f;
    if (count > 1) {
      mask &= ~0x800;
      notes.push("C0 shift/rotate by imm8 with count > 1: OF masked (undefined; metadata.json omits it)");
    }
  }
  const len = t.bytes.length - 1; // without the HLT
  if (len > 10) {
    return { kind: "skip", key: SKIP_LONG, reason: "instruction longer than 10 bytes: the 286 raises INT 13, a 386 executes it (limit 15) and the vector holds no 386 result" };
  }
  if (d.lock && !isLockable(d) && t.exception?.vector !== 6) {
    const e = interruptBeforeExecution(t, 6);
    if (e === null) return { kind: "skip", key: SKIP_UNBUILDABLE, reason: "LOCK on a non-lockable instruction (a 386 raises #UD) but the #UD frame would wrap the stack: no exact expectation" };
    return { kind: "run", expect: e, adjusted: "LOCK on a non-lockable instruction: a 386 raises #UD (INT 6), the 286 ignores LOCK" };
  }
  if (d.opcode === 0xd8 && !fpuAvailable) {
    return { kind: "skip", key: SKIP_X87, reason: "x87 FPU: next issue (ESC D8 needs an FPU in the reset/FNINIT state; the CPU has none yet)" };
  }
  const viol = firstLimitViolation(memoryAccesses(d, ir));
  const rec = t.exception?.vector;
  if ((d.opcode === 0x8c || d.opcode === 0x8e) && ((d.modrm >> 3) & 6) === 4 && rec === 6) {
    // MOV r/m16,FS/GS and MOV FS/GS,r/m16: #UD on the 286, real instructions on a 386.
    const e = viol !== null ? interruptBeforeExecution(t, viol.seg === SEG_SS ? 12 : 13) : movFsGs(t, d, ir);
    if (e === null) return { kind: "skip", key: "fsgs-unbuildable", reason: "MOV to/from FS/GS (#UD on the 286, valid on a 386) with no exact expectation" };
    return { kind: "run", expect: e, adjusted: "MOV to/from FS/GS: valid on a 386 (FS = GS = 0 here), the 286 raises #UD" };
  }
  if (viol !== null && rec === undefined) {
    // The 286 did not fault (e.g. wrapped a 4-byte operand), a 386 does.
    const vec = viol.seg === SEG_SS ? 12 : 13;
    const e = interruptBeforeExecution(t, vec);
    if (e === null) return { kind: "skip", key: "limit-unbuildable", reason: "operand crosses offset 0xFFFF (a 386 faults, the 286 did not) but the frame would wrap the stack" };
    return { kind: "run", expect: e, adjusted: `operand crosses offset 0xFFFF: a 386 raises ${vec === 12 ? "#SS (INT 12)" : "#GP (INT 13)"}, the 286 did not fault` };
  }
  const e = recorded(t, mask);
  if (rec === 13 && viol !== null) {
    const idx = stringIndexRegs(d.opcode);
    if (idx.length > 0) {
      // Faults are restartable on a 386: no register changes.
      let changed = false;
      for (const k of [...idx, "cx"] as MooReg[]) {
        if (e.regs[k] !== ir[k]) changed = true;
        e.regs[k] = ir[k];
      }
      if (changed) notes.push("string instruction fault: a 386 leaves SI/DI/CX unchanged, the 286 had advanced them");
    }
    if (viol.seg === SEG_SS) {
      const used = new Set<number>([...t.init.ramAddr, ...t.final.ramAddr]);
      const h = plantHandler(12, used, e.plant);
      if (h === null) return { kind: "skip", key: "ss-unbuildable", reason: "SS-segment wrap (#SS on a 386) with no free memory for an INT 12 handler" };
      e.regs.cs = h.cs;
      e.regs.ip = h.ipAfter;
      notes.push("SS-segment wrap: a 386 raises #SS (INT 12), the 286 INT 13");
    }
  }
  return { kind: "run", expect: e, adjusted: notes.length > 0 ? notes.join("; ") : null };
}

