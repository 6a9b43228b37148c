/**
 * The PC's DSDT in AML: \_S5_ (soft-off), \_PIC, processor devices, and \_SB.PCI0 (the PCI
 * root bridge with its bus/IO/memory windows and a static _PRT) holding the legacy ISA
 * devices Linux's ACPI PNP layer looks for: i8042 keyboard and mouse, COM1, RTC, HPET.
 */
import {
  concat, device, dwordMemory, eisaId, integer, ioPort, irqNoFlags, memory32Fixed, method, name, pkg, resourceTemplate, scope, string,
  wordBusNumber, wordIo, type Aml,
} from "./aml.js";

/** SLP_TYP value that the board's PM1a_CNT decodes as soft-off (S5). The PM device must agree. */
export const SLP_TYP_S5 = 5;

/** One static PCI interrupt routing entry: device `slot`, pin `pin` (0 = INTA) → `gsi`. */
export interface PciRoute {
  /** PCI device number (0–31). */
  slot: number;
  /** 0 = INTA … 3 = INTD. */
  pin: number;
  /** Global system interrupt (ISA IRQ number in PIC mode). */
  gsi: number;
}

/** What the DSDT describes. */
export interface DsdtParams {
  /** Number of processors (devices \_SB.CP00… with _UID = index, as in the MADT). */
  cpus: number;
  /** First address of the PCI MMIO window (the PCI hole start). */
  pciMmioBase: number;
  /** Last address of the PCI MMIO window. */
  pciMmioEnd: number;
  /** HPET base (0 = no HPET device). */
  hpet: number;
  /** Static PCI interrupt routes for the _PRT. */
  pciRoutes: readonly PciRoute[];
  /** SLP_TYP for \_S5_ (default {@link SLP_TYP_S5}). */
  slpTypS5?: number;
}

function dev(path: string, hid: string, crs: Aml, uid?: number): Aml {
  const terms: Aml[] = [name("_HID", /^[A-Z]{3}[0-9A-F]{4}$/.test(hid) ? eisaId(hid) : string(hid))];
  if (uid !== undefined) terms.push(name("_UID", integer(uid)));
  terms.push(name("_CRS", crs));
  return device(path, ...terms);
}

/** The AML body of the DSDT (without the table header). */
export function buildDsdtAml(p: DsdtParams): Uint8Array {
  if (p.cpus < 1 || p.cpus > 255) throw new RangeError(`DSDT: ${p.cpus} processors (1-255)`);
  const slp = p.slpTypS5 ?? SLP_TYP_S5;
  const cpus: Aml[] = [];
  for (let i = 0; i < p.cpus; i++) {
    cpus.push(device(`CP${i.toString(16).toUpperCase().padStart(2, "0")}`, name("_HID", string("ACPI0007")), name("_UID", integer(i))));
  }
  const prt = pkg(...p.pciRoutes.map((r) => {
    if (r.slot < 0 || r.slot > 31 || r.pin < 0 || r.pin > 3) throw new RangeError(`DSDT _PRT: slot ${r.slot} pin ${r.pin} out of range`);
    return pkg(integer(((r.slot << 16) | 0xffff) >>> 0), integer(r.pin), integer(0), integer(r.gsi));
  }));
  const pci0 = device(
    "PCI0",
    name("_HID", eisaId("PNP0A03")),
    name("_UID", integer(0)),
    name("_BBN", integer(0)),
    name("_CRS", resourceTemplate(
      wordBusNumber(0x00, 0xff),
      ioPort(0x0cf8, 0x0cf8, 1, 8),
      wordIo(0x0000, 0x0cf7),
      wordIo(0x0d00, 0xffff),
      dwordMemory(0x000a0000, 0x000bffff, true),
      dwordMemory(p.pciMmioBase, p.pciMmioEnd, false),
    )),
    name("_PRT", prt),
    dev("KBD", "PNP0303", resourceTemplate(ioPort(0x60, 0x60, 1, 1), ioPort(0x64, 0x64, 1, 1), irqNoFlags(1))),
    dev("MOU", "PNP0F13", resourceTemplate(irqNoFlags(12))),
    dev("COM1", "PNP0501", resourceTemplate(ioPort(0x3f8, 0x3f8, 1, 8), irqNoFlags(4)), 1),
    dev("RTC", "PNP0B00", resourceTemplate(ioPort(0x70, 0x70, 1, 2), irqNoFlags(8))),
    ...(p.hpet !== 0 ? [dev("HPET", "PNP0103", resourceTemplate(memory32Fixed(false, p.hpet, 0x400)), 0)] : []),
  );
  return concat(
    name("\\_S5", pkg(integer(slp), integer(slp), integer(0), integer(0))),
    // _PIC(mode): the OS says PIC (0) or APIC (1); routing is static, so nothing to do.
    method("\\_PIC", 1, false),
    scope("\\_SB", ...cpus, pci0),
  );
}
