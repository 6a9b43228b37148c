/**
 * The x87 unit through the instruction stream: transcendental functions against the host's
 * math library, #NM / #MF / FERR# signalling, FSAVE/FRSTOR, FSTENV, FXSAVE/FXRSTOR and the
 * P6's lack of FISTTP.
 */
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "@virtkit/mmu";
import { Cpu } from "../cpu.js";
import { Cr0, ExitReason, Seg, Vec } from "../constants.js";

const CODE = 0x1000;
const DATA = 0x2000;

function machine(): { mem: PhysicalMemory; cpu: Cpu } {
  const mem = new PhysicalMemory({ ramSize: 1 << 20 });
  mem.mapRam(0, 1 << 20);
  const cpu = new Cpu(mem);
  cpu.setCr0(0x11 | Cr0.NE);
  cpu.setSegment(Seg.CS, 0x08, 0, -1, 0xc09b);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) cpu.setSegment(s, 0x10, 0, -1, 0xc093);
  cpu.setEflags(2);
  cpu.eip = CODE;
  cpu.regs[4] = 0x8000;
  return { mem, cpu };
}

/** ModRM disp32 absolute operand bytes for [addr]. */
function abs(modrmReg: number, addr: number): number[] {
  return [0x05 | (modrmReg << 3), addr & 0xff, (addr >>> 8) & 0xff, (addr >>> 16) & 0xff, addr >>> 24];
}

const FLD_M64 = (a: number): number[] => [0xdd, ...abs(0, a)];
const FSTP_M64 = (a: number): number[] => [0xdd, ...abs(3, a)];
const HLT = [0xf4];

function putF64(mem: PhysicalMemory, a: number, v: number): void {
  const b = new Uint8Array(new Float64Array([v]).buffer);
  mem.writeBytes(a, b);
}

function getF64(mem: PhysicalMemory, a: number): number {
  const b = new Uint8Array(8);
  for (let k = 0; k < 8; k++) b[k] = mem.read8(a + k);
  return new Float64Array(b.buffer)[0];
}

/** Distance in units in the last place (doubles). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const buf = new Float64Array([a, b]);
  const i = new BigInt64Array(buf.buffer);
  const d = i[0] - i[1];
  return Number(d < 0n ? -d : d);
}

/** Run code at CODE until HLT; returns the exit reason. */
function exec(cpu: Cpu, mem: PhysicalMemory, code: number[]): number {
  mem.writeBytes(CODE, Uint8Array.from(code));
  cpu.flushCodeCache(); // the embedder rewrote code behind the CPU's back
  cpu.halted = 0;
  cpu.eip = CODE;
  return cpu.run(1000);
}

