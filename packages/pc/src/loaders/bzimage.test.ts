import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Cpu, ExitReason, Seg } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { describe, expect, it } from "vitest";
import { applyBootState, AR_CODE32, AR_DATA32, bootGdt } from "../boot-state.js";
import { buildE820, E820Type, pcMemoryMap } from "../memory-map.js";
import {
  BootParams as P, BZ_GDT_ADDR, BzImageError, CMDLINE_ADDR, loadBzImage, parseBzImage, ZERO_PAGE_ADDR, type LoaderMemory,
} from "./bzimage.js";

const MiB = 1 << 20;

interface FakeOpts {
  setupSects?: number;
  payload?: number;
  version?: number;
  loadflags?: number;
  relocatable?: boolean;
  kernelAlignment?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  prefAddress?: number;
  initSize?: number;
}

/** A synthetic bzImage: boot sector + setup sectors with a 2.15-style header, then a payload of a counting pattern. */
function fakeBzImage(o: FakeOpts = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const setupSize = (setupSects + 1) * 512;
  const payload = o.payload ?? 8192;
  const img = new Uint8Array(setupSize + payload);
  const dv = new DataView(img.buffer);
  img[P.SETUP_SECTS] = setupSects;
  dv.setUint32(P.SYSSIZE, Math.ceil(payload / 16), true);
  dv.setUint16(P.BOOT_FLAG, 0xaa55, true);
  img[P.JUMP] = 0xeb;
  img[P.JUMP + 1] = 0x6a; // header ends at 0x26c, as in 2.15
  dv.setUint32(P.HEADER, 0x53726448, true);
  dv.setUint16(P.VERSION, o.version ?? 0x020f, true);
  dv.setUint16(P.KERNEL_VERSION, 0x100, true);
  img.set(new TextEncoder().encode("6.1.0-test (virtkit) #1\0"), 0x300);
  img[P.LOADFLAGS] = o.loadflags ?? 0x01;
  dv.setUint32(P.CODE32_START, 0x100000, true);
  dv.setUint32(P.INITRD_ADDR_MAX, o.initrdAddrMax ?? 0x7fffffff, true);
  dv.setUint32(P.KERNEL_ALIGNMENT, o.kernelAlignment ?? 0x200000, true);
  img[P.RELOCATABLE_KERNEL] = (o.relocatable ?? true) ? 1 : 0;
  img[P.MIN_ALIGNMENT] = 13;
  dv.setUint16(P.XLOADFLAGS, 0x4, true);
  dv.setUint32(P.CMDLINE_SIZE, o.cmdlineSize ?? 2047, true);
  dv.setBigUint64(P.PREF_ADDRESS, BigInt(o.prefAddress ?? 0x1000000), true);
  dv.setUint32(P.INIT_SIZE, o.initSize ?? 0x400000, true);
  for (let i = 0; i < payload; i++) img[setupSize + i] = (i * 7 + 3) & 0xff;
  return img;
}

/** Guest RAM as a plain array (the loader only writes). */
class FakeMemory implements LoaderMemory {
  readonly u8: Uint8Array;
  constructor(readonly ramSize: number) {
    this.u8 = new Uint8Array(ramSize);
  }
  writeBytes(gpa: number, src: Uint8Array): void {
    if (gpa + src.length > this.ramSize) throw new RangeError(`write past RAM at 0x${gpa.toString(16)}`);
    this.u8.set(src, gpa);
  }
  u32(gpa: number): number {
    return new DataView(this.u8.buffer).getUint32(gpa, true);
  }
}

function patch(img: Uint8Array, off: number, size: 1 | 2 | 4, v: number): Uint8Array {
  const out = img.slice();
  const dv = new DataView(out.buffer);
  if (size === 1) out[off] = v;
  else if (size === 2) dv.setUint16(off, v, true);
  else dv.setUint32(off, v, true);
  return out;
}

