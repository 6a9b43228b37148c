/**
 * Errors raised by device models and buses. Guest behaviour never throws: these are for
 * host mistakes (overlapping registrations, malformed saved state), and they say which
 * device, register and address were involved.
 */

/** Context attached to a {@link DeviceError}. */
export interface DeviceErrorContext {
  /** The register's name, when one is involved. */
  readonly register?: string;
  /** The port, guest-physical address or offset involved. */
  readonly address?: number;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** A host-side error from a device or bus, with its context in the message and fields. */
export class DeviceError extends Error {
  /** The device (or bus) that raised the error. */
  readonly device: string;
  /** The register involved, if any. */
  readonly register: string | undefined;
  /** The port or address involved, if any. */
  readonly address: number | undefined;

  constructor(device: string, message: string, context: DeviceErrorContext = {}) {
    const where: string[] = [];
    if (context.register !== undefined) where.push(`register ${context.register}`);
    if (context.address !== undefined) where.push(`at ${hex(context.address)}`);
    super(`${device}: ${message}${where.length > 0 ? ` (${where.join(", ")})` : ""}`);
    this.name = "DeviceError";
    this.device = device;
    this.register = context.register;
    this.address = context.address;
  }
}

/** Two registrations claim the same port or address range. */
export class BusConflictError extends DeviceError {
  constructor(bus: string, message: string, address: number) {
    super(bus, message, { address });
    this.name = "BusConflictError";
  }
}

/** A saved state object that a device cannot restore (unknown version, wrong shape). */
export class StateError extends DeviceError {
  constructor(device: string, message: string) {
    super(device, message);
    this.name = "StateError";
  }
}

/** Format a number as `0x…` for messages. */
export function toHex(n: number): string {
  return hex(n);
}
