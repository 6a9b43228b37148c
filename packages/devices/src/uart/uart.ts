import { BytePortDevice } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import { ByteQueue } from "../util/byte-queue.js";
import {
  FCR_CLEAR_RX,
  FCR_DMA,
  FCR_ENABLE,
  FCR_TRIGGER_MASK,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IER_MASK,
  IIR_CTI,
  IIR_FIFO_ENABLED,
  IIR_MS,
  IIR_NO_INT,
  IIR_RDA,
  IIR_RLS,
  IIR_THRE,
  LCR_DLAB,
  LCR_WORD_LENGTH,
  LSR_BI,
  LSR_DR,
  LSR_ERRORS,
  LSR_FE,
  LSR_FIFO_ERROR,
  LSR_OE,
  LSR_PE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_MASK,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DELTAS,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  RX_TRIGGER_LEVELS,
  UART_FIFO_DEPTH,
} from "./registers.js";
import type { UartState } from "./state.js";

/** Where transmitted bytes go (a terminal, a log, a socket). */
export interface SerialSink {
  /** One transmitted character (masked to the word length). */
  write(byte: number): void;
}

/** Options for {@link Uart16550}. */
export interface UartOptions {
  /** The interrupt output (COM1 → IRQ4 on a PC). */
  irq?: IrqLine;
  /** Transmitted bytes. */
  sink?: SerialSink;
  /**
   * Gate the interrupt output with MCR.OUT2 and disconnect it in loopback, as PC boards
   * wire it (default true).
   */
  out2GatesIrq?: boolean;
  /** Modem status inputs (MSR bits 7:4) when not in loopback (default DCD|DSR|CTS). */
  modemLines?: number;
}

const STATE_VERSION = 1;

/**
 * A 16550A UART. Transmission is instantaneous (THR is always empty again after a write,
 * and the THRE interrupt re-arms at once); host input waits in an unbounded queue and
 * moves into the 16-byte receive FIFO as the guest drains it, so it never overruns.
 * The character-timeout interrupt is reported as soon as the FIFO holds data below its
 * trigger level (no 4-character delay).
 */
export class Uart16550 extends BytePortDevice implements Device {
  /** {@link Device.name}. */
  readonly name = "uart16550";
  private readonly irq: IrqLine;
  private readonly sink: SerialSink | null;
  private readonly gateWithOut2: boolean;

  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  private modemLines: number;
  private msrDeltas = 0;
  private scr = 0;
  private divisor = 0x0c;
  private thrPending = false;
  private readonly rx = new Uint8Array(UART_FIFO_DEPTH);
  private rxHead = 0;
  private rxCount = 0;
  private readonly input = new ByteQueue();
  private irqLevel = false;

  constructor(options: UartOptions = {}) {
    super();
    this.irq = options.irq ?? NO_IRQ;
    this.sink = options.sink ?? null;
    this.gateWithOut2 = options.out2GatesIrq ?? true;
    this.modemLines = (options.modemLines ?? MSR_DCD | MSR_DSR | MSR_CTS) & 0xf0;
  }

  /** {@link Device.reset}: master reset (the divisor and scratch register keep their values; host input stays queued). */
  reset(): void {
    this.ier = 0;
    this.fcr = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.lsrErrors = 0;
    this.msrDeltas = 0;
    this.thrPending = false;
    this.rxHead = 0;
    this.rxCount = 0;
    this.refill();
    this.update();
  }

  /** Queue host input for the guest (bytes beyond the FIFO wait in the queue). */
  receive(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.input.push(bytes[i] & 0xff);
    this.refill();
    this.update();
  }

  /** Bytes of host input still queued (not yet in the receive FIFO). */
  get pendingInput(): number {
    return this.input.length;
  }

  /** Set the host-side modem inputs (MSR bits 7:4: DCD, RI, DSR, CTS); updates deltas. */
  setModemLines(lines: number): void {
    const before = this.msrInputs();
    this.modemLines = lines & 0xf0;
    this.noteInputChange(before);
    this.update();
  }

