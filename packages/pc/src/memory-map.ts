/**
 * The PC physical memory map as data, and the BIOS e820 table derived from it.
 *
 * Below 4 GiB a PC has: conventional RAM (0–640 KiB), the legacy hole (640 KiB–1 MiB:
 * VGA window 0xA0000–0xBFFFF, option ROMs, the BIOS area 0xE0000–0xFFFFF where the ACPI
 * tables live here), extended RAM from 1 MiB up to the start of the PCI hole, then the
 * PCI MMIO window and the fixed platform devices near the top (IOAPIC, HPET, LAPIC).
 */

/** The standard LAPIC base (IA32_APIC_BASE reset value). */
export const LAPIC_BASE = 0xfee00000;
/** The first IOAPIC's base. */
export const IOAPIC_BASE = 0xfec00000;
/** The HPET block's base. */
export const HPET_BASE = 0xfed00000;
/** The PCI hole starts here unless the board says otherwise (3.5 GiB). */
export const DEFAULT_PCI_HOLE_START = 0xe0000000;
/** End of conventional memory (640 KiB). */
export const LOW_RAM_END = 0xa0000;
/** Start of the VGA window. */
export const VGA_WINDOW_BASE = 0xa0000;
/** Start of the BIOS area (ACPI tables, ROM); it runs to 1 MiB. */
export const BIOS_AREA_BASE = 0xe0000;
/** 1 MiB: the start of extended memory. */
export const HIGH_RAM_BASE = 0x100000;
/** First address above 4 GiB. */
export const FOUR_GIB = 0x100000000;

/** e820 range types (ACPI "address range types"). */
export const E820Type = {
  RAM: 1,
  RESERVED: 2,
  ACPI: 3,
  NVS: 4,
  UNUSABLE: 5,
} as const;

/** One of the {@link E820Type} values. */
export type E820TypeValue = (typeof E820Type)[keyof typeof E820Type];

/** One e820 range. Addresses are plain numbers (exact below 2^53). */
export interface E820Entry {
  /** First byte. */
  addr: number;
  /** Length in bytes. */
  size: number;
  /** An {@link E820Type}. */
  type: E820TypeValue;
}

/** What a region of the map is. */
export type RegionKind = "ram" | "vga" | "bios" | "pci-mmio" | "ioapic" | "hpet" | "lapic";

/** One region of the map. */
export interface MemoryRegion {
  /** A short, stable name ("low-ram", "ioapic", …). */
  name: string;
  /** What it is. */
  kind: RegionKind;
  /** First byte. */
  base: number;
  /** Length in bytes. */
  size: number;
  /** How the e820 table reports it; null leaves it out (a gap). */
  e820: E820TypeValue | null;
}

/** Options of {@link pcMemoryMap}. */
export interface PcMemoryMapOptions {
  /** Where the PCI hole starts (RAM stops below it); default 0xE0000000. */
  pciHoleStart?: number;
}

