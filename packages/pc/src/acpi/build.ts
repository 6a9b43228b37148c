/**
 * Build a PC's complete ACPI table set and lay it out in one blob for the BIOS area
 * (0xE0000–0xFFFFF by default): RSDP first (16-byte aligned, where Linux's scan finds it),
 * then FACS (64-byte aligned), DSDT, FADT, MADT, HPET, XSDT, RSDT. The board maps the blob
 * as ROM at `base` (mem.mapRom) and may hand `rsdpAddr` to the loader as well.
 */
import { BIOS_AREA_BASE, DEFAULT_PCI_HOLE_START, HPET_BASE, HIGH_RAM_BASE, IOAPIC_BASE, LAPIC_BASE } from "../memory-map.js";
import { buildDsdtAml, type PciRoute } from "./dsdt.js";
import {
  encodeDsdt, encodeFacs, encodeFadt, encodeHpet, encodeMadt, encodeRsdp, encodeRsdt, encodeXsdt, MpsInti,
  type FadtParams, type InterruptOverride,
} from "./tables.js";

/** The HPET GCAP_ID bits 31:0 this board's HPET is described with: vendor 0x8086, legacy route capable, 64-bit counter, 3 timers, rev 1. */
export const DEFAULT_HPET_BLOCK_ID = 0x8086a201;
/** Default ISA IRQs for PCI INTA–INTD (swizzled by slot), level/active high. */
export const DEFAULT_PCI_IRQS: readonly [number, number, number, number] = [10, 11, 10, 11];

/** Options of {@link buildAcpiTables}. Ports are the board's ACPI PM device's. */
export interface AcpiOptions {
  /** Number of CPUs (APIC IDs 0..n-1; default 1). */
  cpus?: number;
  /** PM1a event block port (4 bytes). */
  pm1aEvt: number;
  /** PM1a control block port (2 bytes). */
  pm1aCnt: number;
  /** PM timer port. */
  pmTmr: number;
  /** GPE0 block port (0 or absent: none). */
  gpe0?: number;
  /** SCI IRQ (default 9; level/active high). */
  sciIrq?: number;
  /** Other FADT settings (reset register, timer width, power button, boot flags). */
  fadt?: Partial<Pick<FadtParams, "reset" | "pmTimer32" | "powerButton" | "iapcBootArch" | "century" | "gpe0Len" | "smiCmd" | "acpiEnable" | "acpiDisable">>;
  /** RSDP revision: 2 (default: RSDT + XSDT) or 0 (RSDT only). */
  rsdpRevision?: 0 | 2;
  /** Where the blob goes (16-byte aligned, default 0xE0000). Linux scans 0xE0000–0xFFFFF. */
  base?: number;
  /** Start of the PCI hole (default 0xE0000000); the root bridge's MMIO window runs from here to below the IOAPIC. */
  pciHoleStart?: number;
  /** IOAPIC base (default 0xFEC00000), ID (default = cpus) and first GSI 0. */
  ioapic?: { base?: number; id?: number };
  /** LAPIC base (default 0xFEE00000). */
  lapic?: number;
  /** HPET base (default 0xFED00000); null for no HPET table and device. */
  hpet?: number | null;
  /** HPET block ID (default {@link DEFAULT_HPET_BLOCK_ID}). */
  hpetBlockId?: number;
  /** ISA IRQs for INTA–INTD (default {@link DEFAULT_PCI_IRQS}); slot s pin p uses irqs[(s + p) % 4]. */
  pciIrqs?: readonly [number, number, number, number];
  /** SLP_TYP of S5 in \_S5_ (default 5). */
  slpTypS5?: number;
}

/** One table's place in the blob. */
export interface PlacedTable {
  /** Signature ("RSD PTR " for the RSDP). */
  signature: string;
  /** Guest-physical address. */
  addr: number;
  /** Length in bytes. */
  length: number;
}

