/**
 * Guest physical memory: one ArrayBuffer of host pages plus per-guest-page tables
 * that say what each 4 KiB guest-physical page is (RAM, ROM, MMIO, overlay, nothing).
 *
 * Fast paths (the CPU's TLB hits) never come here; they index `u8`/`u16`/`i32`
 * directly with a host offset. The accessors below are the slow path: they handle
 * every page kind, write-watch, the dirty log, and accesses that straddle pages.
 */

/** log2 of the page size. */
export const PAGE_SHIFT = 12;
/** Size of a page in bytes. */
export const PAGE_SIZE = 4096;
/** Mask of the offset-within-page bits of an address. */
export const PAGE_MASK = 0xfff;
/** Number of guest-physical pages covering the 4 GiB physical address space. */
export const GUEST_PAGES = 1 << 20;

/** Page kinds stored in {@link PhysicalMemory.pageKind} (plain numbers, not a TS enum). */
export const PageKind = {
  /** Nothing there: reads go to {@link PhysicalMemory.unassigned}, writes are dropped. */
  Unmapped: 0,
  /** Guest RAM backed by host bytes. */
  Ram: 1,
  /** Read-only memory backed by a reserve host page; guest writes are ignored. */
  Rom: 2,
  /** Memory-mapped I/O routed to an {@link MmioHandler}. */
  Mmio: 3,
  /** Monitor-supplied page shown on top of whatever is mapped there. */
  Overlay: 4,
} as const;
/** One of the {@link PageKind} values. */
export type PageKindValue = (typeof PageKind)[keyof typeof PageKind];

/** Reasons a page's writes take the slow path (bit flags in {@link PhysicalMemory.writeSlow}). */
export const WriteSlow = {
  /** The page is not plain RAM (unmapped, ROM, MMIO or overlay). */
  NotRam: 1,
  /** The page is write-watched (decoded code may be cached from it). */
  Watched: 2,
  /** Dirty logging is on and the page is still clean. */
  DirtyLog: 4,
  /** The page is an overlay whose guest writes are ignored. */
  ReadOnlyOverlay: 8,
} as const;

/** A device's view of its MMIO range. `gpa` is the absolute guest-physical address. */
export interface MmioHandler {
  /** Read `size` bytes at `gpa`; the result is masked to `size` by the caller. */
  read(gpa: number, size: 1 | 2 | 4): number;
  /** Write `size` bytes at `gpa`; `value` is zero-extended (unsigned) to `size`. */
  write(gpa: number, size: 1 | 2 | 4, value: number): void;
}

/**
 * Something that caches guest-page → host-page translations with write permission
 * (an AddressSpace). {@link PhysicalMemory} calls it whenever a page gains a
 * {@link WriteSlow} bit, and (if implemented) when a host page stops backing a guest page.
 */
export interface WriteProtectListener {
  /** Drop write permission from every cached translation to `hostPage`. */
  revokeWrite(hostPage: number): void;
  /**
   * Optional: drop every cached translation (read, write and fetch) to `hostPage`,
   * called when a guest page backed by it is remapped, unmapped or overlaid.
   */
  invalidateHostPage?(hostPage: number): void;
}

/** Callback for write-watch: runs before a slow-path store to a watched page. */
export type WriteWatchListener = (guestPage: number, hostPage: number) => void;

/**
 * The consumer view of guest memory for devices doing DMA (vm-memory style).
 * Addresses are guest-physical numbers in [0, 2^32); accesses wrap at 4 GiB.
 */
