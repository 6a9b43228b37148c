import { describe, expect, it } from "vitest";
import { checkConformance } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { I8042, type I8042Options } from "./i8042.js";
import { STR_AUX_OBF, STR_CMD, STR_OBF, STR_SYS, STR_TIMEOUT } from "./registers.js";

function make(opts: I8042Options = {}): {
  kbc: I8042;
  irq1: RecordingIrqLine;
  irq12: RecordingIrqLine;
  resets: number[];
  a20: boolean[];
} {
  const irq1 = new RecordingIrqLine();
  const irq12 = new RecordingIrqLine();
  const resets: number[] = [];
  const a20: boolean[] = [];
  const kbc = new I8042({ irq1, irq12, onReset: () => resets.push(1), onA20: (e) => a20.push(e), ...opts });
  return { kbc, irq1, irq12, resets, a20 };
}

const status = (k: I8042): number => k.commandPort.ioRead(0, 1);
const cmd = (k: I8042, c: number): void => {
  k.commandPort.ioWrite(0, 1, c);
};
const data = (k: I8042, v: number): void => {
  k.dataPort.ioWrite(0, 1, v);
};
/** Read everything in the output buffer, as Linux's i8042_flush does. */
function drain(k: I8042): number[] {
  const out: number[] = [];
  while ((status(k) & STR_OBF) !== 0 && out.length < 64) out.push(k.dataPort.ioRead(0, 1));
  return out;
}
function command(k: I8042, c: number, param?: number): number[] {
  cmd(k, c);
  if (param !== undefined) data(k, param);
  return drain(k);
}

describe("I8042", () => {
  it("passes the device conformance kit", () => {
    checkConformance({
      name: "i8042",
      create(env) {
        const kbc = new I8042({ irq1: env.irq("irq1"), irq12: env.irq("irq12") });
        kbc.keyboardInput([0x1e, 0x9e]);
        return {
          device: kbc,
          windows: [
            { kind: "io", name: "data", size: 1, handler: kbc.dataPort, registers: [{ name: "DATA", offset: 0, widths: [1] }] },
            { kind: "io", name: "cmd", size: 1, handler: kbc.commandPort, registers: [{ name: "STATUS", offset: 0, widths: [1], reset: STR_SYS | 0x10 }] },
          ],
        };
      },
    });
  });

  it("answers Linux's controller probe: config read, self-test, interface tests, config write", () => {
    const { kbc } = make();
    expect(drain(kbc)).toEqual([]);
    expect(command(kbc, 0x20)).toEqual([0x45]);
    expect(status(kbc) & STR_CMD).toBe(STR_CMD);
    expect(command(kbc, 0xaa)).toEqual([0x55]);
    expect(status(kbc) & STR_SYS).toBe(STR_SYS);
    expect(command(kbc, 0xab)).toEqual([0x00]);
    expect(command(kbc, 0xa9)).toEqual([0x00]);
    command(kbc, 0x60, 0x47);
    expect(command(kbc, 0x20)).toEqual([0x47]);
    command(kbc, 0x7f, 0x99); // RAM byte 31
    expect(command(kbc, 0x3f)).toEqual([0x99]);
  });

  it("AUX loopback (0xD3) and AUX enable toggling, with IRQ12", () => {
    const { kbc, irq12 } = make();
    command(kbc, 0x60, 0x47 & ~0x20);
    cmd(kbc, 0xd3);
    data(kbc, 0x5a);
    expect(status(kbc) & (STR_OBF | STR_AUX_OBF)).toBe(STR_OBF | STR_AUX_OBF);
    expect(irq12.level).toBe(true);
    expect(kbc.dataPort.ioRead(0, 1)).toBe(0x5a);
    expect(irq12.level).toBe(false);
    cmd(kbc, 0xa7);
    expect(command(kbc, 0x20)[0] & 0x20).toBe(0x20);
    cmd(kbc, 0xa8);
    expect(command(kbc, 0x20)[0] & 0x20).toBe(0);
  });

  it("keyboard identify, reset, LEDs and scan code set replies arrive one per IRQ1 edge", () => {
    const { kbc, irq1 } = make();
    const before = irq1.rises;
    data(kbc, 0xf2);
    expect(drain(kbc)).toEqual([0xfa, 0xab, 0x41]);
    expect(irq1.rises - before).toBe(3);
    data(kbc, 0xff);
    expect(drain(kbc)).toEqual([0xfa, 0xaa]);
    data(kbc, 0xed);
    data(kbc, 0x07);
    expect(drain(kbc)).toEqual([0xfa, 0xfa]);
    data(kbc, 0xf0);
    data(kbc, 0x00);
    expect(drain(kbc)).toEqual([0xfa, 0xfa, 0x02]);
    data(kbc, 0xee);
    expect(drain(kbc)).toEqual([0xee]);
    command(kbc, 0x60, 0x05); // translation off
    data(kbc, 0xf2);
    expect(drain(kbc)).toEqual([0xfa, 0xab, 0x83]);
  });

  it("host key input waits while the keyboard interface is disabled", () => {
    const { kbc, irq1 } = make();
    cmd(kbc, 0xad);
    kbc.keyboardInput([0x1e, 0x9e]);
    expect(status(kbc) & STR_OBF).toBe(0);
    expect(irq1.level).toBe(false);
    cmd(kbc, 0xae);
    expect(irq1.level).toBe(true);
    expect(drain(kbc)).toEqual([0x1e, 0x9e]);
  });

  it("pulses reset on command 0xFE and on output-port bit 0; output port drives A20", () => {
    const { kbc, resets, a20 } = make();
    cmd(kbc, 0xfe);
    expect(resets.length).toBe(1);
    cmd(kbc, 0xff); // pulse nothing
    expect(resets.length).toBe(1);
    expect(command(kbc, 0xd0)[0] & 0x03).toBe(0x03);
    command(kbc, 0xd1, 0x01); // A20 off
    expect(a20).toEqual([false]);
    expect(kbc.a20).toBe(false);
    command(kbc, 0xd1, 0x03);
    expect(a20).toEqual([false, true]);
    command(kbc, 0xd1, 0x02); // reset line low
    expect(resets.length).toBe(2);
    cmd(kbc, 0xdd);
    expect(kbc.a20).toBe(false);
  });

  it("without a keyboard, keyboard commands time out with 0xFE; AUX sends always do", () => {
    const { kbc } = make({ keyboard: false });
    data(kbc, 0xf2);
    expect(status(kbc) & STR_TIMEOUT).toBe(STR_TIMEOUT);
    expect(drain(kbc)).toEqual([0xfe]);
    expect(status(kbc) & STR_TIMEOUT).toBe(0);
    command(kbc, 0x60, 0x47 & ~0x20);
    cmd(kbc, 0xd4);
    data(kbc, 0xf2);
    expect(status(kbc) & (STR_AUX_OBF | STR_TIMEOUT)).toBe(STR_AUX_OBF | STR_TIMEOUT);
    expect(drain(kbc)).toEqual([0xfe]);
  });

  it("snapshots keep queued bytes and the config", () => {
    const { kbc } = make();
    command(kbc, 0x60, 0x07);
    kbc.keyboardInput([1, 2, 3]);
    const copy = new I8042();
    copy.restore(JSON.parse(JSON.stringify(kbc.save())) as ReturnType<I8042["save"]>);
    expect(drain(copy)).toEqual([1, 2, 3]);
    expect(command(copy, 0x20)).toEqual([0x07]);
  });
});
