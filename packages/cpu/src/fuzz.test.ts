/**
 * Robustness: random byte streams executed as code at CPL 0 and CPL 3. Whatever the bytes
 * do, the host must see no exception, every run must return within its budget, and every
 * exception must be reported with the SDM's error-code convention.
 */
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "@virtkit/mmu";
import { Cpu } from "./cpu.js";
import { ExitReason, Seg } from "./constants.js";

/** xorshift32: deterministic, seedable. */
function prng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const RAM = 8 << 20;
const GDT = 0x1000;
const PD = 0x2000;
const PT = 0x3000;
const CODE = 0x400000; // 4 MiB: code pages (4 of them)
const STACK = 0x500000;

const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/** Baseline: flat protected mode, paging with the low 8 MiB identity-mapped. */
function setUp(mem: PhysicalMemory, cpu: Cpu, cpl: number): void {
  const gdt = new DataView(new ArrayBuffer(48));
  const put = (idx: number, lo: number, hi: number): void => {
    gdt.setUint32(idx * 8, lo, true);
    gdt.setUint32(idx * 8 + 4, hi, true);
  };
  put(1, 0x0000ffff, 0x00cf9b00); // ring-0 code
  put(2, 0x0000ffff, 0x00cf9300); // ring-0 data
  put(3, 0x0000ffff, 0x00cffb00); // ring-3 code
  put(4, 0x0000ffff, 0x00cff300); // ring-3 data
  mem.writeBytes(GDT, new Uint8Array(gdt.buffer));
  for (let k = 0; k < 1024; k++) mem.write32(PD + 4 * k, 0);
  mem.write32(PD, PT | 7);
  mem.write32(PD + 4, (PT + 0x1000) | 7);
  // Identity map; the GDT and page-table pages are supervisor-only so CPL-3 code cannot edit them.
  for (let k = 0; k < 2048; k++) mem.write32(PT + 4 * k, (k << 12) | (k >= 1 && k <= 4 ? 3 : 7));
  cpu.reset();
  cpu.setGdtr(GDT, 47);
  cpu.setIdtr(0, 0);
  cpu.setCr3(PD);
  cpu.setCr0(0x80000011);
  const cs = cpl === 3 ? 0x1b : 0x08;
  const ds = cpl === 3 ? 0x23 : 0x10;
  const arCode = cpl === 3 ? 0xc0fb : 0xc09b;
  const arData = cpl === 3 ? 0xc0f3 : 0xc093;
  cpu.setSegment(Seg.CS, cs, 0, -1, arCode);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) cpu.setSegment(s, ds, 0, -1, arData);
  cpu.setEflags(0x202);
  cpu.exceptionExits = -1;
}

function fuzz(cpl: number, seed: number, target: number): { instructions: number; exits: Map<number, number> } {
  const rnd = prng(seed);
  const mem = new PhysicalMemory({ ramSize: RAM });
  mem.mapRam(0, RAM);
  const cpu = new Cpu(mem);
  const exits = new Map<number, number>();
  const code = new Uint8Array(0x4000);
  let instructions = 0;
  let episodes = 0;
  while (instructions < target) {
    episodes++;
    for (let k = 0; k < code.length; k += 4) {
      const v = rnd();
      code[k] = v;
      code[k + 1] = v >>> 8;
      code[k + 2] = v >>> 16;
      code[k + 3] = v >>> 24;
    }
    mem.writeBytes(CODE, code);
    setUp(mem, cpu, cpl);
    for (let r = 0; r < 8; r++) cpu.regs[r] = r === 4 ? STACK + 0x8000 : (rnd() & 1) !== 0 ? CODE + (rnd() & 0x3fff) : rnd() | 0;
    cpu.eip = CODE + (rnd() & 0x3fff);
    const start = cpu.icount;
    // Each episode: run until an exit that ends it or 3000 instructions.
    for (let step = 0; step < 64 && cpu.icount - start < 3000; step++) {
      const before = cpu.icount;
      const reason = cpu.run(500);
      expect(cpu.hostError).toBeNull();
      expect(cpu.icount - before).toBeLessThanOrEqual(500 + 4096 * 8);
      exits.set(reason, (exits.get(reason) ?? 0) + 1);
      if (reason === ExitReason.Exception) {
        const x = cpu.exit;
        expect(x.vector).toBeGreaterThanOrEqual(0);
        expect(x.vector).toBeLessThan(32);
        if (WITH_ERROR_CODE.has(x.vector)) expect(x.errorCode).toBeGreaterThanOrEqual(0);
        else expect(x.errorCode).toBe(-1);
        // At CPL 3 the paging structures are out of reach: only unmapped or supervisor pages fault.
        if (x.vector === 14 && cpl === 3) {
          const addr = cpu.cr2 >>> 0;
          expect(x.errorCode & 4).toBe(4);
          if ((x.errorCode & 1) === 0) expect(addr).toBeGreaterThanOrEqual(RAM);
          else expect(addr >= 0x1000 && addr < 0x5000).toBe(true);
        }
        break;
      }
      if (reason === ExitReason.IoIn) cpu.completeIo(rnd());
      else if (reason === ExitReason.Mmio) cpu.completeMmio(rnd());
      else if (reason === ExitReason.Cpuid) cpu.completeCpuid(0, 0, 0, 0);
      else if (reason === ExitReason.Rdmsr) cpu.completeRdmsr(false, 0, 0);
      else if (reason === ExitReason.Wrmsr) cpu.completeWrmsr(false);
      else if (reason === ExitReason.Hlt || reason === ExitReason.TripleFault) break;
    }
    instructions += cpu.icount - start;
  }
  expect(episodes).toBeGreaterThan(10);
  return { instructions, exits };
}

describe("fuzz: random code never crashes the host", () => {
  it("CPL 0: 600k instructions of random bytes", () => {
    const seed = 0x5eed0 ^ Date.now();
    try {
      const r = fuzz(0, seed, 600_000);
      expect(r.instructions).toBeGreaterThanOrEqual(600_000);
    } catch (e) {
      throw new Error(`fuzz CPL0 failed with seed ${seed}: ${(e as Error).message}`, { cause: e });
    }
  });
  it("CPL 3: 600k instructions of random bytes", () => {
    const seed = 0x5eed3 ^ Date.now();
    try {
      const r = fuzz(3, seed, 600_000);
      expect(r.instructions).toBeGreaterThanOrEqual(600_000);
      // At CPL 3 privileged instructions fault: #GP must have been seen.
      expect(r.exits.get(ExitReason.Exception) ?? 0).toBeGreaterThan(0);
    } catch (e) {
      throw new Error(`fuzz CPL3 failed with seed ${seed}: ${(e as Error).message}`, { cause: e });
    }
  });
});
