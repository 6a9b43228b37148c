import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { PicPair } from "../pic/pic.js";
import { checkConformance, type RegisterSpec } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { LocalApic, type LocalApicOptions } from "./lapic.js";
import { deliverMsi } from "./message.js";
import {
  LAPIC_EOI,
  LAPIC_ESR,
  LAPIC_ICR_HI,
  LAPIC_ICR_LO,
  LAPIC_LDR,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_TIMER,
  LAPIC_PPR,
  LAPIC_SVR,
  LAPIC_TIMER_CCR,
  LAPIC_TIMER_DCR,
  LAPIC_TIMER_ICR,
  LAPIC_TPR,
  LAPIC_VERSION,
} from "./registers.js";

function make(opts: Partial<LocalApicOptions> = {}): { apic: LocalApic; clock: VirtualClock; intr: RecordingIrqLine; eois: number[]; nmis: number[] } {
  const clock = new VirtualClock();
  const intr = new RecordingIrqLine();
  const eois: number[] = [];
  const nmis: number[] = [];
  const apic = new LocalApic({ clock, intr, onEoi: (v) => eois.push(v), onNmi: () => nmis.push(1), ...opts });
  apic.mmioWrite(LAPIC_SVR, 4, 0x1ff); // software enable, spurious vector 0xFF
  return { apic, clock, intr, eois, nmis };
}

const rd = (a: LocalApic, reg: number): number => a.mmioRead(reg, 4) >>> 0;
const wr = (a: LocalApic, reg: number, v: number): void => {
  a.mmioWrite(reg, 4, v >>> 0);
};

