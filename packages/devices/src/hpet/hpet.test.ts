import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { Hpet } from "./hpet.js";

function make(): { hpet: Hpet; clock: VirtualClock; irq0: RecordingIrqLine; irq8: RecordingIrqLine; pins: Map<number, RecordingIrqLine>; legacy: boolean[] } {
  const clock = new VirtualClock(12345);
  const irq0 = new RecordingIrqLine();
  const irq8 = new RecordingIrqLine();
  const pins = new Map<number, RecordingIrqLine>();
  const legacy: boolean[] = [];
  const hpet = new Hpet({
    clock,
    legacyIrq0: irq0,
    legacyIrq8: irq8,
    ioapicIrq: (p) => {
      let l = pins.get(p);
      if (l === undefined) {
        l = new RecordingIrqLine();
        pins.set(p, l);
      }
      return l;
    },
    onLegacyReplacement: (e) => legacy.push(e),
  });
  return { hpet, clock, irq0, irq8, pins, legacy };
}

const rd = (h: Hpet, off: number): number => h.mmioRead(off, 4) >>> 0;
const wr = (h: Hpet, off: number, v: number): void => {
  h.mmioWrite(off, 4, v >>> 0);
};
const counter = (h: Hpet): number => rd(h, 0xf4) * 2 ** 32 + rd(h, 0xf0);

describe("Hpet", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "hpet",
      create(env) {
        const hpet = new Hpet({ clock: env.clock, legacyIrq0: env.irq("irq0"), legacyIrq8: env.irq("irq8"), ioapicIrq: (p) => env.irq(`gsi${p}`) });
        return {
          device: hpet,
          windows: [
            {
              kind: "mmio",
              name: "hpet",
              size: 0x400,
              handler: hpet,
              registers: [
                { name: "CAP", offset: 0x000, widths: [8, 4], reset: 0x009896808086a201n },
                { name: "CONFIG", offset: 0x010, widths: [8, 4], reset: 0, writeMask: 0x3 },
                { name: "ISR", offset: 0x020, widths: [8, 4], reset: 0 },
                { name: "COUNTER", offset: 0x0f0, widths: [8, 4], reset: 0 },
                ...[0, 1, 2].flatMap((n) => [
                  { name: `T${n}_CONFIG`, offset: 0x100 + 0x20 * n, widths: [8, 4] as const, reset: 0x00f0000000000030n },
                  { name: `T${n}_CMP`, offset: 0x108 + 0x20 * n, widths: [8, 4] as const, reset: 0xffffffffffffffffn },
                ]),
              ],
            },
          ],
        };
      },
    });
  });

  it("reports capabilities: 3 timers, 64-bit, legacy capable, 10 ns period", () => {
    const { hpet } = make();
    expect(rd(hpet, 0x000)).toBe(0x8086a201);
    expect(rd(hpet, 0x004)).toBe(10_000_000);
    expect(rd(hpet, 0x100) & 0x30).toBe(0x30);
    expect(rd(hpet, 0x104)).toBe(0x00f00000);
  });

  it("main counter runs at 100 MHz only while enabled and is writable", () => {
    const { hpet, clock } = make();
    clock.advance(1000);
    expect(counter(hpet)).toBe(0);
    wr(hpet, 0x10, 1);
    clock.advance(1e9);
    expect(counter(hpet)).toBe(1e8);
    wr(hpet, 0x10, 0);
    clock.advance(1e6);
    expect(counter(hpet)).toBe(1e8);
    wr(hpet, 0xf0, 0xfffffff0);
    wr(hpet, 0xf4, 0);
    wr(hpet, 0x10, 1);
    clock.advance(200); // 20 ticks: carries into the high dword
    expect(counter(hpet)).toBe(0xfffffff0 + 20);
  });

  it("Linux-style one-shot in 32-bit mode with legacy replacement → IRQ0", () => {
    const { hpet, clock, irq0, legacy } = make();
    wr(hpet, 0x10, 3);
    expect(legacy).toEqual([true]);
    wr(hpet, 0x100, 0x004 | 0x100); // INT_ENB, 32-bit
    const now = rd(hpet, 0xf0);
    wr(hpet, 0x108, now + 1000);
    clock.advance(9_990);
    expect(irq0.rises).toBe(0);
    clock.advance(20);
    expect(irq0.rises).toBe(1);
    clock.advance(1e9);
    expect(irq0.rises).toBe(1);
  });

  it("periodic through VAL_SET: first write sets the accumulator, the next the period", () => {
    const { hpet, clock, irq8 } = make();
    wr(hpet, 0x10, 3);
    wr(hpet, 0x120, 0x004 | 0x008 | 0x040 | 0x100);
    const now = rd(hpet, 0xf0);
    wr(hpet, 0x128, now + 10_000); // 100 µs
    wr(hpet, 0x128, 10_000);
    expect(rd(hpet, 0x120) & 0x40).toBe(0);
    clock.advance(1e6 + 500);
    expect(irq8.rises).toBe(10);
    expect(rd(hpet, 0x128)).toBe(now + 11 * 10_000);
  });

  it("level interrupts set the status bit and hold the routed line until cleared", () => {
    const { hpet, clock, pins } = make();
    wr(hpet, 0x10, 1);
    wr(hpet, 0x140, 0x002 | 0x004 | (21 << 9)); // timer 2, level, IOAPIC pin 21
    wr(hpet, 0x148, 500);
    wr(hpet, 0x14c, 0);
    clock.advance(5_000);
    const line = pins.get(21);
    expect(line?.level).toBe(true);
    expect(rd(hpet, 0x20)).toBe(0b100);
    wr(hpet, 0x20, 0b100);
    expect(line?.level).toBe(false);
    expect(rd(hpet, 0x20)).toBe(0);
  });

  it("a 64-bit one-shot comparator in the past does not fire", () => {
    const { hpet, clock, pins } = make();
    wr(hpet, 0x10, 1);
    clock.advance(1e6);
    wr(hpet, 0x100, 0x004 | (20 << 9));
    wr(hpet, 0x108, 5);
    wr(hpet, 0x10c, 0);
    clock.advance(1e9);
    expect(pins.get(20)?.rises ?? 0).toBe(0);
  });

  it("snapshots keep the counter and pending comparators", () => {
    const { hpet, clock } = make();
    wr(hpet, 0x10, 3);
    wr(hpet, 0x100, 0x004 | 0x100);
    wr(hpet, 0x108, rd(hpet, 0xf0) + 5000);
    clock.advance(20_000);
    const clock2 = new VirtualClock(clock.now());
    const irq0 = new RecordingIrqLine();
    const copy = new Hpet({ clock: clock2, legacyIrq0: irq0 });
    copy.restore(JSON.parse(JSON.stringify(hpet.save())) as ReturnType<Hpet["save"]>);
    expect(counter(copy)).toBe(counter(hpet));
    clock2.advance(30_001);
    expect(irq0.rises).toBe(1);
  });
});
