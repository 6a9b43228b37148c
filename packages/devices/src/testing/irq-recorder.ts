import type { IrqLine } from "../api/irq.js";

/** An {@link IrqLine} for tests: remembers its level and counts rising edges. */
export class RecordingIrqLine implements IrqLine {
  /** Current level. */
  level = false;
  /** Rising edges seen (a pulse counts as one). */
  rises = 0;

  /** {@link IrqLine.setLevel}. */
  setLevel(level: boolean): void {
    if (level && !this.level) this.rises++;
    this.level = level;
  }

  /** {@link IrqLine.pulse}. */
  pulse(): void {
    this.rises++;
    this.level = false;
  }
}
