import { DeviceError } from "../api/errors.js";
import type { AccessSize } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type DeviceState } from "../api/state.js";
import { type ApicMessageSink, deliverMsi } from "../lapic/message.js";
import {
  MSI_CTRL_64BIT,
  MSI_CTRL_ENABLE,
  MSI_CTRL_MMC_SHIFT,
  MSI_CTRL_MME_SHIFT,
  MSI_CTRL_PVM,
  PCI_BAR0,
  PCI_BAR_IO,
  PCI_BAR_MEM64,
  PCI_BAR_PREFETCH,
  PCI_CACHE_LINE_SIZE,
  PCI_CAP_ID_MSI,
  PCI_CAP_START,
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_WRITABLE,
  PCI_CONFIG_SIZE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_W1C,
} from "./registers.js";

/**
 * A PCI function's configuration space as the host bridge sees it. `offset` is 0–255 and
 * an access never crosses a dword boundary.
 */
export interface PciFunction {
  /** Read `size` bytes of configuration space. */
  configRead(offset: number, size: AccessSize): number;
  /** Write `size` bytes of configuration space. */
  configWrite(offset: number, size: AccessSize, value: number): void;
  /** The PCI reset (RST#). */
  reset(): void;
}

/** Where a function's MSI writes go (the APIC bus on x86). */
export interface MsiSink {
  /** An MSI memory write of `data` to `addressHi:addressLo`. */
  sendMsi(addressLo: number, addressHi: number, data: number): void;
}

/** An {@link MsiSink} that decodes x86 MSIs and delivers them to local APIC(s). */
export function apicMsiSink(apic: ApicMessageSink): MsiSink {
  return {
    sendMsi(addressLo: number, addressHi: number, data: number): void {
      if (addressHi === 0) deliverMsi(apic, addressLo, data);
    },
  };
}

/** Kind of a base address register. */
export type PciBarKind = "io" | "mem32" | "mem64";

/** One BAR of a function. */
export interface PciBarSpec {
  /** I/O, 32-bit memory, or 64-bit memory (takes two BAR slots). */
  readonly kind: PciBarKind;
  /** Size in bytes, a power of two (≥ 4 for I/O, ≥ 16 for memory). */
  readonly size: number;
  /** Prefetchable memory. */
  readonly prefetchable?: boolean;
}

/** Options for {@link PciConfigSpace}. */
export interface PciConfigOptions {
  /** Name for errors. */
  readonly name: string;
  /** Vendor ID. */
  readonly vendorId: number;
  /** Device ID. */
  readonly deviceId: number;
  /** Class code, 24 bits (class << 16 | subclass << 8 | prog-if). */
  readonly classCode: number;
  /** Revision ID (default 0). */
  readonly revision?: number;
  /** Subsystem vendor ID (default 0). */
  readonly subsystemVendorId?: number;
  /** Subsystem ID (default 0). */
  readonly subsystemId?: number;
  /** Interrupt pin: 0 none, 1–4 INTA#–INTD# (default 0). */
  readonly interruptPin?: number;
  /** BARs by slot (at most 6; a mem64 BAR occupies its slot and the next, which must be null/absent). */
  readonly bars?: readonly (PciBarSpec | null)[];
  /** The INTx wire (routed by the board). */
  readonly irq?: IrqLine;
  /** A BAR's decoded address changed: `address` is -1 when it stops decoding. */
  readonly onBarChange?: (bar: number, address: number, spec: PciBarSpec) => void;
}

/** Saved state of a {@link PciConfigSpace} (version 1). */
export interface PciConfigState extends DeviceState {
  /** The 256 bytes. */
  readonly bytes: readonly number[];
  /** INTx level as driven by the device. */
  readonly intx: boolean;
  /** MSI vectors held back by per-vector masks. */
  readonly msiPending: number;
}

/** Options for {@link PciConfigSpace.addMsi}. */
export interface MsiOptions {
  /** Where messages go. */
  readonly sink: MsiSink;
  /** Vectors requested: 1, 2, 4, 8, 16 or 32 (default 1). */
  readonly vectors?: number;
  /** 64-bit address capable (default true). */
  readonly is64?: boolean;
  /** Per-vector masking capable (default false). */
  readonly perVectorMask?: boolean;
}

