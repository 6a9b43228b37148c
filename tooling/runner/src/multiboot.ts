/**
 * A minimal multiboot (v1) loader: validates the header, copies the ELF PT_LOAD segments (or
 * the a.out-kludge ranges) into guest memory, writes the multiboot information structure and
 * puts the CPU in the state the specification requires.
 */
import { Cpu, Seg, Flag } from "@virtkit/cpu";
import type { PhysicalMemory } from "@virtkit/mmu";

/** Magic in the OS image header. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** Magic the loader leaves in EAX. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Where the loader writes the multiboot information structure. */
const INFO_ADDR = 0x9000;

/** A rejected image: the message names the problem. */
export class MultibootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultibootError";
  }
}

/** Result of loading: the entry point. */
export interface MultibootImage {
  entry: number;
  /** Lowest and highest+1 physical addresses loaded. */
  loadStart: number;
  loadEnd: number;
}

/** Find the multiboot header in the first 8 KiB. Returns its offset or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(8192, image.length) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const sum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + sum) >>> 0) === 0) return off;
  }
  return -1;
}

/** Load a multiboot v1 image (ELF32 or a.out kludge) into memory and set up the CPU. */
export function loadMultiboot(image: Uint8Array, mem: PhysicalMemory, cpu: Cpu, cmdline = ""): MultibootImage {
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
  if ((flags & 0x10000) !== 0) {
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
  // Multiboot information: mem_lower/mem_upper and the command line.
  const info = new DataView(new ArrayBuffer(88));
  const lowerKb = 640;
  const upperKb = Math.max(0, (ram - 0x100000) >> 10);
  info.setUint32(0, 0x1 | 0x4, true);
  info.setUint32(4, lowerKb, true);
  info.setUint32(8, upperKb, true);
  const cmd = new TextEncoder().encode(cmdline + "\0");
  const cmdAddr = INFO_ADDR + 0x100;
  info.setUint32(16, cmdAddr, true);
  mem.writeBytes(INFO_ADDR, new Uint8Array(info.buffer));
  mem.writeBytes(cmdAddr, cmd);
  // Machine state (multiboot spec 3.2): 32-bit flat protected mode, paging off, IF = 0.
  cpu.reset();
  cpu.setCr0(0x11);
  cpu.setSegment(Seg.CS, 0x10, 0, -1, 0xc09b);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) cpu.setSegment(s, 0x18, 0, -1, 0xc093);
  cpu.setEflags(Flag.FIXED);
  cpu.regs[0] = MULTIBOOT_BOOTLOADER_MAGIC;
  cpu.regs[3] = INFO_ADDR;
  cpu.eip = entry;
  return { entry, loadStart, loadEnd };
}
