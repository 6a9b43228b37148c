/**
 * ACPI table encoders (ACPI 2.0-era layouts, which Linux 6.1 takes on 32-bit x86): RSDP,
 * RSDT, XSDT, FADT (revision 3), FACS, MADT, HPET, and the DSDT wrapper. Each returns
 * the table's bytes with its checksum set; addresses of other tables come in as arguments.
 */

/** Size of the common table header. */
export const SDT_HEADER_SIZE = 36;
/** OEMID written into every table. */
export const ACPI_OEM_ID = "VIRTKT";
/** OEM table ID written into every table. */
export const ACPI_OEM_TABLE_ID = "VKPC    ";
/** Creator ID. */
export const ACPI_CREATOR_ID = "VKIT";

/** Sum of bytes modulo 256 (a valid table sums to 0). */
export function acpiChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + bytes[i]) & 0xff;
  return s;
}

function ascii(dst: Uint8Array, off: number, s: string, len: number): void {
  for (let i = 0; i < len; i++) dst[off + i] = i < s.length ? s.charCodeAt(i) : 0x20;
}

/** Fill in the 36-byte header of a table whose body is already in `t`, and its checksum. */
export function finishTable(t: Uint8Array, signature: string, revision: number): Uint8Array {
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  ascii(t, 0, signature, 4);
  dv.setUint32(4, t.length, true);
  t[8] = revision;
  t[9] = 0;
  ascii(t, 10, ACPI_OEM_ID, 6);
  ascii(t, 16, ACPI_OEM_TABLE_ID, 8);
  dv.setUint32(24, 1, true); // OEM revision
  ascii(t, 28, ACPI_CREATOR_ID, 4);
  dv.setUint32(32, 1, true); // creator revision
  t[9] = (256 - acpiChecksum(t)) & 0xff;
  return t;
}

/** A Generic Address Structure (12 bytes). */
export interface Gas {
  /** 0 = system memory, 1 = system I/O. */
  space: number;
  /** Register width in bits. */
  bitWidth: number;
  /** Bit offset. */
  bitOffset: number;
  /** Access size: 0 undefined, 1 byte, 2 word, 3 dword, 4 qword. */
  accessSize: number;
  /** Address. */
  address: number;
}

/** GAS address spaces. */
export const GasSpace = { MEMORY: 0, IO: 1 } as const;

/** An I/O-port GAS of `bits` width (zero address → all-zero GAS: "not present"). */
export function ioGas(port: number, bits: number): Gas {
  if (port === 0) return { space: 0, bitWidth: 0, bitOffset: 0, accessSize: 0, address: 0 };
  return { space: GasSpace.IO, bitWidth: bits, bitOffset: 0, accessSize: bits >= 32 ? 3 : bits >= 16 ? 2 : 1, address: port };
}

function putGas(dv: DataView, off: number, g: Gas): void {
  dv.setUint8(off, g.space);
  dv.setUint8(off + 1, g.bitWidth);
  dv.setUint8(off + 2, g.bitOffset);
  dv.setUint8(off + 3, g.accessSize);
  dv.setBigUint64(off + 4, BigInt(g.address), true);
}

// ---------------------------------------------------------------- RSDP, RSDT, XSDT

/** Bytes of an ACPI 1.0 RSDP. */
export const RSDP_V1_SIZE = 20;
/** Bytes of an ACPI 2.0+ RSDP. */
export const RSDP_V2_SIZE = 36;

/** The RSDP: revision 0 (RSDT only, 20 bytes) or 2 (RSDT and XSDT, 36 bytes, extended checksum). */
export function encodeRsdp(revision: 0 | 2, rsdt: number, xsdt = 0): Uint8Array {
  const t = new Uint8Array(revision === 2 ? RSDP_V2_SIZE : RSDP_V1_SIZE);
  const dv = new DataView(t.buffer);
  ascii(t, 0, "RSD PTR ", 8);
  ascii(t, 9, ACPI_OEM_ID, 6);
  t[15] = revision;
  dv.setUint32(16, rsdt, true);
  t[8] = (256 - acpiChecksum(t, 0, RSDP_V1_SIZE)) & 0xff;
  if (revision === 2) {
    dv.setUint32(20, RSDP_V2_SIZE, true);
    dv.setBigUint64(24, BigInt(xsdt), true);
    t[32] = (256 - acpiChecksum(t)) & 0xff;
  }
  return t;
}

