import { describe, expect, it } from "vitest";
import type { Cpu } from "@virtkit/cpu";
import type { PhysicalMemory } from "@virtkit/mmu";
import { InsnInfo } from "./insn-info.js";
import { PdpteAccessedQuirk, readsMemory } from "./pdpte-quirk.js";
import { ArchState } from "./state.js";

const PDPTE3 = 0x01e94001;

/** A quirk over a fake CPU whose address space cached PDPTE 3 = PDPTE3, and 1 MiB of RAM. */
function setup(): { quirk: PdpteAccessedQuirk; ram: Uint8Array } {
  const ram = new Uint8Array(1 << 20);
  const cpu = { space: { pae: true, pdpteLo: (n: number) => (n === 3 ? PDPTE3 : 0) } } as unknown as Cpu;
  const mem = {
    ramSize: ram.length,
    readBytes: (gpa: number, dst: Uint8Array) => {
      dst.set(ram.subarray(gpa, gpa + dst.length));
    },
  } as unknown as PhysicalMemory;
  return { quirk: new PdpteAccessedQuirk(cpu, mem), ram };
}

function insn(op: number, modrm: number): InsnInfo {
  const i = new InsnInfo();
  i.op = op;
  i.modrm = modrm;
  return i;
}

const movMoffs = insn(0xa1, -1); // mov eax, [moffs]
const movRegReg = insn(0x89, 0xc2); // mov edx, eax
const andImm = insn(0x25, -1); // and eax, imm32

function states(vEax: number, qEax: number, vEdx = 0, qEdx = 0): [ArchState, ArchState] {
  const v = new ArchState();
  const q = new ArchState();
  v.cr4 = q.cr4 = 0x20;
  v.cr3 = q.cr3 = 0x10000;
  v.gpr[0] = vEax;
  q.gpr[0] = qEax;
  v.gpr[2] = vEdx;
  q.gpr[2] = qEdx;
  return [v, q];
}

describe("QEMU's accessed bit in PAE PDPTEs", () => {
  it("tolerates a PDPTE read with bit 5 set in QEMU, keeps tolerating copies, clears when the sides agree", () => {
    const { quirk } = setup();
    let [v, q] = states(PDPTE3, PDPTE3 | 0x20);
    expect(quirk.apply(v, q, movMoffs)).toBe(true);
    expect(v.gpr[0]).toBe(q.gpr[0]);
    expect(quirk.admissions).toBe(1);
    expect(quirk.taintedNames()).toBe("EAX");
    // mov edx, eax: the copy is tolerated as well.
    [v, q] = states(PDPTE3, PDPTE3 | 0x20, PDPTE3, PDPTE3 | 0x20);
    expect(quirk.apply(v, q, movRegReg)).toBe(true);
    expect(quirk.taintedNames()).toBe("EAX EDX");
    expect(quirk.admissions).toBe(1);
    // and eax, 0xfffff000: agreement again.
    [v, q] = states(0x01e94000, 0x01e94000, PDPTE3, PDPTE3 | 0x20);
    quirk.apply(v, q, andImm);
    expect(quirk.taintedNames()).toBe("EDX");
  });

  it("finds a PDPTE in the PDPT at CR3 in virtkit's memory", () => {
    const { quirk, ram } = setup();
    new DataView(ram.buffer).setInt32(0x10000 + 8, 0x00123001, true);
    const [v, q] = states(0x00123001, 0x00123021);
    expect(quirk.apply(v, q, movMoffs)).toBe(true);
  });

  it("does not tolerate anything else", () => {
    const { quirk } = setup();
    // Not a PDPTE value.
    let [v, q] = states(0x00555001, 0x00555021);
    expect(quirk.apply(v, q, movMoffs)).toBe(false);
    // A PDPTE value but not from memory.
    [v, q] = states(PDPTE3, PDPTE3 | 0x20);
    expect(quirk.apply(v, q, movRegReg)).toBe(false);
    // Bit 5 set in virtkit and clear in QEMU.
    [v, q] = states(PDPTE3 | 0x20, PDPTE3);
    expect(quirk.apply(v, q, movMoffs)).toBe(false);
    // Another difference.
    [v, q] = states(PDPTE3, PDPTE3 | 0x40);
    expect(quirk.apply(v, q, movMoffs)).toBe(false);
    expect(v.gpr[0]).toBe(PDPTE3);
    expect(quirk.admissions).toBe(0);
  });

  it("knows which instructions read memory", () => {
    expect(readsMemory(insn(0x8b, 0x05))).toBe(true);
    expect(readsMemory(insn(0x8b, 0xc0))).toBe(false);
    expect(readsMemory(insn(0x8d, 0x05))).toBe(false);
    expect(readsMemory(insn(0x58, -1))).toBe(true);
    expect(readsMemory(movMoffs)).toBe(true);
  });
});
