import { describe, expect, it } from "vitest";
import { buildE820, E820Type, encodeE820, FOUR_GIB, pcMemoryMap } from "./memory-map.js";

const MiB = 1 << 20;

describe("pcMemoryMap", () => {
  it("lays out low RAM, the legacy hole, high RAM and the platform devices", () => {
    const m = pcMemoryMap(128 * MiB);
    const by = Object.fromEntries(m.regions.map((r) => [r.name, r]));
    expect(by["low-ram"]).toMatchObject({ base: 0, size: 0xa0000 });
    expect(by["vga"]).toMatchObject({ base: 0xa0000, size: 0x20000, e820: null });
    expect(by["bios"]).toMatchObject({ base: 0xe0000, size: 0x20000, e820: E820Type.RESERVED });
    expect(by["high-ram"]).toMatchObject({ base: MiB, size: 127 * MiB });
    expect(by["ioapic"].base).toBe(0xfec00000);
    expect(by["hpet"].base).toBe(0xfed00000);
    expect(by["lapic"].base).toBe(0xfee00000);
    expect(m.ramTopBelow4G).toBe(128 * MiB);
    expect(m.ramAbove4G).toBe(0);
    for (let i = 1; i < m.regions.length; i++) {
      const a = m.regions[i - 1];
      expect(a.base + a.size, `${a.name} overlaps ${m.regions[i].name}`).toBeLessThanOrEqual(m.regions[i].base);
    }
  });

  it("stops RAM at the PCI hole and moves the rest above 4 GiB", () => {
    const m = pcMemoryMap(4096 * MiB);
    expect(m.ramTopBelow4G).toBe(0xe0000000);
    expect(m.ramAbove4G).toBe(4096 * MiB - 0xe0000000);
    expect(m.regions.at(-1)).toMatchObject({ name: "ram-above-4g", base: FOUR_GIB });
    const m2 = pcMemoryMap(3 * 1024 * MiB, { pciHoleStart: 0xc0000000 });
    expect(m2.ramTopBelow4G).toBe(0xc0000000);
    expect(m2.regions.find((r) => r.name === "pci-mmio")).toMatchObject({ base: 0xc0000000, size: 0xfec00000 - 0xc0000000 });
  });

  it("rejects sizes and hole starts it cannot map", () => {
    expect(() => pcMemoryMap(MiB)).toThrow(/at least 2 MiB/);
    expect(() => pcMemoryMap(64 * MiB + 1)).toThrow(/multiple of 4096/);
    expect(() => pcMemoryMap(64 * MiB, { pciHoleStart: 0xe0001000 })).toThrow(/PCI hole start 0xe0001000/);
  });
});

describe("buildE820", () => {
  it("lists RAM and reserved ranges in order, leaving the VGA window and PCI hole as gaps", () => {
    expect(buildE820(pcMemoryMap(64 * MiB))).toEqual([
      { addr: 0, size: 0xa0000, type: E820Type.RAM },
      { addr: 0xe0000, size: 0x20000, type: E820Type.RESERVED },
      { addr: MiB, size: 63 * MiB, type: E820Type.RAM },
      { addr: 0xfec00000, size: 0x1000, type: E820Type.RESERVED },
      { addr: 0xfed00000, size: 0x1000, type: E820Type.RESERVED },
      { addr: 0xfee00000, size: 0x1000, type: E820Type.RESERVED },
    ]);
  });

  it("merges adjacent ranges of one type and refuses overlaps", () => {
    const map = pcMemoryMap(64 * MiB);
    const e = buildE820(map, [{ addr: 0xfffc0000, size: 0x40000, type: E820Type.RESERVED }]);
    expect(e.at(-1)).toEqual({ addr: 0xfffc0000, size: 0x40000, type: E820Type.RESERVED });
    const merged = buildE820(map, [{ addr: 0xfec01000, size: 0x1000, type: E820Type.RESERVED }]);
    expect(merged.find((x) => x.addr === 0xfec00000)?.size).toBe(0x2000);
    expect(() => buildE820(map, [{ addr: 32 * MiB, size: 4096, type: E820Type.RESERVED }])).toThrow(/overlaps 0x100000/);
  });

  it("encodes 20-byte entries (u64 addr, u64 size, u32 type)", () => {
    const b = encodeE820([{ addr: 0x100000000, size: 0x2000, type: E820Type.ACPI }]);
    const dv = new DataView(b.buffer);
    expect(b.length).toBe(20);
    expect(dv.getBigUint64(0, true)).toBe(0x100000000n);
    expect(dv.getBigUint64(8, true)).toBe(0x2000n);
    expect(dv.getUint32(16, true)).toBe(3);
  });
});
