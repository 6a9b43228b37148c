/**
 * A small AML encoder (ACPI spec, "ACPI Machine Language Specification"): enough to write
 * a PC's DSDT — names, integers, strings, packages, buffers, scopes, devices, methods with
 * a Return, EISA IDs, and resource templates (IO, IRQNoFlags, Memory32Fixed, Word bus/IO,
 * DWord memory). Every function returns the bytes of one term; compose them by nesting.
 */

/** One encoded AML term (or a list of them concatenated). */
export type Aml = Uint8Array;

/** AML opcodes used here. */
export const AmlOp = {
  ZERO: 0x00,
  ONE: 0x01,
  NAME: 0x08,
  BYTE_PREFIX: 0x0a,
  WORD_PREFIX: 0x0b,
  DWORD_PREFIX: 0x0c,
  STRING_PREFIX: 0x0d,
  QWORD_PREFIX: 0x0e,
  SCOPE: 0x10,
  BUFFER: 0x11,
  PACKAGE: 0x12,
  VAR_PACKAGE: 0x13,
  METHOD: 0x14,
  DUAL_NAME_PREFIX: 0x2e,
  MULTI_NAME_PREFIX: 0x2f,
  EXT_PREFIX: 0x5b,
  ROOT_CHAR: 0x5c,
  PARENT_PREFIX: 0x5e,
  RETURN: 0xa4,
  ONES: 0xff,
  /** After EXT_PREFIX. */
  EXT_DEVICE: 0x82,
} as const;

/** Something the encoder cannot express; the message names the value. */
export class AmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AmlError";
  }
}

/** Concatenate terms. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A NameSeg: 1–4 characters, [A-Z_] then [A-Z0-9_], padded with '_'. */
export function nameSeg(seg: string): Uint8Array {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(seg)) throw new AmlError(`AML name segment "${seg}" must be 1-4 characters of [A-Z0-9_], not starting with a digit`);
  return new TextEncoder().encode(seg.padEnd(4, "_"));
}

/** A NameString: optional '\' or '^' prefixes, then segments separated by '.' ("\_SB.PCI0", "_S5_"). */
export function nameString(path: string): Uint8Array {
  let i = 0;
  const prefix: number[] = [];
  if (path.startsWith("\\")) {
    prefix.push(AmlOp.ROOT_CHAR);
    i = 1;
  } else {
    while (path[i] === "^") {
      prefix.push(AmlOp.PARENT_PREFIX);
      i++;
    }
  }
  const rest = path.slice(i);
  const segs = rest === "" ? [] : rest.split(".");
  const body = segs.map(nameSeg);
  let head: number[];
  if (segs.length === 0) head = [0x00]; // NullName
  else if (segs.length === 1) head = [];
  else if (segs.length === 2) head = [AmlOp.DUAL_NAME_PREFIX];
  else if (segs.length <= 255) head = [AmlOp.MULTI_NAME_PREFIX, segs.length];
  else throw new AmlError(`AML name "${path}" has more than 255 segments`);
  return concat(new Uint8Array(prefix), new Uint8Array(head), ...body);
}

/**
 * PkgLength of a body of `bodyLength` bytes. The encoded value counts its own bytes too:
 * one byte up to 63, else a lead byte (count of following bytes in bits 7–6, low nibble
 * in bits 3–0) and 1–3 bytes of the rest, little-endian.
 */
export function pkgLength(bodyLength: number): Uint8Array {
  for (let n = 1; n <= 4; n++) {
    const total = bodyLength + n;
    if (n === 1 && total <= 0x3f) return new Uint8Array([total]);
    if (n > 1 && total < 1 << (4 + 8 * (n - 1))) {
      const out = new Uint8Array(n);
      out[0] = ((n - 1) << 6) | (total & 0x0f);
      for (let k = 1; k < n; k++) out[k] = (total >>> (4 + 8 * (k - 1))) & 0xff;
      return out;
    }
  }
  throw new AmlError(`AML package of ${bodyLength} bytes exceeds the 2^28 PkgLength limit`);
}

