import { BytePortDevice } from "../api/io.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import type { SerialSink } from "../uart/uart.js";

/** Saved state of a {@link PostPort} (version 1). */
export interface PostPortState extends DeviceState {
  /** Last POST code written. */
  readonly lastValue: number;
  /** Number of writes seen. */
  readonly writes: number;
}

/**
 * The POST diagnostic port (0x80): remembers the last code written (firmware progress;
 * Linux also writes here as an I/O delay) and reads it back.
 */
export class PostPort extends BytePortDevice implements Device {
  /** {@link Device.name}. */
  readonly name = "post-port";
  /** Last code written. */
  lastValue = 0;
  /** Number of writes since reset. */
  writes = 0;

  /** @param onPost optional observer of every code */
  constructor(private readonly onPost: ((code: number) => void) | null = null) {
    super();
  }

  /** {@link BytePortDevice.readByte}. */
  protected readByte(): number {
    return this.lastValue;
  }

  /** {@link BytePortDevice.writeByte}. */
  protected writeByte(_offset: number, value: number): void {
    this.lastValue = value;
    this.writes++;
    this.onPost?.(value);
  }

  /** {@link Device.reset}. */
  reset(): void {
    this.lastValue = 0;
    this.writes = 0;
  }

  /** {@link Device.save}. */
  save(): PostPortState {
    return { version: 1, lastValue: this.lastValue, writes: this.writes };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, 1);
    checkShape(this.name, state, this.save());
    const s = state as PostPortState;
    this.lastValue = s.lastValue & 0xff;
    this.writes = Math.max(0, Math.floor(s.writes));
  }
}

/** What the Bochs/QEMU debug console port returns on reads, so guests can detect it. */
export const DEBUGCON_PRESENT = 0xe9;

/**
 * The Bochs/QEMU debug console (0xE9): every byte written goes to a {@link SerialSink};
 * reads return 0xE9. Stateless.
 */
export class DebugConsole extends BytePortDevice implements Device {
  /** {@link Device.name}. */
  readonly name = "debugcon";

  constructor(private readonly sink: SerialSink) {
    super();
  }

  /** {@link BytePortDevice.readByte}. */
  protected readByte(): number {
    return DEBUGCON_PRESENT;
  }

  /** {@link BytePortDevice.writeByte}. */
  protected writeByte(_offset: number, value: number): void {
    this.sink.write(value);
  }

  /** {@link Device.reset}: nothing to reset. */
  reset(): void {
    /* stateless */
  }

  /** {@link Device.save}. */
  save(): DeviceState {
    return { version: 1 };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, 1);
  }
}
