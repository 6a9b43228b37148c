/**
 * The architectural state of the x87 FPU of a P6: eight 80-bit data registers (physical
 * order), the control, status and tag words, and the last-instruction/operand pointers.
 *
 * Registers are kept as three int32 arrays (sign+exponent, significand high, significand
 * low) indexed by physical register number; ST(i) is physical (TOP + i) & 7. Like the P6,
 * the unit keeps only a "valid" bit per register (the abridged tag) and derives the full
 * tag word from the register contents when it is stored.
 */
import { Cls, Ex, classify, INDEF_HI, INDEF_SE } from "./f80.js";

/** FSW bits (besides the exception flags of `Ex`). */
export const Sw = {
  C0: 0x0100,
  C1: 0x0200,
  C2: 0x0400,
  TOP_SHIFT: 11,
  TOP_MASK: 0x3800,
  C3: 0x4000,
  /** Busy (mirrors ES on a 387 and later). */
  B: 0x8000,
  /** All four condition codes. */
  CC: 0x4700,
} as const;

/** FCW fields. */
export const Cw = {
  /** The six exception masks (IM DM ZM OM UM PM). */
  MASKS: 0x3f,
  PC_SHIFT: 8,
  PC_MASK: 0x300,
  RC_SHIFT: 10,
  RC_MASK: 0xc00,
  /** Infinity control (no effect since the 387; kept for FSTCW). */
  X: 0x1000,
  /** The value after FNINIT. */
  INIT: 0x037f,
} as const;

/** Full tag values (two bits per register in the FSTENV/FSAVE tag word). */
export const Tag = { VALID: 0, ZERO: 1, SPECIAL: 2, EMPTY: 3 } as const;

/** A snapshot of the FPU, serialisable (see `Fpu.state` / `Fpu.setState`). */
export interface FpuState {
  /** FCW. */
  cw: number;
  /** FSW including TOP. */
  sw: number;
  /** Full tag word (2 bits per physical register). */
  tw: number;
  /** FIP, FCS, FOP, FDP, FDS. */
  fip: number;
  fcs: number;
  fop: number;
  fdp: number;
  fds: number;
  /** ST(0)..ST(7) as [sign+exponent, significand high, significand low]. */
  st: [number, number, number][];
}

/** The x87 register file and control state. */
export class Fpu {
  /** Sign and exponent of each physical register. */
  readonly se = new Int32Array(8);
  /** Significand bits 63..32 of each physical register. */
  readonly hi = new Int32Array(8);
  /** Significand bits 31..0 of each physical register. */
  readonly lo = new Int32Array(8);
  /** Bit n set when physical register n is not empty. */
  valid = 0;
  /** Top-of-stack pointer. */
  top = 0;
  /** Control word. */
  cw: number = Cw.INIT;
  /** Status word without TOP (exception flags, ES, C0-C3, B). */
  sw = 0;
  /** Last instruction pointer: offset, selector, and opcode (11 bits). */
  fip = 0;
  fcs = 0;
  fop = 0;
  /** Last data (operand) pointer: offset and selector. */
  fdp = 0;
  fds = 0;
  /**
   * SSE3's FISTTP (DB/1, DD/1, DF/1). A P6 has no SSE3, so these opcodes raise #UD unless
   * an embedder modelling a later CPU turns this on.
   */
  fisttp = false;
  /** FERR# output level (asserted for a pending unmasked exception while CR0.NE = 0). */
  ferr = false;
  /** Called when FERR# changes; a PC board wires it to IRQ13 (through the PIC). */
  onFerr: ((asserted: boolean) => void) | null = null;
  /**
   * IGNNE# input. While deasserted, a waiting FP instruction meeting a pending exception with
   * CR0.NE = 0 freezes (as a P6 does) until an interrupt; while asserted it proceeds.
   */
  ignne = false;

  constructor() {
    this.reset();
  }

  /** FNINIT: default control word, empty stack, cleared flags and pointers. */
  reset(): void {
    this.cw = Cw.INIT;
    this.sw = 0;
    this.top = 0;
    this.valid = 0;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
    this.setFerr(false);
  }

  /** Drive FERR#. */
  setFerr(level: boolean): void {
    if (this.ferr !== level) {
      this.ferr = level;
      if (this.onFerr !== null) this.onFerr(level);
    }
  }

  /** The status word as FNSTSW stores it (with TOP, ES and B). */
  getSw(): number {
    let sw = this.sw & ~(Ex.ES | Sw.B | Sw.TOP_MASK);
    if ((sw & ~this.cw & Cw.MASKS) !== 0) sw |= Ex.ES | Sw.B;
    return sw | (this.top << Sw.TOP_SHIFT);
  }

  /** Load the status word (FLDENV/FRSTOR): TOP, flags and condition codes. */
  setSw(v: number): void {
    this.top = (v >> Sw.TOP_SHIFT) & 7;
    this.sw = v & ~(Sw.TOP_MASK | Ex.ES | Sw.B);
    this.updateEs();
  }

  /** Load the control word and recompute ES (unmasking a raised flag makes it pending). */
  setCw(v: number): void {
    this.cw = (v & 0x1f3f) | 0x40;
    this.updateEs();
  }

