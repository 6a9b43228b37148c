import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { LocalApic } from "../lapic/lapic.js";
import type { ApicMessageSink } from "../lapic/message.js";
import { checkConformance } from "../testing/conformance.js";
import { IoApic } from "./ioapic.js";

class Recorder implements ApicMessageSink {
  readonly log: string[] = [];
  deliverInterrupt(dest: number, logical: boolean, mode: number, vector: number, level: boolean): void {
    this.log.push(`${dest}${logical ? "L" : "P"} m${mode} v${vector.toString(16)}${level ? " level" : ""}`);
  }
}

function program(io: IoApic, pin: number, lo: number, hi = 0): void {
  io.mmioWrite(0x00, 4, 0x10 + 2 * pin + 1);
  io.mmioWrite(0x10, 4, hi >>> 0);
  io.mmioWrite(0x00, 4, 0x10 + 2 * pin);
  io.mmioWrite(0x10, 4, lo);
}

function readReg(io: IoApic, reg: number): number {
  io.mmioWrite(0, 4, reg);
  return io.mmioRead(0x10, 4) >>> 0;
}

describe("IoApic", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "ioapic",
      create(env) {
        const apic = new LocalApic({ clock: env.clock, intr: env.irq("intr") });
        apic.mmioWrite(0xf0, 4, 0x1ff);
        const io = new IoApic({ sink: apic, id: 1 });
        apic.mmioWrite(0x20, 4, 0);
        io.irq(3).setLevel(true);
        return {
          device: io,
          windows: [
            {
              kind: "mmio",
              name: "ioapic",
              size: 0x100,
              handler: io,
              registers: [
                { name: "IOREGSEL", offset: 0, widths: [4, 1], reset: 0, writeMask: 0xff },
                { name: "IOWIN", offset: 0x10, widths: [4] },
                { name: "EOI", offset: 0x40, widths: [4] },
              ],
            },
          ],
        };
      },
    });
  });

  it("identifies itself: ID, version 0x20 with 24 entries, all masked after reset", () => {
    const io = new IoApic({ sink: new Recorder(), id: 2 });
    expect(readReg(io, 0)).toBe(2 << 24);
    expect(readReg(io, 1)).toBe(0x00170020);
    for (let pin = 0; pin < 24; pin++) expect(readReg(io, 0x10 + 2 * pin)).toBe(0x10000);
  });

  it("edge pins deliver on rising edges while unmasked", () => {
    const r = new Recorder();
    const io = new IoApic({ sink: r });
    program(io, 2, 0x30, 0x01000000);
    io.irq(2).pulse();
    io.irq(2).setLevel(true);
    io.irq(2).setLevel(true);
    io.irq(2).setLevel(false);
    expect(r.log).toEqual(["1P m0 v30", "1P m0 v30"]);
    program(io, 2, 0x10030);
    io.irq(2).pulse();
    expect(r.log.length).toBe(2);
  });

  it("level pins set remote IRR and redeliver after EOI while asserted", () => {
    const r = new Recorder();
    const io = new IoApic({ sink: r });
    program(io, 10, 0x8000 | 0x800 | 0x41, 0x03000000);
    io.irq(10).setLevel(true);
    expect(r.log).toEqual(["3L m0 v41 level"]);
    expect(readReg(io, 0x10 + 20) & 0x4000).toBe(0x4000);
    io.irq(10).setLevel(true);
    expect(r.log.length).toBe(1);
    io.endOfInterrupt(0x41);
    expect(r.log.length).toBe(2); // still asserted
    io.irq(10).setLevel(false);
    io.mmioWrite(0x40, 4, 0x41); // EOI register
    expect(readReg(io, 0x10 + 20) & 0x4000).toBe(0);
    expect(r.log.length).toBe(2);
  });

  it("unmasking an asserted level pin delivers it", () => {
    const r = new Recorder();
    const io = new IoApic({ sink: r });
    program(io, 5, 0x18000 | 0x50);
    io.irq(5).setLevel(true);
    expect(r.log).toEqual([]);
    program(io, 5, 0x8000 | 0x50);
    expect(r.log).toEqual(["0P m0 v50 level"]);
  });

  it("end to end with a local APIC: level EOI from the LAPIC clears remote IRR", () => {
    const clock = new VirtualClock();
    let io: IoApic | null = null;
    const apic = new LocalApic({ clock, onEoi: (v) => io?.endOfInterrupt(v) });
    apic.mmioWrite(0xf0, 4, 0x1ff);
    io = new IoApic({ sink: apic });
    program(io, 9, 0x8000 | 0x39);
    io.irq(9).setLevel(true);
    expect(apic.acknowledge()).toBe(0x39);
    io.irq(9).setLevel(false);
    apic.mmioWrite(0xb0, 4, 0);
    expect(readReg(io, 0x10 + 18) & 0x4000).toBe(0);
    io.irq(9).setLevel(true);
    expect(apic.acknowledge()).toBe(0x39);
  });

  it("snapshots keep the table and remote IRR", () => {
    const r = new Recorder();
    const io = new IoApic({ sink: r });
    program(io, 4, 0x8000 | 0x44);
    io.irq(4).setLevel(true);
    const copy = new IoApic({ sink: r });
    copy.restore(JSON.parse(JSON.stringify(io.save())) as ReturnType<IoApic["save"]>);
    expect(readReg(copy, 0x18)).toBe(0xc044);
    copy.endOfInterrupt(0x44);
    expect(r.log.length).toBe(2);
  });
});
