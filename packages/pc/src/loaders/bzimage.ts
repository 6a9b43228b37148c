/**
 * The Linux/x86 boot protocol, 32-bit entry (Documentation/x86/boot.rst): parse and check
 * a bzImage's setup header, copy the protected-mode kernel into RAM, build the zero page
 * (struct boot_params) with the command line, initrd and e820 map, and return the CPU state
 * the protocol requires at code32_start.
 *
 * Guest-physical layout used here (all below 640 KiB, all e820 RAM):
 *   0x6000  boot GDT (__BOOT_CS 0x10, __BOOT_DS 0x18), boot stack below 0x7000
 *   0x7000  zero page (4 KiB)
 *   0x8000  command line (up to 8 KiB)
 *   0x100000 protected-mode kernel (or where the caller says); initrd at the top of RAM.
 */
import { BOOT_GDT_SIZE, bootGdt, flatProtectedModeState, type BootCpuState } from "../boot-state.js";
import { buildE820, E820_ENTRY_SIZE, E820Type, encodeE820, HIGH_RAM_BASE, pcMemoryMap, type E820Entry } from "../memory-map.js";

/** Where the boot GDT goes. */
export const BZ_GDT_ADDR = 0x6000;
/** Initial ESP (the kernel does not need a stack at entry; this one is valid anyway). */
export const BZ_STACK_TOP = 0x7000;
/** Where the zero page goes. */
export const ZERO_PAGE_ADDR = 0x7000;
/** Where the command line goes. */
export const CMDLINE_ADDR = 0x8000;
/** Room for the command line (including its NUL). */
export const CMDLINE_MAX = 0x2000;
/** The protocol's default load address of the protected-mode kernel. */
export const DEFAULT_KERNEL_ADDR = 0x100000;

/** "HdrS", the setup header magic. */
export const HDRS_MAGIC = 0x53726448;
/** The boot sector signature at 0x1FE. */
export const BOOT_FLAG = 0xaa55;
/** Oldest protocol accepted: 2.06 (cmdline_size; 32-bit entry with a zero page). */
export const MIN_PROTOCOL = 0x0206;

/** Fields of the setup header / zero page, by offset (boot.rst, zero-page.rst). */
export const BootParams = {
  /** struct screen_info (64 bytes). */
  SCREEN_INFO: 0x000,
  /** u64 physical address of the RSDP (protocol 2.14+). */
  ACPI_RSDP_ADDR: 0x070,
  /** u32 KiB of memory above 1 MiB (legacy fallback when e820 is absent). */
  ALT_MEM_K: 0x1e0,
  /** u8 number of e820 entries at E820_TABLE. */
  E820_ENTRIES: 0x1e8,
  /** u8 must stay 0: non-zero tells the kernel the loader copied garbage here. */
  SENTINEL: 0x1ef,
  /** Start of struct setup_header. */
  SETUP_SECTS: 0x1f1,
  SYSSIZE: 0x1f4,
  VID_MODE: 0x1fa,
  BOOT_FLAG: 0x1fe,
  JUMP: 0x200,
  HEADER: 0x202,
  VERSION: 0x206,
  KERNEL_VERSION: 0x20e,
  TYPE_OF_LOADER: 0x210,
  LOADFLAGS: 0x211,
  CODE32_START: 0x214,
  RAMDISK_IMAGE: 0x218,
  RAMDISK_SIZE: 0x21c,
  HEAP_END_PTR: 0x224,
  CMD_LINE_PTR: 0x228,
  INITRD_ADDR_MAX: 0x22c,
  KERNEL_ALIGNMENT: 0x230,
  RELOCATABLE_KERNEL: 0x234,
  MIN_ALIGNMENT: 0x235,
  XLOADFLAGS: 0x236,
  CMDLINE_SIZE: 0x238,
  HARDWARE_SUBARCH: 0x23c,
  SETUP_DATA: 0x250,
  PREF_ADDRESS: 0x258,
  INIT_SIZE: 0x260,
  /** Start of the e820 table (128 entries of 20 bytes). */
  E820_TABLE: 0x2d0,
} as const;