export interface GuestMemory {
  /** Read an unsigned byte. */
  read8(gpa: number): number;
  /** Read an unsigned little-endian 16-bit value. */
  read16(gpa: number): number;
  /** Read a little-endian 32-bit value as a signed int32. */
  read32(gpa: number): number;
  /** Write the low 8 bits of `v`. */
  write8(gpa: number, v: number): void;
  /** Write the low 16 bits of `v`, little-endian. */
  write16(gpa: number, v: number): void;
  /** Write the low 32 bits of `v`, little-endian. */
  write32(gpa: number, v: number): void;
  /** Fill `dst` from guest memory starting at `gpa`. */
  readBytes(gpa: number, dst: Uint8Array): void;
  /** Store `src` into guest memory starting at `gpa`. */
  writeBytes(gpa: number, src: Uint8Array): void;
}

/** Options for {@link PhysicalMemory}'s constructor. */
export interface PhysicalMemoryOptions {
  /** Bytes of guest RAM backing store; a multiple of 4096. */
  ramSize: number;
  /** Extra host pages for ROMs and overlays (default 256). */
  reservePages?: number;
}

/** Options for {@link PhysicalMemory.addOverlay}. */
export interface OverlayOptions {
  /** When true guest writes land in the overlay page; otherwise they are ignored. */
  writable?: boolean;
}

interface Mapping {
  kind: number;
  host: number;
  handler: number;
}

interface OverlayRecord {
  host: number;
  writable: boolean;
  /** What lies underneath, restored by removeOverlay. */
  saved: Mapping;
}

/** Largest backing store: host page indices must satisfy (hostPage << 12) < 2^31. */
const MAX_BUFFER_BYTES = 0x80000000;

const NOT_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1;
if (NOT_LITTLE_ENDIAN) throw new Error("@virtkit/mmu requires a little-endian host");

/** Handler for unassigned addresses: reads return all ones, writes are dropped. */
class UnassignedHandler implements MmioHandler {
  read(_gpa: number, size: 1 | 2 | 4): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }
  write(): void {
    /* dropped */
  }
}

/**
 * Guest physical memory of one VM. See the module comment and the package README.
 *
 * Write-watch and dirty logging are per guest page; if one host page is mapped at two
 * guest pages (aliasing through `mapRam`'s hostOffset), each alias is tracked separately.
 */
export class PhysicalMemory implements GuestMemory {
  /** Bytes of RAM backing store (host pages `0 .. ramSize/4096 - 1`). */
  readonly ramSize: number;
  /** Number of host pages in {@link buffer} (RAM plus reserve). */
  readonly hostPages: number;
  /** The backing store: ramSize + reservePages*4096 bytes. */
  readonly buffer: ArrayBuffer;
  /** Byte view of {@link buffer}. */
  readonly u8: Uint8Array;
  /** 16-bit view of {@link buffer} (index = byte offset >> 1). */
  readonly u16: Uint16Array;
  /** 32-bit view of {@link buffer} (index = byte offset >> 2). */
  readonly i32: Int32Array;
  /** DataView of {@link buffer}, for unaligned accesses. */
  readonly view: DataView;
  /**
   * Per guest-physical page number (1<<20 entries, covering 4 GiB): host page index in
   * `buffer` or -1. RAM, ROM and overlay pages have one; MMIO/unmapped have -1.
   */
  readonly pageHost: Int32Array;
  /** Per guest page: a {@link PageKind}. */
  readonly pageKind: Uint8Array;
  /**
   * Per guest page: {@link WriteSlow} bits; 0 means a plain RAM page whose writes may use
   * the fast path. Unmapped/ROM/MMIO pages have NotRam; overlays have NotRam, plus
   * ReadOnlyOverlay when guest writes are ignored.
   */
  readonly writeSlow: Uint8Array;
  /** Per host page: the guest page number mapping it, or -1. */
  readonly hostPageGuest: Int32Array;
  /** Handler used for unmapped pages: reads return all ones, writes are dropped. Replaceable. */
  unassigned: MmioHandler = new UnassignedHandler();

