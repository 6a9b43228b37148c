import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { Xorshift32 } from "../testing/prng.js";
import { civilFromDays, daysFromCivil } from "./calendar.js";
import { REG_A_UIP, REG_C_AF, REG_C_IRQF, REG_C_PF, REG_C_UF } from "./registers.js";
import { Rtc, rtcPeriodicNs } from "./rtc.js";

const START = Date.UTC(2024, 1, 29, 23, 59, 58) / 1000; // 2024-02-29 23:59:58, a Thursday

function make(): { rtc: Rtc; clock: VirtualClock; irq: RecordingIrqLine } {
  const clock = new VirtualClock();
  const irq = new RecordingIrqLine();
  const rtc = new Rtc({ clock, irq, startSeconds: START });
  return { rtc, clock, irq };
}

const get = (rtc: Rtc, reg: number): number => {
  rtc.ioWrite(0, 1, reg);
  return rtc.ioRead(1, 1);
};
const set = (rtc: Rtc, reg: number, v: number): void => {
  rtc.ioWrite(0, 1, reg);
  rtc.ioWrite(1, 1, v);
};

function timeRegs(rtc: Rtc): number[] {
  return [0, 2, 4, 6, 7, 8, 9, 0x32].map((r) => get(rtc, r));
}

describe("calendar", () => {
  it("agrees with Date.UTC over random dates in both directions", () => {
    const rng = new Xorshift32(42);
    const out = new Int32Array(4);
    for (let i = 0; i < 2000; i++) {
      const days = rng.below(200_000) - 50_000;
      const d = new Date(days * 86400_000);
      civilFromDays(days, out);
      expect([out[0], out[1], out[2], out[3]]).toEqual([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCDay()]);
      expect(daysFromCivil(out[0], out[1], out[2])).toBe(days);
    }
    // Month overflow carries into the year.
    expect(daysFromCivil(2023, 13, 1)).toBe(daysFromCivil(2024, 1, 1));
  });
});