  /** Recompute ES/B from the flags and masks (pending-exception summary). */
  updateEs(): void {
    if ((this.sw & ~this.cw & Cw.MASKS) !== 0) this.sw |= Ex.ES | Sw.B;
    else {
      this.sw &= ~(Ex.ES | Sw.B);
      this.setFerr(false);
    }
  }

  /** Full tag of physical register p. */
  tagOf(p: number): number {
    if (((this.valid >> p) & 1) === 0) return Tag.EMPTY;
    switch (classify(this.se[p], this.hi[p], this.lo[p])) {
      case Cls.ZERO: return Tag.ZERO;
      case Cls.NORMAL: return Tag.VALID;
      default: return Tag.SPECIAL;
    }
  }

  /** The full tag word (FSTENV/FSAVE). */
  getTw(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) tw |= this.tagOf(p) << (2 * p);
    return tw;
  }

  /** Load a full tag word: only "empty" (11) versus not-empty matters. */
  setTw(tw: number): void {
    let v = 0;
    for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== Tag.EMPTY) v |= 1 << p;
    this.valid = v;
  }

  /** The abridged (FXSAVE) tag byte: bit n = physical register n not empty. */
  getAbridgedTw(): number {
    return this.valid;
  }

  /** Physical register number of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }

  /** True when ST(i) is empty. */
  isEmpty(i: number): boolean {
    return ((this.valid >> ((this.top + i) & 7)) & 1) === 0;
  }

  /** Write ST(i) (marks it valid). */
  setSt(i: number, se: number, hi: number, lo: number): void {
    const p = (this.top + i) & 7;
    this.se[p] = se;
    this.hi[p] = hi;
    this.lo[p] = lo;
    this.valid |= 1 << p;
  }

  /** Decrement TOP and write the new ST(0). */
  push(se: number, hi: number, lo: number): void {
    this.top = (this.top - 1) & 7;
    this.setSt(0, se, hi, lo);
  }

  /** Mark ST(0) empty and increment TOP. */
  pop(): void {
    this.valid &= ~(1 << this.top);
    this.top = (this.top + 1) & 7;
  }

  /** Write the real indefinite into ST(i). */
  setIndefinite(i: number): void {
    this.setSt(i, INDEF_SE, INDEF_HI, 0);
  }

  /** Serialisable snapshot. */
  state(): FpuState {
    const st: [number, number, number][] = [];
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      st.push([this.se[p] & 0xffff, this.hi[p] >>> 0, this.lo[p] >>> 0]);
    }
    return {
      cw: this.cw, sw: this.getSw(), tw: this.getTw(),
      fip: this.fip >>> 0, fcs: this.fcs, fop: this.fop, fdp: this.fdp >>> 0, fds: this.fds, st,
    };
  }

  /** Restore a snapshot taken by `state`. */
  setState(s: FpuState): void {
    this.cw = s.cw & 0xffff;
    this.setSw(s.sw);
    this.fip = s.fip | 0;
    this.fcs = s.fcs & 0xffff;
    this.fop = s.fop & 0x7ff;
    this.fdp = s.fdp | 0;
    this.fds = s.fds & 0xffff;
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      this.se[p] = s.st[i][0] & 0xffff;
      this.hi[p] = s.st[i][1] | 0;
      this.lo[p] = s.st[i][2] | 0;
    }
    this.setTw(s.tw);
    this.updateEs();
  }

  /**
   * Load the state from a 32-bit protected-mode FSAVE image (108 bytes), as FRSTOR would.
   * For embedders and test harnesses.
   */
  loadFsaveImage(b: Uint8Array): void {
    const w = (o: number): number => b[o] | (b[o + 1] << 8);
    const d = (o: number): number => w(o) | (w(o + 2) << 16);
    this.cw = w(0);
    this.setSw(w(4));
    this.fip = d(12);
    this.fcs = w(16);
    this.fop = w(18) & 0x7ff;
    this.fdp = d(20);
    this.fds = w(24);
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      const o = 28 + 10 * i;
      this.lo[p] = d(o);
      this.hi[p] = d(o + 4);
      this.se[p] = w(o + 8);
    }
    this.setTw(w(8));
    this.updateEs();
  }

  /** Store the state as a 32-bit protected-mode FSAVE image (108 bytes), without the FNINIT. */
  saveFsaveImage(b: Uint8Array): void {
    const w = (o: number, v: number): void => {
      b[o] = v & 0xff;
      b[o + 1] = (v >>> 8) & 0xff;
    };
    const d = (o: number, v: number): void => {
      w(o, v);
      w(o + 2, v >>> 16);
    };
    b.fill(0, 0, 108);
    w(0, this.cw);
    w(2, 0xffff);
    w(4, this.getSw());
    w(6, 0xffff);
    w(8, this.getTw());
    w(10, 0xffff);
    d(12, this.fip);
    w(16, this.fcs);
    w(18, this.fop);
    d(20, this.fdp);
    w(24, this.fds);
    w(26, 0xffff);
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      const o = 28 + 10 * i;
      d(o, this.lo[p]);
      d(o + 4, this.hi[p]);
      w(o + 8, this.se[p]);
    }
  }
}