  /** Per guest page: index into `handlers` (0 = unassigned). */
  private readonly pageHandler = new Uint16Array(GUEST_PAGES);
  private readonly handlers: MmioHandler[] = [];
  private readonly handlerNames: string[] = ["unassigned"];
  private readonly ramPages: number;
  private reserveNext: number;
  private readonly reserveFree: number[] = [];
  private readonly overlays = new Map<number, OverlayRecord>();
  private readonly watchListeners: WriteWatchListener[] = [];
  private readonly protectListeners: WriteProtectListener[] = [];
  private dirtyLogOn = false;
  private readonly dirtyBits = new Uint8Array(GUEST_PAGES >> 3);
  private ramTop = 0;

  /** Allocate the backing store and start with every guest page unmapped. */
  constructor(opts: PhysicalMemoryOptions) {
    const ramSize = opts.ramSize;
    const reserve = opts.reservePages ?? 256;
    if (!Number.isInteger(ramSize) || ramSize < 0 || (ramSize & PAGE_MASK) !== 0) {
      throw new RangeError(`ramSize ${ramSize} must be a non-negative multiple of ${PAGE_SIZE}`);
    }
    if (!Number.isInteger(reserve) || reserve < 0) {
      throw new RangeError(`reservePages ${reserve} must be a non-negative integer`);
    }
    const total = ramSize + reserve * PAGE_SIZE;
    if (total > MAX_BUFFER_BYTES) {
      throw new RangeError(`ramSize + reserve (${total} bytes) exceeds 2 GiB`);
    }
    this.ramSize = ramSize;
    this.ramPages = ramSize / PAGE_SIZE;
    this.hostPages = total / PAGE_SIZE;
    this.reserveNext = this.ramPages;
    this.buffer = new ArrayBuffer(total);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.pageHost = new Int32Array(GUEST_PAGES).fill(-1);
    this.pageKind = new Uint8Array(GUEST_PAGES);
    this.writeSlow = new Uint8Array(GUEST_PAGES).fill(WriteSlow.NotRam);
    this.hostPageGuest = new Int32Array(this.hostPages).fill(-1);
    this.handlers.push(this.unassigned);
  }

  // ---------------------------------------------------------------- mapping

