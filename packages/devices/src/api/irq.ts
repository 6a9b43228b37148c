/**
 * An interrupt request wire from a device to an interrupt controller input (vm-superio's
 * `Trigger`, with a level). The line carries the *asserted* state; whether the receiver
 * latches edges or follows the level is the receiver's configuration (8259 ELCR, IOAPIC
 * trigger mode), as on real boards.
 */
export interface IrqLine {
  /** Drive the line: `true` = asserted. Repeating the current level does nothing. */
  setLevel(level: boolean): void;
  /** An edge: assert then deassert (ISA-style edge-triggered devices). */
  pulse(): void;
}

/** A line connected to nothing. */
export const NO_IRQ: IrqLine = Object.freeze({
  setLevel(): void {
    /* unconnected */
  },
  pulse(): void {
    /* unconnected */
  },
});

/**
 * The interrupt controller interface the CPU uses (same shape as `@virtkit/cpu`'s
 * `InterruptController`): the INTA cycle returns the vector to deliver.
 */
export interface InterruptController {
  /** Accept the highest pending interrupt and return its vector. */
  acknowledge(): number;
}

/**
 * An input pin of a receiver, implemented with a callback taking the pin number: lets
 * a controller hand out one preallocated {@link IrqLine} per pin. Every call is
 * forwarded (the receiver keeps the pin's level and ignores repeats), so a receiver
 * restored from a snapshot never disagrees with a cached level here.
 */
export class IrqPin implements IrqLine {
  constructor(
    private readonly sink: (pin: number, level: boolean) => void,
    /** The receiver's pin number. */
    readonly pin: number,
  ) {}

  /** {@link IrqLine.setLevel}. */
  setLevel(level: boolean): void {
    this.sink(this.pin, level);
  }

  /** {@link IrqLine.pulse}. */
  pulse(): void {
    this.sink(this.pin, true);
    this.sink(this.pin, false);
  }
}

/**
 * One device output wired to several controller inputs (an ISA IRQ goes to both the
 * 8259 and the IOAPIC on a PC).
 */
export class IrqFanout implements IrqLine {
  constructor(private readonly lines: readonly IrqLine[]) {}

  /** {@link IrqLine.setLevel} on every target. */
  setLevel(level: boolean): void {
    for (const l of this.lines) l.setLevel(level);
  }

  /** {@link IrqLine.pulse} on every target. */
  pulse(): void {
    for (const l of this.lines) l.pulse();
  }
}

/**
 * Several device outputs sharing one wire (PCI INTx, active when any source is): each
 * source gets its own {@link IrqLine} from {@link SharedIrq.source}.
 */
export class SharedIrq {
  private mask = 0;
  private count = 0;

  constructor(private readonly out: IrqLine) {}

  /** A new input of the wired-OR (up to 32). */
  source(): IrqLine {
    const bit = this.count++;
    if (bit >= 32) throw new RangeError("SharedIrq: more than 32 sources");
    return new IrqPin((b, level) => {
      this.mask = level ? this.mask | (1 << b) : this.mask & ~(1 << b);
      this.out.setLevel(this.mask !== 0);
    }, bit);
  }
}
