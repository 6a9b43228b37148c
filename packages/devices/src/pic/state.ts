import type { DeviceState } from "../api/state.js";

/** Saved state of one 8259A. */
export interface PicChipState {
  /** Interrupt request register. */
  readonly irr: number;
  /** In-service register. */
  readonly isr: number;
  /** Interrupt mask register (OCW1). */
  readonly imr: number;
  /** Input pin levels (for edge detection and level mode). */
  readonly lines: number;
  /** Edge/level control (ELCR), 1 = level. */
  readonly elcr: number;
  /** Initialisation step: 0 ready, 2/3/4 expecting that ICW. */
  readonly icwStep: number;
  /** Last ICW1. */
  readonly icw1: number;
  /** Vector base (ICW2 & 0xF8). */
  readonly vectorBase: number;
  /** ICW3. */
  readonly icw3: number;
  /** ICW4. */
  readonly icw4: number;
  /** IRQ with the lowest priority is (priorityAdd + 7) & 7. */
  readonly priorityAdd: number;
  /** Rotate on automatic EOI. */
  readonly rotateOnAeoi: boolean;
  /** Special mask mode. */
  readonly specialMask: boolean;
  /** OCW3 read select: ISR (true) or IRR. */
  readonly readIsr: boolean;
  /** A poll command awaits its read. */
  readonly poll: boolean;
}

/** Saved state of a {@link PicPair} (version 1). */
export interface PicPairState extends DeviceState {
  /** The master (IRQ 0–7). */
  readonly master: PicChipState;
  /** The slave (IRQ 8–15). */
  readonly slave: PicChipState;
}