/** Bits of loadflags. */
export const LoadFlags = {
  LOADED_HIGH: 0x01,
  KASLR_FLAG: 0x02,
  QUIET_FLAG: 0x20,
  KEEP_SEGMENTS: 0x40,
  CAN_USE_HEAP: 0x80,
} as const;

/** Entries the zero page's e820 table holds. */
export const E820_MAX_ENTRIES_ZEROPAGE = 128;
/** type_of_loader for a loader without an assigned ID. */
export const LOADER_TYPE_UNDEFINED = 0xff;
/** vid_mode "normal" (80x25; only the real-mode setup code reads it). */
export const VID_MODE_NORMAL = 0xffff;

/** A bzImage the loader refuses; the message names the field and its value. */
export class BzImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BzImageError";
  }
}

/** The setup header fields the loader uses, decoded. */
export interface SetupHeader {
  /** Sectors of real-mode setup code after the boot sector (0 read as 4). */
  setupSects: number;
  /** Bytes of the real-mode part: (setupSects + 1) * 512. */
  setupSize: number;
  /** Protected-mode code size in 16-byte paragraphs. */
  syssize: number;
  /** Boot protocol version, e.g. 0x020f. */
  version: number;
  /** Boot protocol version as "2.15". */
  versionString: string;
  /** loadflags (see {@link LoadFlags}). */
  loadflags: number;
  /** Default 32-bit entry / load address. */
  code32Start: number;
  /** Highest address the initrd may occupy. */
  initrdAddrMax: number;
  /** Alignment a relocatable kernel wants. */
  kernelAlignment: number;
  /** Whether the kernel may be loaded at any aligned address. */
  relocatable: boolean;
  /** Command line length limit without the NUL. */
  cmdlineSize: number;
  /** xloadflags (2.12+), else 0. */
  xloadflags: number;
  /** Preferred load address (2.10+), else code32Start. */
  prefAddress: number;
  /** Bytes of memory the kernel needs from its runtime address during decompression (2.10+), else 0. */
  initSize: number;
  /** The kernel version string (`uname -r`, builder, date), if present. */
  kernelVersion: string;
  /** Offset just past the setup header (0x202 + the jump's displacement byte). */
  headerEnd: number;
  /** Bytes of protected-mode kernel in the file. */
  payloadSize: number;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** Parse and validate a bzImage's setup header. Throws {@link BzImageError} naming the bad field. */
export function parseBzImage(image: Uint8Array): SetupHeader {
  if (image.length < 0x400) throw new BzImageError(`bzImage too small: ${image.length} bytes (needs at least the boot sector and one setup sector)`);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const u8 = (o: number): number => image[o];
  const u16 = (o: number): number => dv.getUint16(o, true);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const P = BootParams;
  const bootFlag = u16(P.BOOT_FLAG);
  if (bootFlag !== BOOT_FLAG) throw new BzImageError(`boot_flag is ${hex(bootFlag)}, expected 0xaa55: not a Linux kernel image`);
  const magic = u32(P.HEADER);
  if (magic !== HDRS_MAGIC) throw new BzImageError(`header magic is ${hex(magic)}, expected "HdrS" (0x53726448): not a bzImage, or boot protocol older than 2.00`);
  const version = u16(P.VERSION);
  const versionString = `${version >> 8}.${(version & 0xff).toString().padStart(2, "0")}`;
  if (version < MIN_PROTOCOL) throw new BzImageError(`boot protocol version ${versionString} (${hex(version)}) is older than 2.06, the oldest this loader supports`);
  const loadflags = u8(P.LOADFLAGS);
  if ((loadflags & LoadFlags.LOADED_HIGH) === 0) throw new BzImageError(`loadflags ${hex(loadflags)} lacks LOADED_HIGH: a zImage that loads at 0x10000 is not supported`);
  const rawSects = u8(P.SETUP_SECTS);
  const setupSects = rawSects === 0 ? 4 : rawSects;
  const setupSize = (setupSects + 1) * 512;
  if (setupSize >= image.length) throw new BzImageError(`setup_sects ${rawSects} puts the protected-mode kernel at ${setupSize}, beyond the ${image.length}-byte file`);
  const payloadSize = image.length - setupSize;
  const syssize = u32(P.SYSSIZE);
  if (syssize === 0) throw new BzImageError("syssize is 0: no protected-mode kernel");
  // syssize is rounded up to 16 bytes; a file shorter than that is truncated. Longer is fine (padding).
  if (syssize * 16 - 15 > payloadSize) {
    throw new BzImageError(`syssize ${hex(syssize)} says ${syssize * 16} bytes of protected-mode kernel, the file holds ${payloadSize}: truncated image`);
  }
  const kernelAlignment = u32(P.KERNEL_ALIGNMENT);
  const relocatable = u8(P.RELOCATABLE_KERNEL) !== 0;
  if (relocatable && (kernelAlignment === 0 || (kernelAlignment & (kernelAlignment - 1)) !== 0)) {
    throw new BzImageError(`kernel_alignment ${hex(kernelAlignment)} of a relocatable kernel is not a power of two`);
  }
  const cmdlineSize = u32(P.CMDLINE_SIZE);
  if (cmdlineSize === 0) throw new BzImageError("cmdline_size is 0");
  const initrdAddrMax = u32(P.INITRD_ADDR_MAX);
  if (initrdAddrMax < HIGH_RAM_BASE) throw new BzImageError(`initrd_addr_max ${hex(initrdAddrMax)} is below 1 MiB`);
  const code32Start = u32(P.CODE32_START);
  const has210 = version >= 0x020a;
  const prefAddress = has210 ? Number(dv.getBigUint64(P.PREF_ADDRESS, true)) : code32Start;
  const initSize = has210 ? u32(P.INIT_SIZE) : 0;
  if (has210 && initSize < syssize * 16 - 15) {
    throw new BzImageError(`init_size ${hex(initSize)} is smaller than the protected-mode kernel (${payloadSize} bytes)`);
  }
  const headerEnd = 0x202 + u8(P.JUMP + 1);
  if (headerEnd <= P.CMDLINE_SIZE + 4 || headerEnd > 0x290) {
    throw new BzImageError(`setup header end ${hex(headerEnd)} (from the jump at 0x200) is outside 0x23c..0x290`);
  }
  let kernelVersion = "";
  const kvOff = u16(P.KERNEL_VERSION);
  if (kvOff !== 0 && kvOff + 0x200 < setupSize) {
    const start = kvOff + 0x200;
    let end = start;
    while (end < setupSize && image[end] !== 0) end++;
    kernelVersion = new TextDecoder("latin1").decode(image.subarray(start, end));
  }
  return {
    setupSects, setupSize, syssize, version, versionString, loadflags, code32Start, initrdAddrMax, kernelAlignment, relocatable,
    cmdlineSize, xloadflags: version >= 0x020c ? u16(P.XLOADFLAGS) : 0, prefAddress, initSize, kernelVersion, headerEnd, payloadSize,
  };
}

/** Memory as the loaders need it (a @virtkit/mmu PhysicalMemory fits). */
export interface LoaderMemory {
  /** Bytes of guest RAM. */
  readonly ramSize: number;
  /** Copy bytes into guest-physical memory. */
  writeBytes(gpa: number, src: Uint8Array): void;
}

/** Options of {@link loadBzImage}. */
export interface BzImageOptions {
  /** Kernel command line (default ""). */
  cmdline?: string;
  /** The initrd/initramfs image, if any. */
  initrd?: Uint8Array;
  /** The e820 map; default: {@link buildE820} of {@link pcMemoryMap} for the RAM size. */
  e820?: readonly E820Entry[];
  /** Where to put the protected-mode kernel (default 0x100000; a non-relocatable kernel only at its code32_start). */
  kernelAddress?: number;
  /** RSDP address for boot_params.acpi_rsdp_addr (protocol 2.14+; the kernel also scans 0xE0000–0xFFFFF). */
  rsdpAddr?: number;
}

/** Where {@link loadBzImage} put things, and the entry state. */
export interface BzImageLoad {
  /** The parsed header. */
  header: SetupHeader;
  /** CPU state at entry: ESI = zero page, flat __BOOT_CS/__BOOT_DS, IF = 0, EIP = code32_start. */
  state: BootCpuState;
  /** Zero page address. */
  zeroPage: number;
  /** The protected-mode kernel's placement. */
  kernel: { addr: number; size: number };
  /** Where the kernel decompresses itself ([addr, addr + init_size)). */
  runtime: { addr: number; size: number };
  /** The initrd's placement, or null. */
  initrd: { addr: number; size: number } | null;
  /** The command line's address and length (without NUL). */
  cmdline: { addr: number; size: number };
  /** GDT address. */
  gdt: number;
  /** The e820 map given to the kernel. */
  e820: E820Entry[];
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** The end of the RAM range in `e820` that contains 1 MiB (the usable top below 4 GiB). */
export function ramTopFromE820(e820: readonly E820Entry[]): number {
  const r = e820.find((e) => e.type === E820Type.RAM && e.addr <= HIGH_RAM_BASE && e.addr + e.size > HIGH_RAM_BASE);
  if (r === undefined) throw new BzImageError("the e820 map has no RAM range containing 1 MiB");
  return Math.min(r.addr + r.size, 0x100000000);
}

/**
 * Load a bzImage: kernel, command line, initrd, zero page and boot GDT into `mem`, and
 * return the entry state (apply it with `applyBootState`). Throws {@link BzImageError}
 * when the image is bad or does not fit the RAM.
 */
export function loadBzImage(mem: LoaderMemory, image: Uint8Array, opts: BzImageOptions = {}): BzImageLoad {
  const h = parseBzImage(image);
  const P = BootParams;
  const e820 = opts.e820 !== undefined ? [...opts.e820] : buildE820(pcMemoryMap(mem.ramSize));
  if (e820.length > E820_MAX_ENTRIES_ZEROPAGE) throw new BzImageError(`${e820.length} e820 entries; the zero page holds ${E820_MAX_ENTRIES_ZEROPAGE}`);
  const ramTop = Math.min(ramTopFromE820(e820), mem.ramSize);

  // Protected-mode kernel.
  const kernelAddr = opts.kernelAddress ?? DEFAULT_KERNEL_ADDR;
  if (!h.relocatable && kernelAddr !== h.code32Start) {
    throw new BzImageError(`kernel is not relocatable (relocatable_kernel = 0): it must load at code32_start ${hex(h.code32Start)}, not ${hex(kernelAddr)}`);
  }
  if (kernelAddr < HIGH_RAM_BASE || kernelAddr % 4096 !== 0) throw new BzImageError(`kernel address ${hex(kernelAddr)} must be page aligned and at least 1 MiB`);
  const kernelEnd = kernelAddr + h.payloadSize;
  // Where the decompressor runs: a relocatable kernel uses its load address rounded up to
  // kernel_alignment, but never below LOAD_PHYSICAL_ADDR (= pref_address); others use pref_address.
  const runAddr = h.relocatable ? Math.max(alignUp(kernelAddr, h.kernelAlignment), h.prefAddress) : h.prefAddress;
  const runSize = Math.max(h.initSize, h.payloadSize);
  const needTop = Math.max(kernelEnd, runAddr + runSize);
  if (needTop > ramTop) {
    throw new BzImageError(`kernel needs RAM up to ${hex(needTop)} (loaded at ${hex(kernelAddr)}, init_size ${hex(h.initSize)} from ${hex(runAddr)}) but RAM ends at ${hex(ramTop)}`);
  }
  mem.writeBytes(kernelAddr, image.subarray(h.setupSize));

  // Command line.
  const cmdline = opts.cmdline ?? "";
  const cmdBytes = new TextEncoder().encode(cmdline);
  if (cmdBytes.length > h.cmdlineSize) throw new BzImageError(`command line is ${cmdBytes.length} bytes; the kernel's cmdline_size is ${h.cmdlineSize}`);
  if (cmdBytes.length + 1 > CMDLINE_MAX) throw new BzImageError(`command line is ${cmdBytes.length} bytes; this loader has room for ${CMDLINE_MAX - 1}`);
  const cmdWithNul = new Uint8Array(cmdBytes.length + 1);
  cmdWithNul.set(cmdBytes);
  mem.writeBytes(CMDLINE_ADDR, cmdWithNul);

  // Initrd: as high as allowed, page aligned, clear of the kernel and its decompression area.
  let initrd: BzImageLoad["initrd"] = null;
  if (opts.initrd !== undefined && opts.initrd.length > 0) {
    const size = opts.initrd.length;
    const limit = Math.min(h.initrdAddrMax + 1, ramTop);
    const addr = Math.floor((limit - size) / 4096) * 4096;
    if (addr < needTop) {
      throw new BzImageError(`initrd of ${size} bytes does not fit between the kernel's end ${hex(needTop)} and ${hex(limit)} (min(initrd_addr_max + 1, RAM top))`);
    }
    mem.writeBytes(addr, opts.initrd);
    initrd = { addr, size };
  }

  // Zero page.
  const zp = new Uint8Array(4096);
  const zdv = new DataView(zp.buffer);
  zp.set(image.subarray(P.SETUP_SECTS, h.headerEnd), P.SETUP_SECTS);
  zdv.setUint16(P.VID_MODE, VID_MODE_NORMAL, true);
  zp[P.TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
  // Clear QUIET (we want the log) and KEEP_SEGMENTS (the kernel reloads from our GDT).
  zp[P.LOADFLAGS] = h.loadflags & ~(LoadFlags.QUIET_FLAG | LoadFlags.KEEP_SEGMENTS);
  zdv.setUint32(P.CODE32_START, kernelAddr, true);
  zdv.setUint32(P.RAMDISK_IMAGE, initrd?.addr ?? 0, true);
  zdv.setUint32(P.RAMDISK_SIZE, initrd?.size ?? 0, true);
  zdv.setUint32(P.CMD_LINE_PTR, CMDLINE_ADDR, true);
  zdv.setUint32(P.HARDWARE_SUBARCH, 0, true); // default x86 PC
  if (h.version >= 0x0209) zdv.setBigUint64(P.SETUP_DATA, 0n, true);
  if (opts.rsdpAddr !== undefined && h.version >= 0x020e) zdv.setBigUint64(P.ACPI_RSDP_ADDR, BigInt(opts.rsdpAddr), true);
  // screen_info stays zero: with orig_video_lines/cols = 0 vgacon stands aside and the
  // console is what console= names (ttyS0 on this board).
  zdv.setUint32(P.ALT_MEM_K, Math.max(0, (ramTop - HIGH_RAM_BASE) >> 10), true);
  zp[P.E820_ENTRIES] = e820.length;
  zp.set(encodeE820(e820), P.E820_TABLE);
  if (P.E820_TABLE + e820.length * E820_ENTRY_SIZE > 0xd00) throw new BzImageError("e820 table overflows the zero page");
  mem.writeBytes(ZERO_PAGE_ADDR, zp);

  // GDT with __BOOT_CS/__BOOT_DS; the kernel reloads segment registers from it.
  mem.writeBytes(BZ_GDT_ADDR, bootGdt());
  const state = flatProtectedModeState(kernelAddr, { esi: ZERO_PAGE_ADDR, esp: BZ_STACK_TOP }, { base: BZ_GDT_ADDR, limit: BOOT_GDT_SIZE - 1 });
  return {
    header: h,
    state,
    zeroPage: ZERO_PAGE_ADDR,
    kernel: { addr: kernelAddr, size: h.payloadSize },
    runtime: { addr: runAddr, size: runSize },
    initrd,
    cmdline: { addr: CMDLINE_ADDR, size: cmdBytes.length },
    gdt: BZ_GDT_ADDR,
    e820,
  };
}
