import { describe, expect, it } from "vitest";
import { type MmioHandler, PageKind, PhysicalMemory, WriteSlow, type WriteProtectListener } from "./physical-memory.js";

interface Access {
  op: "r" | "w";
  gpa: number;
  size: number;
  value: number;
}

/** An MMIO device whose registers read back as their address bytes, logging accesses. */
function recorder(): MmioHandler & { log: Access[] } {
  const log: Access[] = [];
  return {
    log,
    read(gpa, size) {
      log.push({ op: "r", gpa, size, value: 0 });
      // byte k of the result = low byte of (gpa + k) ^ 0x5a
      let v = 0;
      for (let k = 0; k < size; k++) v |= (((gpa + k) ^ 0x5a) & 0xff) << (8 * k);
      return v >>> 0;
    },
    write(gpa, size, value) {
      log.push({ op: "w", gpa, size, value });
    },
  };
}

function mmioByte(gpa: number): number {
  return (gpa ^ 0x5a) & 0xff;
}

function newMem(ramSize = 64 * 1024, reservePages = 16): PhysicalMemory {
  return new PhysicalMemory({ ramSize, reservePages });
}

describe("PhysicalMemory construction", () => {
  it("sizes the buffer and starts unmapped", () => {
    const m = newMem(8192, 4);
    expect(m.buffer.byteLength).toBe(8192 + 4 * 4096);
    expect(m.hostPages).toBe(6);
    expect(m.pageHost.length).toBe(1 << 20);
    expect(m.pageHost[0]).toBe(-1);
    expect(m.pageKind[5]).toBe(PageKind.Unmapped);
    expect(m.writeSlow[5]).toBe(WriteSlow.NotRam);
    expect(m.hostPageGuest[0]).toBe(-1);
  });

  it("rejects bad sizes", () => {
    expect(() => new PhysicalMemory({ ramSize: 1000 })).toThrow(RangeError);
    expect(() => new PhysicalMemory({ ramSize: 0x80000000 })).toThrow(RangeError);
  });

  it("checks mapRam ranges", () => {
    const m = newMem(8192);
    expect(() => {
      m.mapRam(0, 3 * 4096);
    }).toThrow(RangeError);
    expect(() => {
      m.mapRam(100, 4096);
    }).toThrow(RangeError);
    expect(() => {
      m.mapRam(0x10000, 4096, 4096 * 2);
    }).toThrow(RangeError);
  });
});

describe("RAM", () => {
  it("reads and writes 8/16/32/64 bits, aligned and not, little-endian", () => {
    const m = newMem();
    m.mapRam(0, 64 * 1024);
    expect(m.writeSlow[0]).toBe(0);
    expect(m.pageKind[3]).toBe(PageKind.Ram);
    expect(m.hostPageGuest[3]).toBe(3);
    m.write32(0x100, 0x11223344);
    expect(m.read8(0x100)).toBe(0x44);
    expect(m.read16(0x102)).toBe(0x1122);
    expect(m.read16(0x101)).toBe(0x2233);
    expect(m.read32(0x100)).toBe(0x11223344);
    m.write32(0x201, -2);
    expect(m.read32(0x201)).toBe(-2);
    expect(m.read32(0x200) >>> 0).toBe(0xfffffe00);
    m.write16(0x301, 0xabcd);
    expect(m.u8[0x301]).toBe(0xcd);
    expect(m.u8[0x302]).toBe(0xab);
    m.write8(0x400, 0x1ff);
    expect(m.read8(0x400)).toBe(0xff);
    m.write64(0x500, 0x0123456789abcdefn);
    expect(m.read32(0x500) >>> 0).toBe(0x89abcdef);
    expect(m.read32(0x504)).toBe(0x01234567);
    expect(m.read64(0x500)).toBe(0x0123456789abcdefn);
    m.write64(0x601, 0xfedcba9876543210n);
    expect(m.read64(0x601)).toBe(0xfedcba9876543210n);
  });

  it("returns read32 as int32 and read8/16 unsigned", () => {
    const m = newMem();
    m.mapRam(0, 4096);
    m.write32(0, 0xffffffff);
    expect(m.read32(0)).toBe(-1);
    expect(m.read16(0)).toBe(0xffff);
    expect(m.read8(0)).toBe(0xff);
  });

  it("handles accesses straddling two RAM pages", () => {
    const m = newMem();
    m.mapRam(0, 64 * 1024);
    m.write32(0xffe, 0x44332211);
    expect(m.u8[0xffe]).toBe(0x11);
    expect(m.u8[0x1001]).toBe(0x44);
    expect(m.read32(0xffe)).toBe(0x44332211);
    m.write32(0x1fff, 0x8899aabb);
    expect(m.read32(0x1fff) >>> 0).toBe(0x8899aabb);
    m.write16(0x2fff, 0x1234);
    expect(m.read16(0x2fff)).toBe(0x1234);
    m.write64(0x3ffc, 0x1122334455667788n);
    expect(m.read64(0x3ffc)).toBe(0x1122334455667788n);
    m.write64(0x4ffd, 0x1122334455667788n);
    expect(m.read64(0x4ffd)).toBe(0x1122334455667788n);
  });

  it("follows hostOffset (non-identity and aliased mappings)", () => {
    const m = newMem();
    m.mapRam(0x100000, 8192, 0x4000);
    m.mapRam(0x200000, 4096, 0x4000);
    expect(m.pageHost[0x100]).toBe(4);
    m.write32(0x100010, 0x55aa55aa);
    expect(m.i32[(0x4000 + 0x10) >> 2]).toBe(0x55aa55aa);
    expect(m.read32(0x200010)).toBe(0x55aa55aa);
  });

  it("copies bytes across pages and regions", () => {
    const m = newMem();
    m.mapRam(0, 0x3000);
    const src = new Uint8Array(5000).map((_, i) => i & 0xff);
    m.writeBytes(0x800, src);
    const dst = new Uint8Array(5000);
    m.readBytes(0x800, dst);
    expect(dst).toEqual(src);
    // tail beyond RAM reads as unassigned ones
    const tail = new Uint8Array(8);
    m.readBytes(0x2ffc, tail);
    expect(Array.from(tail)).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  });
});