/** The map of one PC. */
export interface PcMemoryMap {
  /** Guest RAM in bytes (as given). */
  ramSize: number;
  /** Regions in address order. */
  regions: MemoryRegion[];
  /** End of the RAM that starts at 1 MiB (exclusive); the highest RAM address below 4 GiB + 1. */
  ramTopBelow4G: number;
  /** RAM that did not fit below the PCI hole; it is mapped from 4 GiB (0 if none). */
  ramAbove4G: number;
  /** Start of the PCI hole. */
  pciHoleStart: number;
  /** The LAPIC base. */
  lapic: number;
  /** The IOAPIC base. */
  ioapic: number;
  /** The HPET base. */
  hpet: number;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/**
 * The memory map of a PC with `ramSize` bytes of RAM. RAM fills 0–640 KiB and 1 MiB up to
 * the PCI hole; whatever does not fit continues at 4 GiB (the guest addresses it with PAE).
 * The 384 KiB between 640 KiB and 1 MiB are not RAM.
 */
export function pcMemoryMap(ramSize: number, opts: PcMemoryMapOptions = {}): PcMemoryMap {
  const pciHoleStart = opts.pciHoleStart ?? DEFAULT_PCI_HOLE_START;
  if (!Number.isInteger(ramSize) || ramSize < 2 * HIGH_RAM_BASE || ramSize % 4096 !== 0) {
    throw new RangeError(`pcMemoryMap: RAM size ${ramSize} must be a multiple of 4096 and at least 2 MiB`);
  }
  if (!Number.isInteger(pciHoleStart) || pciHoleStart < 2 * HIGH_RAM_BASE || pciHoleStart > IOAPIC_BASE || pciHoleStart % 0x100000 !== 0) {
    throw new RangeError(`pcMemoryMap: PCI hole start ${hex(pciHoleStart)} must be 1 MiB aligned, between 2 MiB and ${hex(IOAPIC_BASE)}`);
  }
  // The 640 KiB–1 MiB hole swallows RAM addresses, not RAM bytes: a 32 MiB guest has RAM
  // up to 32 MiB (QEMU and real PCs agree on this), so the top is min(size, hole).
  const ramTopBelow4G = Math.min(ramSize, pciHoleStart);
  const ramAbove4G = ramSize - ramTopBelow4G;
  const regions: MemoryRegion[] = [
    { name: "low-ram", kind: "ram", base: 0, size: LOW_RAM_END, e820: E820Type.RAM },
    { name: "vga", kind: "vga", base: VGA_WINDOW_BASE, size: 0x20000, e820: null },
    { name: "bios", kind: "bios", base: BIOS_AREA_BASE, size: HIGH_RAM_BASE - BIOS_AREA_BASE, e820: E820Type.RESERVED },
    { name: "high-ram", kind: "ram", base: HIGH_RAM_BASE, size: ramTopBelow4G - HIGH_RAM_BASE, e820: E820Type.RAM },
    { name: "pci-mmio", kind: "pci-mmio", base: pciHoleStart, size: IOAPIC_BASE - pciHoleStart, e820: null },
    // Reserved in e820 so that nothing (a PCI BAR) is ever assigned on top of them.
    { name: "ioapic", kind: "ioapic", base: IOAPIC_BASE, size: 0x1000, e820: E820Type.RESERVED },
    { name: "hpet", kind: "hpet", base: HPET_BASE, size: 0x1000, e820: E820Type.RESERVED },
    { name: "lapic", kind: "lapic", base: LAPIC_BASE, size: 0x1000, e820: E820Type.RESERVED },
  ];
  if (ramAbove4G > 0) regions.push({ name: "ram-above-4g", kind: "ram", base: FOUR_GIB, size: ramAbove4G, e820: E820Type.RAM });
  return { ramSize, regions, ramTopBelow4G, ramAbove4G, pciHoleStart, lapic: LAPIC_BASE, ioapic: IOAPIC_BASE, hpet: HPET_BASE };
}

/**
 * The e820 table of a map: regions with an e820 type, in address order, adjacent ranges
 * of the same type merged. `extra` entries (a ROM at the top of 4 GiB, say) are merged in;
 * they must not overlap the map's own entries.
 */
export function buildE820(map: PcMemoryMap, extra: readonly E820Entry[] = []): E820Entry[] {
  const all: E820Entry[] = [];
  for (const r of map.regions) if (r.e820 !== null && r.size > 0) all.push({ addr: r.base, size: r.size, type: r.e820 });
  all.push(...extra);
  all.sort((a, b) => a.addr - b.addr);
  const out: E820Entry[] = [];
  for (const e of all) {
    const last = out.at(-1);
    if (last !== undefined && e.addr < last.addr + last.size) {
      throw new RangeError(`e820: ${hex(e.addr)}+${hex(e.size)} (type ${e.type}) overlaps ${hex(last.addr)}+${hex(last.size)} (type ${last.type})`);
    }
    if (last !== undefined && last.type === e.type && last.addr + last.size === e.addr) last.size += e.size;
    else out.push({ ...e });
  }
  return out;
}

/** Bytes of one e820 entry in the zero page and in INT 15h E820 (u64 addr, u64 size, u32 type). */
export const E820_ENTRY_SIZE = 20;

/** Serialise e820 entries into the 20-byte boot_params/BIOS layout. */
export function encodeE820(entries: readonly E820Entry[]): Uint8Array {
  const out = new Uint8Array(entries.length * E820_ENTRY_SIZE);
  const dv = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const o = i * E820_ENTRY_SIZE;
    dv.setBigUint64(o, BigInt(e.addr), true);
    dv.setBigUint64(o + 8, BigInt(e.size), true);
    dv.setUint32(o + 16, e.type, true);
  });
  return out;
}
