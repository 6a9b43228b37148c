import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { Pit8254, PIT_MIN_IRQ_PERIOD_NS } from "./pit.js";
import { PIT_HZ, PORTB_OUT2, PORTB_REFRESH, STATUS_NULL_COUNT, STATUS_OUT } from "./registers.js";

function make(): { pit: Pit8254; clock: VirtualClock; irq: RecordingIrqLine } {
  const clock = new VirtualClock(1_000_000);
  const irq = new RecordingIrqLine();
  const pit = new Pit8254({ clock, irq0: irq });
  return { pit, clock, irq };
}

const ns = (ticks: number): number => (ticks * 1e9) / PIT_HZ;

function program(pit: Pit8254, ch: number, mode: number, count: number, bcd = false): void {
  pit.ioWrite(3, 1, (ch << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
  pit.ioWrite(ch, 1, count & 0xff);
  pit.ioWrite(ch, 1, (count >> 8) & 0xff);
}

function readCount(pit: Pit8254, ch: number): number {
  pit.ioWrite(3, 1, ch << 6); // latch
  const lo = pit.ioRead(ch, 1);
  return lo | (pit.ioRead(ch, 1) << 8);
}

describe("Pit8254", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "pit8254",
      create(env) {
        const pit = new Pit8254({ clock: env.clock, irq0: env.irq("irq0") });
        program(pit, 0, 2, 1193);
        return {
          device: pit,
          windows: [
            {
              kind: "io",
              name: "pit",
              size: 4,
              handler: pit,
              registers: [
                { name: "C0", offset: 0, widths: [1] },
                { name: "C1", offset: 1, widths: [1] },
                { name: "C2", offset: 2, widths: [1] },
                { name: "CW", offset: 3, widths: [1] },
              ],
            },
            { kind: "io", name: "port61", size: 1, handler: pit.speakerPort, registers: [{ name: "PORTB", offset: 0, widths: [1], reset: 0, resetMask: 0x0f, writeMask: 0x0f }] },
          ],
        };
      },
    });
  });

  it("mode 2 on channel 0 raises IRQ0 once per period", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 2, 11932); // ~10 ms
    expect(irq.level).toBe(true);
    const before = irq.rises;
    clock.advance(ns(11932) * 10 + 1000);
    expect(irq.rises - before).toBe(10);
  });

  it("mode 2 counts down from N to 1 and reloads", () => {
    const { pit, clock } = make();
    program(pit, 0, 2, 1000);
    clock.advance(ns(100) + 1);
    expect(readCount(pit, 0)).toBe(900);
    clock.advance(ns(950));
    expect(readCount(pit, 0)).toBe(950);
  });

  it("mode 0: OUT low until terminal count, one rising edge, then the counter wraps", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 0, 5000);
    expect(pit.output(0)).toBe(false);
    expect(irq.level).toBe(false);
    clock.advance(ns(4999));
    expect(irq.level).toBe(false);
    clock.advance(ns(2));
    expect(irq.level).toBe(true);
    expect(irq.rises).toBe(1);
    clock.advance(ns(10));
    expect(readCount(pit, 0)).toBe(0x10000 - 11);
    clock.advance(1e9);
    expect(irq.rises).toBe(1);
  });

  it("mode 3 square wave: half-period high, half low, edges every period", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 3, 2000);
    expect(pit.output(0)).toBe(true);
    clock.advance(ns(1001));
    expect(pit.output(0)).toBe(false);
    expect(irq.level).toBe(false);
    const before = irq.rises;
    clock.advance(ns(2000) * 5);
    expect(irq.rises - before).toBe(5);
  });

  it("mode 4 strobes once after N ticks", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 4, 300);
    const before = irq.rises;
    clock.advance(ns(299));
    expect(irq.rises).toBe(before);
    clock.advance(ns(3));
    expect(irq.rises).toBe(before + 1);
    clock.advance(ns(100_000));
    expect(irq.rises).toBe(before + 1);
  });

  it("coalesces periodic interrupts faster than the minimum period", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 2, 2);
    const before = irq.rises;
    clock.advance(1e6);
    const rises = irq.rises - before;
    expect(rises).toBeLessThanOrEqual(1e6 / PIT_MIN_IRQ_PERIOD_NS + 1);
    expect(rises).toBeGreaterThan(1e6 / PIT_MIN_IRQ_PERIOD_NS / 2);
  });

  it("counter latch freezes the value until both bytes are read", () => {
    const { pit, clock } = make();
    program(pit, 0, 2, 50000);
    clock.advance(ns(1000) + 1);
    pit.ioWrite(3, 1, 0x00);
    clock.advance(ns(500));
    pit.ioWrite(3, 1, 0x00); // second latch ignored until read
    expect(pit.ioRead(0, 1) | (pit.ioRead(0, 1) << 8)).toBe(49000);
    expect(readCount(pit, 0)).toBe(48500);
  });

  it("read-back latches status and count; status shows OUT, null count, rw, mode, BCD", () => {
    const { pit, clock } = make();
    pit.ioWrite(3, 1, 0x80 | 0x30 | (0 << 1)); // ch2 mode 0
    pit.ioWrite(3, 1, 0xc0 | 0x08 | 0x20); // read-back status of ch2 only
    expect(pit.ioRead(2, 1)).toBe(STATUS_NULL_COUNT | 0x30);
    pit.speakerPort.ioWrite(0, 1, 0x01); // gate 2 high
    pit.ioWrite(2, 1, 100);
    pit.ioWrite(2, 1, 0);
    clock.advance(ns(150) + 1);
    pit.ioWrite(3, 1, 0xc0 | 0x08); // count + status of ch2
    expect(pit.ioRead(2, 1)).toBe(STATUS_OUT | 0x30);
    expect(pit.ioRead(2, 1) | (pit.ioRead(2, 1) << 8)).toBe(0x10000 - 50);
  });

  it("LSB-only and MSB-only access modes", () => {
    const { pit, clock } = make();
    pit.ioWrite(3, 1, 0x14); // ch0 LSB only, mode 2
    pit.ioWrite(0, 1, 200);
    clock.advance(ns(50) + 1);
    expect(pit.ioRead(0, 1)).toBe(150);
    pit.ioWrite(3, 1, 0x24); // MSB only, mode 2
    pit.ioWrite(0, 1, 0x10); // count 0x1000
    clock.advance(ns(0x100) + 1);
    expect(pit.ioRead(0, 1)).toBe(0x0f);
  });

  it("BCD counting reads back BCD digits", () => {
    const { pit, clock } = make();
    program(pit, 0, 2, 0x1000, true); // 1000 decimal
    clock.advance(ns(1) + 1);
    expect(readCount(pit, 0)).toBe(0x0999);
    clock.advance(ns(500));
    expect(readCount(pit, 0)).toBe(0x0499);
  });

  it("port 0x61: gate 2 controls channel 2; OUT2 and the refresh toggle are visible (Linux calibration loop)", () => {
    const { pit, clock } = make();
    pit.speakerPort.ioWrite(0, 1, 0x01);
    program(pit, 2, 0, 11932);
    expect(pit.speakerPort.ioRead(0, 1) & PORTB_OUT2).toBe(0);
    let polls = 0;
    while ((pit.speakerPort.ioRead(0, 1) & PORTB_OUT2) === 0 && polls < 100_000) {
      clock.advance(1000);
      polls++;
    }
    expect(polls).toBeGreaterThanOrEqual(9999);
    expect(polls).toBeLessThanOrEqual(10_001);
    // Gate low pauses the count.
    program(pit, 2, 0, 40000);
    clock.advance(ns(1000));
    pit.speakerPort.ioWrite(0, 1, 0x00);
    const frozen = readCount(pit, 2);
    clock.advance(ns(5000));
    expect(readCount(pit, 2)).toBe(frozen);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      seen.add(pit.speakerPort.ioRead(0, 1) & PORTB_REFRESH);
      clock.advance(7_600);
    }
    expect(seen.size).toBe(2);
  });

  it("mode 1 waits for a gate trigger and retriggers", () => {
    const { pit, clock } = make();
    program(pit, 2, 1, 1000);
    expect(pit.output(2)).toBe(true);
    clock.advance(ns(5000));
    pit.speakerPort.ioWrite(0, 1, 0x01); // rising gate
    expect(pit.output(2)).toBe(false);
    clock.advance(ns(999));
    expect(pit.output(2)).toBe(false);
    clock.advance(ns(2));
    expect(pit.output(2)).toBe(true);
  });

  it("snapshots resume counting and interrupts at the same times", () => {
    const { pit, clock, irq } = make();
    program(pit, 0, 2, 11932);
    clock.advance(ns(5000));
    const state = JSON.parse(JSON.stringify(pit.save())) as ReturnType<Pit8254["save"]>;
    const clock2 = new VirtualClock(clock.now());
    const irq2 = new RecordingIrqLine();
    const pit2 = new Pit8254({ clock: clock2, irq0: irq2 });
    pit2.restore(state);
    expect(readCount(pit2, 0)).toBe(readCount(pit, 0));
    const r1 = irq.rises;
    const r2 = irq2.rises;
    clock.advance(ns(11932) * 3);
    clock2.advance(ns(11932) * 3);
    expect(irq.rises - r1).toBe(3);
    expect(irq2.rises - r2).toBe(3);
  });
});
