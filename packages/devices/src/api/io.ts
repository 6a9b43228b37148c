import { BusConflictError, DeviceError, toHex } from "./errors.js";

/** Width of a guest access in bytes. 8-byte MMIO accesses arrive as two 4-byte ones. */
export type AccessSize = 1 | 2 | 4;

/** All-ones value of each access width, indexed by size (1, 2, 4). */
export const SIZE_MASK: readonly number[] = [0, 0xff, 0xffff, 0, 0xffffffff];

/**
 * A device's port-I/O surface (vm-superio style). `offset` is relative to the base the
 * device was registered at, so the same model can sit at any port (COM1, COM2…).
 * Writes receive the value zero-extended to `size` bytes; reads may return any integer,
 * the bus keeps the low `size` bytes. Every width must be accepted without throwing.
 */
export interface PortIoHandler {
  /** Guest IN of `size` bytes at `offset`. */
  ioRead(offset: number, size: AccessSize): number;
  /** Guest OUT of `size` bytes at `offset`. */
  ioWrite(offset: number, size: AccessSize, value: number): void;
}

/** Optional hook for accesses that reach no device (logging, exits to the monitor). */
export interface UnassignedIoListener {
  /** A guest access to a port that no device claims; `isWrite` false for reads. */
  unassigned(port: number, size: AccessSize, isWrite: boolean, value: number): void;
}

/**
 * The port-I/O address space (64 KiB ports): port → device, with overlap detection.
 * Lookup is one typed-array read per access. An access wholly inside one registration
 * goes to that device at its width; one that straddles registrations is split into
 * byte accesses, each routed on its own. Unclaimed ports read as all ones.
 */
export class IoBus {
  /** Registration index + 1 per port; 0 = unassigned. */
  private readonly slot = new Uint16Array(0x10000);
  private readonly bases: number[] = [0];
  private readonly ends: number[] = [0];
  private readonly handlers: (PortIoHandler | null)[] = [null];
  private readonly names: string[] = [""];
  /** Receives accesses to unclaimed ports (reads still return all ones). */
  listener: UnassignedIoListener | null = null;

  /**
   * Route ports [base, base+length) to `handler`. Throws a {@link BusConflictError}
   * naming both devices if any port is already claimed.
   */
  register(base: number, length: number, handler: PortIoHandler, name: string): void {
    if (!Number.isInteger(base) || !Number.isInteger(length) || length <= 0 || base < 0 || base + length > 0x10000) {
      throw new DeviceError("io-bus", `register(${name}): bad range, length ${length}`, { address: base });
    }
    for (let p = base; p < base + length; p++) {
      const s = this.slot[p];
      if (s !== 0) {
        throw new BusConflictError("io-bus", `register(${name}): port ${toHex(p)} already belongs to ${this.names[s] ?? "?"}`, p);
      }
    }
    let idx = this.handlers.indexOf(null, 1);
    if (idx < 0) {
      idx = this.handlers.length;
      if (idx > 0xffff) throw new DeviceError("io-bus", `register(${name}): too many registrations`);
      this.handlers.push(handler);
      this.bases.push(base);
      this.ends.push(base + length);
      this.names.push(name);
    } else {
      this.handlers[idx] = handler;
      this.bases[idx] = base;
      this.ends[idx] = base + length;
      this.names[idx] = name;
    }
    this.slot.fill(idx, base, base + length);
  }

  /** Remove the registration that starts at `base`. Throws if there is none. */
  unregister(base: number): void {
    const idx = this.slot[base];
    if (idx === 0 || this.bases[idx] !== base) {
      throw new DeviceError("io-bus", "unregister: no registration starts here", { address: base });
    }
    this.slot.fill(0, base, this.ends[idx]);
    this.handlers[idx] = null;
    this.names[idx] = "";
  }

  /** Name of the device claiming `port`, or undefined. */
  owner(port: number): string | undefined {
    const idx = this.slot[port & 0xffff];
    return idx === 0 ? undefined : this.names[idx];
  }

  /** Guest IN: returns the value zero-extended (unsigned) to `size` bytes. */
  read(port: number, size: AccessSize): number {
    port &= 0xffff;
    const idx = this.slot[port];
    if (idx !== 0 && port + size <= this.ends[idx]) {
      const h = this.handlers[idx] as PortIoHandler;
      const v = h.ioRead(port - this.bases[idx], size);
      return size === 4 ? v >>> 0 : v & SIZE_MASK[size];
    }
    if (this.unclaimed(port, size)) {
      this.listener?.unassigned(port, size, false, 0);
      return SIZE_MASK[size];
    }
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.read((port + i) & 0xffff, 1) << (8 * i);
    return v >>> 0;
  }

  /** Guest OUT of the low `size` bytes of `value`. */
  write(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    value = size === 4 ? value >>> 0 : value & SIZE_MASK[size];
    const idx = this.slot[port];
    if (idx !== 0 && port + size <= this.ends[idx]) {
      (this.handlers[idx] as PortIoHandler).ioWrite(port - this.bases[idx], size, value);
      return;
    }
    if (this.unclaimed(port, size)) {
      this.listener?.unassigned(port, size, true, value);
      return;
    }
    for (let i = 0; i < size; i++) this.write((port + i) & 0xffff, 1, (value >>> (8 * i)) & 0xff);
  }

  private unclaimed(port: number, size: number): boolean {
    for (let i = 0; i < size; i++) if (this.slot[(port + i) & 0xffff] !== 0) return false;
    return true;
  }
}

/**
 * Base for byte-wide ISA devices: a 16- or 32-bit access becomes one byte access per
 * consecutive port, low byte first, as the ISA bus splits it.
 */
export abstract class BytePortDevice implements PortIoHandler {
  /** Read the register at `offset`. */
  protected abstract readByte(offset: number): number;
  /** Write the register at `offset`. */
  protected abstract writeByte(offset: number, value: number): void;

  /** {@link PortIoHandler.ioRead}. */
  ioRead(offset: number, size: AccessSize): number {
    if (size === 1) return this.readByte(offset) & 0xff;
    let v = 0;
    for (let i = 0; i < size; i++) v |= (this.readByte(offset + i) & 0xff) << (8 * i);
    return v >>> 0;
  }

  /** {@link PortIoHandler.ioWrite}. */
  ioWrite(offset: number, size: AccessSize, value: number): void {
    if (size === 1) {
      this.writeByte(offset, value & 0xff);
      return;
    }
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
  }
}