describe("transcendental instructions", () => {
  const cases: { name: string; op: number[]; two: boolean; f: (x: number, y: number) => number; xs: number[]; ys?: number[] }[] = [
    { name: "FSIN", op: [0xd9, 0xfe], two: false, f: Math.sin, xs: [0.5, -1.25, 3, 100, 1e6, 1e-10, 7e15] },
    { name: "FCOS", op: [0xd9, 0xff], two: false, f: Math.cos, xs: [0.5, -1.25, 3, 100, 1e6, 1e-10] },
    { name: "F2XM1", op: [0xd9, 0xf0], two: false, f: (x) => Math.expm1(x * Math.LN2), xs: [0.5, -0.75, 1e-12, 0.999, -1] },
    { name: "FYL2X", op: [0xd9, 0xf1], two: true, f: (x, y) => y * Math.log2(x), xs: [3, 0.1, 1e300, 1 + 2 ** -40], ys: [1, -2.5, 0.75, 3] },
    { name: "FYL2XP1", op: [0xd9, 0xf9], two: true, f: (x, y) => (y * Math.log1p(x)) / Math.LN2, xs: [0.25, -0.2, 1e-15], ys: [1, 3, -1] },
    { name: "FPATAN", op: [0xd9, 0xf3], two: true, f: (x, y) => Math.atan2(y, x), xs: [1, -2, 3, -1e-5, 5], ys: [2, 0.5, -7, 1, -1e-300] },
  ];
  for (const c of cases) {
    it(`${c.name} agrees with the host math library to a couple of ulps (of a double)`, () => {
      const { mem, cpu } = machine();
      c.xs.forEach((x, k) => {
        const y = c.ys?.[k] ?? 0;
        putF64(mem, DATA, x);
        putF64(mem, DATA + 8, y);
        const code = c.two ? [...FLD_M64(DATA + 8), ...FLD_M64(DATA), ...c.op] : [...FLD_M64(DATA), ...c.op];
        expect(exec(cpu, mem, [...code, ...FSTP_M64(DATA + 16), ...HLT])).toBe(ExitReason.Hlt);
        const got = getF64(mem, DATA + 16);
        const want = c.f(x, y);
        expect(ulps(got, want), `${c.name}(${x}, ${y}) = ${got}, host ${want}`).toBeLessThanOrEqual(2);
        expect(cpu.fpu.top).toBe(0);
      });
    });
  }

  it("FPTAN pushes 1.0; FSINCOS leaves cos in ST0 and sin in ST1; |x| >= 2^63 sets C2", () => {
    const { mem, cpu } = machine();
    putF64(mem, DATA, 0.7);
    expect(exec(cpu, mem, [...FLD_M64(DATA), 0xd9, 0xf2, ...FSTP_M64(DATA + 8), ...FSTP_M64(DATA + 16), ...HLT])).toBe(ExitReason.Hlt);
    expect(getF64(mem, DATA + 8)).toBe(1);
    expect(ulps(getF64(mem, DATA + 16), Math.tan(0.7))).toBeLessThanOrEqual(1);
    expect(exec(cpu, mem, [...FLD_M64(DATA), 0xd9, 0xfb, ...FSTP_M64(DATA + 8), ...FSTP_M64(DATA + 16), ...HLT])).toBe(ExitReason.Hlt);
    expect(ulps(getF64(mem, DATA + 8), Math.cos(0.7))).toBeLessThanOrEqual(1);
    expect(ulps(getF64(mem, DATA + 16), Math.sin(0.7))).toBeLessThanOrEqual(1);
    putF64(mem, DATA, 2 ** 64);
    // fld; fsin; fnstsw ax
    expect(exec(cpu, mem, [...FLD_M64(DATA), 0xd9, 0xfe, 0xdf, 0xe0, ...FSTP_M64(DATA + 8), ...HLT])).toBe(ExitReason.Hlt);
    expect(cpu.regs[0] & 0x400).toBe(0x400);
    expect(getF64(mem, DATA + 8)).toBe(2 ** 64);
  });
});

