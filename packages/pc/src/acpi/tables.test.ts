import { describe, expect, it } from "vitest";
import { buildAcpiTables, DEFAULT_HPET_BLOCK_ID, type AcpiOptions } from "./build.js";
import { acpiChecksum, FadtFlag, MadtType } from "./tables.js";

const pm: AcpiOptions = { pm1aEvt: 0x600, pm1aCnt: 0x604, pmTmr: 0x608, gpe0: 0x620 };

function sdt(bytes: Uint8Array, base: number, addr: number): { sig: string; len: number; rev: number; body: DataView; raw: Uint8Array } {
  const raw = bytes.subarray(addr - base);
  const dv = new DataView(raw.buffer, raw.byteOffset);
  const len = dv.getUint32(4, true);
  return { sig: String.fromCharCode(...raw.subarray(0, 4)), len, rev: raw[8], body: dv, raw: raw.subarray(0, len) };
}

/** What Linux does: scan 16-byte boundaries of 0xE0000–0xFFFFF for a valid RSDP. */
function scanRsdp(bytes: Uint8Array, base: number): number {
  for (let a = 0xe0000; a < 0x100000; a += 16) {
    const off = a - base;
    if (off < 0 || off + 20 > bytes.length) continue;
    if (String.fromCharCode(...bytes.subarray(off, off + 8)) !== "RSD PTR ") continue;
    if (acpiChecksum(bytes, off, off + 20) !== 0) continue;
    return a;
  }
  return -1;
}