describe("unmapped pages", () => {
  it("read all ones and drop writes", () => {
    const m = newMem();
    expect(m.read8(0x123456)).toBe(0xff);
    expect(m.read16(0x123456)).toBe(0xffff);
    expect(m.read32(0x123456)).toBe(-1);
    expect(m.read64(0x123456)).toBe(0xffffffffffffffffn);
    m.write32(0x123456, 0);
    expect(m.read32(0x123456)).toBe(-1);
    expect(m.read32(0xfffffffc)).toBe(-1);
  });

  it("uses a replaceable unassigned handler", () => {
    const m = newMem();
    const r = recorder();
    m.unassigned = r;
    expect(m.read8(0x9000)).toBe(mmioByte(0x9000));
    m.write16(0x9000, 0x1234);
    expect(r.log.at(-1)).toEqual({ op: "w", gpa: 0x9000, size: 2, value: 0x1234 });
  });

  it("unmap turns RAM back into unassigned", () => {
    const m = newMem();
    m.mapRam(0, 0x2000);
    m.write8(0x1000, 7);
    m.unmap(0x1000, 0x1000);
    expect(m.pageHost[1]).toBe(-1);
    expect(m.writeSlow[1]).toBe(WriteSlow.NotRam);
    expect(m.hostPageGuest[1]).toBe(-1);
    expect(m.read8(0x1000)).toBe(0xff);
    m.mapRam(0x1000, 0x1000);
    expect(m.read8(0x1000)).toBe(7);
  });
});