describe("LocalApic", () => {
  it("passes the device conformance kit", () => {
    const regs: RegisterSpec[] = [
      { name: "ID", offset: 0x20, widths: [4], reset: 0 },
      { name: "VERSION", offset: 0x30, widths: [4], reset: 0x00050014 },
      { name: "TPR", offset: 0x80, widths: [4], reset: 0, writeMask: 0xff },
      { name: "PPR", offset: 0xa0, widths: [4], reset: 0 },
      { name: "EOI", offset: 0xb0, widths: [4] },
      { name: "LDR", offset: 0xd0, widths: [4], reset: 0, writeMask: 0xff000000 },
      { name: "DFR", offset: 0xe0, widths: [4], reset: 0xffffffff, writeMask: 0xf0000000 },
      { name: "SVR", offset: 0xf0, widths: [4], reset: 0xff, writeMask: 0x3ff },
      { name: "ISR0", offset: 0x100, widths: [4], reset: 0 },
      { name: "IRR7", offset: 0x270, widths: [4], reset: 0 },
      { name: "ESR", offset: 0x280, widths: [4], reset: 0 },
      { name: "ICR_LO", offset: 0x300, widths: [4], reset: 0 },
      { name: "ICR_HI", offset: 0x310, widths: [4], reset: 0, writeMask: 0xff000000 },
      ...[0x320, 0x330, 0x340, 0x350, 0x360, 0x370].map((o) => ({ name: `LVT${o.toString(16)}`, offset: o, widths: [4] as const, reset: 0x10000 })),
      { name: "TIMER_ICR", offset: 0x380, widths: [4], reset: 0, writeMask: 0xffffffff },
      { name: "TIMER_CCR", offset: 0x390, widths: [4], reset: 0 },
      { name: "TIMER_DCR", offset: 0x3e0, widths: [4], reset: 0, writeMask: 0xb },
    ];
    checkConformance({
      name: "lapic",
      create(env) {
        const pics = new PicPair();
        const apic = new LocalApic({ clock: env.clock, intr: env.irq("intr"), extInt: pics, tscDeadline: { tscToNs: (t) => t } });
        apic.enableVirtualWire();
        return { device: apic, windows: [{ kind: "mmio", name: "lapic", size: 0x1000, handler: apic, registers: regs }] };
      },
    });
  });

  it("reports version 0x14 with six LVT entries", () => {
    const { apic } = make();
    expect(rd(apic, LAPIC_VERSION)).toBe(0x00050014);
  });

  it("accepts fixed interrupts, acknowledges the highest, EOI clears ISR", () => {
    const { apic, intr } = make();
    apic.deliverInterrupt(0, false, 0, 0x41, false);
    apic.deliverInterrupt(0, false, 0, 0x62, false);
    expect(intr.level).toBe(true);
    expect(apic.acknowledge()).toBe(0x62);
    expect(rd(apic, 0x130)).toBe(1 << 2); // ISR bit 0x62
    expect(intr.level).toBe(false); // 0x41 is a lower class than in-service 0x62
    expect(rd(apic, LAPIC_PPR)).toBe(0x60);
    wr(apic, LAPIC_EOI, 0);
    expect(intr.level).toBe(true);
    expect(apic.acknowledge()).toBe(0x41);
    wr(apic, LAPIC_EOI, 0);
    expect(apic.hasInterrupt()).toBe(false);
    expect(apic.acknowledge()).toBe(0xff); // spurious
  });

  it("TPR blocks classes at or below it", () => {
    const { apic } = make();
    wr(apic, LAPIC_TPR, 0x50);
    apic.deliverInterrupt(0, false, 0, 0x55, false);
    expect(apic.hasInterrupt()).toBe(false);
    expect(rd(apic, LAPIC_PPR)).toBe(0x50);
    apic.deliverInterrupt(0, false, 0, 0x61, false);
    expect(apic.hasInterrupt()).toBe(true);
    wr(apic, LAPIC_TPR, 0x70);
    expect(apic.hasInterrupt()).toBe(false);
  });

  it("level-triggered vectors broadcast their EOI", () => {
    const { apic, eois } = make();
    apic.deliverInterrupt(0, false, 0, 0x30, true);
    apic.deliverInterrupt(0, false, 0, 0x31, false);
    expect(apic.acknowledge()).toBe(0x31);
    wr(apic, LAPIC_EOI, 0);
    expect(apic.acknowledge()).toBe(0x30);
    wr(apic, LAPIC_EOI, 0);
    expect(eois).toEqual([0x30]);
  });

  it("destinations: physical ID, broadcast, logical flat", () => {
    const { apic } = make({ id: 3 });
    apic.deliverInterrupt(2, false, 0, 0x40, false);
    expect(apic.hasInterrupt()).toBe(false);
    apic.deliverInterrupt(3, false, 0, 0x40, false);
    expect(apic.hasInterrupt()).toBe(true);
    expect(apic.matches(0xff, false)).toBe(true);
    wr(apic, LAPIC_LDR, 0x04000000);
    expect(apic.matches(0x06, true)).toBe(true);
    expect(apic.matches(0x01, true)).toBe(false);
    // MSI to APIC 3, vector 0x55.
    expect(deliverMsi(apic, 0xfee03000, 0x0055)).toBe(true);
    expect(rd(apic, 0x220) & (1 << 0x15)).toBe(1 << 0x15);
    expect(deliverMsi(apic, 0xfec00000, 0x0055)).toBe(false);
  });

  it("ICR: self IPIs, fixed delivery to its own ID, NMI, illegal vectors set ESR", () => {
    const sent: number[][] = [];
    const { apic, nmis } = make({ id: 1, ipi: { deliverInterrupt: (d, l, m, v) => sent.push([d, l ? 1 : 0, m, v]) } });
    wr(apic, LAPIC_ICR_LO, (1 << 18) | 0x70); // self
    expect(apic.acknowledge()).toBe(0x70);
    wr(apic, LAPIC_EOI, 0);
    wr(apic, LAPIC_ICR_HI, 1 << 24);
    wr(apic, LAPIC_ICR_LO, 0x71); // physical dest 1 = self
    expect(apic.acknowledge()).toBe(0x71);
    wr(apic, LAPIC_EOI, 0);
    wr(apic, LAPIC_ICR_HI, 2 << 24);
    wr(apic, LAPIC_ICR_LO, 0x72); // someone else
    expect(sent).toEqual([[2, 0, 0, 0x72]]);
    wr(apic, LAPIC_ICR_LO, (1 << 18) | (4 << 8)); // NMI to self
    expect(nmis.length).toBe(1);
    wr(apic, LAPIC_ICR_LO, (1 << 18) | 0x05); // illegal vector
    wr(apic, LAPIC_ESR, 0);
    expect(rd(apic, LAPIC_ESR)).toBe(0x20);
    wr(apic, LAPIC_ESR, 0);
    expect(rd(apic, LAPIC_ESR)).toBe(0);
    expect(rd(apic, LAPIC_ICR_LO) & 0x1000).toBe(0); // delivery status idle
  });

  it("timer one-shot: counts down at bus/divide and fires once", () => {
    const { apic, clock } = make();
    wr(apic, LAPIC_TIMER_DCR, 0x3); // divide by 16
    wr(apic, LAPIC_LVT_TIMER, 0x40);
    wr(apic, LAPIC_TIMER_ICR, 1000);
    clock.advance(16 * 250);
    expect(rd(apic, LAPIC_TIMER_CCR)).toBe(750);
    expect(apic.hasInterrupt()).toBe(false);
    clock.advance(16 * 750);
    expect(rd(apic, LAPIC_TIMER_CCR)).toBe(0);
    expect(apic.acknowledge()).toBe(0x40);
    wr(apic, LAPIC_EOI, 0);
    clock.advance(1e6);
    expect(apic.hasInterrupt()).toBe(false);
  });

  it("timer periodic: reloads and fires every period; divide change keeps the count", () => {
    const { apic, clock } = make();
    wr(apic, LAPIC_TIMER_DCR, 0xb); // divide by 1
    wr(apic, LAPIC_LVT_TIMER, 0x20000 | 0x41);
    wr(apic, LAPIC_TIMER_ICR, 100_000); // 100 µs
    let fired = 0;
    for (let i = 0; i < 100; i++) {
      clock.advance(10_000);
      if (apic.hasInterrupt()) {
        expect(apic.acknowledge()).toBe(0x41);
        wr(apic, LAPIC_EOI, 0);
        fired++;
      }
    }
    expect(fired).toBe(10);
    clock.advance(30_000);
    const before = rd(apic, LAPIC_TIMER_CCR);
    wr(apic, LAPIC_TIMER_DCR, 0x0); // divide by 2
    expect(rd(apic, LAPIC_TIMER_CCR)).toBe(before);
    clock.advance(20_000);
    expect(rd(apic, LAPIC_TIMER_CCR)).toBe(before - 10_000);
  });

  it("timer TSC-deadline mode when the embedder supports it", () => {
    const { apic, clock } = make({ tscDeadline: { tscToNs: (tsc) => tsc / 2 } });
    wr(apic, LAPIC_LVT_TIMER, 0x40000 | 0x42);
    wr(apic, LAPIC_TIMER_ICR, 5); // ignored in deadline mode
    apic.writeTscDeadline(20_000); // ns 10 000
    clock.advance(9_999);
    expect(apic.hasInterrupt()).toBe(false);
    clock.advance(1);
    expect(apic.acknowledge()).toBe(0x42);
    expect(apic.readTscDeadline()).toBe(0);
    const plain = make();
    wr(plain.apic, LAPIC_LVT_TIMER, 0x40000 | 0x42);
    expect(rd(plain.apic, LAPIC_LVT_TIMER)).toBe(0x42); // mode bit not writable
  });

  it("software disable masks every LVT", () => {
    const { apic } = make();
    wr(apic, LAPIC_LVT_TIMER, 0x40);
    wr(apic, LAPIC_SVR, 0xff);
    expect(rd(apic, LAPIC_LVT_TIMER) & 0x10000).toBe(0x10000);
    wr(apic, LAPIC_LVT_TIMER, 0x40);
    expect(rd(apic, LAPIC_LVT_TIMER) & 0x10000).toBe(0x10000);
  });

  it("virtual wire: the 8259 reaches the CPU through LINT0 ExtINT; disabled APIC passes it through", () => {
    const clock = new VirtualClock();
    const intr = new RecordingIrqLine();
    let apic: LocalApic | null = null;
    const pics = new PicPair({ intr: { setLevel: (l) => apic?.lint0.setLevel(l), pulse: () => undefined } });
    apic = new LocalApic({ clock, intr, extInt: pics });
    for (const [p, v] of [[0, 0x11], [1, 0x20], [1, 4], [1, 1]]) pics.master.ioWrite(p, 1, v);
    pics.irq(1).pulse();
    expect(intr.level).toBe(false); // LINT0 masked after reset
    apic.enableVirtualWire();
    expect(rd(apic, LAPIC_LVT_LINT0)).toBe(0x700);
    expect(intr.level).toBe(true);
    expect(apic.acknowledge()).toBe(0x21);
    expect(intr.level).toBe(false);
    pics.master.ioWrite(0, 1, 0x20);
    apic.writeApicBase(0xfee00000); // globally disabled
    pics.irq(3).pulse();
    expect(intr.level).toBe(true);
    expect(apic.acknowledge()).toBe(0x23);
  });

  it("snapshots keep IRR/ISR and the running timer", () => {
    const { apic, clock } = make();
    apic.deliverInterrupt(0, false, 0, 0x50, false);
    wr(apic, LAPIC_LVT_TIMER, 0x60);
    wr(apic, LAPIC_TIMER_ICR, 5000);
    clock.advance(1000);
    const clock2 = new VirtualClock(clock.now());
    const copy = new LocalApic({ clock: clock2 });
    copy.restore(JSON.parse(JSON.stringify(apic.save())) as ReturnType<LocalApic["save"]>);
    expect(rd(copy, LAPIC_TIMER_CCR)).toBe(rd(apic, LAPIC_TIMER_CCR));
    expect(copy.acknowledge()).toBe(0x50);
    wr(copy, LAPIC_EOI, 0);
    clock2.advance(8999);
    expect(copy.hasInterrupt()).toBe(false);
    clock2.advance(1); // 5000 counts × divide-by-2 = 10 µs after the start
    expect(copy.acknowledge()).toBe(0x60);
  });
});