describe("Rtc (MC146818)", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "rtc",
      create(env) {
        const rtc = new Rtc({ clock: env.clock, irq: env.irq("irq8"), startSeconds: START });
        rtc.setMemorySize(64 << 20);
        return {
          device: rtc,
          windows: [
            {
              kind: "io",
              name: "rtc",
              size: 2,
              handler: rtc,
              registers: [
                { name: "INDEX", offset: 0, widths: [1] },
                { name: "DATA", offset: 1, widths: [1] },
              ],
            },
          ],
        };
      },
    });
  });

  it("reads the clock's time in BCD 24-hour mode and rolls over a leap day", () => {
    const { rtc, clock } = make();
    expect(timeRegs(rtc)).toEqual([0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20]);
    clock.advance(2e9);
    expect(timeRegs(rtc)).toEqual([0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20]);
  });

  it("binary and 12-hour encodings", () => {
    const { rtc } = make();
    set(rtc, 0x0b, 0x04); // binary, 12-hour
    expect(get(rtc, 4)).toBe(0x80 | 11); // 11 PM
    expect(get(rtc, 0)).toBe(58);
    set(rtc, 0x0b, 0x00); // BCD, 12-hour
    expect(get(rtc, 4)).toBe(0x80 | 0x11);
    set(rtc, 4, 0x12); // 12 AM = 00h
    set(rtc, 0x0b, 0x06);
    expect(get(rtc, 4)).toBe(0);
  });

  it("SET halts updates while the time is written; clearing it resumes", () => {
    const { rtc, clock } = make();
    set(rtc, 0x0b, 0x82);
    set(rtc, 0, 0x30);
    set(rtc, 2, 0x15);
    set(rtc, 4, 0x10);
    set(rtc, 7, 0x04);
    set(rtc, 8, 0x07);
    set(rtc, 9, 0x99);
    set(rtc, 0x32, 0x19);
    clock.advance(5e9);
    expect(timeRegs(rtc)).toEqual([0x30, 0x15, 0x10, 0x01, 0x04, 0x07, 0x99, 0x19]); // 1999-07-04 was a Sunday
    set(rtc, 0x0b, 0x02);
    clock.advance(1e9);
    expect(get(rtc, 0)).toBe(0x31);
    expect(rtc.unixSeconds).toBe(Date.UTC(1999, 6, 4, 10, 15, 31) / 1000);
  });

  it("UIP is set in the 244 µs before each update", () => {
    const { rtc, clock } = make();
    clock.advance(1e9 - 300_000);
    expect(get(rtc, 0x0a) & REG_A_UIP).toBe(0);
    clock.advance(100_000);
    expect(get(rtc, 0x0a) & REG_A_UIP).toBe(REG_A_UIP);
    const sec = get(rtc, 0);
    clock.advance(250_000);
    expect(get(rtc, 0x0a) & REG_A_UIP).toBe(0);
    expect(get(rtc, 0)).toBe(sec + 1);
  });

  it.each([
    [6, 1024],
    [3, 8192],
    [15, 2],
    [1, 256],
  ])("periodic rate select %i gives %i interrupts per second", (rs, hz) => {
    const { rtc, clock, irq } = make();
    expect(rtcPeriodicNs(rs)).toBeCloseTo(1e9 / hz, 3);
    set(rtc, 0x0a, 0x20 | rs);
    set(rtc, 0x0b, 0x42);
    get(rtc, 0x0c);
    let flags = 0;
    const step = 1e9 / hz / 3;
    for (let t = 0; t < 1e9; t += step) {
      clock.advance(step);
      const c = get(rtc, 0x0c);
      if ((c & REG_C_PF) !== 0) {
        flags++;
        expect(c & REG_C_IRQF).toBe(REG_C_IRQF);
      }
    }
    expect(Math.abs(flags - hz)).toBeLessThanOrEqual(1);
    expect(irq.rises).toBeGreaterThanOrEqual(hz - 1);
  });

  it("PF is set at the rate even with PIE off, without raising IRQ8", () => {
    const { rtc, clock, irq } = make();
    set(rtc, 0x0a, 0x26);
    get(rtc, 0x0c);
    clock.advance(2e6);
    expect(get(rtc, 0x0c)).toBe(REG_C_PF | (get(rtc, 0x0c) & REG_C_UF));
    expect(irq.rises).toBe(0);
  });

  it("update-ended interrupt once per second; reading C lowers IRQ8", () => {
    const { rtc, clock, irq } = make();
    set(rtc, 0x0b, 0x12);
    clock.advance(2.5e9);
    expect(irq.level).toBe(true);
    expect(get(rtc, 0x0c) & (REG_C_IRQF | REG_C_UF)).toBe(REG_C_IRQF | REG_C_UF);
    expect(irq.level).toBe(false);
    clock.advance(1e9);
    expect(irq.rises).toBe(2);
  });

  it("alarm fires when seconds/minutes/hours match, with don't-care bytes", () => {
    const { rtc, clock, irq } = make();
    set(rtc, 1, 0x05); // hh:mm:05
    set(rtc, 3, 0xc0); // any minute
    set(rtc, 5, 0xff); // any hour
    set(rtc, 0x0b, 0x22);
    get(rtc, 0x0c);
    clock.advance(6e9); // 23:59:58 → 00:00:04
    expect(irq.level).toBe(false);
    clock.advance(1e9); // 00:00:05
    expect(irq.level).toBe(true);
    expect(get(rtc, 0x0c) & REG_C_AF).toBe(REG_C_AF);
    clock.advance(60e9);
    expect(irq.level).toBe(true); // 00:01:05 matches again
  });

  it("divider reset stops the clock; restarting delays the first update by 500 ms", () => {
    const { rtc, clock } = make();
    set(rtc, 0x0a, 0x70);
    clock.advance(10e9);
    expect(get(rtc, 0)).toBe(0x58);
    set(rtc, 0x0a, 0x26);
    clock.advance(400e6);
    expect(get(rtc, 0)).toBe(0x58);
    clock.advance(200e6);
    expect(get(rtc, 0)).toBe(0x59);
  });

  it("port 0x70 bit 7 masks NMI; CMOS bytes hold memory sizes with a valid checksum", () => {
    const { rtc } = make();
    rtc.ioWrite(0, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    rtc.ioWrite(0, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
    rtc.setMemorySize(48 << 20, 1 << 30);
    expect(get(rtc, 0x15) | (get(rtc, 0x16) << 8)).toBe(640);
    expect(get(rtc, 0x17) | (get(rtc, 0x18) << 8)).toBe(47 * 1024);
    expect(get(rtc, 0x30) | (get(rtc, 0x31) << 8)).toBe(47 * 1024);
    expect(get(rtc, 0x34) | (get(rtc, 0x35) << 8)).toBe((32 << 20) >> 16);
    expect(get(rtc, 0x5b) | (get(rtc, 0x5c) << 8) | (get(rtc, 0x5d) << 16)).toBe((1 << 30) / 65536);
    rtc.setMemorySize(1 << 30);
    expect(get(rtc, 0x17) | (get(rtc, 0x18) << 8)).toBe(0xffff); // saturates
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += get(rtc, i);
    expect((get(rtc, 0x2e) << 8) | get(rtc, 0x2f)).toBe(sum);
    set(rtc, 0x40, 0xab);
    expect(get(rtc, 0x40)).toBe(0xab);
    expect(get(rtc, 0x0d)).toBe(0x80);
  });

  it("snapshots keep time, CMOS and pending flags", () => {
    const { rtc, clock } = make();
    set(rtc, 0x50, 0x77);
    set(rtc, 0x0b, 0x12);
    clock.advance(1.5e9);
    const clock2 = new VirtualClock(clock.now());
    const copy = new Rtc({ clock: clock2, startSeconds: 0 });
    copy.restore(JSON.parse(JSON.stringify(rtc.save())) as ReturnType<Rtc["save"]>);
    expect(timeRegs(copy)).toEqual(timeRegs(rtc));
    expect(get(copy, 0x50)).toBe(0x77);
    expect(get(copy, 0x0c)).toBe(get(rtc, 0x0c));
    clock2.advance(1e9);
    expect(get(copy, 0x0c) & REG_C_UF).toBe(REG_C_UF);
  });
});