/** RSDT: 32-bit pointers to the other tables (revision 1). */
export function encodeRsdt(entries: readonly number[]): Uint8Array {
  const t = new Uint8Array(SDT_HEADER_SIZE + 4 * entries.length);
  const dv = new DataView(t.buffer);
  entries.forEach((a, i) => {
    dv.setUint32(SDT_HEADER_SIZE + 4 * i, a, true);
  });
  return finishTable(t, "RSDT", 1);
}

/** XSDT: 64-bit pointers to the other tables (revision 1). */
export function encodeXsdt(entries: readonly number[]): Uint8Array {
  const t = new Uint8Array(SDT_HEADER_SIZE + 8 * entries.length);
  const dv = new DataView(t.buffer);
  entries.forEach((a, i) => {
    dv.setBigUint64(SDT_HEADER_SIZE + 8 * i, BigInt(a), true);
  });
  return finishTable(t, "XSDT", 1);
}

// ---------------------------------------------------------------- FADT, FACS

/** Bytes of a revision 3 (ACPI 2.0) FADT. */
export const FADT_REV3_SIZE = 244;
/** Bytes of a FACS. */
export const FACS_SIZE = 64;

/** FADT Flags bits. */
export const FadtFlag = {
  WBINVD: 1 << 0,
  WBINVD_FLUSH: 1 << 1,
  PROC_C1: 1 << 2,
  P_LVL2_UP: 1 << 3,
  /** Set: the power button is a control-method device (or absent), not the fixed one. */
  PWR_BUTTON: 1 << 4,
  /** Set: no fixed sleep button. */
  SLP_BUTTON: 1 << 5,
  /** Set: RTC wake status is not in the fixed register space. */
  FIX_RTC: 1 << 6,
  RTC_S4: 1 << 7,
  /** Set: the PM timer is 32 bits wide (else 24). */
  TMR_VAL_EXT: 1 << 8,
  DCK_CAP: 1 << 9,
  RESET_REG_SUP: 1 << 10,
  SEALED_CASE: 1 << 11,
  HEADLESS: 1 << 12,
} as const;

/** IA-PC boot architecture flags (FADT offset 109). */
export const IapcBootArch = {
  LEGACY_DEVICES: 1 << 0,
  I8042: 1 << 1,
  VGA_NOT_PRESENT: 1 << 2,
  MSI_NOT_SUPPORTED: 1 << 3,
  PCIE_ASPM_CONTROLS: 1 << 4,
  CMOS_RTC_NOT_PRESENT: 1 << 5,
} as const;

/** Where the fixed ACPI hardware lives and how it behaves (the board's ACPI PM device). */
export interface FadtParams {
  /** FACS address (64-byte aligned). */
  facs: number;
  /** DSDT address. */
  dsdt: number;
  /** SCI interrupt (ISA IRQ number). */
  sciIrq: number;
  /** PM1a event block port (4 bytes: status, enable). */
  pm1aEvt: number;
  /** PM1a control block port (2 bytes). */
  pm1aCnt: number;
  /** PM timer port (4 bytes). */
  pmTmr: number;
  /** GPE0 block port (0 = none). */
  gpe0?: number;
  /** GPE0 block length in bytes (even; default 4 when gpe0 is set). */
  gpe0Len?: number;
  /** SMI command port; 0 (default) says the machine is always in ACPI mode (SCI_EN reads 1). */
  smiCmd?: number;
  /** Values for SMI_CMD when smiCmd is set. */
  acpiEnable?: number;
  /** Values for SMI_CMD when smiCmd is set. */
  acpiDisable?: number;
  /** Reset register (I/O port) and value; null for none. Default port 0xCF9, value 0x06. */
  reset?: { port: number; value: number } | null;
  /** Whether the PM timer is 32 bits (TMR_VAL_EXT); default false (24 bits). */
  pmTimer32?: boolean;
  /** Whether the fixed power button exists; default true. */
  powerButton?: boolean;
  /** IA-PC boot flags; default legacy devices + 8042 + no VGA. */
  iapcBootArch?: number;
  /** CMOS index of the century byte (default 0x32). */
  century?: number;
}