describe("MMIO", () => {
  it("dispatches sized accesses with the absolute address", () => {
    const m = newMem();
    const r = recorder();
    m.mapMmio(0xfee00000, 0x1000, r, "lapic");
    expect(m.pageKind[0xfee00]).toBe(PageKind.Mmio);
    expect(m.pageHost[0xfee00]).toBe(-1);
    expect(m.writeSlow[0xfee00]).toBe(WriteSlow.NotRam);
    expect(m.read32(0xfee00020) >>> 0).toBe(
      (mmioByte(0xfee00020) | (mmioByte(0xfee00021) << 8) | (mmioByte(0xfee00022) << 16) | (mmioByte(0xfee00023) << 24)) >>> 0,
    );
    expect(r.log.at(-1)).toEqual({ op: "r", gpa: 0xfee00020, size: 4, value: 0 });
    m.write32(0xfee000b0, -1);
    expect(r.log.at(-1)).toEqual({ op: "w", gpa: 0xfee000b0, size: 4, value: 0xffffffff });
    m.write8(0xfee000b0, 0x1ab);
    expect(r.log.at(-1)).toEqual({ op: "w", gpa: 0xfee000b0, size: 1, value: 0xab });
    m.write64(0xfee00100, 0x1122334455667788n);
    expect(r.log.slice(-2)).toEqual([
      { op: "w", gpa: 0xfee00100, size: 4, value: 0x55667788 },
      { op: "w", gpa: 0xfee00104, size: 4, value: 0x11223344 },
    ]);
    expect(m.regionName(0xfee00000)).toBe("lapic");
  });

  it("splits a dword that is half RAM, half MMIO", () => {
    const m = newMem();
    m.mapRam(0, 0x1000);
    const r = recorder();
    m.mapMmio(0x1000, 0x1000, r, "dev");
    m.write16(0xffe, 0xbeef);
    m.write32(0xffe, 0x12345678);
    // RAM half got the low word, MMIO half a 16-bit write of the high word at the page start
    expect(m.read16(0xffe)).toBe(0x5678);
    expect(r.log.at(-1)).toEqual({ op: "w", gpa: 0x1000, size: 2, value: 0x1234 });
    const v = m.read32(0xffe);
    expect(v & 0xffff).toBe(0x5678);
    expect((v >>> 16) & 0xffff).toBe(mmioByte(0x1000) | (mmioByte(0x1001) << 8));
    expect(r.log.at(-1)).toEqual({ op: "r", gpa: 0x1000, size: 2, value: 0 });
    // odd split: bytes
    r.log.length = 0;
    m.write32(0xfff, 0xaabbccdd);
    expect(m.read8(0xfff)).toBe(0xdd);
    expect(r.log).toEqual([
      { op: "w", gpa: 0x1000, size: 1, value: 0xcc },
      { op: "w", gpa: 0x1001, size: 1, value: 0xbb },
      { op: "w", gpa: 0x1002, size: 1, value: 0xaa },
    ]);
    // 16-bit straddle MMIO -> RAM
    m.mapRam(0x2000, 0x1000);
    m.write8(0x2000, 0x77);
    expect(m.read16(0x1fff)).toBe(mmioByte(0x1fff) | (0x77 << 8));
    // 64-bit straddle
    m.write32(0xffc, 0x01020304);
    const q = m.read64(0xffc);
    expect(Number(q & 0xffffffffn)).toBe(0x01020304);
  });

  it("refuses overlapping MMIO regions naming both", () => {
    const m = newMem();
    m.mapMmio(0x10000, 0x2000, recorder(), "a");
    expect(() => {
      m.mapMmio(0x11000, 0x1000, recorder(), "b");
    }).toThrow(/b.*a/);
    m.unmap(0x11000, 0x1000);
    m.mapMmio(0x11000, 0x1000, recorder(), "b");
    expect(m.regionName(0x11000)).toBe("b");
    expect(m.regionName(0x10000)).toBe("a");
  });

  it("readBytes/writeBytes go byte by byte to MMIO", () => {
    const m = newMem();
    const r = recorder();
    m.mapMmio(0x1000, 0x1000, r, "d");
    const dst = new Uint8Array(3);
    m.readBytes(0x1010, dst);
    expect(Array.from(dst)).toEqual([mmioByte(0x1010), mmioByte(0x1011), mmioByte(0x1012)]);
    m.writeBytes(0x1010, new Uint8Array([1, 2]));
    expect(r.log.slice(-2)).toEqual([
      { op: "w", gpa: 0x1010, size: 1, value: 1 },
      { op: "w", gpa: 0x1011, size: 1, value: 2 },
    ]);
  });
});

describe("ROM", () => {
  it("copies content into reserve pages and ignores writes", () => {
    const m = newMem(0x10000, 8);
    const data = new Uint8Array(0x1800).map((_, i) => (i * 7) & 0xff);
    m.mapRom(0xf0000, data);
    expect(m.pageKind[0xf0]).toBe(PageKind.Rom);
    expect(m.pageKind[0xf1]).toBe(PageKind.Rom);
    expect(m.pageHost[0xf0]).toBeGreaterThanOrEqual(16);
    expect(m.writeSlow[0xf0]).toBe(WriteSlow.NotRam);
    expect(m.read8(0xf0003)).toBe(21);
    expect(m.read32(0xf0ffe)).toBe(m.read16(0xf0ffe) | (m.read16(0xf1000) << 16));
    expect(m.read8(0xf1900)).toBe(0); // zero-filled tail
    m.write8(0xf0003, 0);
    m.write32(0xf0000, 0);
    m.write64(0xf0ffc, 0n);
    m.writeBytes(0xf0000, new Uint8Array(16));
    expect(m.read8(0xf0003)).toBe(21);
    expect(m.read8(0xf0fff)).toBe((0xfff * 7) & 0xff);
    expect(m.read8(0xf1000)).toBe((0x1000 * 7) & 0xff);
    // ROM pages are returned to the reserve when replaced
    m.unmap(0xf0000, 0x2000);
    for (let i = 0; i < 8; i++) m.mapRom(0x100000 + i * 0x1000, new Uint8Array(1));
    expect(() => {
      m.mapRom(0x200000, new Uint8Array(1));
    }).toThrow(RangeError);
  });
});