describe("exception signalling", () => {
  // fnclex; fldcw [DATA]; fld1; fldz; fdivp st1, st0 (1/0, ZE unmasked); fwait; hlt
  const divByZero = [0xdb, 0xe2, 0xd9, ...abs(5, DATA), 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b, ...HLT];
  const FWAIT_EIP = CODE + 2 + 6 + 2 + 2 + 2;

  it("an unmasked exception is pending until the next waiting instruction: #MF with CR0.NE", () => {
    const { mem, cpu } = machine();
    mem.write16(DATA, 0x037f & ~0x04);
    cpu.exceptionExits = 1 << Vec.MF;
    expect(exec(cpu, mem, divByZero)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.MF);
    expect(cpu.eip).toBe(FWAIT_EIP);
    const sw = cpu.fpu.getSw();
    expect(sw & 0x84).toBe(0x84); // ZE + ES
    expect(sw & 0x8000).toBe(0x8000); // B
    // Unmasked ZE leaves the operands alone: 1 and 0 are still there, nothing popped.
    expect(cpu.fpu.top).toBe(6);
  });

  it("with CR0.NE = 0 the exception asserts FERR# and freezes until IGNNE#", () => {
    const { mem, cpu } = machine();
    cpu.setCr0(cpu.cr0 & ~Cr0.NE);
    mem.write16(DATA, 0x037f & ~0x04);
    const levels: boolean[] = [];
    cpu.fpu.onFerr = (l) => levels.push(l);
    mem.writeBytes(CODE, Uint8Array.from(divByZero));
    cpu.eip = CODE;
    // The FWAIT does not complete: the processor waits (HLT-like) at it.
    let r = cpu.run(1000);
    if (r === ExitReason.None) r = cpu.run(1000);
    expect(r).toBe(ExitReason.Hlt);
    expect(levels).toEqual([true]);
    expect(cpu.eip).toBe(FWAIT_EIP);
    cpu.fpu.ignne = true;
    cpu.halted = 0;
    expect(cpu.run(1000)).toBe(ExitReason.Hlt);
    expect(cpu.eip).toBe(FWAIT_EIP + 2);
    // FNCLEX drops FERR#.
    expect(exec(cpu, mem, [0xdb, 0xe2, ...HLT])).toBe(ExitReason.Hlt);
    expect(levels).toEqual([true, false]);
  });

  it("CR0.TS/EM give #NM for escapes; FWAIT only with MP and TS", () => {
    const { mem, cpu } = machine();
    cpu.exceptionExits = 1 << Vec.NM;
    cpu.setCr0(cpu.cr0 | Cr0.TS);
    expect(exec(cpu, mem, [0xd9, 0xe8, ...HLT])).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.NM);
    expect(exec(cpu, mem, [0x9b, ...HLT])).toBe(ExitReason.Hlt);
    cpu.setCr0(cpu.cr0 | Cr0.MP);
    expect(exec(cpu, mem, [0x9b, ...HLT])).toBe(ExitReason.Exception);
    cpu.setCr0((cpu.cr0 & ~(Cr0.TS | Cr0.MP)) | Cr0.EM);
    expect(exec(cpu, mem, [0x9b, ...HLT])).toBe(ExitReason.Hlt);
    expect(exec(cpu, mem, [0xd9, 0xe8, ...HLT])).toBe(ExitReason.Exception);
  });

  it("stack overflow: IE+SF with C1 = 1 and the indefinite pushed (masked)", () => {
    const { mem, cpu } = machine();
    const code: number[] = [];
    for (let k = 0; k < 9; k++) code.push(0xd9, 0xe8);
    expect(exec(cpu, mem, [...code, 0xdf, 0xe0, ...HLT])).toBe(ExitReason.Hlt);
    expect(cpu.regs[0] & 0x2c1).toBe(0x241);
    const p = cpu.fpu.phys(0);
    expect(cpu.fpu.se[p]).toBe(0xffff);
    expect(cpu.fpu.hi[p]).toBe(0xc0000000 | 0);
  });

  it("FISTTP is #UD on a P6 and available when enabled", () => {
    const { mem, cpu } = machine();
    cpu.exceptionExits = 1 << Vec.UD;
    const code = [0xd9, 0xe8, 0xdb, ...abs(1, DATA), ...HLT];
    expect(exec(cpu, mem, code)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.UD);
    cpu.fpu.reset();
    cpu.fpu.fisttp = true;
    expect(exec(cpu, mem, code)).toBe(ExitReason.Hlt);
    expect(mem.read32(DATA)).toBe(1);
  });
});

