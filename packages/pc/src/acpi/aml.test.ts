import { describe, expect, it } from "vitest";
import {
  AmlError, buffer, device, dwordMemory, eisaId, eisaIdValue, integer, ioPort, irqNoFlags, memory32Fixed, method, name, nameString, pkg, pkgLength,
  resourceTemplate, ret, scope, string, wordBusNumber, wordIo,
} from "./aml.js";

const bytes = (b: Uint8Array): number[] => [...b];

describe("AML names", () => {
  it("pads segments and encodes root, parent, dual and multi name prefixes", () => {
    expect(bytes(nameString("_S5"))).toEqual([0x5f, 0x53, 0x35, 0x5f]);
    expect(bytes(nameString("\\_SB"))).toEqual([0x5c, 0x5f, 0x53, 0x42, 0x5f]);
    expect(bytes(nameString("\\_SB.PCI0"))).toEqual([0x5c, 0x2e, ...[0x5f, 0x53, 0x42, 0x5f], ...[0x50, 0x43, 0x49, 0x30]]);
    expect(bytes(nameString("^^A.B.C")).slice(0, 4)).toEqual([0x5e, 0x5e, 0x2f, 3]);
    expect(bytes(nameString("\\"))).toEqual([0x5c, 0x00]);
    expect(() => nameString("1ABC")).toThrow(AmlError);
    expect(() => nameString("TOOLONG")).toThrow(/name segment "TOOLONG"/);
  });
});

describe("PkgLength", () => {
  it("counts its own bytes and switches to multi-byte forms at the limits", () => {
    expect(bytes(pkgLength(0))).toEqual([1]);
    expect(bytes(pkgLength(62))).toEqual([63]);
    // 63 + 2 = 65 = 0x41: lead 0x41 (1 follow byte, low nibble 1), then 0x04
    expect(bytes(pkgLength(63))).toEqual([0x41, 0x04]);
    expect(bytes(pkgLength(0xffd))).toEqual([0x4f, 0xff]);
    // 0xffe + 3 = 0x1001
    expect(bytes(pkgLength(0xffe))).toEqual([0x81, 0x00, 0x01]);
    expect(bytes(pkgLength(0x100000))).toEqual([0xc4, 0x00, 0x00, 0x01]);
    expect(() => pkgLength(1 << 28)).toThrow(/PkgLength/);
  });
});

describe("AML data", () => {
  it("uses the shortest integer encoding", () => {
    expect(bytes(integer(0))).toEqual([0x00]);
    expect(bytes(integer(1))).toEqual([0x01]);
    expect(bytes(integer(5))).toEqual([0x0a, 5]);
    expect(bytes(integer(0x1234))).toEqual([0x0b, 0x34, 0x12]);
    expect(bytes(integer(0xfee00000))).toEqual([0x0c, 0x00, 0x00, 0xe0, 0xfe]);
    expect(bytes(integer(0x100000000n))).toEqual([0x0e, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(() => integer(-1)).toThrow(AmlError);
  });

  it("encodes strings, packages, buffers and Name", () => {
    expect(bytes(string("ACPI0007"))).toEqual([0x0d, ...new TextEncoder().encode("ACPI0007"), 0]);
    expect(bytes(pkg(integer(5), integer(5), integer(0), integer(0)))).toEqual([0x12, 0x08, 4, 0x0a, 5, 0x0a, 5, 0, 0]);
    expect(bytes(buffer(new Uint8Array([0x79, 0])))).toEqual([0x11, 0x05, 0x0a, 0x02, 0x79, 0]);
    expect(bytes(name("\\_S5", pkg(integer(0))))).toEqual([0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x03, 1, 0]);
    // More than 255 elements: VarPackageOp (0x13) with the count as an integer TermArg.
    const big = pkg(...Array.from({ length: 300 }, () => integer(0)));
    expect(big[0]).toBe(0x13);
    // PkgLength of 2 bytes (body 3 + 300 = 303 > 63), then WordPrefix 300.
    expect([...big.subarray(3, 6)]).toEqual([0x0b, 300 & 0xff, 300 >> 8]);
    expect(big.length).toBe(1 + 2 + 3 + 300);
  });

  it("compresses EISA IDs", () => {
    expect(eisaIdValue("PNP0A03")).toBe(0x030ad041);
    expect(eisaIdValue("PNP0303")).toBe(0x0303d041);
    expect(eisaIdValue("PNP0501")).toBe(0x0105d041);
    expect(bytes(eisaId("PNP0B00"))).toEqual([0x0c, 0x41, 0xd0, 0x0b, 0x00]);
    expect(() => eisaIdValue("pnp0a03")).toThrow(/EISA ID/);
  });
});

describe("AML objects", () => {
  it("wraps Scope, Device and Method bodies in a PkgLength", () => {
    expect(bytes(scope("\\_SB"))).toEqual([0x10, 0x06, 0x5c, 0x5f, 0x53, 0x42, 0x5f]);
    expect(bytes(device("KBD"))).toEqual([0x5b, 0x82, 0x05, 0x4b, 0x42, 0x44, 0x5f]);
    expect(bytes(method("_STA", 0, false, ret(integer(0x0f))))).toEqual([0x14, 0x09, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa4, 0x0a, 0x0f]);
    expect(method("M", 2, true)[6]).toBe(0x0a);
    expect(() => method("M", 8, false)).toThrow(/8 arguments/);
  });
});

describe("resource descriptors", () => {
  it("encodes IO, IRQNoFlags and Memory32Fixed", () => {
    expect(bytes(ioPort(0x3f8, 0x3f8, 1, 8))).toEqual([0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08]);
    expect(bytes(irqNoFlags(4))).toEqual([0x22, 0x10, 0x00]);
    expect(bytes(irqNoFlags(1, 12))).toEqual([0x22, 0x02, 0x10]);
    expect(bytes(memory32Fixed(false, 0xfed00000, 0x400))).toEqual([0x86, 9, 0, 0, 0x00, 0x00, 0xd0, 0xfe, 0x00, 0x04, 0, 0]);
    expect(() => irqNoFlags(16)).toThrow(/IRQ 16/);
  });

  it("encodes Word and DWord address space descriptors with their lengths", () => {
    const bus = wordBusNumber(0, 0xff);
    expect(bus.length).toBe(16);
    expect(bytes(bus.subarray(0, 6))).toEqual([0x88, 13, 0, 2, 0x0c, 0]);
    expect(new DataView(bus.buffer).getUint16(14, true)).toBe(0x100);
    const io = wordIo(0xd00, 0xffff);
    expect(io[3]).toBe(1);
    expect(io[5]).toBe(3);
    expect(new DataView(io.buffer).getUint16(14, true)).toBe(0xf300);
    const mem = dwordMemory(0xe0000000, 0xfebfffff, false);
    expect(mem.length).toBe(26);
    expect(new DataView(mem.buffer).getUint32(22, true)).toBe(0x1ec00000);
    expect(() => wordIo(5, 4)).toThrow(/below min/);
  });

  it("ends a template with the end tag inside a Buffer", () => {
    const t = resourceTemplate(irqNoFlags(8));
    expect(bytes(t)).toEqual([0x11, 0x08, 0x0a, 0x05, 0x22, 0x00, 0x01, 0x79, 0x00]);
  });
});
