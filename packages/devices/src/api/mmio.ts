import type { MmioHandler, PhysicalMemory } from "@virtkit/mmu";
import { BusConflictError, DeviceError, toHex } from "./errors.js";
import { type AccessSize, SIZE_MASK } from "./io.js";

/**
 * A device's memory-mapped register window. `offset` is relative to the window's base.
 * Writes receive the value zero-extended to `size` bytes; reads may return any integer,
 * the bus keeps the low `size` bytes. An 8-byte guest access arrives as two 4-byte
 * accesses, low dword first (see {@link mmioRead64} / {@link mmioWrite64}).
 */
export interface MmioRangeHandler {
  /** Guest load of `size` bytes at `offset`. */
  mmioRead(offset: number, size: AccessSize): number;
  /** Guest store of `size` bytes at `offset`. */
  mmioWrite(offset: number, size: AccessSize, value: number): void;
}

/** Read a 64-bit register as two dword reads (low first); returns the low dword, stores the high one in `out[1]`. */
export function mmioRead64(h: MmioRangeHandler, offset: number, out: Uint32Array): void {
  out[0] = h.mmioRead(offset, 4);
  out[1] = h.mmioRead(offset + 4, 4);
}

/** Write a 64-bit register as two dword writes, low dword first. */
export function mmioWrite64(h: MmioRangeHandler, offset: number, lo: number, hi: number): void {
  h.mmioWrite(offset, 4, lo >>> 0);
  h.mmioWrite(offset + 4, 4, hi >>> 0);
}

/**
 * Sub-page MMIO routing: an {@link MmioHandler} for `@virtkit/mmu` (`mem.mapMmio`) that
 * dispatches absolute guest-physical addresses to registered {@link MmioRangeHandler}s.
 * Accesses outside every range (or straddling a range's end) read as all ones and
 * drop writes.
 */
export class MmioBus implements MmioHandler {
  private readonly bases: number[] = [];
  private readonly sizes: number[] = [];
  private readonly handlers: MmioRangeHandler[] = [];
  private readonly names: string[] = [];
  /** Index of the last range hit, checked first. */
  private last = 0;

  /** @param name used in errors */
  constructor(readonly name = "mmio-bus") {}

  /** Route [base, base+size) to `handler`; throws {@link BusConflictError} on overlap. */
  register(base: number, size: number, handler: MmioRangeHandler, name: string): void {
    if (!Number.isInteger(base) || !Number.isInteger(size) || size <= 0 || base < 0 || base + size > 2 ** 32) {
      throw new DeviceError(this.name, `register(${name}): bad range, size ${size}`, { address: base });
    }
    for (let i = 0; i < this.bases.length; i++) {
      if (base < this.bases[i] + this.sizes[i] && this.bases[i] < base + size) {
        throw new BusConflictError(this.name, `register(${name}): overlaps ${this.names[i]} at ${toHex(this.bases[i])}`, base);
      }
    }
    this.bases.push(base);
    this.sizes.push(size);
    this.handlers.push(handler);
    this.names.push(name);
  }

  /** Map every page the registered ranges touch into `mem` as MMIO routed to this bus. */
  mapInto(mem: PhysicalMemory): void {
    for (let i = 0; i < this.bases.length; i++) {
      const first = Math.floor(this.bases[i] / 4096) * 4096;
      const end = Math.ceil((this.bases[i] + this.sizes[i]) / 4096) * 4096;
      mem.mapMmio(first, end - first, this, this.name);
    }
  }

  private find(gpa: number, size: number): number {
    const l = this.last;
    if (l < this.bases.length && gpa >= this.bases[l] && gpa + size <= this.bases[l] + this.sizes[l]) return l;
    for (let i = 0; i < this.bases.length; i++) {
      if (gpa >= this.bases[i] && gpa + size <= this.bases[i] + this.sizes[i]) {
        this.last = i;
        return i;
      }
    }
    return -1;
  }

  /** {@link MmioHandler.read}: `gpa` is absolute. */
  read(gpa: number, size: AccessSize): number {
    const i = this.find(gpa, size);
    if (i < 0) return SIZE_MASK[size];
    return this.handlers[i].mmioRead(gpa - this.bases[i], size);
  }

  /** {@link MmioHandler.write}: `gpa` is absolute. */
  write(gpa: number, size: AccessSize, value: number): void {
    const i = this.find(gpa, size);
    if (i >= 0) this.handlers[i].mmioWrite(gpa - this.bases[i], size, value);
  }
}

/**
 * Adapter for one device that owns whole pages: translates absolute addresses to offsets
 * from `base`. Map it with `mem.mapMmio(base, size, window, name)`.
 */
export class MmioWindow implements MmioHandler {
  constructor(
    /** Guest-physical base of the window. */
    readonly base: number,
    /** The device. */
    readonly handler: MmioRangeHandler,
  ) {}

  /** {@link MmioHandler.read}. */
  read(gpa: number, size: AccessSize): number {
    return this.handler.mmioRead(gpa - this.base, size);
  }

  /** {@link MmioHandler.write}. */
  write(gpa: number, size: AccessSize, value: number): void {
    this.handler.mmioWrite(gpa - this.base, size, value);
  }
}
