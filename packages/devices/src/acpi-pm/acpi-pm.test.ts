import { describe, expect, it } from "vitest";
import { VirtualClock } from "../api/clock.js";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { AcpiPm, type AcpiPmOptions } from "./acpi-pm.js";
import { GPE0_EN, GPE0_STS, PM1_CNT, PM1_EN, PM1_STS, PM1_TMR, PM1_PWRBTN, PM_BLOCK_SIZE, PM_TIMER_HZ, PM_TMR } from "./registers.js";

function make(opts: Partial<AcpiPmOptions> = {}): { pm: AcpiPm; clock: VirtualClock; sci: RecordingIrqLine; events: string[] } {
  const clock = new VirtualClock();
  const sci = new RecordingIrqLine();
  const events: string[] = [];
  const pm = new AcpiPm({
    clock,
    sci,
    onPowerOff: () => events.push("off"),
    onSleep: (t) => events.push(`sleep${t}`),
    onReset: () => events.push("reset"),
    ...opts,
  });
  return { pm, clock, sci, events };
}

describe("AcpiPm", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "acpi-pm",
      create(env) {
        const pm = new AcpiPm({ clock: env.clock, sci: env.irq("sci") });
        return {
          device: pm,
          windows: [
            {
              kind: "io",
              name: "pm",
              size: PM_BLOCK_SIZE,
              handler: pm,
              registers: [
                { name: "PM1_STS", offset: PM1_STS, widths: [2], reset: 0 },
                { name: "PM1_EN", offset: PM1_EN, widths: [2], reset: 0, writeMask: 0x0721 },
                { name: "PM1_CNT", offset: PM1_CNT, widths: [2], reset: 1, writeMask: 0x1c03 & ~0x2000 },
                { name: "PM_TMR", offset: PM_TMR, widths: [4] },
                { name: "GPE0_STS", offset: GPE0_STS, widths: [2, 1], reset: 0 },
                { name: "GPE0_EN", offset: GPE0_EN, widths: [2, 1], reset: 0, writeMask: 0xffff },
              ],
            },
            { kind: "io", name: "reset-reg", size: 1, handler: pm.resetRegister, registers: [{ name: "RESET", offset: 0, widths: [1], reset: 0 }] },
          ],
        };
      },
    });
  });

  it("PM timer counts at 3.579545 MHz and wraps at 24 bits", () => {
    const { pm, clock } = make();
    clock.advance(1e9);
    expect(pm.ioRead(PM_TMR, 4)).toBe(PM_TIMER_HZ);
    clock.advance(((0x1000000 - PM_TIMER_HZ + 10) * 1e9) / PM_TIMER_HZ);
    const v = pm.ioRead(PM_TMR, 4);
    expect(v).toBeGreaterThanOrEqual(9);
    expect(v).toBeLessThanOrEqual(10);
    // Byte reads see the same counter.
    expect(pm.ioRead(PM_TMR, 1)).toBe(v & 0xff);
  });

  it("TMR_STS sets on bit-23 carries and raises SCI when enabled; write 1 clears", () => {
    const { pm, clock, sci } = make();
    pm.ioWrite(PM1_EN, 2, PM1_TMR);
    clock.advance((0x800000 * 1e9) / PM_TIMER_HZ + 1000);
    expect(sci.level).toBe(true);
    expect(pm.ioRead(PM1_STS, 2) & PM1_TMR).toBe(PM1_TMR);
    pm.ioWrite(PM1_STS, 2, PM1_TMR);
    expect(sci.level).toBe(false);
    expect(pm.ioRead(PM1_STS, 2) & PM1_TMR).toBe(0);
    clock.advance((0x800000 * 1e9) / PM_TIMER_HZ);
    expect(sci.level).toBe(true);
  });

  it("SLP_EN with the S5 type powers off; other types sleep; SLP_EN reads 0", () => {
    const { pm, events } = make();
    pm.ioWrite(PM1_CNT, 2, (5 << 10) | 0x2000 | 1);
    expect(events).toEqual(["off"]);
    expect(pm.ioRead(PM1_CNT, 2)).toBe((5 << 10) | 1);
    pm.ioWrite(PM1_CNT, 2, (3 << 10) | 0x2000 | 1);
    expect(events).toEqual(["off", "sleep3"]);
    pm.ioWrite(PM1_CNT + 1, 1, 0x20 | (5 << 2)); // high byte only
    expect(events).toEqual(["off", "sleep3", "off"]);
  });

  it("reset register resets only on the FADT value", () => {
    const { pm, events } = make({ resetValue: 0x0e });
    pm.resetRegister.ioWrite(0, 1, 0x06);
    expect(events).toEqual([]);
    pm.resetRegister.ioWrite(0, 1, 0x0e);
    expect(events).toEqual(["reset"]);
  });

  it("power button and GPEs raise SCI only with SCI_EN", () => {
    const { pm, sci } = make({ sciEnabled: false });
    pm.ioWrite(PM1_EN, 2, PM1_PWRBTN);
    pm.pressPowerButton();
    expect(sci.level).toBe(false);
    pm.ioWrite(PM1_CNT, 2, 1);
    expect(sci.level).toBe(true);
    pm.ioWrite(PM1_STS + 1, 1, PM1_PWRBTN >> 8);
    expect(sci.level).toBe(false);
    pm.ioWrite(GPE0_EN, 2, 0x0004);
    pm.raiseGpe(2);
    expect(sci.level).toBe(true);
    expect(pm.ioRead(GPE0_STS, 2)).toBe(4);
    pm.ioWrite(GPE0_STS, 2, 4);
    expect(sci.level).toBe(false);
  });
});
