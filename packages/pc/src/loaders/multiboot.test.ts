import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Cpu, ExitReason, Seg } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { describe, expect, it } from "vitest";
import { applyBootState, AR_CODE32 } from "../boot-state.js";
import { E820Type } from "../memory-map.js";
import {
  findMultibootHeader, loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT_INFO_ADDR, MultibootError, MultibootInfo as I, MultibootInfoFlag,
} from "./multiboot.js";

const MiB = 1 << 20;

/** A multiboot ELF32 with one PT_LOAD at `paddr` (code bytes + bss). */
function multibootElf(opts: { paddr?: number; code?: number[]; bss?: number; flags?: number; headerAt?: number } = {}): Uint8Array {
  const paddr = opts.paddr ?? 0x100000;
  const headerAt = opts.headerAt ?? 0x60;
  const code = opts.code ?? [0xf4];
  const img = new Uint8Array(headerAt + 12 + code.length);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 3, true);
  dv.setUint32(24, paddr + 12, true); // entry: just after the header
  dv.setUint32(28, 52, true); // phoff
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  // PT_LOAD: offset = headerAt, paddr, filesz, memsz
  dv.setUint32(52, 1, true);
  dv.setUint32(56, headerAt, true);
  dv.setUint32(60, paddr, true);
  dv.setUint32(64, paddr, true);
  dv.setUint32(68, 12 + code.length, true);
  dv.setUint32(72, 12 + code.length + (opts.bss ?? 0), true);
  const flags = opts.flags ?? 0x3;
  dv.setUint32(headerAt, 0x1badb002, true);
  dv.setUint32(headerAt + 4, flags, true);
  dv.setUint32(headerAt + 8, (-(0x1badb002 + flags)) >>> 0, true);
  img.set(code, headerAt + 12);
  return img;
}

function ram(size = 32 * MiB): PhysicalMemory {
  const mem = new PhysicalMemory({ ramSize: size });
  mem.mapRam(0, size);
  return mem;
}

describe("findMultibootHeader", () => {
  it("finds a header with a valid checksum in the first 8 KiB only", () => {
    expect(findMultibootHeader(multibootElf())).toBe(0x60);
    const bad = multibootElf();
    bad[0x68] ^= 1;
    expect(findMultibootHeader(bad)).toBe(-1);
    expect(findMultibootHeader(multibootElf({ headerAt: 8192 }))).toBe(-1);
  });
});