describe("state images", () => {
  /** fld1; fldpi; fldz */
  const load3 = [0xd9, 0xe8, 0xd9, 0xeb, 0xd9, 0xee];

  it("FNSAVE stores the 32-bit protected-mode image and reinitialises; FRSTOR restores", () => {
    const { mem, cpu } = machine();
    expect(exec(cpu, mem, [...load3, 0xdd, ...abs(6, 0x3000), ...HLT])).toBe(ExitReason.Hlt);
    expect(mem.read16(0x3000)).toBe(0x037f);
    expect(mem.read16(0x3004) & 0x3800).toBe(5 << 11);
    // Tags: physical 7 = 1.0 valid (00), 6 = pi valid (00), 5 = zero (01), rest empty.
    expect(mem.read16(0x3008)).toBe(0x07ff);
    expect(mem.read16(0x3000 + 28 + 8)).toBe(0); // ST0 = +0
    expect(mem.read32(0x3000 + 38 + 4) >>> 0).toBe(0xc90fdaa2);
    expect(cpu.fpu.valid).toBe(0);
    expect(cpu.fpu.cw).toBe(0x037f);
    expect(exec(cpu, mem, [0xdd, ...abs(4, 0x3000), ...FSTP_M64(DATA), ...FSTP_M64(DATA + 8), ...HLT])).toBe(ExitReason.Hlt);
    expect(getF64(mem, DATA)).toBe(0);
    expect(getF64(mem, DATA + 8)).toBe(Math.PI);
  });

  it("real-mode 16-bit FNSAVE stores the 20-bit FIP/FDP layout (94 bytes); FRSTOR reads it back", () => {
    const { mem, cpu } = machine();
    cpu.reset();
    cpu.setSegment(Seg.CS, 0x100, 0x1000, 0xffff, 0x9b);
    cpu.setSegment(Seg.DS, 0x200, 0x2000, 0xffff, 0x93);
    cpu.regs[4] = 0x7000;
    // at CS:0 = linear 0x1000: fld qword [0x10] (DS:0x10 = 0x2010); fnsave [0x100]; frstor [0x100];
    // fstp qword [0x20]; hlt
    putF64(mem, 0x2010, -2.5);
    const code = [0xdd, 0x06, 0x10, 0x00, 0xdd, 0x36, 0x00, 0x01, 0xdd, 0x26, 0x00, 0x01, 0xdd, 0x1e, 0x20, 0x00, ...HLT];
    mem.writeBytes(0x1000, Uint8Array.from(code));
    cpu.flushCodeCache();
    cpu.eip = 0;
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    const img = 0x2100;
    expect(mem.read16(img)).toBe(0x037f);
    expect(mem.read16(img + 4)).toBe(0x3fff); // ST0 (physical 7) valid
    expect(mem.read16(img + 6)).toBe(0x1000); // FIP[15:0] = linear 0x01000
    expect(mem.read16(img + 8)).toBe((0 << 12) | 0x506); // FIP[19:16] | FOP (DD /0, modrm 06)
    expect(mem.read16(img + 10)).toBe(0x2010); // FDP[15:0]
    expect(mem.read16(img + 14 + 8)).toBe(0xc000); // ST0 sign+exponent of -2.5
    expect(getF64(mem, 0x2020)).toBe(-2.5);
    expect(cpu.fpu.top).toBe(0);
  });

  it("16-bit FNSTENV (0x66) stores 14 bytes and masks all exceptions", () => {
    const { mem, cpu } = machine();
    mem.write16(DATA, 0x0360);
    expect(exec(cpu, mem, [0xd9, ...abs(5, DATA), 0x66, 0xd9, ...abs(6, 0x3000), ...HLT])).toBe(ExitReason.Hlt);
    expect(mem.read16(0x3000)).toBe(0x0360);
    expect(mem.read16(0x3004)).toBe(0xffff);
    expect(mem.read16(0x300e)).toBe(0); // untouched beyond 14 bytes
    expect(cpu.fpu.cw).toBe(0x037f);
  });

  it("FXSAVE/FXRSTOR round trip; a misaligned area is #GP(0)", () => {
    const { mem, cpu } = machine();
    // fld1; fldpi; fxsave [0x3000]; fninit; fxrstor [0x3000]; fstp; fstp; hlt
    const code = [...load3.slice(0, 4), 0x0f, 0xae, ...abs(0, 0x3000), 0xdb, 0xe3, 0x0f, 0xae, ...abs(1, 0x3000),
      ...FSTP_M64(DATA), ...FSTP_M64(DATA + 8), ...HLT];
    expect(exec(cpu, mem, code)).toBe(ExitReason.Hlt);
    expect(mem.read8(0x3004)).toBe(0xc0); // abridged tags: physical 6 and 7
    expect(getF64(mem, DATA)).toBe(Math.PI);
    expect(getF64(mem, DATA + 8)).toBe(1);
    cpu.exceptionExits = 1 << Vec.GP;
    expect(exec(cpu, mem, [0x0f, 0xae, ...abs(0, 0x3008), ...HLT])).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.GP);
  });
});
