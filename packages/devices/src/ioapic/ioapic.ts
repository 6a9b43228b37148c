import type { AccessSize } from "../api/io.js";
import { type IrqLine, IrqPin } from "../api/irq.js";
import type { MmioRangeHandler } from "../api/mmio.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import type { ApicMessageSink } from "../lapic/message.js";
import {
  IOAPIC_EOI,
  IOAPIC_PINS,
  IOAPIC_VERSION,
  IOAPICARB,
  IOAPICID,
  IOAPICVER,
  IOREDTBL,
  IOWIN,
  REDIR_DEST_HI,
  REDIR_DEST_LOGICAL,
  REDIR_DELIVERY_SHIFT,
  REDIR_LEVEL,
  REDIR_MASKED,
  REDIR_REMOTE_IRR,
  REDIR_VECTOR,
  REDIR_WRITABLE_LO,
} from "./registers.js";
import type { IoApicState } from "./state.js";

const STATE_VERSION = 1;

/** Options for {@link IoApic}. */
export interface IoApicOptions {
  /** Where interrupt messages go (the local APIC, or an APIC bus). */
  sink: ApicMessageSink;
  /** IOAPIC ID (default 0). */
  id?: number;
}

/**
 * An I/O APIC with 24 pins: IOREGSEL at +0x00, IOWIN at +0x10, EOI at +0x40
 * (version 0x20). Edge pins deliver on a rising edge while unmasked; level pins deliver
 * while asserted and set remote IRR until the local APIC's EOI ({@link endOfInterrupt}),
 * then deliver again if still asserted. Polarity bits are stored but the lines carry the
 * asserted state. Devices drive {@link irq}(pin).
 */
export class IoApic implements Device, MmioRangeHandler {
  /** {@link Device.name}. */
  readonly name = "ioapic";
  private readonly sink: ApicMessageSink;
  private readonly initialId: number;
  private readonly pins: IrqPin[] = [];
  private regsel = 0;
  private id = 0;
  private readonly redir = new Uint32Array(IOAPIC_PINS * 2);
  private lines = 0;

  constructor(options: IoApicOptions) {
    this.sink = options.sink;
    this.initialId = (options.id ?? 0) & 0xf;
    for (let i = 0; i < IOAPIC_PINS; i++) {
      this.pins.push(
        new IrqPin((pin, level) => {
          this.setPin(pin, level);
        }, i),
      );
    }
    this.reset();
  }

  /** The input line of `pin` (0–23). */
  irq(pin: number): IrqLine {
    const p = this.pins[pin] as IrqPin | undefined;
    if (p === undefined) throw new RangeError(`ioapic: no pin ${pin}`);
    return p;
  }

  /** {@link Device.reset}: every entry masked. */
  reset(): void {
    this.regsel = 0;
    this.id = this.initialId;
    for (let i = 0; i < IOAPIC_PINS; i++) {
      this.redir[2 * i] = REDIR_MASKED;
      this.redir[2 * i + 1] = 0;
    }
  }

  /** Redirection entry of `pin` (low dword). */
  entry(pin: number): number {
    return this.redir[2 * pin];
  }

  private deliver(pin: number): void {
    const lo = this.redir[2 * pin];
    const level = (lo & REDIR_LEVEL) !== 0;
    if (level) this.redir[2 * pin] = lo | REDIR_REMOTE_IRR;
    this.sink.deliverInterrupt(this.redir[2 * pin + 1] >>> 24, (lo & REDIR_DEST_LOGICAL) !== 0, (lo >> REDIR_DELIVERY_SHIFT) & 7, lo & REDIR_VECTOR, level);
  }

  /** Deliver a level pin that is asserted, unmasked and not awaiting EOI. */
  private service(pin: number): void {
    const lo = this.redir[2 * pin];
    if ((lo & (REDIR_MASKED | REDIR_REMOTE_IRR)) === 0 && (lo & REDIR_LEVEL) !== 0 && (this.lines & (1 << pin)) !== 0) this.deliver(pin);
  }