describe("overlays", () => {
  it("shows overlay content and restores RAM on removal", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    m.write32(0x3010, 0x600dcafe);
    const ov = m.addOverlay(0x3000);
    expect(ov.length).toBe(4096);
    expect(m.pageKind[3]).toBe(PageKind.Overlay);
    expect(m.writeSlow[3] & WriteSlow.ReadOnlyOverlay).toBe(WriteSlow.ReadOnlyOverlay);
    expect(m.read32(0x3010)).toBe(0);
    ov[0x10] = 0x90;
    expect(m.read8(0x3010)).toBe(0x90);
    m.write8(0x3010, 0x11); // ignored
    m.write32(0x3ffe, -1); // low half ignored, high half lands in RAM page 4
    expect(m.read8(0x3010)).toBe(0x90);
    expect(m.read16(0x4000)).toBe(0xffff);
    expect(m.hostPageGuest[3]).toBe(-1);
    m.removeOverlay(0x3000);
    expect(m.pageKind[3]).toBe(PageKind.Ram);
    expect(m.writeSlow[3]).toBe(0);
    expect(m.hostPageGuest[3]).toBe(3);
    expect(m.read32(0x3010)).toBe(0x600dcafe);
    expect(() => {
      m.removeOverlay(0x3000);
    }).toThrow(RangeError);
  });

  it("writable overlays take guest writes (slow path) without touching RAM", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    m.write32(0x5000, 42);
    const ov = m.addOverlay(0x5000, { writable: true });
    expect(m.writeSlow[5]).toBe(WriteSlow.NotRam);
    m.write32(0x5000, 7);
    expect(ov[0]).toBe(7);
    m.removeOverlay(0x5000);
    expect(m.read32(0x5000)).toBe(42);
  });

  it("overlays MMIO and unmapped pages too, and remaps go underneath", () => {
    const m = newMem();
    const r = recorder();
    m.mapMmio(0x8000, 0x1000, r, "d");
    const ov = m.addOverlay(0x8000);
    ov[0] = 0x42;
    expect(m.read8(0x8000)).toBe(0x42);
    expect(r.log).toEqual([]);
    m.removeOverlay(0x8000);
    expect(m.read8(0x8000)).toBe(mmioByte(0x8000));

    m.addOverlay(0x9000);
    m.mapRam(0x9000, 0x1000);
    expect(m.pageKind[9]).toBe(PageKind.Overlay);
    m.removeOverlay(0x9000);
    expect(m.pageKind[9]).toBe(PageKind.Ram);
  });
});

describe("write-watch", () => {
  it("fires once, before the store, and stays until unwatched", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    m.write32(0x2000, 1);
    const seen: [number, number, number][] = [];
    m.addWriteWatchListener((g, h) => {
      seen.push([g, h, m.read32(0x2000)]);
      m.unwatch(g);
    });
    m.watch(2);
    expect(m.isWatched(2)).toBe(true);
    expect(m.writeSlow[2]).toBe(WriteSlow.Watched);
    m.write32(0x2000, 2);
    m.write32(0x2000, 3);
    expect(seen).toEqual([[2, 2, 1]]);
    expect(m.read32(0x2000)).toBe(3);
    expect(m.isWatched(2)).toBe(false);
    expect(m.writeSlow[2]).toBe(0);
  });

  it("keeps firing while the watch stays, on every write width and writeBytes", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    let n = 0;
    m.addWriteWatchListener(() => n++);
    m.watch(1);
    m.write8(0x1000, 1);
    m.write16(0x1002, 1);
    m.write32(0x1004, 1);
    m.write32(0xffe, 1); // straddles into page 1
    m.writeBytes(0x1100, new Uint8Array(10));
    expect(n).toBe(5);
    m.write32(0x3000, 1);
    expect(n).toBe(5);
    m.unwatch(1);
    m.write8(0x1000, 1);
    expect(n).toBe(5);
  });

  it("does not fire for dropped ROM writes; fires on remap of a watched page", () => {
    const m = newMem();
    m.mapRom(0x10000, new Uint8Array(16));
    m.mapRam(0, 0x1000);
    const seen: number[][] = [];
    m.addWriteWatchListener((g, h) => seen.push([g, h]));
    m.watch(0x10);
    m.write8(0x10000, 1);
    expect(seen).toEqual([]);
    m.watch(0);
    m.unmap(0, 0x1000);
    expect(seen).toEqual([[0, 0]]);
  });

  it("revokes TLB write permission when a page is watched", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    const revoked: number[] = [];
    m.addWriteProtectListener({ revokeWrite: (h) => revoked.push(h) });
    m.watch(3);
    m.watch(3);
    m.watch(0x50000); // unmapped: nothing to revoke
    expect(revoked).toEqual([3]);
  });
});

