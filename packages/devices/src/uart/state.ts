import type { DeviceState } from "../api/state.js";

/** Saved state of a {@link Uart16550} (version 1). */
export interface UartState extends DeviceState {
  /** Interrupt enable register. */
  readonly ier: number;
  /** FIFO control as last programmed (trigger level, DMA, enable). */
  readonly fcr: number;
  /** Line control register. */
  readonly lcr: number;
  /** Modem control register. */
  readonly mcr: number;
  /** Latched LSR error bits (OE/PE/FE/BI). */
  readonly lsrErrors: number;
  /** Modem status input lines (bits 7:4) from the host side. */
  readonly modemLines: number;
  /** MSR delta bits (3:0). */
  readonly msrDeltas: number;
  /** Scratch register. */
  readonly scr: number;
  /** Divisor latch, 16 bits. */
  readonly divisor: number;
  /** THRE interrupt pending (cleared by an IIR read that reports it or a THR write). */
  readonly thrPending: boolean;
  /** Receive FIFO contents, oldest first. */
  readonly rxFifo: readonly number[];
  /** Host input not yet moved into the receive FIFO. */
  readonly inputQueue: readonly number[];
}
