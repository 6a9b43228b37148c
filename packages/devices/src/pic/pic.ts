import { BytePortDevice } from "../api/io.js";
import { type InterruptController, type IrqLine, IrqPin, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import {
  ELCR_MASTER_WRITABLE,
  ELCR_SLAVE_WRITABLE,
  ICW1_IC4,
  ICW1_INIT,
  ICW1_LTIM,
  ICW1_SNGL,
  ICW4_AEOI,
  ICW4_SFNM,
  OCW2_CLEAR_ROTATE_AEOI,
  OCW2_EOI,
  OCW2_OP_MASK,
  OCW2_ROTATE_EOI,
  OCW2_ROTATE_SPECIFIC_EOI,
  OCW2_SET_PRIORITY,
  OCW2_SET_ROTATE_AEOI,
  OCW2_SPECIFIC_EOI,
  OCW3_ESMM,
  OCW3_POLL,
  OCW3_RIS,
  OCW3_RR,
  OCW3_SELECT,
  OCW3_SMM,
  PIC_CASCADE_IRQ,
} from "./registers.js";
import type { PicChipState, PicPairState } from "./state.js";

const STATE_VERSION = 1;

/**
 * One 8259A. Its two ports (command, data) are its {@link PortIoHandler}; a
 * {@link PicPair} owns two of them and their cascade.
 *
 * Edge-triggered inputs latch IRR on a rising edge and keep it until acknowledged (a
 * pulse is not lost when the line drops before INTA); level-triggered inputs follow the
 * line.
 */
export class Pic8259 extends BytePortDevice {
  /** Interrupt request register. */
  irr = 0;
  /** In-service register. */
  isr = 0;
  /** Interrupt mask register. */
  imr = 0;
  /** Input levels. */
  lines = 0;
  /** Edge/level control register (ELCR), 1 = level. */
  elcr = 0;
  private icwStep = 0;
  private icw1 = 0;
  /** Vector base from ICW2. */
  vectorBase = 0;
  private icw3 = 0;
  private icw4 = 0;
  private priorityAdd = 0;
  private rotateOnAeoi = false;
  private specialMask = false;
  private readIsr = false;
  private poll = false;

  constructor(
    private readonly changed: () => void,
    /** True for the master (IRQ 0–7). */
    readonly isMaster: boolean,
  ) {
    super();
  }

  /** Bits that are level-triggered (ICW1.LTIM forces all). */
  private get levelMask(): number {
    return (this.icw1 & ICW1_LTIM) !== 0 ? 0xff : this.elcr;
  }

  /** Writable ELCR bits of this chip. */
  get elcrWritable(): number {
    return this.isMaster ? ELCR_MASTER_WRITABLE : ELCR_SLAVE_WRITABLE;
  }

  /** Power-on state (ELCR cleared, input levels kept: they belong to the devices). */
  reset(): void {
    this.elcr = 0;
    this.icw1 = 0;
    this.icwStep = 0;
    this.vectorBase = this.isMaster ? 0x08 : 0x70;
    this.icw3 = this.isMaster ? 1 << PIC_CASCADE_IRQ : PIC_CASCADE_IRQ;
    this.icw4 = 0;
    this.initCommon();
  }

  private initCommon(): void {
    this.imr = 0;
    this.isr = 0;
    // Edge sense is reset: an edge input needs a new low → high transition.
    this.irr = this.lines & this.levelMask;
    this.priorityAdd = 0;
    this.rotateOnAeoi = false;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
  }

  /** Drive input `pin` (0–7). */
  setInput(pin: number, level: boolean): void {
    const bit = 1 << pin;
    if (level) {
      if ((this.levelMask & bit) !== 0 || (this.lines & bit) === 0) this.irr |= bit;
      this.lines |= bit;
    } else {
      this.lines &= ~bit;
      if ((this.levelMask & bit) !== 0) this.irr &= ~bit;
    }
  }

  /**
   * Drive the cascade input from the slave's INT output. It follows the level (a
   * request the slave withdraws before INTA is withdrawn here too, so no spurious IRQ15).
   */
  setCascade(level: boolean): void {
    const bit = 1 << PIC_CASCADE_IRQ;
    this.lines = level ? this.lines | bit : this.lines & ~bit;
    this.irr = level ? this.irr | bit : this.irr & ~bit;
  }

  /** Set ELCR (masked to the writable bits) and re-evaluate level inputs. */
  setElcr(value: number): void {
    this.elcr = value & this.elcrWritable;
    const lv = this.levelMask;
    this.irr = (this.irr & ~lv) | (this.lines & lv);
  }

  /** Priority rank (0 = highest) of the best set bit of `mask`, or 8. */
  private rank(mask: number): number {
    if (mask === 0) return 8;
    for (let p = 0; p < 8; p++) if ((mask & (1 << ((p + this.priorityAdd) & 7))) !== 0) return p;
    return 8;
  }

  /** The IRQ (0–7) this chip would present on INT now, or -1. */
  pendingIrq(): number {
    const req = this.irr & ~this.imr;
    if (req === 0) return -1;
    const p = this.rank(req);
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.isMaster && (this.icw4 & ICW4_SFNM) !== 0) inService &= ~(1 << PIC_CASCADE_IRQ);
    return p < this.rank(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  /** INTA for `irq`: set ISR (unless AEOI), clear an edge-triggered request. */
  ack(irq: number): void {
    const bit = 1 << irq;
    if ((this.icw4 & ICW4_AEOI) !== 0) {
      if (this.rotateOnAeoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= bit;
    }
    if ((this.levelMask & bit) === 0) this.irr &= ~bit;
  }

  /** True when ICW1 said single (no cascade). */
  get single(): boolean {
    return (this.icw1 & ICW1_SNGL) !== 0;
  }

  private highestInService(): number {
    const p = this.rank(this.isr);
    return p === 8 ? -1 : (p + this.priorityAdd) & 7;
  }

  private pollRead(): number {
    this.poll = false;
    const irq = this.pendingIrq();
    if (irq < 0) return 0;
    this.ack(irq);
    this.changed();
    return 0x80 | irq;
  }

  /** {@link BytePortDevice.readByte}: IRR/ISR or poll at A0=0, IMR at A0=1. */
  protected readByte(offset: number): number {
    if (this.poll) return this.pollRead();
    if ((offset & 1) === 0) return this.readIsr ? this.isr : this.irr;
    return this.imr;
  }

  /** {@link BytePortDevice.writeByte}: ICW1/OCW2/OCW3 at A0=0, ICW2–4/OCW1 at A0=1. */
  protected writeByte(offset: number, v: number): void {
    if ((offset & 1) === 0) {
      if ((v & ICW1_INIT) !== 0) {
        this.icw1 = v;
        this.icwStep = 2;
        if ((v & ICW1_IC4) === 0) this.icw4 = 0;
        this.initCommon();
      } else if ((v & OCW3_SELECT) !== 0) {
        if ((v & OCW3_POLL) !== 0) this.poll = true;
        if ((v & OCW3_RR) !== 0) this.readIsr = (v & OCW3_RIS) !== 0;
        if ((v & OCW3_ESMM) !== 0) this.specialMask = (v & OCW3_SMM) !== 0;
      } else {
        this.ocw2(v);
      }
    } else {
      switch (this.icwStep) {
        case 2:
          this.vectorBase = v & 0xf8;
          this.icwStep = this.single ? ((this.icw1 & ICW1_IC4) !== 0 ? 4 : 0) : 3;
          break;
        case 3:
          this.icw3 = v;
          this.icwStep = (this.icw1 & ICW1_IC4) !== 0 ? 4 : 0;
          break;
        case 4:
          this.icw4 = v & 0x1f;
          this.icwStep = 0;
          break;
        default:
          this.imr = v;
          break;
      }
    }
    this.changed();
  }

  private ocw2(v: number): void {
    const level = v & 7;
    switch (v & OCW2_OP_MASK) {
      case OCW2_EOI:
      case OCW2_ROTATE_EOI: {
        const irq = this.highestInService();
        if (irq < 0) break;
        this.isr &= ~(1 << irq);
        if ((v & OCW2_OP_MASK) === OCW2_ROTATE_EOI) this.priorityAdd = (irq + 1) & 7;
        break;
      }
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        break;
      case OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        this.priorityAdd = (level + 1) & 7;
        break;
      case OCW2_SET_PRIORITY:
        this.priorityAdd = (level + 1) & 7;
        break;
      case OCW2_SET_ROTATE_AEOI:
        this.rotateOnAeoi = true;
        break;
      case OCW2_CLEAR_ROTATE_AEOI:
        this.rotateOnAeoi = false;
        break;
      default:
        break; // 0x40: no operation
    }
  }

  /** Snapshot of this chip. */
  save(): PicChipState {
    return {
      irr: this.irr,
      isr: this.isr,
      imr: this.imr,
      lines: this.lines,
      elcr: this.elcr,
      icwStep: this.icwStep,
      icw1: this.icw1,
      vectorBase: this.vectorBase,
      icw3: this.icw3,
      icw4: this.icw4,
      priorityAdd: this.priorityAdd,
      rotateOnAeoi: this.rotateOnAeoi,
      specialMask: this.specialMask,
      readIsr: this.readIsr,
      poll: this.poll,
    };
  }

  /** Load a chip snapshot (already shape-checked). */
  restore(s: PicChipState): void {
    this.irr = s.irr & 0xff;
    this.isr = s.isr & 0xff;
    this.imr = s.imr & 0xff;
    this.lines = s.lines & 0xff;
    this.elcr = s.elcr & this.elcrWritable;
    this.icwStep = [0, 2, 3, 4].includes(s.icwStep) ? s.icwStep : 0;
    this.icw1 = s.icw1 & 0xff;
    this.vectorBase = s.vectorBase & 0xf8;
    this.icw3 = s.icw3 & 0xff;
    this.icw4 = s.icw4 & 0x1f;
    this.priorityAdd = s.priorityAdd & 7;
    this.rotateOnAeoi = s.rotateOnAeoi;
    this.specialMask = s.specialMask;
    this.readIsr = s.readIsr;
    this.poll = s.poll;
  }
}

/** The ELCR pair (PIIX ports 0x4D0 master, 0x4D1 slave). */
class ElcrPorts extends BytePortDevice {
  constructor(private readonly pair: PicPair) {
    super();
  }

  protected readByte(offset: number): number {
    return (offset & 1) === 0 ? this.pair.master.elcr : this.pair.slave.elcr;
  }

  protected writeByte(offset: number, value: number): void {
    ((offset & 1) === 0 ? this.pair.master : this.pair.slave).setElcr(value);
    this.pair.update();
  }
}

/** Options for {@link PicPair}. */
export interface PicPairOptions {
  /** The master's INT output (to the CPU's INTR, or the LAPIC's LINT0). */
  intr?: IrqLine;
}

/**
 * The PC's cascaded 8259A pair: master (ports 0x20/0x21), slave (0xA0/0xA1) on master
 * IRQ2, and the PIIX ELCR (0x4D0/0x4D1). Register `master`, `slave` and `elcrPorts` on
 * the I/O bus; devices drive {@link irq}(n); the CPU calls {@link acknowledge} for the
 * INTA cycle. Input 2 is the cascade and is not available to devices.
 */
export class PicPair implements Device, InterruptController {
  /** {@link Device.name}. */
  readonly name = "pic8259";
  /** The master chip; its ports are the 0x20 window. */
  readonly master: Pic8259;
  /** The slave chip; its ports are the 0xA0 window. */
  readonly slave: Pic8259;
  /** The two ELCR ports (0x4D0 window). */
  readonly elcrPorts: BytePortDevice;
  private readonly intr: IrqLine;
  private readonly pins: IrqPin[] = [];
  private intrLevel = false;

  constructor(options: PicPairOptions = {}) {
    const changed = (): void => {
      this.update();
    };
    this.master = new Pic8259(changed, true);
    this.slave = new Pic8259(changed, false);
    this.elcrPorts = new ElcrPorts(this);
    this.intr = options.intr ?? NO_IRQ;
    for (let i = 0; i < 16; i++) {
      this.pins.push(
        new IrqPin((pin, level) => {
          this.setIrq(pin, level);
        }, i),
      );
    }
    this.master.reset();
    this.slave.reset();
  }

  /** The input line for ISA IRQ `n` (0–15). */
  irq(n: number): IrqLine {
    const p = this.pins[n] as IrqPin | undefined;
    if (p === undefined) throw new RangeError(`pic8259: no IRQ ${n}`);
    return p;
  }

  /** Drive ISA IRQ `n` directly. IRQ2 (the cascade input) is ignored. */
  setIrq(n: number, level: boolean): void {
    if (n === PIC_CASCADE_IRQ) return;
    if (n < 8) this.master.setInput(n, level);
    else this.slave.setInput(n - 8, level);
    this.update();
  }

  /** True when the master presents an interrupt on INT. */
  hasInterrupt(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  /** Re-evaluate the cascade and the INT output. */
  update(): void {
    const slaveOut = this.slave.pendingIrq() >= 0;
    this.master.setCascade(slaveOut);
    const level = this.master.pendingIrq() >= 0;
    if (level !== this.intrLevel) {
      this.intrLevel = level;
      this.intr.setLevel(level);
    }
  }

  /**
   * The INTA cycle: returns the vector of the highest-priority request and moves it to
   * in-service. With nothing pending it returns the spurious vector (IRQ7 of the master,
   * or IRQ15 of the slave when the cascade was chosen) without setting ISR.
   */
  acknowledge(): number {
    const m = this.master;
    const irq = m.pendingIrq();
    let vector: number;
    if (irq < 0) {
      vector = m.vectorBase | 7;
    } else {
      m.ack(irq);
      if (irq === PIC_CASCADE_IRQ && !m.single) {
        const s = this.slave;
        const sirq = s.pendingIrq();
        if (sirq < 0) {
          vector = s.vectorBase | 7;
        } else {
          s.ack(sirq);
          vector = s.vectorBase + sirq;
        }
      } else {
        vector = m.vectorBase + irq;
      }
    }
    this.update();
    return vector;
  }

  /** {@link Device.reset}. */
  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.update();
  }

  /** {@link Device.save}. */
  save(): PicPairState {
    return { version: STATE_VERSION, master: this.master.save(), slave: this.slave.save() };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as PicPairState;
    this.master.restore(s.master);
    this.slave.restore(s.slave);
    this.update();
  }
}