describe("dirty log", () => {
  it("records written pages in a bitmap and re-arms them", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    const revoked: number[] = [];
    const listener: WriteProtectListener = { revokeWrite: (h) => revoked.push(h) };
    m.addWriteProtectListener(listener);
    m.write8(0x1000, 1); // before logging: not recorded
    m.enableDirtyLog(true);
    expect(m.dirtyLogEnabled).toBe(true);
    expect(revoked.length).toBe(16);
    for (let p = 0; p < 16; p++) expect(m.writeSlow[p]).toBe(WriteSlow.DirtyLog);
    m.write8(0x3000, 1);
    m.write32(0x3ffe, 1); // pages 3 and 4
    m.writeBytes(0xa000, new Uint8Array(1));
    expect(m.writeSlow[3]).toBe(0);
    expect(m.writeSlow[4]).toBe(0);
    expect(m.writeSlow[5]).toBe(WriteSlow.DirtyLog);
    revoked.length = 0;
    const bm = m.getAndClearDirtyLog();
    expect(bm.length).toBe(2);
    expect(Array.from(bm)).toEqual([0b00011000, 0b00000100]);
    expect(revoked.sort((a, b) => a - b)).toEqual([3, 4, 10]);
    expect(m.writeSlow[3]).toBe(WriteSlow.DirtyLog);
    expect(Array.from(m.getAndClearDirtyLog())).toEqual([0, 0]);
    m.write16(0x7000, 1);
    expect(Array.from(m.getAndClearDirtyLog())).toEqual([0x80, 0]);
    m.enableDirtyLog(false);
    for (let p = 0; p < 16; p++) expect(m.writeSlow[p]).toBe(0);
    m.write16(0x7000, 1);
    expect(Array.from(m.getAndClearDirtyLog())).toEqual([0, 0]);
  });

  it("arms RAM mapped while logging and leaves ROM/MMIO alone", () => {
    const m = newMem();
    m.enableDirtyLog(true);
    m.mapRam(0x2000, 0x1000);
    m.mapRom(0x4000, new Uint8Array(1));
    expect(m.writeSlow[2]).toBe(WriteSlow.DirtyLog);
    expect(m.writeSlow[4]).toBe(WriteSlow.NotRam);
    m.write8(0x4000, 1);
    m.write8(0x2000, 1);
    expect(Array.from(m.getAndClearDirtyLog())).toEqual([0b100]);
  });

  it("combines with watch", () => {
    const m = newMem();
    m.mapRam(0, 0x2000);
    m.enableDirtyLog(true);
    m.watch(1);
    let fired = 0;
    m.addWriteWatchListener(() => fired++);
    expect(m.writeSlow[1]).toBe(WriteSlow.DirtyLog | WriteSlow.Watched);
    m.write8(0x1000, 1);
    expect(fired).toBe(1);
    expect(m.writeSlow[1]).toBe(WriteSlow.Watched);
    expect(Array.from(m.getAndClearDirtyLog())).toEqual([2]);
  });
});

describe("write-protect listeners on remap", () => {
  it("invalidates the old host page when a RAM page is overlaid, remapped or unmapped", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    const inval: number[] = [];
    const revoked: number[] = [];
    m.addWriteProtectListener({ revokeWrite: (h) => revoked.push(h), invalidateHostPage: (h) => inval.push(h) });
    m.addOverlay(0x2000);
    m.removeOverlay(0x2000);
    m.mapRam(0x5000, 0x1000, 0x6000);
    m.unmap(0x7000, 0x1000);
    expect(inval[0]).toBe(2);
    expect(inval[1]).toBeGreaterThanOrEqual(16); // the overlay page
    expect(inval.slice(2)).toEqual([5, 7]);
    expect(revoked).toEqual([]);
  });

  it("falls back to revokeWrite for listeners without invalidateHostPage, and can be removed", () => {
    const m = newMem();
    m.mapRam(0, 0x10000);
    const revoked: number[] = [];
    const l: WriteProtectListener = { revokeWrite: (h) => revoked.push(h) };
    m.addWriteProtectListener(l);
    m.unmap(0x1000, 0x1000);
    m.removeWriteProtectListener(l);
    m.unmap(0x2000, 0x1000);
    expect(revoked).toEqual([1]);
  });
});
