import { describe, expect, it } from "vitest";
import { IoBus } from "../api/io.js";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { type MsiSink, PciConfigSpace, type PciConfigOptions } from "./config-space.js";
import { PciHost } from "./host.js";

function addr(dev: number, fn: number, reg: number): number {
  return (0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
}

function setup(opts: Partial<PciConfigOptions> = {}): {
  bus: IoBus;
  host: PciHost;
  fn: PciConfigSpace;
  irq: RecordingIrqLine;
  bars: string[];
  msis: number[][];
  sink: MsiSink;
} {
  const bus = new IoBus();
  const host = new PciHost();
  bus.register(0xcf8, 8, host, "pci");
  const irq = new RecordingIrqLine();
  const bars: string[] = [];
  const msis: number[][] = [];
  const sink: MsiSink = { sendMsi: (lo, hi, data) => msis.push([lo, hi, data]) };
  const fn = new PciConfigSpace({
    name: "test-fn",
    vendorId: 0x1af4,
    deviceId: 0x1000,
    classCode: 0x020000,
    revision: 1,
    interruptPin: 1,
    irq,
    bars: [{ kind: "io", size: 0x20 }, { kind: "mem32", size: 0x1000 }, { kind: "mem64", size: 0x4000, prefetchable: true }, null],
    onBarChange: (i, a) => bars.push(`${i}:${a < 0 ? "off" : a.toString(16)}`),
    ...opts,
  });
  host.attach(3, 0, fn, "test-fn");
  return { bus, host, fn, irq, bars, msis, sink };
}

const cfgRead = (bus: IoBus, dev: number, reg: number, size: 1 | 2 | 4 = 4, fn = 0): number => {
  bus.write(0xcf8, 4, addr(dev, fn, reg));
  return bus.read(0xcfc + (reg & 3), size);
};
const cfgWrite = (bus: IoBus, dev: number, reg: number, value: number, size: 1 | 2 | 4 = 4, fn = 0): void => {
  bus.write(0xcf8, 4, addr(dev, fn, reg));
  bus.write(0xcfc + (reg & 3), size, value);
};

describe("PCI host bridge and configuration space", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "pci-host",
      create(env) {
        const host = new PciHost();
        const fn = new PciConfigSpace({ name: "fn", vendorId: 0x1234, deviceId: 0x5678, classCode: 0x010000, irq: env.irq("inta"), bars: [{ kind: "mem32", size: 0x100 }] });
        fn.addMsi({ sink: { sendMsi: () => undefined } });
        host.attach(1, 0, fn, "fn");
        host.ioWrite(0, 4, addr(1, 0, 0));
        return {
          device: host,
          windows: [
            {
              kind: "io",
              name: "cf8",
              size: 8,
              handler: host,
              registers: [
                { name: "CONFIG_ADDRESS", offset: 0, widths: [4], reset: 0, writeMask: 0x80fffffc },
                { name: "CONFIG_DATA", offset: 4, widths: [4, 2, 1] },
              ],
            },
          ],
        };
      },
    });
  });

  it("reads IDs at every width through 0xCF8/0xCFC, including the host bridge", () => {
    const { bus } = setup();
    expect(cfgRead(bus, 0, 0)).toBe(0x12378086);
    expect(cfgRead(bus, 0, 0x08) >>> 8).toBe(0x060000);
    expect(cfgRead(bus, 3, 0)).toBe(0x10001af4);
    expect(cfgRead(bus, 3, 2, 2)).toBe(0x1000);
    expect(cfgRead(bus, 3, 3, 1)).toBe(0x10);
    expect(cfgRead(bus, 3, 0x3d, 1)).toBe(1);
    // A 16-bit access at 0xCFE straddles the window end? No: 0xCFE–0xCFF is inside.
    bus.write(0xcf8, 4, addr(3, 0, 0));
    expect(bus.read(0xcfe, 2)).toBe(0x1000);
    expect(bus.read(0xcf8, 4)).toBe(addr(3, 0, 0));
  });

  it("absent functions, other buses and a clear enable bit read all ones", () => {
    const { bus } = setup();
    expect(cfgRead(bus, 4, 0)).toBe(0xffffffff);
    expect(cfgRead(bus, 3, 0, 4, 1)).toBe(0xffffffff);
    bus.write(0xcf8, 4, (addr(3, 0, 0) | (1 << 16)) >>> 0);
    expect(bus.read(0xcfc, 4)).toBe(0xffffffff);
    bus.write(0xcf8, 4, 3 << 11);
    expect(bus.read(0xcfc, 2)).toBe(0xffff);
    // Non-dword accesses to 0xCF8 are not CONFIG_ADDRESS.
    bus.write(0xcf8, 4, addr(3, 0, 0));
    bus.write(0xcf8, 1, 0);
    expect(bus.read(0xcf8, 4)).toBe(addr(3, 0, 0));
  });

  it("BAR sizing: all ones reads back the size mask with the type bits", () => {
    const { bus } = setup();
    cfgWrite(bus, 3, 0x10, 0xffffffff);
    expect(cfgRead(bus, 3, 0x10)).toBe(0x0000ffe1);
    cfgWrite(bus, 3, 0x14, 0xffffffff);
    expect(cfgRead(bus, 3, 0x14)).toBe(0xfffff000);
    cfgWrite(bus, 3, 0x18, 0xffffffff);
    cfgWrite(bus, 3, 0x1c, 0xffffffff);
    expect(cfgRead(bus, 3, 0x18)).toBe(0xffffc00c);
    expect(cfgRead(bus, 3, 0x1c)).toBe(0xffffffff);
    cfgWrite(bus, 3, 0x20, 0xffffffff);
    expect(cfgRead(bus, 3, 0x20)).toBe(0); // unimplemented BAR
  });

  it("command register enables decoding and reports BAR moves", () => {
    const { bus, bars, fn } = setup();
    cfgWrite(bus, 3, 0x10, 0xc040);
    cfgWrite(bus, 3, 0x14, 0xfebf0000);
    cfgWrite(bus, 3, 0x18, 0xfe000000);
    cfgWrite(bus, 3, 0x1c, 0x1);
    expect(bars).toEqual([]);
    cfgWrite(bus, 3, 0x04, 0x0003, 2);
    expect(bars).toEqual(["0:c040", "1:febf0000", "2:1fe000000"]);
    expect(fn.barAddress(1)).toBe(0xfebf0000);
    cfgWrite(bus, 3, 0x04, 0x0001, 2);
    expect(bars.slice(3)).toEqual(["1:off", "2:off"]);
    expect(cfgRead(bus, 3, 0x04, 2)).toBe(0x0001);
    cfgWrite(bus, 3, 0x04, 0xffff, 2);
    expect(cfgRead(bus, 3, 0x04, 2)).toBe(0x0547);
  });

  it("IDs are read-only; status error bits are write-1-to-clear", () => {
    const { bus, fn } = setup();
    cfgWrite(bus, 3, 0x00, 0);
    expect(cfgRead(bus, 3, 0)).toBe(0x10001af4);
    fn.bytes[0x07] = 0xf9;
    cfgWrite(bus, 3, 0x06, 0x0800, 2);
    expect(cfgRead(bus, 3, 0x06, 2)).toBe(0xf100);
  });

  it("INTx follows the device, shows in status, and obeys INTx disable", () => {
    const { bus, fn, irq } = setup();
    fn.setIntx(true);
    expect(irq.level).toBe(true);
    expect(cfgRead(bus, 3, 0x06, 2) & 0x8).toBe(0x8);
    cfgWrite(bus, 3, 0x04, 0x0400, 2);
    expect(irq.level).toBe(false);
    cfgWrite(bus, 3, 0x04, 0, 2);
    expect(irq.level).toBe(true);
    fn.setIntx(false);
    expect(irq.level).toBe(false);
  });

  it("capability list links MSI; MSI messages use the programmed address/data and vectors", () => {
    const { bus, fn, msis, sink, irq } = setup();
    const off = fn.addMsi({ sink, vectors: 4, perVectorMask: true });
    expect(cfgRead(bus, 3, 0x06, 2) & 0x10).toBe(0x10);
    expect(cfgRead(bus, 3, 0x34, 1)).toBe(off);
    expect(cfgRead(bus, 3, off, 2)).toBe(0x0005);
    expect(cfgRead(bus, 3, off + 2, 2)).toBe(0x0184); // PVM, 64-bit, MMC = 4 vectors
    expect(fn.raiseMsi()).toBe(false);
    cfgWrite(bus, 3, off + 4, 0xfee01000);
    cfgWrite(bus, 3, off + 8, 0);
    cfgWrite(bus, 3, off + 0x0c, 0x4040, 2);
    cfgWrite(bus, 3, off + 2, 0x0021, 2); // enable, 4 vectors
    fn.setIntx(true);
    expect(irq.level).toBe(false); // MSI on: INTx not used
    expect(fn.raiseMsi(2)).toBe(true);
    expect(msis).toEqual([[0xfee01000, 0, 0x4042]]);
    cfgWrite(bus, 3, off + 0x10, 0x2); // mask vector 1
    fn.raiseMsi(1);
    expect(msis.length).toBe(1);
    cfgWrite(bus, 3, off + 0x10, 0x0);
    expect(msis[1]).toEqual([0xfee01000, 0, 0x4041]);
  });

  it("multi-function devices set the header type bit on function 0", () => {
    const { bus, host } = setup();
    expect(cfgRead(bus, 3, 0x0e, 1)).toBe(0x00);
    host.attach(3, 2, new PciConfigSpace({ name: "f2", vendorId: 1, deviceId: 2, classCode: 0 }), "f2");
    expect(cfgRead(bus, 3, 0x0e, 1)).toBe(0x80);
    expect(cfgRead(bus, 3, 0x0c) >>> 16).toBe(0x80);
    expect(() => {
      host.attach(3, 2, new PciConfigSpace({ name: "f2b", vendorId: 1, deviceId: 2, classCode: 0 }), "f2b");
    }).toThrow(/00:03\.2 already holds f2/);
  });

  it("reset and snapshots of a function", () => {
    const { bus, fn, bars } = setup();
    cfgWrite(bus, 3, 0x14, 0xfebf0000);
    cfgWrite(bus, 3, 0x04, 0x2, 2);
    const copy = new PciConfigSpace({ name: "copy", vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000, bars: [{ kind: "io", size: 0x20 }, { kind: "mem32", size: 0x1000 }, { kind: "mem64", size: 0x4000, prefetchable: true }] });
    copy.restore(JSON.parse(JSON.stringify(fn.save())) as ReturnType<PciConfigSpace["save"]>);
    expect(copy.barAddress(1)).toBe(0xfebf0000);
    fn.reset();
    expect(bars.slice(-2)).toEqual(["1:off", "2:off"]);
    expect(cfgRead(bus, 3, 0x14)).toBe(0);
  });
});
