import { describe, expect, it } from "vitest";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { PicPair } from "./pic.js";

function init(pics: PicPair, masterBase = 0x30, slaveBase = 0x38, icw4 = 0x01): void {
  const m = pics.master;
  const s = pics.slave;
  m.ioWrite(0, 1, 0x11);
  m.ioWrite(1, 1, masterBase);
  m.ioWrite(1, 1, 0x04);
  m.ioWrite(1, 1, icw4);
  s.ioWrite(0, 1, 0x11);
  s.ioWrite(1, 1, slaveBase);
  s.ioWrite(1, 1, 0x02);
  s.ioWrite(1, 1, icw4);
  m.ioWrite(1, 1, 0);
  s.ioWrite(1, 1, 0);
}

function make(icw4 = 0x01): { pics: PicPair; intr: RecordingIrqLine } {
  const intr = new RecordingIrqLine();
  const pics = new PicPair({ intr });
  init(pics, 0x30, 0x38, icw4);
  return { pics, intr };
}

const eoi = (pics: PicPair, slave = false): void => {
  if (slave) pics.slave.ioWrite(0, 1, 0x20);
  pics.master.ioWrite(0, 1, 0x20);
};

describe("PicPair (8259A ×2)", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "pic8259",
      create(env) {
        const pics = new PicPair({ intr: env.irq("intr") });
        // Devices drive a few lines so the fuzz sees requests.
        pics.irq(0).setLevel(true);
        pics.irq(12).setLevel(true);
        pics.irq(5).pulse();
        return {
          device: pics,
          windows: [
            { kind: "io", name: "master", size: 2, handler: pics.master, registers: [{ name: "CMD", offset: 0, widths: [1] }, { name: "IMR", offset: 1, widths: [1], reset: 0 }] },
            { kind: "io", name: "slave", size: 2, handler: pics.slave, registers: [{ name: "CMD", offset: 0, widths: [1] }, { name: "IMR", offset: 1, widths: [1], reset: 0 }] },
            {
              kind: "io",
              name: "elcr",
              size: 2,
              handler: pics.elcrPorts,
              registers: [
                { name: "ELCR1", offset: 0, widths: [1], reset: 0, writeMask: 0xf8 },
                { name: "ELCR2", offset: 1, widths: [1], reset: 0, writeMask: 0xde },
              ],
            },
          ],
        };
      },
    });
  });

  it("delivers a master IRQ with the ICW2 vector and holds it in service until EOI", () => {
    const { pics, intr } = make();
    pics.irq(0).pulse();
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x30);
    expect(intr.level).toBe(false);
    pics.master.ioWrite(0, 1, 0x0b); // OCW3: read ISR
    expect(pics.master.ioRead(0, 1)).toBe(0x01);
    pics.irq(0).pulse(); // latched while in service, not presented
    expect(intr.level).toBe(false);
    eoi(pics);
    expect(pics.master.ioRead(0, 1)).toBe(0x00);
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x30);
  });

  it("cascades slave IRQs through master IRQ2", () => {
    const { pics, intr } = make();
    pics.irq(12).pulse();
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x38 + 4);
    pics.master.ioWrite(0, 1, 0x0b);
    pics.slave.ioWrite(0, 1, 0x0b);
    expect(pics.master.ioRead(0, 1)).toBe(0x04);
    expect(pics.slave.ioRead(0, 1)).toBe(0x10);
    eoi(pics, true);
    expect(pics.master.ioRead(0, 1)).toBe(0);
    expect(pics.slave.ioRead(0, 1)).toBe(0);
  });

  it("fully nested priority: higher IRQs preempt, lower ones wait", () => {
    const { pics, intr } = make();
    pics.irq(3).pulse();
    pics.irq(5).pulse();
    expect(pics.acknowledge()).toBe(0x33);
    expect(intr.level).toBe(false); // 5 waits behind 3
    pics.irq(1).pulse();
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x31);
    eoi(pics); // ends 1
    eoi(pics); // ends 3
    expect(pics.acknowledge()).toBe(0x35);
  });

  it("masks with OCW1 and reads IRR with OCW3", () => {
    const { pics, intr } = make();
    pics.master.ioWrite(1, 1, 0x10);
    pics.irq(4).pulse();
    expect(intr.level).toBe(false);
    pics.master.ioWrite(0, 1, 0x0a);
    expect(pics.master.ioRead(0, 1)).toBe(0x10);
    expect(pics.master.ioRead(1, 1)).toBe(0x10);
    pics.master.ioWrite(1, 1, 0);
    expect(intr.level).toBe(true);
  });

  it("level mode via ELCR follows the line; edge mode latches pulses", () => {
    const { pics, intr } = make();
    pics.elcrPorts.ioWrite(1, 1, 0xff);
    expect(pics.elcrPorts.ioRead(1, 1)).toBe(0xde);
    pics.elcrPorts.ioWrite(0, 1, 0xff);
    expect(pics.elcrPorts.ioRead(0, 1)).toBe(0xf8);
    // Level IRQ 11: re-interrupts after EOI while the line stays high.
    pics.irq(11).setLevel(true);
    expect(pics.acknowledge()).toBe(0x38 + 3);
    eoi(pics, true);
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x38 + 3);
    pics.irq(11).setLevel(false);
    eoi(pics, true);
    expect(intr.level).toBe(false);
    // Level IRQ 10 withdrawn before INTA → no request.
    pics.irq(10).setLevel(true);
    pics.irq(10).setLevel(false);
    expect(intr.level).toBe(false);
    // Edge IRQ 8 (cannot be level) keeps a pulse.
    pics.irq(8).pulse();
    expect(pics.acknowledge()).toBe(0x38);
  });

  it("returns the spurious vector (IRQ7 / IRQ15) when nothing is pending", () => {
    const { pics } = make();
    expect(pics.acknowledge()).toBe(0x37);
    pics.master.ioWrite(0, 1, 0x0b);
    expect(pics.master.ioRead(0, 1)).toBe(0);
  });

  it("auto-EOI leaves ISR clear; rotate in AEOI lowers the served IRQ", () => {
    const { pics } = make(0x03);
    pics.master.ioWrite(0, 1, 0x80); // set rotate in AEOI
    pics.irq(0).pulse();
    pics.irq(1).pulse();
    expect(pics.acknowledge()).toBe(0x30);
    pics.master.ioWrite(0, 1, 0x0b);
    expect(pics.master.ioRead(0, 1)).toBe(0);
    pics.irq(0).pulse();
    // IRQ0 is now lowest priority: IRQ1 goes first.
    expect(pics.acknowledge()).toBe(0x31);
    // After serving 1, IRQ2..7 outrank 0 but none pend: 0 goes.
    expect(pics.acknowledge()).toBe(0x30);
  });

  it("rotate on non-specific EOI and set-priority commands", () => {
    const { pics } = make();
    pics.irq(5).pulse();
    expect(pics.acknowledge()).toBe(0x35);
    pics.master.ioWrite(0, 1, 0xa0); // rotate on EOI: 5 lowest, 6 highest
    pics.irq(4).pulse();
    pics.irq(6).pulse();
    expect(pics.acknowledge()).toBe(0x36);
    pics.master.ioWrite(0, 1, 0x60 | 6); // specific EOI
    pics.master.ioWrite(0, 1, 0xc0 | 3); // IRQ3 lowest → IRQ4 highest
    pics.irq(1).pulse();
    expect(pics.acknowledge()).toBe(0x34);
  });

  it("special mask mode lets lower-priority IRQs through while a masked one is in service", () => {
    const { pics, intr } = make();
    pics.irq(3).pulse();
    expect(pics.acknowledge()).toBe(0x33);
    pics.irq(6).pulse();
    expect(intr.level).toBe(false);
    pics.master.ioWrite(1, 1, 0x08); // mask 3
    pics.master.ioWrite(0, 1, 0x68); // OCW3: ESMM + SMM
    expect(intr.level).toBe(true);
    expect(pics.acknowledge()).toBe(0x36);
    pics.master.ioWrite(0, 1, 0x48); // leave special mask mode
    pics.master.ioWrite(0, 1, 0x60 | 6);
    pics.irq(7).pulse();
    expect(intr.level).toBe(false); // 3 still in service
  });

  it("poll command returns 0x80 | IRQ and acknowledges it", () => {
    const { pics, intr } = make();
    pics.irq(6).pulse();
    pics.master.ioWrite(0, 1, 0x0c);
    expect(pics.master.ioRead(0, 1)).toBe(0x86);
    expect(intr.level).toBe(false);
    pics.master.ioWrite(0, 1, 0x0c);
    expect(pics.master.ioRead(1, 1)).toBe(0);
  });

  it("ICW1 resets masks and in-service state; single mode skips ICW3", () => {
    const { pics } = make();
    pics.master.ioWrite(1, 1, 0xff);
    pics.master.ioWrite(0, 1, 0x13); // single, IC4
    pics.master.ioWrite(1, 1, 0x40);
    pics.master.ioWrite(1, 1, 0x01); // ICW4, not ICW3
    expect(pics.master.ioRead(1, 1)).toBe(0);
    pics.irq(2 + 1).pulse();
    expect(pics.acknowledge()).toBe(0x43);
  });

  it("snapshots keep in-service and pending state", () => {
    const { pics } = make();
    pics.irq(1).pulse();
    pics.irq(9).pulse();
    expect(pics.acknowledge()).toBe(0x31);
    const copy = new PicPair();
    copy.restore(JSON.parse(JSON.stringify(pics.save())) as ReturnType<PicPair["save"]>);
    eoi(copy);
    expect(copy.acknowledge()).toBe(0x39);
    expect(() => {
      copy.restore({ version: 7 });
    }).toThrow(/pic8259.*version 7/);
  });
});
