import { DeviceError } from "../api/errors.js";
import { type AccessSize, type PortIoHandler, SIZE_MASK } from "../api/io.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import { PciConfigSpace, type PciConfigState, type PciFunction } from "./config-space.js";
import { CONFIG_ADDRESS_ENABLE, CONFIG_ADDRESS_MASK, PCI_CONFIG_DATA, PCI_HEADER_TYPE } from "./registers.js";

/** Saved state of a {@link PciHost} (version 1). */
export interface PciHostState extends DeviceState {
  /** CONFIG_ADDRESS. */
  readonly configAddress: number;
  /** The host bridge's own configuration space. */
  readonly bridge: PciConfigState;
}

/** Options for {@link PciHost}. */
export interface PciHostOptions {
  /**
   * Byte accesses to port 0xCF9 (offset 1 of the window), which chipsets decode as the
   * reset control register; without a handler they read 0xFF and writes are dropped.
   */
  resetControl?: PortIoHandler;
}

/**
 * A PCI host bridge with configuration mechanism #1 on ports 0xCF8–0xCFF (register this
 * at 0xCF8, 8 ports): CONFIG_ADDRESS is a dword at 0xCF8 (other widths there are not
 * config cycles); CONFIG_DATA at 0xCFC–0xCFF takes byte, word and dword accesses.
 * Bus 0 only. Absent functions read all ones. Function 0 reports the multi-function
 * bit when others exist. Device 0 function 0 is the host bridge itself (an i440FX-style
 * 8086:1237, class 06 00 00).
 */
export class PciHost implements Device, PortIoHandler {
  /** {@link Device.name}. */
  readonly name = "pci-host";
  /** The host bridge's configuration space (00:00.0). */
  readonly bridge: PciConfigSpace;
  private readonly functions: (PciFunction | null)[] = new Array<PciFunction | null>(256).fill(null);
  private readonly names: string[] = new Array<string>(256).fill("");
  private readonly resetControl: PortIoHandler | null;
  private configAddress = 0;

  constructor(options: PciHostOptions = {}) {
    this.resetControl = options.resetControl ?? null;
    this.bridge = new PciConfigSpace({ name: "pci-host-bridge", vendorId: 0x8086, deviceId: 0x1237, classCode: 0x060000, revision: 0x02 });
    this.attach(0, 0, this.bridge, "host-bridge");
  }

  /** Put `fn` at bus 0, `device` (0–31), `func` (0–7). Throws if the slot is taken. */
  attach(device: number, func: number, fn: PciFunction, name: string): void {
    if (!Number.isInteger(device) || device < 0 || device > 31 || !Number.isInteger(func) || func < 0 || func > 7) {
      throw new DeviceError(this.name, `attach(${name}): no slot ${device}.${func}`);
    }
    const devfn = (device << 3) | func;
    const cur = this.functions[devfn];
    if (cur !== null) throw new DeviceError(this.name, `attach(${name}): 00:${device.toString(16).padStart(2, "0")}.${func} already holds ${this.names[devfn]}`);
    this.functions[devfn] = fn;
    this.names[devfn] = name;
  }

  /** The function at `device`.`func`, if any. */
  functionAt(device: number, func: number): PciFunction | null {
    return this.functions[((device & 31) << 3) | (func & 7)];
  }

  private target(): PciFunction | null {
    const a = this.configAddress;
    if ((a & CONFIG_ADDRESS_ENABLE) === 0 || ((a >>> 16) & 0xff) !== 0) return null;
    return this.functions[(a >>> 8) & 0xff];
  }

  private multiFunction(devfn: number): boolean {
    if ((devfn & 7) !== 0) return false;
    for (let f = 1; f < 8; f++) if (this.functions[devfn + f] !== null) return true;
    return false;
  }

  /** {@link PortIoHandler.ioRead}. */
  ioRead(offset: number, size: AccessSize): number {
    if (offset < PCI_CONFIG_DATA) {
      if (offset === 0 && size === 4) return this.configAddress;
      if (offset === 1 && size === 1 && this.resetControl !== null) return this.resetControl.ioRead(0, 1);
      return SIZE_MASK[size];
    }
    const fn = this.target();
    if (fn === null) return SIZE_MASK[size];
    const reg = (this.configAddress & 0xfc) + (offset - PCI_CONFIG_DATA);
    let v = fn.configRead(reg, size);
    const devfn = (this.configAddress >>> 8) & 0xff;
    if (reg <= PCI_HEADER_TYPE && reg + size > PCI_HEADER_TYPE && this.multiFunction(devfn)) {
      v |= 0x80 << (8 * (PCI_HEADER_TYPE - reg));
    }
    return size === 4 ? v >>> 0 : v & SIZE_MASK[size];
  }

  /** {@link PortIoHandler.ioWrite}. */
  ioWrite(offset: number, size: AccessSize, value: number): void {
    if (offset < PCI_CONFIG_DATA) {
      if (offset === 0 && size === 4) this.configAddress = (value & CONFIG_ADDRESS_MASK) >>> 0;
      else if (offset === 1 && size === 1) this.resetControl?.ioWrite(0, 1, value);
      return;
    }
    const fn = this.target();
    if (fn === null) return;
    fn.configWrite((this.configAddress & 0xfc) + (offset - PCI_CONFIG_DATA), size, value);
  }

  /** {@link Device.reset}: CONFIG_ADDRESS cleared, every attached function reset. */
  reset(): void {
    this.configAddress = 0;
    for (const fn of this.functions) fn?.reset();
  }

  /** {@link Device.save}: CONFIG_ADDRESS and the bridge (other functions are saved by their devices). */
  save(): PciHostState {
    return { version: 1, configAddress: this.configAddress, bridge: this.bridge.save() };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, 1);
    checkShape(this.name, state, this.save());
    const s = state as PciHostState;
    this.bridge.restore(s.bridge);
    this.configAddress = (s.configAddress & CONFIG_ADDRESS_MASK) >>> 0;
  }
}