describe("parseBzImage", () => {
  it("decodes the setup header", () => {
    const h = parseBzImage(fakeBzImage());
    expect(h).toMatchObject({
      setupSects: 4, setupSize: 2560, version: 0x20f, versionString: "2.15", relocatable: true, kernelAlignment: 0x200000, cmdlineSize: 2047,
      initrdAddrMax: 0x7fffffff, prefAddress: 0x1000000, initSize: 0x400000, code32Start: 0x100000, headerEnd: 0x26c, payloadSize: 8192,
      kernelVersion: "6.1.0-test (virtkit) #1", xloadflags: 4,
    });
  });

  it("reads setup_sects = 0 as 4", () => {
    expect(parseBzImage(patch(fakeBzImage(), P.SETUP_SECTS, 1, 0)).setupSize).toBe(2560);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ["a short file", new Uint8Array(512), /too small/],
    ["no boot flag", patch(fakeBzImage(), P.BOOT_FLAG, 2, 0x1234), /boot_flag is 0x1234/],
    ["no HdrS", patch(fakeBzImage(), P.HEADER, 4, 0x12345678), /header magic is 0x12345678/],
    ["protocol 2.05", fakeBzImage({ version: 0x0205 }), /protocol version 2\.05 .* older than 2\.06/],
    ["no LOADED_HIGH", fakeBzImage({ loadflags: 0 }), /loadflags 0x0 lacks LOADED_HIGH/],
    ["setup past the end", patch(fakeBzImage({ payload: 512 }), P.SETUP_SECTS, 1, 200), /setup_sects 200/],
    ["syssize 0", patch(fakeBzImage(), P.SYSSIZE, 4, 0), /syssize is 0/],
    ["truncated payload", fakeBzImage().subarray(0, 2560 + 4000), /syssize 0x200 says 8192 bytes .* holds 4000: truncated/],
    ["odd kernel_alignment", fakeBzImage({ kernelAlignment: 0x300000 }), /kernel_alignment 0x300000/],
    ["cmdline_size 0", fakeBzImage({ cmdlineSize: 0 }), /cmdline_size is 0/],
    ["initrd_addr_max below 1 MiB", fakeBzImage({ initrdAddrMax: 0x8000 }), /initrd_addr_max 0x8000/],
    ["init_size below the kernel", fakeBzImage({ initSize: 16 }), /init_size 0x10 is smaller/],
    ["a wild header end", patch(fakeBzImage(), P.JUMP + 1, 1, 0xff), /setup header end 0x301/],
  ];
  for (const [what, img, msg] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => parseBzImage(img)).toThrow(BzImageError);
      expect(() => parseBzImage(img)).toThrow(msg);
    });
  }
});