/** FADT revision 3 (244 bytes): 32-bit block addresses and the matching X_ GAS fields. */
export function encodeFadt(p: FadtParams): Uint8Array {
  const t = new Uint8Array(FADT_REV3_SIZE);
  const dv = new DataView(t.buffer);
  const gpe0 = p.gpe0 ?? 0;
  const gpe0Len = gpe0 === 0 ? 0 : (p.gpe0Len ?? 4);
  if (gpe0Len % 2 !== 0) throw new RangeError(`FADT: GPE0_BLK_LEN ${gpe0Len} must be even`);
  const reset = p.reset === undefined ? { port: 0xcf9, value: 0x06 } : p.reset;
  dv.setUint32(36, p.facs, true);
  dv.setUint32(40, p.dsdt, true);
  t[45] = 0; // Preferred_PM_Profile: unspecified
  dv.setUint16(46, p.sciIrq, true);
  dv.setUint32(48, p.smiCmd ?? 0, true);
  t[52] = p.acpiEnable ?? 0;
  t[53] = p.acpiDisable ?? 0;
  dv.setUint32(56, p.pm1aEvt, true);
  dv.setUint32(64, p.pm1aCnt, true);
  dv.setUint32(76, p.pmTmr, true);
  dv.setUint32(80, gpe0, true);
  t[88] = 4; // PM1_EVT_LEN
  t[89] = 2; // PM1_CNT_LEN
  t[91] = 4; // PM_TMR_LEN
  t[92] = gpe0Len;
  dv.setUint16(96, 101, true); // P_LVL2_LAT > 100: no C2
  dv.setUint16(98, 1001, true); // P_LVL3_LAT > 1000: no C3
  t[108] = p.century ?? 0x32;
  dv.setUint16(109, p.iapcBootArch ?? (IapcBootArch.LEGACY_DEVICES | IapcBootArch.I8042 | IapcBootArch.VGA_NOT_PRESENT), true);
  let flags = FadtFlag.WBINVD | FadtFlag.PROC_C1 | FadtFlag.SLP_BUTTON | FadtFlag.FIX_RTC;
  if (p.powerButton === false) flags |= FadtFlag.PWR_BUTTON;
  if (p.pmTimer32 === true) flags |= FadtFlag.TMR_VAL_EXT;
  if (reset !== null) flags |= FadtFlag.RESET_REG_SUP;
  dv.setUint32(112, flags, true);
  if (reset !== null) {
    putGas(dv, 116, ioGas(reset.port, 8));
    t[128] = reset.value;
  }
  // X_FIRMWARE_CTRL stays 0: the spec wants it zero when FIRMWARE_CTRL is set (Linux would
  // otherwise install the FACS twice).
  dv.setBigUint64(140, BigInt(p.dsdt), true);
  putGas(dv, 148, ioGas(p.pm1aEvt, 32));
  putGas(dv, 172, ioGas(p.pm1aCnt, 16));
  putGas(dv, 208, ioGas(p.pmTmr, 32));
  putGas(dv, 220, ioGas(gpe0, gpe0Len * 8));
  return finishTable(t, "FACP", 3);
}

/** FACS (64 bytes, no checksum; must be 64-byte aligned). */
export function encodeFacs(): Uint8Array {
  const t = new Uint8Array(FACS_SIZE);
  const dv = new DataView(t.buffer);
  ascii(t, 0, "FACS", 4);
  dv.setUint32(4, FACS_SIZE, true);
  t[32] = 1; // version (ACPI 2.0)
  return t;
}

