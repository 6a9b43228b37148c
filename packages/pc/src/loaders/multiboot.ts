/**
 * Multiboot (v1) loader: find and check the header, copy the ELF PT_LOAD segments (or the
 * a.out-kludge ranges) into RAM, load modules (an initrd, say) page aligned above the
 * kernel, and write the multiboot information structure with the memory bounds, a memory
 * map, the command line, the module list and the loader name. Returns the state the
 * specification requires (EAX = 0x2BADB002, EBX = info, flat CS/DS, paging and IF off).
 *
 * Behaviour matches tooling/runner's loader (same checks, same MultibootError messages, info
 * at 0x9000); the memory map, modules and loader name are additions.
 */
import { flatProtectedModeState, type BootCpuState } from "../boot-state.js";
import { buildE820, E820Type, HIGH_RAM_BASE, pcMemoryMap, type E820Entry } from "../memory-map.js";
import type { LoaderMemory } from "./bzimage.js";

/** Magic in the OS image header. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** Magic the loader leaves in EAX. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Where the loader writes the multiboot information structure. */
export const MULTIBOOT_INFO_ADDR = 0x9000;
/** End of the area (info, strings, module list, memory map) that starts at {@link MULTIBOOT_INFO_ADDR}. */
export const MULTIBOOT_INFO_END = 0x10000;
/** The header must lie within the first 8 KiB of the image. */
export const MULTIBOOT_SEARCH = 8192;

/** Multiboot header flags (bits the image sets). */
export const MultibootHeaderFlag = {
  PAGE_ALIGN: 1 << 0,
  MEMORY_INFO: 1 << 1,
  VIDEO_MODE: 1 << 2,
  AOUT_KLUDGE: 1 << 16,
} as const;

/** Multiboot information flags (which fields the loader filled). */
export const MultibootInfoFlag = {
  MEMORY: 1 << 0,
  BOOTDEV: 1 << 1,
  CMDLINE: 1 << 2,
  MODS: 1 << 3,
  MEM_MAP: 1 << 6,
  BOOT_LOADER_NAME: 1 << 9,
} as const;

/** Offsets in the multiboot information structure. */
export const MultibootInfo = {
  FLAGS: 0,
  MEM_LOWER: 4,
  MEM_UPPER: 8,
  BOOT_DEVICE: 12,
  CMDLINE: 16,
  MODS_COUNT: 20,
  MODS_ADDR: 24,
  MMAP_LENGTH: 44,
  MMAP_ADDR: 48,
  BOOT_LOADER_NAME: 64,
  /** Size of the structure without the VBE/framebuffer fields. */
  SIZE: 88,
} as const;

/** The name written to boot_loader_name. */
export const MULTIBOOT_LOADER_NAME = "virtkit";

/** A rejected image: the message names the problem. */
export class MultibootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultibootError";
  }
}

/** A module to load with the kernel. */
export interface MultibootModule {
  /** Contents. */
  data: Uint8Array;
  /** Its string (command line), default "". */
  cmdline?: string;
}

/** Options of {@link loadMultiboot}. */
export interface MultibootOptions {
  /** Kernel command line (default ""). */
  cmdline?: string;
  /** Modules, loaded in order, each page aligned after the kernel. */
  modules?: readonly MultibootModule[];
  /** The memory map; default: {@link buildE820} of {@link pcMemoryMap}, or plain RAM 0..ramSize if the RAM is smaller than 2 MiB. */
  e820?: readonly E820Entry[];
}

/** Result of loading. */
export interface MultibootImage {
  /** Entry point. */
  entry: number;
  /** Lowest physical address loaded. */
  loadStart: number;
  /** Highest physical address loaded + 1 (including bss). */
  loadEnd: number;
  /** Where the information structure is. */
  infoAddr: number;
  /** Placement of each module. */
  modules: { start: number; end: number }[];
  /** The state at entry. */
  state: BootCpuState;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** Find the multiboot header in the first 8 KiB. Returns its offset or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(MULTIBOOT_SEARCH, image.length) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const sum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + sum) >>> 0) === 0) return off;
  }
  return -1;
}

function defaultMap(ramSize: number): E820Entry[] {
  if (ramSize >= 2 * HIGH_RAM_BASE && ramSize % 4096 === 0) return buildE820(pcMemoryMap(ramSize));
  return [{ addr: 0, size: ramSize, type: E820Type.RAM }];
}