  private setPin(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const was = (this.lines & bit) !== 0;
    this.lines = level ? this.lines | bit : this.lines & ~bit;
    const lo = this.redir[2 * pin];
    if ((lo & REDIR_LEVEL) !== 0) this.service(pin);
    else if (level && !was && (lo & REDIR_MASKED) === 0) this.deliver(pin);
  }

  /** EOI for `vector` (broadcast from a local APIC, or the EOI register): clears remote IRR. */
  endOfInterrupt(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const lo = this.redir[2 * pin];
      if ((lo & REDIR_REMOTE_IRR) !== 0 && (lo & REDIR_VECTOR) === (vector & 0xff)) {
        this.redir[2 * pin] = lo & ~REDIR_REMOTE_IRR;
        this.service(pin);
      }
    }
  }

  private readRegister(): number {
    const r = this.regsel;
    if (r === IOAPICID || r === IOAPICARB) return (this.id << 24) >>> 0;
    if (r === IOAPICVER) return IOAPIC_VERSION | ((IOAPIC_PINS - 1) << 16);
    if (r >= IOREDTBL && r < IOREDTBL + 2 * IOAPIC_PINS) return this.redir[r - IOREDTBL];
    return 0;
  }

  private writeRegister(v: number): void {
    const r = this.regsel;
    if (r === IOAPICID) {
      this.id = (v >>> 24) & 0xf;
      return;
    }
    if (r < IOREDTBL || r >= IOREDTBL + 2 * IOAPIC_PINS) return;
    const i = r - IOREDTBL;
    const pin = i >> 1;
    if ((i & 1) === 1) {
      this.redir[i] = (v & REDIR_DEST_HI) >>> 0;
      return;
    }
    let lo = (this.redir[i] & REDIR_REMOTE_IRR) | (v & REDIR_WRITABLE_LO);
    if ((lo & REDIR_LEVEL) === 0) lo &= ~REDIR_REMOTE_IRR;
    this.redir[i] = lo;
    this.service(pin);
  }

  /** {@link MmioRangeHandler.mmioRead}: IOREGSEL, IOWIN (byte lanes allowed). */
  mmioRead(offset: number, size: AccessSize): number {
    let v: number;
    const base = offset & ~3;
    if (base === 0) v = this.regsel;
    else if (base === IOWIN) v = this.readRegister();
    else return 0;
    v >>>= 8 * (offset & 3);
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  /** {@link MmioRangeHandler.mmioWrite}: IOREGSEL, IOWIN (narrow writes merge into the dword), EOI. */
  mmioWrite(offset: number, size: AccessSize, value: number): void {
    const base = offset & ~3;
    const shift = 8 * (offset & 3);
    const mask = (size === 4 ? 0xffffffff : ((1 << (8 * size)) - 1) << shift) >>> 0;
    const merge = (old: number): number => ((old & ~mask) | ((value << shift) & mask)) >>> 0;
    if (base === 0) this.regsel = merge(this.regsel) & 0xff;
    else if (base === IOWIN) this.writeRegister(merge(this.readRegister()));
    else if (base === IOAPIC_EOI) this.endOfInterrupt(merge(0) & 0xff);
  }

  /** {@link Device.save}. */
  save(): IoApicState {
    return { version: STATE_VERSION, regsel: this.regsel, id: this.id, redirection: Array.from(this.redir), lines: this.lines };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as IoApicState;
    this.regsel = s.regsel & 0xff;
    this.id = s.id & 0xf;
    for (let i = 0; i < this.redir.length; i++) this.redir[i] = (s.redirection[i] ?? 0) & (i % 2 === 0 ? REDIR_WRITABLE_LO | REDIR_REMOTE_IRR : REDIR_DEST_HI);
    this.lines = s.lines & ((1 << IOAPIC_PINS) - 1);
  }
}