describe("loadBzImage", () => {
  const img = fakeBzImage();
  const initrd = new Uint8Array(300_000).map((_, i) => i & 0xff);

  it("builds the zero page: header copy, loader fields, command line, initrd, e820, RSDP", () => {
    const mem = new FakeMemory(64 * MiB);
    const r = loadBzImage(mem, img, { cmdline: "console=ttyS0 quiet", initrd, rsdpAddr: 0xe0000 });
    const zp = mem.u8.subarray(ZERO_PAGE_ADDR, ZERO_PAGE_ADDR + 4096);
    const zdv = new DataView(zp.buffer, zp.byteOffset, 4096);
    // Header fields the loader does not set are copied verbatim.
    for (const off of [P.BOOT_FLAG, P.HEADER, P.VERSION, P.INITRD_ADDR_MAX, P.KERNEL_ALIGNMENT, P.CMDLINE_SIZE, P.INIT_SIZE]) {
      expect(zdv.getUint16(off, true), `offset 0x${off.toString(16)}`).toBe(new DataView(img.buffer).getUint16(off, true));
    }
    expect(zp[P.SENTINEL]).toBe(0);
    expect(zp[P.TYPE_OF_LOADER]).toBe(0xff);
    expect(zdv.getUint16(P.VID_MODE, true)).toBe(0xffff);
    expect(zp[P.LOADFLAGS] & 1).toBe(1);
    expect(zdv.getUint32(P.CODE32_START, true)).toBe(0x100000);
    expect(zdv.getUint32(P.CMD_LINE_PTR, true)).toBe(CMDLINE_ADDR);
    expect(new TextDecoder().decode(mem.u8.subarray(CMDLINE_ADDR, CMDLINE_ADDR + 20))).toBe("console=ttyS0 quiet\0");
    expect(Number(zdv.getBigUint64(P.ACPI_RSDP_ADDR, true))).toBe(0xe0000);
    // Initrd: page aligned, at the top of RAM, above the decompression area.
    const rd = zdv.getUint32(P.RAMDISK_IMAGE, true);
    expect(zdv.getUint32(P.RAMDISK_SIZE, true)).toBe(300_000);
    expect(rd % 4096).toBe(0);
    expect(rd + 300_000).toBeLessThanOrEqual(64 * MiB);
    expect(64 * MiB - (rd + 300_000)).toBeLessThan(4096);
    expect(rd).toBeGreaterThanOrEqual(r.runtime.addr + r.runtime.size);
    expect(Buffer.compare(mem.u8.subarray(rd, rd + 300_000), initrd)).toBe(0);
    expect(r.initrd).toEqual({ addr: rd, size: 300_000 });
    // e820 copy.
    const e820 = buildE820(pcMemoryMap(64 * MiB));
    expect(zp[P.E820_ENTRIES]).toBe(e820.length);
    e820.forEach((e, i) => {
      const o = P.E820_TABLE + 20 * i;
      expect([Number(zdv.getBigUint64(o, true)), Number(zdv.getBigUint64(o + 8, true)), zdv.getUint32(o + 16, true)]).toEqual([e.addr, e.size, e.type]);
    });
    expect(zdv.getUint32(P.ALT_MEM_K, true)).toBe(63 * 1024);
    // screen_info left blank (serial console board).
    expect(zp.subarray(0, 0x40).every((b) => b === 0)).toBe(true);
  });

  it("copies the protected-mode kernel and the GDT, and returns the 32-bit entry state", () => {
    const mem = new FakeMemory(64 * MiB);
    const r = loadBzImage(mem, img);
    expect(mem.u8.subarray(0x100000, 0x100000 + 8192)).toEqual(img.subarray(2560));
    expect(mem.u8.subarray(BZ_GDT_ADDR, BZ_GDT_ADDR + 32)).toEqual(bootGdt());
    const s = r.state;
    expect(s.eip).toBe(0x100000);
    expect(s.regs).toMatchObject({ esi: ZERO_PAGE_ADDR, ebp: 0, edi: 0, ebx: 0 });
    expect(s.segments.cs).toEqual({ selector: 0x10, base: 0, limit: 0xffffffff, ar: AR_CODE32 });
    for (const seg of [s.segments.ds, s.segments.es, s.segments.ss]) expect(seg).toEqual({ selector: 0x18, base: 0, limit: 0xffffffff, ar: AR_DATA32 });
    expect(s.eflags & 0x200).toBe(0);
    expect(s.cr0 & 1).toBe(1);
    expect(s.cr0 & 0x80000000).toBe(0);
    expect(s.gdtr).toEqual({ base: BZ_GDT_ADDR, limit: 31 });
    expect(r.initrd).toBeNull();
    expect(mem.u32(ZERO_PAGE_ADDR + P.RAMDISK_IMAGE)).toBe(0);
    expect(r.runtime).toEqual({ addr: 0x1000000, size: 0x400000 });
  });

  it("keeps the initrd below initrd_addr_max", () => {
    const mem = new FakeMemory(64 * MiB);
    const r = loadBzImage(mem, fakeBzImage({ initrdAddrMax: 0x2ffffff }), { initrd });
    expect((r.initrd?.addr ?? 0) + 300_000).toBeLessThanOrEqual(0x3000000);
    expect(0x3000000 - ((r.initrd?.addr ?? 0) + 300_000)).toBeLessThan(4096);
  });

  it("honours a caller's e820 and kernel address", () => {
    const mem = new FakeMemory(64 * MiB);
    const e820 = [
      { addr: 0, size: 0x9fc00, type: E820Type.RAM },
      { addr: 0x100000, size: 48 * MiB - 0x100000, type: E820Type.RAM },
    ] as const;
    const r = loadBzImage(mem, img, { e820, kernelAddress: 0x200000, initrd });
    expect(r.state.eip).toBe(0x200000);
    expect(mem.u32(ZERO_PAGE_ADDR + P.CODE32_START)).toBe(0x200000);
    expect(mem.u8[ZERO_PAGE_ADDR + P.E820_ENTRIES]).toBe(2);
    expect((r.initrd?.addr ?? 0) + 300_000).toBeLessThanOrEqual(48 * MiB);
  });

  it("refuses what does not fit, naming the limit", () => {
    expect(() => loadBzImage(new FakeMemory(64 * MiB), img, { cmdline: "x".repeat(2048) })).toThrow(/2048 bytes; the kernel's cmdline_size is 2047/);
    expect(() => loadBzImage(new FakeMemory(16 * MiB), img)).toThrow(/kernel needs RAM up to 0x1400000 .* RAM ends at 0x1000000/);
    expect(() => loadBzImage(new FakeMemory(24 * MiB), img, { initrd: new Uint8Array(8 * MiB) })).toThrow(/initrd of 8388608 bytes does not fit/);
    expect(() => loadBzImage(new FakeMemory(64 * MiB), fakeBzImage({ relocatable: false }), { kernelAddress: 0x200000 })).toThrow(/not relocatable/);
  });
});

/** The cached Debian kernel from @virtkit/linux-guest (npm run guests:linux), if any. */
function cachedLinux(): { kernel: Uint8Array; initrd: Uint8Array | null; release: string } | null {
  const xdg = process.env.XDG_CACHE_HOME;
  const dir = join(xdg !== undefined && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "virtkit", "linux");
  if (!existsSync(dir)) return null;
  const vmlinuz = readdirSync(dir).find((f) => /^vmlinuz-.*-686-pae$/.test(f));
  if (vmlinuz === undefined) return null;
  const initrdPath = join(dir, "initramfs-kvm.cpio.gz");
  return { kernel: readFileSync(join(dir, vmlinuz)), initrd: existsSync(initrdPath) ? readFileSync(initrdPath) : null, release: vmlinuz.slice("vmlinuz-".length) };
}

const linux = cachedLinux();
if (linux === null) console.log("skipping the Debian kernel checks: no cached kernel (npm run guests:linux)");

describe.skipIf(linux === null)("the Debian 12 686-pae kernel", () => {
  it("parses: protocol 2.15, relocatable, LOADED_HIGH, its release string", () => {
    if (linux === null) return;
    const h = parseBzImage(linux.kernel);
    expect(h.versionString).toBe("2.15");
    expect(h.relocatable).toBe(true);
    expect(h.loadflags & 1).toBe(1);
    expect(h.kernelVersion.startsWith(linux.release + " ")).toBe(true);
    expect(h.prefAddress).toBe(0x1000000);
    expect(h.initSize).toBeGreaterThan(h.payloadSize);
  });

  it("loads into a 128 MiB PC with its initramfs and its decompressor runs where the loader planned", () => {
    if (linux === null) return;
    const mem = new PhysicalMemory({ ramSize: 128 * MiB });
    mem.mapRam(0, 128 * MiB);
    const r = loadBzImage(mem, linux.kernel, { cmdline: "console=ttyS0", initrd: linux.initrd ?? undefined });
    expect(r.kernel.addr).toBe(0x100000);
    if (linux.initrd !== null) expect(r.initrd?.size).toBe(linux.initrd.length);
    const cpu = new Cpu(mem);
    applyBootState(cpu, r.state);
    expect(cpu.getSegment(Seg.CS).selector).toBe(0x10);
    // startup_32 first uses boot_params.scratch (ESI + 0x1e4) as a one-word stack to find
    // its own address, then moves its stack into the area it will decompress into, which
    // must be the [runtime.addr, runtime.addr + init_size) range the loader kept free.
    cpu.run(10);
    expect(cpu.regs[4] >>> 0).toBe(r.zeroPage + 0x1e4 + 4);
    expect(cpu.run(5000)).toBe(ExitReason.Budget);
    const esp = cpu.regs[4] >>> 0;
    expect(esp).toBeGreaterThan(r.runtime.addr);
    expect(esp).toBeLessThanOrEqual(r.runtime.addr + r.runtime.size);
  });
});