describe("buildAcpiTables", () => {
  const t = buildAcpiTables({ ...pm, cpus: 2 });

  it("places an RSDP that Linux's BIOS-area scan finds, with both checksums valid", () => {
    expect(t.base).toBe(0xe0000);
    expect(scanRsdp(t.bytes, t.base)).toBe(t.rsdpAddr);
    const r = t.bytes.subarray(t.rsdpAddr - t.base, t.rsdpAddr - t.base + 36);
    expect(r[15]).toBe(2);
    expect(acpiChecksum(r)).toBe(0);
    expect(t.base + t.bytes.length).toBeLessThanOrEqual(0x100000);
  });

  it("gives every table a valid checksum and the length in its header", () => {
    for (const p of t.tables) {
      if (p.signature === "RSD PTR " || p.signature === "FACS") continue;
      const s = sdt(t.bytes, t.base, p.addr);
      expect(s.sig).toBe(p.signature);
      expect(s.len).toBe(p.length);
      expect(acpiChecksum(s.raw), p.signature).toBe(0);
    }
    expect(t.tables.find((x) => x.signature === "FACS")?.addr ?? 1).toSatisfy((a: number) => a % 64 === 0);
  });

  it("links RSDT and XSDT to FADT, MADT and HPET, and the FADT to the DSDT and FACS", () => {
    const addr = (sig: string): number => t.tables.find((x) => x.signature === sig)?.addr ?? -1;
    const rsdp = new DataView(t.bytes.buffer, t.rsdpAddr - t.base);
    expect(rsdp.getUint32(16, true)).toBe(addr("RSDT"));
    expect(Number(rsdp.getBigUint64(24, true))).toBe(addr("XSDT"));
    const rsdt = sdt(t.bytes, t.base, addr("RSDT"));
    expect([36, 40, 44].map((o) => rsdt.body.getUint32(o, true))).toEqual([addr("FACP"), addr("APIC"), addr("HPET")]);
    const xsdt = sdt(t.bytes, t.base, addr("XSDT"));
    expect([36, 44, 52].map((o) => Number(xsdt.body.getBigUint64(o, true)))).toEqual([addr("FACP"), addr("APIC"), addr("HPET")]);
    const f = sdt(t.bytes, t.base, addr("FACP")).body;
    expect(f.getUint32(36, true)).toBe(addr("FACS"));
    expect(f.getUint32(40, true)).toBe(addr("DSDT"));
    expect(Number(f.getBigUint64(140, true))).toBe(addr("DSDT"));
    expect(f.getBigUint64(132, true)).toBe(0n); // X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set
  });

  it("describes the PM blocks, SCI and reset register in the FADT", () => {
    const f = sdt(t.bytes, t.base, t.tables.find((x) => x.signature === "FACP")?.addr ?? 0);
    expect(f.rev).toBe(3);
    expect(f.len).toBe(244);
    const d = f.body;
    expect(d.getUint16(46, true)).toBe(9);
    expect([d.getUint32(56, true), d.getUint32(64, true), d.getUint32(76, true), d.getUint32(80, true)]).toEqual([0x600, 0x604, 0x608, 0x620]);
    expect([f.raw[88], f.raw[89], f.raw[91], f.raw[92]]).toEqual([4, 2, 4, 4]);
    const flags = d.getUint32(112, true);
    expect(flags & FadtFlag.RESET_REG_SUP).not.toBe(0);
    expect(flags & FadtFlag.PWR_BUTTON).toBe(0);
    expect([f.raw[116], f.raw[117], Number(d.getBigUint64(120, true)), f.raw[128]]).toEqual([1, 8, 0xcf9, 6]);
    // X_PM1a_CNT_BLK mirrors PM1a_CNT_BLK.
    expect([f.raw[172], f.raw[173], Number(d.getBigUint64(176, true))]).toEqual([1, 16, 0x604]);
  });

  it("lists each CPU, the IOAPIC, IRQ0→GSI2 and a level/high SCI in the MADT", () => {
    const m = sdt(t.bytes, t.base, t.tables.find((x) => x.signature === "APIC")?.addr ?? 0);
    expect(m.body.getUint32(36, true)).toBe(0xfee00000);
    expect(m.body.getUint32(40, true) & 1).toBe(1);
    const entries: number[][] = [];
    for (let o = 44; o < m.len; o += m.raw[o + 1]) entries.push([...m.raw.subarray(o, o + m.raw[o + 1])]);
    const lapics = entries.filter((e) => e[0] === MadtType.LOCAL_APIC);
    expect(lapics).toEqual([[0, 8, 0, 0, 1, 0, 0, 0], [0, 8, 1, 1, 1, 0, 0, 0]]);
    const ioapic = entries.find((e) => e[0] === MadtType.IO_APIC) ?? [];
    expect(ioapic).toEqual([1, 12, 2, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0]);
    const iso = entries.filter((e) => e[0] === MadtType.INTERRUPT_SOURCE_OVERRIDE);
    expect(iso[0]).toEqual([2, 10, 0, 0, 2, 0, 0, 0, 0, 0]);
    expect(iso.find((e) => e[3] === 9)).toEqual([2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0]);
    expect(entries.some((e) => e[0] === MadtType.LOCAL_APIC_NMI)).toBe(true);
  });

  it("points the HPET table at the HPET block", () => {
    const h = sdt(t.bytes, t.base, t.tables.find((x) => x.signature === "HPET")?.addr ?? 0);
    expect(h.body.getUint32(36, true)).toBe(DEFAULT_HPET_BLOCK_ID);
    expect(h.raw[40]).toBe(0);
    expect(Number(h.body.getBigUint64(44, true))).toBe(0xfed00000);
  });

  it("builds an ACPI 1.0-style set (RSDP rev 0, RSDT only) and omits HPET on request", () => {
    const v1 = buildAcpiTables({ ...pm, rsdpRevision: 0, hpet: null, base: 0xf0000 });
    expect(v1.tables.map((x) => x.signature)).toEqual(["RSD PTR ", "FACS", "DSDT", "FACP", "APIC", "RSDT"]);
    expect(v1.bytes[v1.rsdpAddr - v1.base + 15]).toBe(0);
    expect(scanRsdp(v1.bytes, v1.base)).toBe(0xf0000);
    expect(() => buildAcpiTables({ ...pm, base: 0xe0008 })).toThrow(/16-byte aligned/);
  });
});