// ---------------------------------------------------------------- MADT

/** MADT interrupt-structure types. */
export const MadtType = {
  LOCAL_APIC: 0,
  IO_APIC: 1,
  INTERRUPT_SOURCE_OVERRIDE: 2,
  LOCAL_APIC_NMI: 4,
} as const;

/** MPS INTI flags: polarity (bits 1:0) and trigger mode (bits 3:2). */
export const MpsInti = {
  POLARITY_CONFORMS: 0,
  ACTIVE_HIGH: 1,
  ACTIVE_LOW: 3,
  TRIGGER_CONFORMS: 0,
  EDGE: 1 << 2,
  LEVEL: 3 << 2,
} as const;

/** An interrupt source override: ISA IRQ `irq` arrives on `gsi`. */
export interface InterruptOverride {
  /** ISA IRQ. */
  irq: number;
  /** Global system interrupt. */
  gsi: number;
  /** MPS INTI flags ({@link MpsInti}). */
  flags: number;
}

/** What the MADT describes. */
export interface MadtParams {
  /** LAPIC base. */
  lapic: number;
  /** APIC IDs of the processors (ACPI processor UID = index). */
  apicIds: readonly number[];
  /** IOAPIC ID, base and first GSI. */
  ioapic: { id: number; base: number; gsiBase: number };
  /** Interrupt source overrides. */
  overrides: readonly InterruptOverride[];
  /** LINT pin wired to NMI on every processor (default 1); null for no entry. */
  nmiLint?: number | null;
}

/** MADT (signature "APIC", revision 1): PCAT_COMPAT set (the board has the dual 8259). */
export function encodeMadt(p: MadtParams): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  p.apicIds.forEach((id, uid) => parts.push(MadtType.LOCAL_APIC, 8, uid, id, ...u32(1)));
  parts.push(MadtType.IO_APIC, 12, p.ioapic.id, 0, ...u32(p.ioapic.base), ...u32(p.ioapic.gsiBase));
  for (const o of p.overrides) parts.push(MadtType.INTERRUPT_SOURCE_OVERRIDE, 10, 0, o.irq, ...u32(o.gsi), ...u16(o.flags));
  const lint = p.nmiLint === undefined ? 1 : p.nmiLint;
  if (lint !== null) parts.push(MadtType.LOCAL_APIC_NMI, 6, 0xff, ...u16(MpsInti.POLARITY_CONFORMS | MpsInti.TRIGGER_CONFORMS), lint);
  const t = new Uint8Array(SDT_HEADER_SIZE + 8 + parts.length);
  const dv = new DataView(t.buffer);
  dv.setUint32(36, p.lapic, true);
  dv.setUint32(40, 1, true); // PCAT_COMPAT
  t.set(parts, SDT_HEADER_SIZE + 8);
  return finishTable(t, "APIC", 1);
}

// ---------------------------------------------------------------- HPET

/** Bytes of the HPET table. */
export const HPET_TABLE_SIZE = 56;

/** HPET description table (revision 1). `blockId` mirrors the HPET's GCAP_ID register bits 31:0. */
export function encodeHpet(base: number, blockId: number, minTick = 0x80): Uint8Array {
  const t = new Uint8Array(HPET_TABLE_SIZE);
  const dv = new DataView(t.buffer);
  dv.setUint32(36, blockId >>> 0, true);
  putGas(dv, 40, { space: GasSpace.MEMORY, bitWidth: 64, bitOffset: 0, accessSize: 0, address: base });
  t[52] = 0; // HPET number
  dv.setUint16(53, minTick, true);
  t[55] = 0; // page protection: none
  return finishTable(t, "HPET", 1);
}

/** The DSDT: the header around an AML body (revision 2: 64-bit integers). */
export function encodeDsdt(aml: Uint8Array): Uint8Array {
  const t = new Uint8Array(SDT_HEADER_SIZE + aml.length);
  t.set(aml, SDT_HEADER_SIZE);
  return finishTable(t, "DSDT", 2);
}