/**
 * A type 0 configuration header with the generic behaviour every function shares:
 * read-only IDs, the command register, write-1-to-clear status bits, BARs with sizing
 * (writing all ones reads back the size mask), the capability list, MSI, and INTx with
 * the interrupt-disable bit. Device models own one and add their registers through
 * {@link addCapability} or by subclassing configRead/configWrite.
 */
export class PciConfigSpace implements PciFunction {
  /** Current contents. */
  readonly bytes = new Uint8Array(PCI_CONFIG_SIZE);
  /** Writable bits per byte. */
  readonly wmask = new Uint8Array(PCI_CONFIG_SIZE);
  /** Write-1-to-clear bits per byte. */
  readonly w1cmask = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly initial = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly name: string;
  private readonly bars: (PciBarSpec | null)[] = [null, null, null, null, null, null];
  private readonly decoded = [-1, -1, -1, -1, -1, -1];
  private readonly irq: IrqLine;
  private readonly onBarChange: (bar: number, address: number, spec: PciBarSpec) => void;
  private intx = false;
  private irqLevel = false;
  private nextCap = PCI_CAP_START;
  private lastCap = 0;
  private msiOffset = -1;
  private msiSink: MsiSink | null = null;
  private msiPending = 0;

  constructor(options: PciConfigOptions) {
    this.name = options.name;
    this.irq = options.irq ?? NO_IRQ;
    this.onBarChange =
      options.onBarChange ??
      ((): void => {
        /* not wired */
      });
    this.set16(0x00, options.vendorId);
    this.set16(0x02, options.deviceId);
    this.bytes[0x08] = (options.revision ?? 0) & 0xff;
    this.bytes[0x09] = options.classCode & 0xff;
    this.bytes[0x0a] = (options.classCode >> 8) & 0xff;
    this.bytes[0x0b] = (options.classCode >> 16) & 0xff;
    this.set16(0x2c, options.subsystemVendorId ?? 0);
    this.set16(0x2e, options.subsystemId ?? 0);
    this.bytes[PCI_INTERRUPT_PIN] = (options.interruptPin ?? 0) & 0xff;
    this.setMask16(PCI_COMMAND, PCI_COMMAND_WRITABLE);
    this.w1cmask[PCI_STATUS] = PCI_STATUS_W1C & 0xff;
    this.w1cmask[PCI_STATUS + 1] = PCI_STATUS_W1C >> 8;
    this.wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCI_LATENCY_TIMER] = 0xff;
    this.wmask[PCI_INTERRUPT_LINE] = 0xff;
    const bars = options.bars ?? [];
    if (bars.length > 6) throw new DeviceError(this.name, "a type 0 header has six BARs");
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i];
      if (b !== null) this.defineBar(i, b);
    }
    this.initial.set(this.bytes);
  }

  private set16(off: number, v: number): void {
    this.bytes[off] = v & 0xff;
    this.bytes[off + 1] = (v >> 8) & 0xff;
  }

  private setMask16(off: number, m: number): void {
    this.wmask[off] = m & 0xff;
    this.wmask[off + 1] = (m >> 8) & 0xff;
  }

  private setMask32(off: number, m: number): void {
    for (let i = 0; i < 4; i++) this.wmask[off + i] = (m >>> (8 * i)) & 0xff;
  }

  private get32(off: number): number {
    return (this.bytes[off] | (this.bytes[off + 1] << 8) | (this.bytes[off + 2] << 16) | (this.bytes[off + 3] << 24)) >>> 0;
  }

  private defineBar(i: number, b: PciBarSpec): void {
    const size = b.size;
    const min = b.kind === "io" ? 4 : 16;
    if (size < min || (size & (size - 1)) !== 0 || size > 0x80000000 || (b.kind === "io" && size > 0x10000)) {
      throw new DeviceError(this.name, `BAR${i}: size ${size} is not a supported power of two`);
    }
    if (b.kind === "mem64" && (i === 5 || this.bars[i + 1] !== null)) {
      throw new DeviceError(this.name, `BAR${i}: a 64-bit BAR needs the next slot free`);
    }
    const off = PCI_BAR0 + 4 * i;
    this.bars[i] = b;
    if (b.kind === "io") {
      this.bytes[off] = PCI_BAR_IO;
      this.setMask32(off, ~(size - 1) & 0xfffc);
    } else {
      this.bytes[off] = (b.kind === "mem64" ? PCI_BAR_MEM64 : 0) | (b.prefetchable === true ? PCI_BAR_PREFETCH : 0);
      this.setMask32(off, ~(size - 1) & 0xfffffff0);
      if (b.kind === "mem64") this.setMask32(off + 4, 0xffffffff);
    }
  }

  /**
   * Reserve `length` bytes for a capability with ID `id`, link it into the list and
   * return its offset. Its bytes beyond the header start read-only zero: set `wmask`
   * for writable fields.
   */
  addCapability(id: number, length: number): number {
    const off = (this.nextCap + 3) & ~3;
    if (length < 2 || off + length > PCI_CONFIG_SIZE) throw new DeviceError(this.name, `no room for capability 0x${id.toString(16)}`);
    this.bytes[off] = id;
    this.bytes[off + 1] = 0;
    if (this.lastCap === 0) this.bytes[PCI_CAPABILITY_LIST] = off;
    else this.bytes[this.lastCap + 1] = off;
    this.bytes[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    this.lastCap = off;
    this.nextCap = off + length;
    this.initial.set(this.bytes);
    return off;
  }

  /** Add an MSI capability; returns its offset. Raise messages with {@link raiseMsi}. */
  addMsi(options: MsiOptions): number {
    if (this.msiOffset >= 0) throw new DeviceError(this.name, "MSI capability already present");
    const vectors = options.vectors ?? 1;
    const mmc = Math.log2(vectors);
    if (!Number.isInteger(mmc) || mmc > 5) throw new DeviceError(this.name, `MSI: ${vectors} vectors is not 1–32, a power of two`);
    const is64 = options.is64 ?? true;
    const pvm = options.perVectorMask ?? false;
    const len = (is64 ? 0x0e : 0x0a) + (pvm ? 0x0a : 0);
    const off = this.addCapability(PCI_CAP_ID_MSI, len);
    this.set16(off + 2, (mmc << MSI_CTRL_MMC_SHIFT) | (is64 ? MSI_CTRL_64BIT : 0) | (pvm ? MSI_CTRL_PVM : 0));
    this.setMask16(off + 2, MSI_CTRL_ENABLE | (7 << MSI_CTRL_MME_SHIFT));
    this.setMask32(off + 4, 0xfffffffc);
    const dataOff = is64 ? off + 0x0c : off + 0x08;
    if (is64) this.setMask32(off + 8, 0xffffffff);
    this.setMask16(dataOff, 0xffff);
    if (pvm) this.setMask32(dataOff + 4, vectors === 32 ? 0xffffffff : (1 << vectors) - 1);
    this.msiOffset = off;
    this.msiSink = options.sink;
    this.initial.set(this.bytes);
    return off;
  }

  private get msiControl(): number {
    return this.msiOffset < 0 ? 0 : this.bytes[this.msiOffset + 2] | (this.bytes[this.msiOffset + 3] << 8);
  }

  /** MSI is enabled by the guest. */
  get msiEnabled(): boolean {
    return (this.msiControl & MSI_CTRL_ENABLE) !== 0;
  }

  /**
   * Send MSI `vector` (0 … enabled count − 1). Returns false when MSI is not enabled (use
   * INTx then). A masked vector is held pending and sent when unmasked.
   */
  raiseMsi(vector = 0): boolean {
    const ctrl = this.msiControl;
    if ((ctrl & MSI_CTRL_ENABLE) === 0 || this.msiSink === null) return false;
    const nvec = 1 << Math.min((ctrl >> MSI_CTRL_MME_SHIFT) & 7, (ctrl >> MSI_CTRL_MMC_SHIFT) & 7);
    const v = vector & (nvec - 1);
    const off = this.msiOffset;
    const is64 = (ctrl & MSI_CTRL_64BIT) !== 0;
    const dataOff = is64 ? off + 0x0c : off + 0x08;
    if ((ctrl & MSI_CTRL_PVM) !== 0 && ((this.get32(dataOff + 4) >>> v) & 1) !== 0) {
      this.msiPending |= 1 << v;
      return true;
    }
    const data = this.bytes[dataOff] | (this.bytes[dataOff + 1] << 8);
    this.msiSink.sendMsi(this.get32(off + 4), is64 ? this.get32(off + 8) : 0, (data & ~(nvec - 1)) | v);
    return true;
  }

  /** Drive the function's INTx (shown in status bit 3; gated by command bit 10 and by MSI). */
  setIntx(level: boolean): void {
    this.intx = level;
    this.updateIntx();
  }

  private updateIntx(): void {
    if (this.intx) this.bytes[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else this.bytes[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    const cmd = this.bytes[PCI_COMMAND] | (this.bytes[PCI_COMMAND + 1] << 8);
    const level = this.intx && (cmd & PCI_COMMAND_INTX_DISABLE) === 0 && !this.msiEnabled;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  /** Decoded address of BAR `i`, or -1 when it is absent or its space is disabled. */
  barAddress(i: number): number {
    const b = this.bars[i];
    if (b === null) return -1;
    const cmd = this.bytes[PCI_COMMAND];
    const off = PCI_BAR0 + 4 * i;
    if (b.kind === "io") return (cmd & PCI_COMMAND_IO) !== 0 ? (this.get32(off) & 0xfffc) >>> 0 : -1;
    if ((cmd & PCI_COMMAND_MEMORY) === 0) return -1;
    const lo = (this.get32(off) & 0xfffffff0) >>> 0;
    const hi = b.kind === "mem64" ? this.get32(off + 4) : 0;
    return hi * 0x100000000 + lo;
  }

  private updateBars(): void {
    for (let i = 0; i < 6; i++) {
      const b = this.bars[i];
      if (b === null) continue;
      const a = this.barAddress(i);
      if (a !== this.decoded[i]) {
        this.decoded[i] = a;
        this.onBarChange(i, a, b);
      }
    }
  }

  /** {@link PciFunction.configRead}. */
  configRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.bytes[(offset + i) & 0xff] << (8 * i);
    return v >>> 0;
  }

  /** {@link PciFunction.configWrite}: applies the writable and write-1-to-clear masks. */
  configWrite(offset: number, size: AccessSize, value: number): void {
    const msiPvmBefore = this.msiOffset >= 0 ? this.msiMaskBits() : 0;
    for (let i = 0; i < size; i++) {
      const off = (offset + i) & 0xff;
      const b = (value >>> (8 * i)) & 0xff;
      const w = this.wmask[off];
      this.bytes[off] = ((this.bytes[off] & ~w) | (b & w)) & ~(b & this.w1cmask[off]);
    }
    this.updateBars();
    this.updateIntx();
    if (this.msiPending !== 0 && this.msiOffset >= 0) {
      const unmasked = msiPvmBefore & ~this.msiMaskBits() & this.msiPending;
      for (let v = 0; v < 32; v++) {
        if (((unmasked >>> v) & 1) !== 0) {
          this.msiPending &= ~(1 << v);
          this.raiseMsi(v);
        }
      }
    }
  }

  private msiMaskBits(): number {
    const ctrl = this.msiControl;
    if ((ctrl & MSI_CTRL_PVM) === 0) return 0;
    return this.get32(this.msiOffset + ((ctrl & MSI_CTRL_64BIT) !== 0 ? 0x10 : 0x0c));
  }

  /** {@link PciFunction.reset}: back to the power-on header (BARs unmapped, MSI off). */
  reset(): void {
    this.bytes.set(this.initial);
    this.msiPending = 0;
    this.updateBars();
    this.updateIntx();
  }

  /** Snapshot. */
  save(): PciConfigState {
    return { version: 1, bytes: Array.from(this.bytes), intx: this.intx, msiPending: this.msiPending };
  }

  /** Restore a snapshot (the function must have the same layout). */
  restore(state: DeviceState): void {
    checkState(this.name, state, 1);
    checkShape(this.name, state, this.save());
    const s = state as PciConfigState;
    if (s.bytes.length !== PCI_CONFIG_SIZE) throw new DeviceError(this.name, `restore: config space must have 256 bytes, has ${s.bytes.length}`);
    for (let i = 0; i < PCI_CONFIG_SIZE; i++) this.bytes[i] = s.bytes[i] & 0xff;
    this.intx = s.intx;
    this.msiPending = s.msiPending >>> 0;
    this.updateBars();
    this.updateIntx();
  }
}
