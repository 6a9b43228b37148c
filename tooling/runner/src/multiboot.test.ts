import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "@virtkit/mmu";
import { Cpu } from "@virtkit/cpu";
import { findMultibootHeader, loadMultiboot, MultibootError } from "./multiboot.js";

function machine(): { mem: PhysicalMemory; cpu: Cpu } {
  const mem = new PhysicalMemory({ ramSize: 4 << 20 });
  mem.mapRam(0, 4 << 20);
  return { mem, cpu: new Cpu(mem) };
}

/** A minimal multiboot ELF: header in the first segment, entry at 1 MiB + 16. */
function tinyElf(opts: { badChecksum?: boolean; machine?: number; paddr?: number } = {}): Uint8Array {
  const code = new Uint8Array(32);
  const cdv = new DataView(code.buffer);
  cdv.setUint32(0, 0x1badb002, true);
  cdv.setUint32(4, 0, true);
  cdv.setUint32(8, (-(0x1badb002 + (opts.badChecksum === true ? 1 : 0))) >>> 0, true);
  code[16] = 0xf4; // hlt
  const img = new Uint8Array(0x80 + code.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x7f454c46, false);
  img[4] = 1; img[5] = 1; img[6] = 1;
  dv.setUint16(16, 2, true);
  dv.setUint16(18, opts.machine ?? 3, true);
  dv.setUint32(24, 0x100010, true);
  dv.setUint32(28, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  const p = 52;
  dv.setUint32(p, 1, true);
  dv.setUint32(p + 4, 0x80, true);
  dv.setUint32(p + 8, 0x100000, true);
  dv.setUint32(p + 12, opts.paddr ?? 0x100000, true);
  dv.setUint32(p + 16, code.length, true);
  dv.setUint32(p + 20, code.length + 64, true);
  img.set(code, 0x80);
  return img;
}

describe("multiboot loader", () => {
  it("finds the header and loads the segment with its bss zeroed", () => {
    const { mem, cpu } = machine();
    mem.write8(0x100000 + 40, 0x55);
    const img = tinyElf();
    expect(findMultibootHeader(img)).toBe(0x80);
    const r = loadMultiboot(img, mem, cpu);
    expect(r.entry).toBe(0x100010);
    expect(mem.read8(0x100010)).toBe(0xf4);
    expect(mem.read8(0x100000 + 40)).toBe(0);
    expect(cpu.regs[0] >>> 0).toBe(0x2badb002);
    expect(cpu.eip).toBe(0x100010);
    expect(mem.read32(cpu.regs[3]) & 1).toBe(1);
  });
  it("rejects a bad checksum, a non-i386 ELF and a segment outside RAM", () => {
    const { mem, cpu } = machine();
    expect(() => loadMultiboot(tinyElf({ badChecksum: true }), mem, cpu)).toThrow(/no valid header/);
    expect(() => loadMultiboot(tinyElf({ machine: 62 }), mem, cpu)).toThrow(/not 32-bit little-endian i386/);
    expect(() => loadMultiboot(tinyElf({ paddr: 0x3fffff0 }), mem, cpu)).toThrow(MultibootError);
  });
});