describe("loadMultiboot", () => {
  it("loads PT_LOAD segments, zeroes bss and returns the multiboot entry state", () => {
    const mem = ram();
    mem.write8(0x100010, 0xaa); // inside bss: must be cleared
    const r = loadMultiboot(multibootElf({ bss: 64 }), mem, "root=/dev/null");
    expect(r.entry).toBe(0x10000c);
    expect([r.loadStart, r.loadEnd]).toEqual([0x100000, 0x100000 + 13 + 64]);
    expect(mem.read8(0x10000c)).toBe(0xf4);
    expect(mem.read8(0x100010)).toBe(0);
    expect(r.state.regs).toMatchObject({ eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: MULTIBOOT_INFO_ADDR });
    expect(r.state.eip).toBe(0x10000c);
    expect(r.state.segments.cs).toMatchObject({ selector: 0x10, ar: AR_CODE32, limit: 0xffffffff });
    expect(r.state.eflags & 0x200).toBe(0);
    expect(r.state.gdtr).toBeNull();
  });

  it("writes the information structure: memory, command line, memory map, loader name", () => {
    const mem = ram(32 * MiB);
    loadMultiboot(multibootElf(), mem, { cmdline: "hello world" });
    const info = MULTIBOOT_INFO_ADDR;
    const flags = mem.read32(info + I.FLAGS);
    expect(flags).toBe(MultibootInfoFlag.MEMORY | MultibootInfoFlag.CMDLINE | MultibootInfoFlag.MEM_MAP | MultibootInfoFlag.BOOT_LOADER_NAME);
    expect(mem.read32(info + I.MEM_LOWER)).toBe(640);
    expect(mem.read32(info + I.MEM_UPPER)).toBe(31 * 1024);
    const str = (addr: number): string => {
      let s = "";
      for (let a = addr; mem.read8(a) !== 0; a++) s += String.fromCharCode(mem.read8(a));
      return s;
    };
    expect(mem.read32(info + I.CMDLINE)).toBe(info + 0x100); // where the runner's loader put it
    expect(str(mem.read32(info + I.CMDLINE))).toBe("hello world");
    expect(str(mem.read32(info + I.BOOT_LOADER_NAME))).toBe("virtkit");
    // mmap: entries of size 20 (+4), base, length, type.
    const len = mem.read32(info + I.MMAP_LENGTH);
    const at = mem.read32(info + I.MMAP_ADDR);
    const entries: [number, number, number][] = [];
    for (let o = 0; o < len; o += mem.read32(at + o) + 4) {
      entries.push([Number(mem.read64(at + o + 4)), Number(mem.read64(at + o + 12)), mem.read32(at + o + 20)]);
    }
    expect(entries.slice(0, 3)).toEqual([[0, 0xa0000, E820Type.RAM], [0xe0000, 0x20000, E820Type.RESERVED], [MiB, 31 * MiB, E820Type.RAM]]);
  });

  it("loads modules page aligned above the kernel and lists them with their strings", () => {
    const mem = ram();
    const initrd = new Uint8Array(10_000).fill(0x5a);
    const r = loadMultiboot(multibootElf({ bss: 0x3000 }), mem, { modules: [{ data: initrd, cmdline: "initrd" }, { data: new Uint8Array([1, 2, 3]) }] });
    expect(r.modules).toEqual([{ start: 0x104000, end: 0x104000 + 10_000 }, { start: 0x107000, end: 0x107003 }]);
    const info = MULTIBOOT_INFO_ADDR;
    expect(mem.read32(info + I.FLAGS) & MultibootInfoFlag.MODS).not.toBe(0);
    expect(mem.read32(info + I.MODS_COUNT)).toBe(2);
    const list = mem.read32(info + I.MODS_ADDR);
    expect([mem.read32(list), mem.read32(list + 4)]).toEqual([0x104000, 0x104000 + 10_000]);
    expect(mem.read8(mem.read32(list + 8))).toBe("i".charCodeAt(0));
    expect(mem.read8(0x104000 + 9999)).toBe(0x5a);
    expect(mem.read8(mem.read32(list + 24))).toBe(0);
  });

  it("keeps the runner's errors", () => {
    const mem = ram();
    expect(() => loadMultiboot(new Uint8Array(100), mem)).toThrow(/not a multiboot image: no valid header/);
    expect(() => loadMultiboot(multibootElf({ flags: 0x8 }), mem)).toThrow(/unsupported features \(flags 0x8\)/);
    expect(() => loadMultiboot(multibootElf({ paddr: 31 * MiB + 0xff000, bss: 0x10000 }), mem)).toThrow(/lies outside the 32 MiB of guest RAM/);
    const notElf = multibootElf();
    notElf[0] = 0;
    expect(() => loadMultiboot(notElf, mem)).toThrow(MultibootError);
    expect(() => loadMultiboot(notElf, mem)).toThrow(/not an ELF file and no a.out kludge/);
    expect(() => loadMultiboot(multibootElf({ paddr: 0x9000 }), mem)).toThrow(/over the multiboot information area/);
    expect(() => loadMultiboot(multibootElf(), mem, { modules: [{ data: new Uint8Array(32 * MiB) }] })).toThrow(/module 0 .* does not fit/);
  });

  it("loads an a.out-kludge image at its load address", () => {
    // Header with flags bit 16: header_addr, load_addr, load_end_addr (0 = whole file), bss_end_addr, entry_addr.
    const img = new Uint8Array(64);
    const dv = new DataView(img.buffer);
    const flags = 0x10003;
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, flags, true);
    dv.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
    dv.setUint32(12, 0x200000, true);
    dv.setUint32(16, 0x200000, true);
    dv.setUint32(20, 0, true);
    dv.setUint32(24, 0x201000, true);
    dv.setUint32(28, 0x200020, true);
    img[32] = 0xf4;
    const mem = ram();
    const r = loadMultiboot(img, mem);
    expect([r.entry, r.loadStart, r.loadEnd]).toEqual([0x200020, 0x200000, 0x201000]);
    expect(mem.read8(0x200020)).toBe(0xf4);
  });
});

const hello = fileURLToPath(new URL("../../../../tooling/guests/bin/hello.elf", import.meta.url));

describe.skipIf(!existsSync(hello))("the project's hello guest", () => {
  it("runs to RESULT PASS on the virtkit CPU when loaded by this loader", () => {
    const mem = ram(32 * MiB);
    const r = loadMultiboot(readFileSync(hello), mem, "");
    const cpu = new Cpu(mem);
    applyBootState(cpu, r.state);
    expect(cpu.getSegment(Seg.CS).selector).toBe(0x10);
    let out = "";
    let status = -1;
    for (let i = 0; i < 100_000 && status < 0; i++) {
      const x = cpu.run(1_000_000);
      const e = cpu.exit;
      if (x === ExitReason.IoOut) {
        if (e.port === 0xe9 || e.port === 0x3f8) out += String.fromCharCode(e.value & 0xff);
        else if (e.port === 0xf4) status = e.value & 0xff;
      } else if (x === ExitReason.IoIn) cpu.completeIo(e.port === 0x3fd ? 0x60 : 0xff);
      else if (x === ExitReason.Hlt || x === ExitReason.TripleFault) break;
    }
    expect(out).toMatch(/RESULT PASS hello/);
    expect(status).toBe(0);
  });
});