/**
 * Load a multiboot v1 image (ELF32 or a.out kludge) and its modules into memory; returns
 * the entry point, placement and the entry state (apply it with `applyBootState`).
 * The third argument may be the command line, as in the runner's loader.
 */
export function loadMultiboot(image: Uint8Array, mem: LoaderMemory, options: MultibootOptions | string = {}): MultibootImage {
  const opts: MultibootOptions = typeof options === "string" ? { cmdline: options } : options;
  const hdr = findMultibootHeader(image);
  if (hdr < 0) throw new MultibootError("not a multiboot image: no valid header (magic 0x1BADB002 with checksum) in the first 8 KiB");
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const flags = dv.getUint32(hdr + 4, true);
  if ((flags & 0xffff) & ~0x7) {
    throw new MultibootError(`multiboot header requests unsupported features (flags 0x${flags.toString(16)})`);
  }
  let entry: number;
  let loadStart = 0xffffffff;
  let loadEnd = 0;
  const ram = mem.ramSize;
  const place = (dst: number, src: Uint8Array, zeroTo: number): void => {
    if (dst + Math.max(src.length, zeroTo - dst) > ram) {
      throw new MultibootError(`segment at 0x${dst.toString(16)} (${src.length} bytes) lies outside the ${ram >> 20} MiB of guest RAM`);
    }
    mem.writeBytes(dst, src);
    if (zeroTo > dst + src.length) mem.writeBytes(dst + src.length, new Uint8Array(zeroTo - dst - src.length));
    loadStart = Math.min(loadStart, dst);
    loadEnd = Math.max(loadEnd, zeroTo, dst + src.length);
  };
  if ((flags & MultibootHeaderFlag.AOUT_KLUDGE) !== 0) {
    if (hdr + 32 > image.length) throw new MultibootError("a.out kludge: the header's address fields lie beyond the end of the file");
    const headerAddr = dv.getUint32(hdr + 12, true);
    const loadAddr = dv.getUint32(hdr + 16, true);
    let loadEndAddr = dv.getUint32(hdr + 20, true);
    const bssEnd = dv.getUint32(hdr + 24, true);
    entry = dv.getUint32(hdr + 28, true);
    const fileOff = hdr - (headerAddr - loadAddr);
    if (fileOff < 0) throw new MultibootError("a.out kludge: header_addr below load_addr");
    if (loadEndAddr === 0) loadEndAddr = loadAddr + (image.length - fileOff);
    place(loadAddr, image.subarray(fileOff, fileOff + (loadEndAddr - loadAddr)), bssEnd || loadEndAddr);
  } else {
    if (image.length < 52 || dv.getUint32(0, false) !== 0x7f454c46) throw new MultibootError("not an ELF file and no a.out kludge in the multiboot header");
    if (image[4] !== 1 || image[5] !== 1 || dv.getUint16(18, true) !== 3) throw new MultibootError("ELF image is not 32-bit little-endian i386");
    entry = dv.getUint32(24, true);
    const phoff = dv.getUint32(28, true);
    const phentsize = dv.getUint16(42, true);
    const phnum = dv.getUint16(44, true);
    if (phoff + phnum * phentsize > image.length) throw new MultibootError("ELF program headers lie beyond the end of the file");
    for (let k = 0; k < phnum; k++) {
      const p = phoff + k * phentsize;
      if (dv.getUint32(p, true) !== 1) continue; // PT_LOAD
      const off = dv.getUint32(p + 4, true);
      const paddr = dv.getUint32(p + 12, true);
      const filesz = dv.getUint32(p + 16, true);
      const memsz = dv.getUint32(p + 20, true);
      if (off + filesz > image.length) throw new MultibootError(`ELF segment ${k} extends beyond the end of the file`);
      place(paddr, image.subarray(off, off + filesz), paddr + memsz);
    }
    if (loadEnd === 0) throw new MultibootError("ELF image has no loadable segment");
  }
  if (loadStart < MULTIBOOT_INFO_END && loadEnd > MULTIBOOT_INFO_ADDR) {
    throw new MultibootError(`image loads at ${hex(loadStart)}..${hex(loadEnd)}, over the multiboot information area ${hex(MULTIBOOT_INFO_ADDR)}..${hex(MULTIBOOT_INFO_END)}`);
  }

  // Modules: page aligned (whether or not the image asks), one after the other above the kernel.
  const modules: MultibootImage["modules"] = [];
  let next = Math.ceil(Math.max(loadEnd, HIGH_RAM_BASE) / 4096) * 4096;
  for (const [i, m] of (opts.modules ?? []).entries()) {
    if (next + m.data.length > ram) throw new MultibootError(`module ${i} (${m.data.length} bytes) does not fit: it would end at ${hex(next + m.data.length)}, RAM ends at ${hex(ram)}`);
    mem.writeBytes(next, m.data);
    modules.push({ start: next, end: next + m.data.length });
    next = Math.ceil((next + m.data.length) / 4096) * 4096;
  }

  // The information structure and what it points at, packed after it.
  const enc = new TextEncoder();
  const area = new Uint8Array(MULTIBOOT_INFO_END - MULTIBOOT_INFO_ADDR);
  const adv = new DataView(area.buffer);
  let cursor = 0x100; // info is 88 bytes; strings and tables follow
  const alloc = (size: number, align = 4): number => {
    cursor = Math.ceil(cursor / align) * align;
    const at = cursor;
    cursor += size;
    if (cursor > area.length) throw new MultibootError(`multiboot information (command lines, module list, memory map) exceeds ${area.length} bytes`);
    return at;
  };
  const putString = (s: string): number => {
    const b = enc.encode(s + "\0");
    const at = alloc(b.length, 1);
    area.set(b, at);
    return MULTIBOOT_INFO_ADDR + at;
  };
  const e820 = opts.e820 !== undefined ? [...opts.e820] : defaultMap(ram);
  const M = MultibootInfo;
  let infoFlags = MultibootInfoFlag.MEMORY | MultibootInfoFlag.CMDLINE;
  // mem_lower: KiB of RAM from 0 (at most 640); mem_upper: KiB of RAM from 1 MiB to the first hole.
  const low = e820.find((e) => e.type === E820Type.RAM && e.addr === 0);
  const high = e820.find((e) => e.type === E820Type.RAM && e.addr <= HIGH_RAM_BASE && e.addr + e.size > HIGH_RAM_BASE);
  adv.setUint32(M.MEM_LOWER, Math.min(640, low === undefined ? 0 : Math.floor(low.size / 1024)), true);
  adv.setUint32(M.MEM_UPPER, high === undefined ? 0 : Math.floor((high.addr + high.size - HIGH_RAM_BASE) / 1024), true);
  // The command line first, at info + 0x100, where the runner put it.
  adv.setUint32(M.CMDLINE, putString(opts.cmdline ?? ""), true);
  if (modules.length > 0) {
    const list = alloc(16 * modules.length);
    modules.forEach((m, i) => {
      adv.setUint32(list + 16 * i, m.start, true);
      adv.setUint32(list + 16 * i + 4, m.end, true);
      adv.setUint32(list + 16 * i + 8, putString(opts.modules?.[i].cmdline ?? ""), true);
    });
    adv.setUint32(M.MODS_COUNT, modules.length, true);
    adv.setUint32(M.MODS_ADDR, MULTIBOOT_INFO_ADDR + list, true);
    infoFlags |= MultibootInfoFlag.MODS;
  }
  if (e820.length > 0) {
    // Each entry: u32 size (of the rest: 20), u64 base, u64 length, u32 type.
    const mmap = alloc(24 * e820.length);
    e820.forEach((e, i) => {
      const o = mmap + 24 * i;
      adv.setUint32(o, 20, true);
      adv.setBigUint64(o + 4, BigInt(e.addr), true);
      adv.setBigUint64(o + 12, BigInt(e.size), true);
      adv.setUint32(o + 20, e.type, true);
    });
    adv.setUint32(M.MMAP_LENGTH, 24 * e820.length, true);
    adv.setUint32(M.MMAP_ADDR, MULTIBOOT_INFO_ADDR + mmap, true);
    infoFlags |= MultibootInfoFlag.MEM_MAP;
  }
  adv.setUint32(M.BOOT_LOADER_NAME, putString(MULTIBOOT_LOADER_NAME), true);
  infoFlags |= MultibootInfoFlag.BOOT_LOADER_NAME;
  adv.setUint32(M.FLAGS, infoFlags, true);
  mem.writeBytes(MULTIBOOT_INFO_ADDR, area.subarray(0, cursor));

  // Machine state (multiboot spec 3.2): 32-bit flat protected mode, paging off, IF = 0.
  // GDTR is left alone: the specification says the OS must not rely on it.
  const state = flatProtectedModeState(entry, { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: MULTIBOOT_INFO_ADDR }, null);
  return { entry, loadStart, loadEnd, infoAddr: MULTIBOOT_INFO_ADDR, modules, state };
}
