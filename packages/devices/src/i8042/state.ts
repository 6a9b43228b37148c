import type { DeviceState } from "../api/state.js";

/** Saved state of an {@link I8042} (version 1). */
export interface I8042State extends DeviceState {
  /** Controller RAM (byte 0 is the config byte), 32 bytes. */
  readonly ram: readonly number[];
  /** Output buffer value. */
  readonly outValue: number;
  /** Output buffer full. */
  readonly outFull: boolean;
  /** Output buffer holds AUX data. */
  readonly outAux: boolean;
  /** Last write went to the command port. */
  readonly lastWasCommand: boolean;
  /** Status timeout bit. */
  readonly timeout: boolean;
  /** Controller command awaiting its data byte, or 0. */
  readonly pendingCommand: number;
  /** Output port (reset line, A20). */
  readonly outputPort: number;
  /** Controller replies waiting for the output buffer. */
  readonly controllerQueue: readonly number[];
  /** Keyboard bytes waiting. */
  readonly keyboardQueue: readonly number[];
  /** AUX bytes waiting. */
  readonly auxQueue: readonly number[];
  /** Keyboard command awaiting its parameter, or 0. */
  readonly keyboardCommand: number;
  /** Keyboard scanning enabled. */
  readonly scanning: boolean;
  /** Keyboard scan code set (1–3). */
  readonly scancodeSet: number;
  /** Keyboard LED bits. */
  readonly leds: number;
}