/** The shortest integer encoding: Zero, One, Byte/Word/DWord/QWord constant. */
export function integer(v: number | bigint): Uint8Array {
  const n = BigInt(v);
  if (n < 0n || n > 0xffffffffffffffffn) throw new AmlError(`AML integer ${n} is outside 0..2^64-1`);
  if (n === 0n) return new Uint8Array([AmlOp.ZERO]);
  if (n === 1n) return new Uint8Array([AmlOp.ONE]);
  const width = n <= 0xffn ? 1 : n <= 0xffffn ? 2 : n <= 0xffffffffn ? 4 : 8;
  const prefix = { 1: AmlOp.BYTE_PREFIX, 2: AmlOp.WORD_PREFIX, 4: AmlOp.DWORD_PREFIX, 8: AmlOp.QWORD_PREFIX }[width];
  const out = new Uint8Array(1 + width);
  out[0] = prefix;
  for (let k = 0; k < width; k++) out[1 + k] = Number((n >> BigInt(8 * k)) & 0xffn);
  return out;
}

/** The Ones constant (all bits set). */
export function ones(): Uint8Array {
  return new Uint8Array([AmlOp.ONES]);
}

/** A String constant (ASCII 0x01–0x7F, NUL-terminated). */
export function string(s: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x01-\x7f]*$/.test(s)) throw new AmlError(`AML string "${s}" must be ASCII without NUL`);
  return concat(new Uint8Array([AmlOp.STRING_PREFIX]), new TextEncoder().encode(s), new Uint8Array([0]));
}

/** Name(path, value). */
export function name(path: string, value: Aml): Uint8Array {
  return concat(new Uint8Array([AmlOp.NAME]), nameString(path), value);
}

/** Scope(path) { terms }. */
export function scope(path: string, ...terms: readonly Aml[]): Uint8Array {
  const body = concat(nameString(path), ...terms);
  return concat(new Uint8Array([AmlOp.SCOPE]), pkgLength(body.length), body);
}

/** Device(path) { terms }. */
export function device(path: string, ...terms: readonly Aml[]): Uint8Array {
  const body = concat(nameString(path), ...terms);
  return concat(new Uint8Array([AmlOp.EXT_PREFIX, AmlOp.EXT_DEVICE]), pkgLength(body.length), body);
}

/** Method(path, argCount, serialized) { terms } (sync level 0). */
export function method(path: string, argCount: number, serialized: boolean, ...terms: readonly Aml[]): Uint8Array {
  if (!Number.isInteger(argCount) || argCount < 0 || argCount > 7) throw new AmlError(`AML method ${path}: ${argCount} arguments (0-7 allowed)`);
  const body = concat(nameString(path), new Uint8Array([argCount | (serialized ? 0x08 : 0)]), ...terms);
  return concat(new Uint8Array([AmlOp.METHOD]), pkgLength(body.length), body);
}

/** Return(value). */
export function ret(value: Aml): Uint8Array {
  return concat(new Uint8Array([AmlOp.RETURN]), value);
}

/** Package() { elements }: a PackageOp up to 255 elements, a VarPackageOp (ACPI 2.0+) beyond. */
export function pkg(...elements: readonly Aml[]): Uint8Array {
  if (elements.length > 255) {
    // VarPackageOp PkgLength VarNumElements(TermArg: an integer) PackageElementList
    const body = concat(integer(elements.length), ...elements);
    return concat(new Uint8Array([AmlOp.VAR_PACKAGE]), pkgLength(body.length), body);
  }
  const body = concat(new Uint8Array([elements.length]), ...elements);
  return concat(new Uint8Array([AmlOp.PACKAGE]), pkgLength(body.length), body);
}

/** Buffer() { bytes }. */
export function buffer(bytes: Uint8Array): Uint8Array {
  const body = concat(integer(bytes.length), bytes);
  return concat(new Uint8Array([AmlOp.BUFFER]), pkgLength(body.length), body);
}

/**
 * EISAID("PNP0A03") as its compressed 32-bit form: three letters of 5 bits (A = 1) and four
 * hex digits, stored as bytes [l1l2l3 high, low, d0d1, d2d3].
 */