  /** Baud rate implied by the divisor latch (1.8432 MHz crystal); 0 for divisor 0. */
  get baudRate(): number {
    return this.divisor === 0 ? 0 : 1_843_200 / (16 * this.divisor);
  }

  /** True while the interrupt output is asserted. */
  get interruptAsserted(): boolean {
    return this.irqLevel;
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private get rxCapacity(): number {
    return this.fifoEnabled ? UART_FIFO_DEPTH : 1;
  }

  private get loopback(): boolean {
    return (this.mcr & MCR_LOOP) !== 0;
  }

  /** MSR bits 7:4 as seen now: MCR outputs in loopback, host lines otherwise. */
  private msrInputs(): number {
    if (!this.loopback) return this.modemLines;
    const m = this.mcr;
    return (
      ((m & MCR_RTS) !== 0 ? MSR_CTS : 0) |
      ((m & MCR_DTR) !== 0 ? MSR_DSR : 0) |
      ((m & MCR_OUT1) !== 0 ? MSR_RI : 0) |
      ((m & MCR_OUT2) !== 0 ? MSR_DCD : 0)
    );
  }

  private noteInputChange(before: number): void {
    const after = this.msrInputs();
    const changed = before ^ after;
    // CTS, DSR and DCD report any change; RI only its trailing (1 → 0) edge.
    this.msrDeltas |= (changed & (MSR_CTS | MSR_DSR | MSR_DCD)) >> 4;
    if ((before & MSR_RI) !== 0 && (after & MSR_RI) === 0) this.msrDeltas |= MSR_TERI;
  }

  /** Push a received character; sets OE when there is no room. */
  private pushRx(byte: number): void {
    if (this.rxCount >= this.rxCapacity) {
      this.lsrErrors |= LSR_OE;
      return;
    }
    this.rx[(this.rxHead + this.rxCount) % UART_FIFO_DEPTH] = byte;
    this.rxCount++;
  }

  /** Move host input into the receive FIFO while there is room (not in loopback). */
  private refill(): void {
    if (this.loopback) return;
    while (this.rxCount < this.rxCapacity && this.input.length > 0) this.pushRx(this.input.shift());
  }

  /** The IIR interrupt id currently pending, by priority; IIR_NO_INT if none. */
  private pendingId(): number {
    const ier = this.ier;
    if ((ier & IER_ELSI) !== 0 && this.lsrErrors !== 0) return IIR_RLS;
    if ((ier & IER_ERBFI) !== 0 && this.rxCount > 0) {
      if (this.fifoEnabled && this.rxCount < RX_TRIGGER_LEVELS[(this.fcr & FCR_TRIGGER_MASK) >> 6]) return IIR_CTI;
      return IIR_RDA;
    }
    if ((ier & IER_ETBEI) !== 0 && this.thrPending) return IIR_THRE;
    if ((ier & IER_EDSSI) !== 0 && this.msrDeltas !== 0) return IIR_MS;
    return IIR_NO_INT;
  }

  private update(): void {
    let level = this.pendingId() !== IIR_NO_INT;
    if (this.gateWithOut2 && ((this.mcr & MCR_OUT2) === 0 || this.loopback)) level = false;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  private transmit(value: number): void {
    const byte = value & (0xff >> (3 - (this.lcr & LCR_WORD_LENGTH)));
    if (this.loopback) this.pushRx(byte);
    else this.sink?.write(byte);
    // The character leaves at once, so THR is empty again: THRE re-arms.
    this.thrPending = true;
  }

  /** {@link BytePortDevice.readByte}: the eight registers. */
  protected readByte(offset: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0: {
        if (dlab) return this.divisor & 0xff;
        if (this.rxCount === 0) return 0;
        const b = this.rx[this.rxHead];
        this.rxHead = (this.rxHead + 1) % UART_FIFO_DEPTH;
        this.rxCount--;
        this.refill();
        this.update();
        return b;
      }
      case 1:
        return dlab ? this.divisor >> 8 : this.ier;
      case 2: {
        const id = this.pendingId();
        // Reading IIR while it reports THRE clears that interrupt.
        if (id === IIR_THRE) {
          this.thrPending = false;
          this.update();
        }
        return id | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        let v = LSR_THRE | LSR_TEMT | this.lsrErrors;
        if (this.rxCount > 0) v |= LSR_DR;
        if (this.fifoEnabled && (this.lsrErrors & (LSR_PE | LSR_FE | LSR_BI)) !== 0) v |= LSR_FIFO_ERROR;
        if (this.lsrErrors !== 0) {
          this.lsrErrors = 0;
          this.update();
        }
        return v;
      }
      case 6: {
        const v = this.msrInputs() | this.msrDeltas;
        if (this.msrDeltas !== 0) {
          this.msrDeltas = 0;
          this.update();
        }
        return v;
      }
      default:
        return this.scr;
    }
  }

  /** {@link BytePortDevice.writeByte}: the eight registers. */
  protected writeByte(offset: number, value: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0:
        if (dlab) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        break;
      case 1:
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (value << 8);
        } else {
          const enablingThre = (value & IER_ETBEI) !== 0 && (this.ier & IER_ETBEI) === 0;
          this.ier = value & IER_MASK;
          // THR is always empty: enabling ETBEI raises THRE at once.
          if (enablingThre) this.thrPending = true;
        }
        break;
      case 2: {
        const wasEnabled = this.fifoEnabled;
        const enable = (value & FCR_ENABLE) !== 0;
        if (enable !== wasEnabled || (enable && (value & FCR_CLEAR_RX) !== 0)) {
          this.rxHead = 0;
          this.rxCount = 0;
        }
        // The other FCR bits are programmed only together with FIFO enable.
        this.fcr = enable ? value & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER_MASK) : 0;
        this.refill();
        break;
      }
      case 3:
        this.lcr = value;
        break;
      case 4: {
        const before = this.msrInputs();
        const wasLoop = this.loopback;
        this.mcr = value & MCR_MASK;
        this.noteInputChange(before);
        if (wasLoop && !this.loopback) this.refill();
        break;
      }
      case 5:
      case 6:
        // LSR and MSR are read-only here (factory test writes are not modelled).
        break;
      default:
        this.scr = value;
        break;
    }
    this.update();
  }

  /** {@link Device.save}. */
  save(): UartState {
    const rxFifo: number[] = [];
    for (let i = 0; i < this.rxCount; i++) rxFifo.push(this.rx[(this.rxHead + i) % UART_FIFO_DEPTH]);
    return {
      version: STATE_VERSION,
      ier: this.ier,
      fcr: this.fcr,
      lcr: this.lcr,
      mcr: this.mcr,
      lsrErrors: this.lsrErrors,
      modemLines: this.modemLines,
      msrDeltas: this.msrDeltas,
      scr: this.scr,
      divisor: this.divisor,
      thrPending: this.thrPending,
      rxFifo,
      inputQueue: this.input.toArray(),
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as UartState;
    this.ier = s.ier & IER_MASK;
    this.fcr = s.fcr & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER_MASK);
    this.lcr = s.lcr & 0xff;
    this.mcr = s.mcr & MCR_MASK;
    this.lsrErrors = s.lsrErrors & LSR_ERRORS;
    this.modemLines = s.modemLines & 0xf0;
    this.msrDeltas = s.msrDeltas & MSR_DELTAS;
    this.scr = s.scr & 0xff;
    this.divisor = s.divisor & 0xffff;
    this.thrPending = s.thrPending;
    this.rxHead = 0;
    this.rxCount = 0;
    for (const b of s.rxFifo.slice(0, UART_FIFO_DEPTH)) {
      this.rx[this.rxCount++] = b & 0xff;
    }
    this.input.clear();
    for (const b of s.inputQueue) this.input.push(b & 0xff);
    this.update();
  }
}