  /**
   * Map guest range [gpa, gpa+size) as RAM backed by host bytes starting at
   * `hostOffset` (default: hostOffset = gpa). Page aligned; the host range must lie
   * within ramSize.
   */
  mapRam(gpa: number, size: number, hostOffset: number = gpa): void {
    this.checkRange("mapRam", gpa, size);
    if (!Number.isInteger(hostOffset) || hostOffset < 0 || (hostOffset & PAGE_MASK) !== 0 || hostOffset + size > this.ramSize) {
      throw new RangeError(`mapRam: host range ${hostOffset}+${size} is not page aligned within ramSize ${this.ramSize}`);
    }
    const first = gpa / PAGE_SIZE;
    const host = hostOffset / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) this.replace(first + i, PageKind.Ram, host + i, 0);
  }

  /** Map a ROM at page-aligned `gpa`: content copied into reserve pages (tail zero-filled); guest writes are ignored. */
  mapRom(gpa: number, data: Uint8Array): void {
    const n = Math.ceil(data.length / PAGE_SIZE);
    this.checkRange("mapRom", gpa, n * PAGE_SIZE);
    if (n > this.reserveAvailable()) {
      throw new RangeError(`mapRom: ${n} pages needed, ${this.reserveAvailable()} reserve pages left`);
    }
    const first = gpa / PAGE_SIZE;
    for (let i = 0; i < n; i++) {
      const host = this.allocReserve();
      const base = host * PAGE_SIZE;
      const chunk = data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      this.u8.fill(0, base, base + PAGE_SIZE);
      this.u8.set(chunk, base);
      this.replace(first + i, PageKind.Rom, host, 0);
    }
  }

  /**
   * Route [gpa, gpa+size) (page granular) to `handler`. `name` is used in errors:
   * mapping over pages claimed by a different MMIO handler throws (unmap first).
   */
  mapMmio(gpa: number, size: number, handler: MmioHandler, name: string): void {
    this.checkRange(`mapMmio(${name})`, gpa, size);
    const first = gpa / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    let idx = this.handlers.indexOf(handler, 1);
    for (let i = 0; i < n; i++) {
      const cur = this.underlying(first + i);
      if (cur.kind === PageKind.Mmio && this.handlers[cur.handler] !== handler) {
        throw new RangeError(
          `mapMmio(${name}): page 0x${(first + i).toString(16)} already belongs to ${this.handlerNames[cur.handler] ?? "?"}`,
        );
      }
    }
    if (idx < 0) {
      idx = this.handlers.length;
      if (idx > 0xffff) throw new RangeError(`mapMmio(${name}): too many MMIO handlers`);
      this.handlers.push(handler);
      this.handlerNames.push(name);
    }
    for (let i = 0; i < n; i++) this.replace(first + i, PageKind.Mmio, -1, idx);
  }

  /** Make [gpa, gpa+size) unmapped (page aligned). Overlays on those pages stay until removed. */
  unmap(gpa: number, size: number): void {
    this.checkRange("unmap", gpa, size);
    const first = gpa / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) this.replace(first + i, PageKind.Unmapped, -1, 0);
  }

  /**
   * Overlay page: monitor-supplied content shown at page-aligned `gpa` instead of what
   * was there (as Hyper-V's hypercall page); returns a zero-filled Uint8Array view of the
   * 4 KiB overlay for the monitor to fill. Guest writes are ignored unless `writable`.
   * Mapping calls on an overlaid page change what lies underneath.
   */
  addOverlay(gpa: number, opts?: OverlayOptions): Uint8Array {
    this.checkRange("addOverlay", gpa, PAGE_SIZE);
    const p = gpa / PAGE_SIZE;
    if (this.overlays.has(p)) throw new RangeError(`addOverlay: 0x${gpa.toString(16)} already has an overlay`);
    if (this.reserveAvailable() === 0) throw new RangeError("addOverlay: no reserve pages left");
    const host = this.allocReserve();
    const base = host * PAGE_SIZE;
    this.u8.fill(0, base, base + PAGE_SIZE);
    const writable = opts?.writable === true;
    const saved: Mapping = { kind: this.pageKind[p], host: this.pageHost[p], handler: this.pageHandler[p] };
    this.install(p, PageKind.Overlay, host, 0, writable);
    this.overlays.set(p, { host, writable, saved });
    return this.u8.subarray(base, base + PAGE_SIZE);
  }

  /** Remove the overlay at `gpa` and restore the mapping underneath (RAM content intact). */
  removeOverlay(gpa: number): void {
    const p = gpa >>> PAGE_SHIFT;
    const ov = this.overlays.get(p);
    if (ov === undefined) throw new RangeError(`removeOverlay: no overlay at 0x${(gpa >>> 0).toString(16)}`);
    this.overlays.delete(p);
    this.install(p, ov.saved.kind, ov.saved.host, ov.saved.handler, false);
    this.freeReserve(ov.host);
  }

  /** Name of the region at `gpa` ("ram", "rom", "overlay", "unassigned" or the MMIO name), for diagnostics. */
  regionName(gpa: number): string {
    const p = gpa >>> PAGE_SHIFT;
    switch (this.pageKind[p]) {
      case PageKind.Ram:
        return "ram";
      case PageKind.Rom:
        return "rom";
      case PageKind.Overlay:
        return "overlay";
      case PageKind.Mmio:
        return this.handlerNames[this.pageHandler[p]] ?? "mmio";
      default:
        return "unassigned";
    }
  }

  // ---------------------------------------------------------------- reads

  /** Read an unsigned byte at guest-physical `gpa`. */
  read8(gpa: number): number {
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (h >= 0) return this.u8[(h << PAGE_SHIFT) | (gpa & PAGE_MASK)];
    return this.handlerOf(p).read(gpa >>> 0, 1) & 0xff;
  }

  /** Read an unsigned 16-bit value at `gpa` (split into bytes if it straddles a page). */
  read16(gpa: number): number {
    const off = gpa & PAGE_MASK;
    if (off === PAGE_MASK) return this.read8(gpa) | (this.read8((gpa + 1) >>> 0) << 8);
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (h >= 0) {
      const a = (h << PAGE_SHIFT) | off;
      return (a & 1) === 0 ? this.u16[a >> 1] : this.u8[a] | (this.u8[a + 1] << 8);
    }
    return this.handlerOf(p).read(gpa >>> 0, 2) & 0xffff;
  }

  /** Read a 32-bit value at `gpa` as int32 (split at a page boundary: two 16-bit halves or bytes). */
  read32(gpa: number): number {
    const off = gpa & PAGE_MASK;
    if (off > PAGE_SIZE - 4) return this.read32Split(gpa);
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (h >= 0) {
      const a = (h << PAGE_SHIFT) | off;
      return (a & 3) === 0 ? this.i32[a >> 2] : this.view.getInt32(a, true);
    }
    return this.handlerOf(p).read(gpa >>> 0, 4) | 0;
  }

  /** Read a 64-bit value at `gpa` as two 32-bit reads (low dword first). Slow path only. */
  read64(gpa: number): bigint {
    const lo = this.read32(gpa);
    const hi = this.read32((gpa + 4) >>> 0);
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /** Fill `dst` from guest memory at `gpa` (page by page; MMIO byte by byte). */
  readBytes(gpa: number, dst: Uint8Array): void {
    let a = gpa >>> 0;
    let pos = 0;
    const n = dst.length;
    while (pos < n) {
      const off = a & PAGE_MASK;
      const chunk = Math.min(PAGE_SIZE - off, n - pos);
      const p = a >>> PAGE_SHIFT;
      const h = this.pageHost[p];
      if (h >= 0) {
        const src = (h << PAGE_SHIFT) | off;
        dst.set(this.u8.subarray(src, src + chunk), pos);
      } else {
        const handler = this.handlerOf(p);
        for (let i = 0; i < chunk; i++) dst[pos + i] = handler.read(a + i, 1) & 0xff;
      }
      pos += chunk;
      a = (a + chunk) >>> 0;
    }
  }

  // ---------------------------------------------------------------- writes

  /** Write the low byte of `v` at `gpa`. */
  write8(gpa: number, v: number): void {
    const p = gpa >>> PAGE_SHIFT;
    const off = gpa & PAGE_MASK;
    if (this.writeSlow[p] === 0) {
      this.u8[(this.pageHost[p] << PAGE_SHIFT) | off] = v;
      return;
    }
    const h = this.pageHost[p];
    if (h < 0) this.handlerOf(p).write(gpa >>> 0, 1, v & 0xff);
    else if (this.prepareStore(p, h)) this.u8[(h << PAGE_SHIFT) | off] = v;
  }

  /** Write the low 16 bits of `v` at `gpa` (split into bytes if it straddles a page). */
  write16(gpa: number, v: number): void {
    const off = gpa & PAGE_MASK;
    if (off === PAGE_MASK) {
      this.write8(gpa, v);
      this.write8((gpa + 1) >>> 0, v >> 8);
      return;
    }
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (this.writeSlow[p] !== 0) {
      if (h < 0) {
        this.handlerOf(p).write(gpa >>> 0, 2, v & 0xffff);
        return;
      }
      if (!this.prepareStore(p, h)) return;
    }
    const a = (h << PAGE_SHIFT) | off;
    if ((a & 1) === 0) this.u16[a >> 1] = v;
    else {
      this.u8[a] = v;
      this.u8[a + 1] = v >> 8;
    }
  }

  /** Write `v` as 32 bits at `gpa` (split at a page boundary: two 16-bit halves or bytes). */
  write32(gpa: number, v: number): void {
    const off = gpa & PAGE_MASK;
    if (off > PAGE_SIZE - 4) {
      this.write32Split(gpa, v);
      return;
    }
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (this.writeSlow[p] !== 0) {
      if (h < 0) {
        this.handlerOf(p).write(gpa >>> 0, 4, v >>> 0);
        return;
      }
      if (!this.prepareStore(p, h)) return;
    }
    const a = (h << PAGE_SHIFT) | off;
    if ((a & 3) === 0) this.i32[a >> 2] = v;
    else this.view.setInt32(a, v, true);
  }

  /** Write a 64-bit value at `gpa` as two 32-bit writes (low dword first). Slow path only. */
  write64(gpa: number, v: bigint): void {
    this.write32(gpa, Number(BigInt.asIntN(32, v)));
    this.write32((gpa + 4) >>> 0, Number(BigInt.asIntN(32, v >> 32n)));
  }

  /** Store `src` at `gpa` (page by page: watch listeners and dirty log once per page; MMIO byte by byte). */
  writeBytes(gpa: number, src: Uint8Array): void {
    let a = gpa >>> 0;
    let pos = 0;
    const n = src.length;
    while (pos < n) {
      const off = a & PAGE_MASK;
      const chunk = Math.min(PAGE_SIZE - off, n - pos);
      const p = a >>> PAGE_SHIFT;
      const h = this.pageHost[p];
      if (h < 0) {
        const handler = this.handlerOf(p);
        for (let i = 0; i < chunk; i++) handler.write(a + i, 1, src[pos + i]);
      } else if (this.writeSlow[p] === 0 || this.prepareStore(p, h)) {
        this.u8.set(src.subarray(pos, pos + chunk), (h << PAGE_SHIFT) | off);
      }
      pos += chunk;
      a = (a + chunk) >>> 0;
    }
  }

  // ---------------------------------------------------------------- write-watch

  /**
   * Watch a guest page: a slow-path write that would change its content first calls every
   * write-watch listener with (guestPage, hostPage), then stores. Writes that are dropped
   * (ROM, read-only overlay) and MMIO writes do not fire. Remapping a watched page
   * (map/unmap/overlay) also fires the listeners with the old host page. The watch stays
   * until {@link unwatch}.
   */
  watch(guestPage: number): void {
    const p = guestPage >>> 0;
    const ws = this.writeSlow[p];
    if ((ws & WriteSlow.Watched) !== 0) return;
    this.writeSlow[p] = ws | WriteSlow.Watched;
    const h = this.pageHost[p];
    if (h >= 0) this.notifyRevoke(h);
  }

  /** Stop watching a guest page. */
  unwatch(guestPage: number): void {
    this.writeSlow[guestPage >>> 0] &= ~WriteSlow.Watched;
  }

  /** Whether a guest page is watched. */
  isWatched(guestPage: number): boolean {
    return (this.writeSlow[guestPage >>> 0] & WriteSlow.Watched) !== 0;
  }

  /** Add a write-watch listener (see {@link watch}). */
  addWriteWatchListener(fn: WriteWatchListener): void {
    this.watchListeners.push(fn);
  }

  // ---------------------------------------------------------------- dirty log

  /**
   * Turn dirty-page logging on or off (KVM_GET_DIRTY_LOG style). Turning it on clears the
   * bitmap and arms every RAM page with {@link WriteSlow.DirtyLog}, so the first write
   * goes through the slow path, which marks the page dirty and clears the bit.
   */
  enableDirtyLog(on: boolean): void {
    if (on === this.dirtyLogOn) return;
    this.dirtyLogOn = on;
    this.dirtyBits.fill(0);
    const ws = this.writeSlow;
    const kind = this.pageKind;
    for (let p = 0; p < this.ramTop; p++) {
      if (on) {
        if (kind[p] === PageKind.Ram) {
          ws[p] |= WriteSlow.DirtyLog;
          this.notifyRevoke(this.pageHost[p]);
        }
      } else ws[p] &= ~WriteSlow.DirtyLog;
    }
  }

  /** Whether dirty logging is on. */
  get dirtyLogEnabled(): boolean {
    return this.dirtyLogOn;
  }

  /**
   * Returns a bitmap (bit i&7 of byte i>>3 = guest page i; pages 0 .. ramTop-1, where
   * ramTop is one past the highest guest page ever mapped as RAM) of pages written since
   * the last call, and re-arms logging for them (their TLB write permission is revoked).
   */
  getAndClearDirtyLog(): Uint8Array {
    const bytes = (this.ramTop + 7) >> 3;
    const out = this.dirtyBits.slice(0, bytes);
    for (let b = 0; b < bytes; b++) {
      const bits = out[b];
      if (bits === 0) continue;
      this.dirtyBits[b] = 0;
      if (!this.dirtyLogOn) continue;
      for (let j = 0; j < 8; j++) {
        if ((bits & (1 << j)) === 0) continue;
        const p = (b << 3) | j;
        if (this.pageKind[p] !== PageKind.Ram) continue;
        this.writeSlow[p] |= WriteSlow.DirtyLog;
        this.notifyRevoke(this.pageHost[p]);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- listeners

  /**
   * Register an AddressSpace: whenever any page gains a writeSlow bit (watch, dirty-log
   * arm/re-arm, remap), every listener's revokeWrite(hostPage) runs before the call
   * returns; when a host page stops backing a guest page, invalidateHostPage runs.
   */
  addWriteProtectListener(l: WriteProtectListener): void {
    if (!this.protectListeners.includes(l)) this.protectListeners.push(l);
  }

  /** Unregister a listener added with {@link addWriteProtectListener}. */
  removeWriteProtectListener(l: WriteProtectListener): void {
    const i = this.protectListeners.indexOf(l);
    if (i >= 0) this.protectListeners.splice(i, 1);
  }

  // ---------------------------------------------------------------- internals

  private handlerOf(p: number): MmioHandler {
    const idx = this.pageHandler[p];
    return idx === 0 ? this.unassigned : this.handlers[idx];
  }

  /**
   * Slow-path bookkeeping before storing into host page `h` of guest page `p`.
   * Returns false if the store must be dropped.
   */
  private prepareStore(p: number, h: number): boolean {
    const kind = this.pageKind[p];
    if (kind === PageKind.Rom) return false;
    let ws = this.writeSlow[p];
    if ((ws & WriteSlow.ReadOnlyOverlay) !== 0) return false;
    if ((ws & WriteSlow.Watched) !== 0) {
      const ls = this.watchListeners;
      for (let i = 0; i < ls.length; i++) ls[i](p, h);
      ws = this.writeSlow[p];
    }
    if (kind === PageKind.Ram && this.dirtyLogOn) {
      this.dirtyBits[p >> 3] |= 1 << (p & 7);
      this.writeSlow[p] = ws & ~WriteSlow.DirtyLog;
    }
    return true;
  }

  private read32Split(gpa: number): number {
    if ((gpa & PAGE_MASK) === PAGE_SIZE - 2) {
      return this.read16(gpa) | (this.read16((gpa + 2) >>> 0) << 16);
    }
    return (
      this.read8(gpa) |
      (this.read8((gpa + 1) >>> 0) << 8) |
      (this.read8((gpa + 2) >>> 0) << 16) |
      (this.read8((gpa + 3) >>> 0) << 24)
    );
  }

  private write32Split(gpa: number, v: number): void {
    if ((gpa & PAGE_MASK) === PAGE_SIZE - 2) {
      this.write16(gpa, v);
      this.write16((gpa + 2) >>> 0, v >>> 16);
      return;
    }
    this.write8(gpa, v);
    this.write8((gpa + 1) >>> 0, v >> 8);
    this.write8((gpa + 2) >>> 0, v >> 16);
    this.write8((gpa + 3) >>> 0, v >> 24);
  }

  private checkRange(what: string, gpa: number, size: number): void {
    if (
      !Number.isInteger(gpa) ||
      !Number.isInteger(size) ||
      gpa < 0 ||
      size < 0 ||
      gpa % PAGE_SIZE !== 0 ||
      size % PAGE_SIZE !== 0 ||
      gpa + size > 0x100000000
    ) {
      throw new RangeError(`${what}: range 0x${gpa.toString(16)}+0x${size.toString(16)} is not page aligned within 4 GiB`);
    }
  }

  /** The mapping a map call would replace (under an overlay: the saved one). */
  private underlying(p: number): Mapping {
    const ov = this.overlays.get(p);
    if (ov !== undefined) return ov.saved;
    return { kind: this.pageKind[p], host: this.pageHost[p], handler: this.pageHandler[p] };
  }

  /** Replace the mapping of guest page p (below its overlay if it has one), freeing a replaced ROM page. */
  private replace(p: number, kind: number, host: number, handler: number): void {
    const ov = this.overlays.get(p);
    if (ov !== undefined) {
      if (ov.saved.kind === PageKind.Rom) this.freeReserve(ov.saved.host);
      ov.saved = { kind, host, handler };
      return;
    }
    const oldKind = this.pageKind[p];
    const oldHost = this.pageHost[p];
    this.install(p, kind, host, handler, false);
    if (oldKind === PageKind.Rom && oldHost !== host) this.freeReserve(oldHost);
  }

  /** Set the tables for guest page p and notify listeners. */
  private install(p: number, kind: number, host: number, handler: number, writableOverlay: boolean): void {
    const oldHost = this.pageHost[p];
    const oldWs = this.writeSlow[p];
    let ws = oldWs & WriteSlow.Watched;
    if (kind === PageKind.Ram) {
      if (this.dirtyLogOn && (this.dirtyBits[p >> 3] & (1 << (p & 7))) === 0) ws |= WriteSlow.DirtyLog;
      if (p >= this.ramTop) this.ramTop = p + 1;
    } else if (kind === PageKind.Overlay) {
      ws |= writableOverlay ? WriteSlow.NotRam : WriteSlow.NotRam | WriteSlow.ReadOnlyOverlay;
    } else {
      ws |= WriteSlow.NotRam;
    }
    this.pageHost[p] = host;
    this.pageKind[p] = kind;
    this.pageHandler[p] = handler;
    this.writeSlow[p] = ws;
    if (oldHost >= 0 && this.hostPageGuest[oldHost] === p) this.hostPageGuest[oldHost] = -1;
    if (host >= 0) this.hostPageGuest[host] = p;
    if (oldHost < 0) return;
    if (oldHost !== host) {
      const ls = this.protectListeners;
      for (let i = 0; i < ls.length; i++) {
        const l = ls[i];
        if (l.invalidateHostPage !== undefined) l.invalidateHostPage(oldHost);
        else l.revokeWrite(oldHost);
      }
      if ((oldWs & WriteSlow.Watched) !== 0) {
        const wl = this.watchListeners;
        for (let i = 0; i < wl.length; i++) wl[i](p, oldHost);
      }
    } else if ((ws & ~oldWs) !== 0) {
      this.notifyRevoke(host);
    }
  }

  private notifyRevoke(hostPage: number): void {
    const ls = this.protectListeners;
    for (let i = 0; i < ls.length; i++) ls[i].revokeWrite(hostPage);
  }

  private reserveAvailable(): number {
    return this.hostPages - this.reserveNext + this.reserveFree.length;
  }

  private allocReserve(): number {
    const h = this.reserveFree.pop();
    if (h !== undefined) return h;
    if (this.reserveNext >= this.hostPages) throw new RangeError("out of reserve pages");
    return this.reserveNext++;
  }

  private freeReserve(host: number): void {
    if (host >= this.ramPages) this.reserveFree.push(host);
  }
}