export function eisaIdValue(id: string): number {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new AmlError(`EISA ID "${id}" must be three capital letters and four hex digits`);
  const c = (i: number): number => id.charCodeAt(i) - 0x40;
  const v16 = (c(0) << 10) | (c(1) << 5) | c(2);
  const d = parseInt(id.slice(3), 16);
  const b0 = v16 >> 8;
  const b1 = v16 & 0xff;
  const b2 = d >> 8;
  const b3 = d & 0xff;
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

/** EISAID("…") as an integer term (what a _HID/_CID holds). */
export function eisaId(id: string): Uint8Array {
  return integer(eisaIdValue(id));
}

// ---------------------------------------------------------------- resource descriptors

/** Resource descriptor tags. */
export const ResourceTag = {
  /** Small: IRQ (2-byte form). */
  IRQ: 0x22,
  /** Small: I/O port, 7 bytes. */
  IO: 0x47,
  /** Small: end tag with checksum byte. */
  END: 0x79,
  /** Large: 32-bit fixed memory range. */
  MEMORY32_FIXED: 0x86,
  /** Large: DWord address space. */
  DWORD_ADDRESS: 0x87,
  /** Large: Word address space. */
  WORD_ADDRESS: 0x88,
} as const;

/** Address space descriptor resource types. */
export const AddressSpaceType = { MEMORY: 0, IO: 1, BUS_NUMBER: 2 } as const;

/** General flags of an address space descriptor: MinFixed, MaxFixed, producer, positive decode. */
const ADDR_FLAGS_PRODUCER_FIXED = 0x0c;

function u16le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
function u32le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function check(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new AmlError(`${what} ${v} is outside 0..0x${max.toString(16)}`);
}

/** IO(Decode16, min, max, alignment, length). */
export function ioPort(min: number, max: number, alignment: number, length: number): Uint8Array {
  check("IO min", min, 0xffff);
  check("IO max", max, 0xffff);
  check("IO alignment", alignment, 0xff);
  check("IO length", length, 0xff);
  return new Uint8Array([ResourceTag.IO, 0x01, ...u16le(min), ...u16le(max), alignment, length]);
}

/** IRQNoFlags() { irqs } (edge, active high, exclusive). */
export function irqNoFlags(...irqs: readonly number[]): Uint8Array {
  let mask = 0;
  for (const i of irqs) {
    check("IRQ", i, 15);
    mask |= 1 << i;
  }
  return new Uint8Array([ResourceTag.IRQ, ...u16le(mask)]);
}

/** Memory32Fixed(ReadWrite|ReadOnly, base, length). */
export function memory32Fixed(writable: boolean, base: number, length: number): Uint8Array {
  check("Memory32Fixed base", base, 0xffffffff);
  check("Memory32Fixed length", length, 0xffffffff);
  return new Uint8Array([ResourceTag.MEMORY32_FIXED, ...u16le(9), writable ? 1 : 0, ...u32le(base), ...u32le(length)]);
}

function wordAddress(type: number, typeFlags: number, min: number, max: number, what: string): Uint8Array {
  check(`${what} min`, min, 0xffff);
  check(`${what} max`, max, 0xffff);
  if (max < min) throw new AmlError(`${what}: max 0x${max.toString(16)} below min 0x${min.toString(16)}`);
  // granularity, min, max, translation offset, length
  return new Uint8Array([ResourceTag.WORD_ADDRESS, ...u16le(13), type, ADDR_FLAGS_PRODUCER_FIXED, typeFlags, ...u16le(0), ...u16le(min), ...u16le(max), ...u16le(0), ...u16le(max - min + 1)]);
}

/** WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, max-min+1). */
export function wordBusNumber(min: number, max: number): Uint8Array {
  return wordAddress(AddressSpaceType.BUS_NUMBER, 0, min, max, "WordBusNumber");
}

/** WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, max-min+1). */
export function wordIo(min: number, max: number): Uint8Array {
  return wordAddress(AddressSpaceType.IO, 0x03, min, max, "WordIO");
}

/** DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable|NonCacheable, ReadWrite, 0, min, max, 0, max-min+1). */
export function dwordMemory(min: number, max: number, cacheable: boolean): Uint8Array {
  check("DWordMemory min", min, 0xffffffff);
  check("DWordMemory max", max, 0xffffffff);
  if (max < min) throw new AmlError(`DWordMemory: max 0x${max.toString(16)} below min 0x${min.toString(16)}`);
  const typeFlags = 0x01 | (cacheable ? 0x02 : 0); // RW, MEM = cacheable (01) or non-cacheable (00)
  return new Uint8Array([ResourceTag.DWORD_ADDRESS, ...u16le(23), AddressSpaceType.MEMORY, ADDR_FLAGS_PRODUCER_FIXED, typeFlags, ...u32le(0), ...u32le(min), ...u32le(max), ...u32le(0), ...u32le(max - min + 1)]);
}

/** ResourceTemplate() { descriptors }: a Buffer ending with an end tag (checksum 0 = not checked). */
export function resourceTemplate(...descriptors: readonly Uint8Array[]): Uint8Array {
  return buffer(concat(...descriptors, new Uint8Array([ResourceTag.END, 0])));
}