/** The built tables. */
export interface AcpiTables {
  /** Where `bytes` goes. */
  base: number;
  /** All tables, laid out from `base`. */
  bytes: Uint8Array;
  /** The RSDP's address (= base). */
  rsdpAddr: number;
  /** Every table's placement. */
  tables: PlacedTable[];
  /** Each table's own bytes by signature (for tools such as iasl). */
  raw: Map<string, Uint8Array>;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** The static _PRT of slots 1–31: slot s, pin p → irqs[(s + p) % 4]. */
export function pciRoutes(irqs: readonly [number, number, number, number]): PciRoute[] {
  const out: PciRoute[] = [];
  for (let slot = 1; slot < 32; slot++) for (let pin = 0; pin < 4; pin++) out.push({ slot, pin, gsi: irqs[(slot + pin) & 3] });
  return out;
}

/** Build and place every table. Throws RangeError if the blob leaves the BIOS area. */
export function buildAcpiTables(o: AcpiOptions): AcpiTables {
  const cpus = o.cpus ?? 1;
  const base = o.base ?? BIOS_AREA_BASE;
  if (base % 16 !== 0) throw new RangeError(`ACPI base ${hex(base)} must be 16-byte aligned (the RSDP is found on 16-byte boundaries)`);
  const sci = o.sciIrq ?? 9;
  const hpet = o.hpet === undefined ? HPET_BASE : o.hpet;
  const ioapicBase = o.ioapic?.base ?? IOAPIC_BASE;
  const pciIrqs = o.pciIrqs ?? DEFAULT_PCI_IRQS;
  const rev = o.rsdpRevision ?? 2;

  // Layout: compute addresses first (sizes do not depend on addresses), then encode.
  const dsdtAml = buildDsdtAml({
    cpus,
    pciMmioBase: o.pciHoleStart ?? DEFAULT_PCI_HOLE_START,
    pciMmioEnd: ioapicBase - 1,
    hpet: hpet ?? 0,
    pciRoutes: pciRoutes(pciIrqs),
    slpTypS5: o.slpTypS5,
  });
  // IRQ0 (PIT) arrives on GSI 2; the SCI and the PCI IRQs are level-triggered, active high.
  const levelHigh = MpsInti.ACTIVE_HIGH | MpsInti.LEVEL;
  const overrides: InterruptOverride[] = [{ irq: 0, gsi: 2, flags: MpsInti.POLARITY_CONFORMS | MpsInti.TRIGGER_CONFORMS }];
  for (const irq of [sci, ...pciIrqs]) if (!overrides.some((x) => x.irq === irq)) overrides.push({ irq, gsi: irq, flags: levelHigh });
  const madt = encodeMadt({
    lapic: o.lapic ?? LAPIC_BASE,
    apicIds: Array.from({ length: cpus }, (_, i) => i),
    ioapic: { id: o.ioapic?.id ?? cpus, base: ioapicBase, gsiBase: 0 },
    overrides,
  });
  const dsdt = encodeDsdt(dsdtAml);
  const facs = encodeFacs();
  const hpetTable = hpet === null ? null : encodeHpet(hpet, o.hpetBlockId ?? DEFAULT_HPET_BLOCK_ID);

  const rsdpSize = rev === 2 ? 36 : 20;
  let cursor = base;
  const at = (size: number, align: number): number => {
    cursor = Math.ceil(cursor / align) * align;
    const a = cursor;
    cursor += size;
    return a;
  };
  const rsdpAddr = at(rsdpSize, 16);
  const facsAddr = at(facs.length, 64);
  const dsdtAddr = at(dsdt.length, 16);
  const fadtAddr = at(244, 16);
  const madtAddr = at(madt.length, 16);
  const hpetAddr = hpetTable === null ? 0 : at(hpetTable.length, 16);
  const entries = [fadtAddr, madtAddr, ...(hpetTable === null ? [] : [hpetAddr])];
  const xsdtAddr = rev === 2 ? at(36 + 8 * entries.length, 16) : 0;
  const rsdtAddr = at(36 + 4 * entries.length, 16);
  if (cursor > HIGH_RAM_BASE && base < HIGH_RAM_BASE) throw new RangeError(`ACPI tables end at ${hex(cursor)}, past the BIOS area (1 MiB)`);

  const fadt = encodeFadt({ ...o.fadt, facs: facsAddr, dsdt: dsdtAddr, sciIrq: sci, pm1aEvt: o.pm1aEvt, pm1aCnt: o.pm1aCnt, pmTmr: o.pmTmr, gpe0: o.gpe0 });
  const xsdt = rev === 2 ? encodeXsdt(entries) : null;
  const rsdt = encodeRsdt(entries);
  const rsdp = encodeRsdp(rev, rsdtAddr, xsdtAddr);

  const bytes = new Uint8Array(cursor - base);
  const tables: PlacedTable[] = [];
  const raw = new Map<string, Uint8Array>();
  const put = (sig: string, addr: number, t: Uint8Array): void => {
    bytes.set(t, addr - base);
    tables.push({ signature: sig, addr, length: t.length });
    raw.set(sig, t);
  };
  put("RSD PTR ", rsdpAddr, rsdp);
  put("FACS", facsAddr, facs);
  put("DSDT", dsdtAddr, dsdt);
  put("FACP", fadtAddr, fadt);
  put("APIC", madtAddr, madt);
  if (hpetTable !== null) put("HPET", hpetAddr, hpetTable);
  if (xsdt !== null) put("XSDT", xsdtAddr, xsdt);
  put("RSDT", rsdtAddr, rsdt);
  return { base, bytes, rsdpAddr, tables, raw };
}
