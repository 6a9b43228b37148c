import { PhysicalMemory } from "@virtkit/mmu";
import { describe, expect, it } from "vitest";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import { nsForTicks, RealTimeClock, ticksIn, VirtualClock } from "./clock.js";
import { BusConflictError, StateError } from "./errors.js";
import { type AccessSize, IoBus, type PortIoHandler } from "./io.js";
import { IrqFanout, SharedIrq } from "./irq.js";
import { MmioBus, type MmioRangeHandler, MmioWindow, mmioRead64, mmioWrite64 } from "./mmio.js";
import { checkShape, checkState } from "./state.js";

interface Access {
  offset: number;
  size: number;
  value?: number;
}

function recorder(tag: number): PortIoHandler & MmioRangeHandler & { log: Access[] } {
  const log: Access[] = [];
  const read = (offset: number, size: AccessSize): number => {
    log.push({ offset, size });
    return (tag << 8) | offset;
  };
  const write = (offset: number, size: AccessSize, value: number): void => {
    log.push({ offset, size, value });
  };
  return { log, ioRead: read, ioWrite: write, mmioRead: read, mmioWrite: write };
}

describe("IoBus", () => {
  it("routes by port with offsets relative to the registration", () => {
    const bus = new IoBus();
    const a = recorder(1);
    bus.register(0x3f8, 8, a, "com1");
    expect(bus.read(0x3fd, 1)).toBe(0x05);
    bus.write(0x3f9, 2, 0x1234);
    expect(a.log).toEqual([{ offset: 5, size: 1 }, { offset: 1, size: 2, value: 0x1234 }]);
    expect(bus.owner(0x3ff)).toBe("com1");
    expect(bus.owner(0x400)).toBeUndefined();
  });

  it("rejects overlaps naming both devices, and allows re-registration after unregister", () => {
    const bus = new IoBus();
    bus.register(0x40, 4, recorder(1), "pit");
    expect(() => {
      bus.register(0x43, 2, recorder(2), "other");
    }).toThrow(BusConflictError);
    expect(() => {
      bus.register(0x43, 2, recorder(2), "other");
    }).toThrow(/other.*0x43.*pit/);
    bus.unregister(0x40);
    bus.register(0x43, 2, recorder(2), "other");
    expect(bus.owner(0x44)).toBe("other");
  });

  it("reads unclaimed ports as all ones and reports them once at full width", () => {
    const bus = new IoBus();
    const seen: string[] = [];
    bus.listener = { unassigned: (p, s, w) => seen.push(`${w ? "w" : "r"}${s}@${p.toString(16)}`) };
    expect(bus.read(0x1234, 4)).toBe(0xffffffff);
    expect(bus.read(0x1234, 2)).toBe(0xffff);
    bus.write(0x1234, 1, 5);
    expect(seen).toEqual(["r4@1234", "r2@1234", "w1@1234"]);
  });

  it("splits accesses that straddle registrations into bytes", () => {
    const bus = new IoBus();
    const a = recorder(0xa);
    const b = recorder(0xb);
    bus.register(0x100, 2, a, "a");
    bus.register(0x102, 2, b, "b");
    expect(bus.read(0x101, 2)).toBe((0x00 << 8) | 0x01);
    expect(bus.read(0x100, 4)).toBe(0x01000100);
    bus.write(0x101, 4, 0xddccbbaa);
    expect(a.log.slice(-1)).toEqual([{ offset: 1, size: 1, value: 0xaa }]);
    expect(b.log.slice(-2)).toEqual([
      { offset: 0, size: 1, value: 0xbb },
      { offset: 1, size: 1, value: 0xcc },
    ]);
  });
});

describe("MmioBus and MmioWindow", () => {
  it("dispatches sub-page ranges and works as an mmu MmioHandler", () => {
    const mem = new PhysicalMemory({ ramSize: 1 << 16, reservePages: 0 });
    const bus = new MmioBus();
    const a = recorder(1);
    const b = recorder(2);
    bus.register(0xfec00000, 0x20, a, "ioapic");
    bus.register(0xfec00400, 0x40, b, "other");
    expect(() => {
      bus.register(0xfec00010, 0x10, b, "bad");
    }).toThrow(/overlaps ioapic/);
    bus.mapInto(mem);
    expect(mem.read32(0xfec00010)).toBe(0x110);
    mem.write32(0xfec00410, 0xdeadbeef);
    expect(b.log).toEqual([{ offset: 0x10, size: 4, value: 0xdeadbeef }]);
    expect(mem.read32(0xfec00100)).toBe(-1); // a hole inside the page
    const win = new MmioWindow(0xfed00000, a);
    mem.mapMmio(0xfed00000, 0x1000, win, "hpet");
    expect(mem.read16(0xfed000f0)).toBe(0x1f0);
  });

  it("64-bit helpers split into two dword accesses, low first", () => {
    const a = recorder(3);
    mmioWrite64(a, 0x10, 0x11223344, 0x55667788);
    expect(a.log).toEqual([
      { offset: 0x10, size: 4, value: 0x11223344 },
      { offset: 0x14, size: 4, value: 0x55667788 },
    ]);
    const out = new Uint32Array(2);
    mmioRead64(a, 0x20, out);
    expect([...out]).toEqual([0x320, 0x324]);
  });
});

describe("IRQ helpers", () => {
  it("IrqFanout drives every target; SharedIrq is a wired OR", () => {
    const x = new RecordingIrqLine();
    const y = new RecordingIrqLine();
    const fan = new IrqFanout([x, y]);
    fan.setLevel(true);
    expect([x.level, y.level]).toEqual([true, true]);
    fan.pulse();
    expect([x.rises, y.rises]).toEqual([2, 2]);
    const out = new RecordingIrqLine();
    const shared = new SharedIrq(out);
    const s1 = shared.source();
    const s2 = shared.source();
    s1.setLevel(true);
    s2.setLevel(true);
    s1.setLevel(false);
    expect(out.level).toBe(true);
    s2.setLevel(false);
    expect(out.level).toBe(false);
  });
});

describe("clocks", () => {
  it("VirtualClock fires timers in deadline order with now() = deadline, re-arming allowed", () => {
    const clock = new VirtualClock(100);
    const log: string[] = [];
    const a = clock.createTimer((now) => {
      log.push(`a@${now}`);
      if (now < 400) a.arm(now + 150);
    });
    const b = clock.createTimer((now) => log.push(`b@${now}/${clock.now()}`));
    a.arm(250);
    b.arm(300);
    expect(clock.nextDeadline()).toBe(250);
    clock.advance(400);
    expect(log).toEqual(["a@250", "b@300/300", "a@400"]);
    expect(clock.now()).toBe(500);
    b.arm(600);
    b.cancel();
    expect(b.armed).toBe(false);
    clock.advanceTo(1000);
    expect(log.length).toBe(3);
    expect(() => {
      clock.advance(-1);
    }).toThrow(/non-negative/);
  });

  it("VirtualClock refuses a runaway timer instead of hanging", () => {
    const clock = new VirtualClock();
    clock.maxCallbacksPerAdvance = 1000;
    const t = clock.createTimer((now) => {
      t.arm(now);
    });
    t.arm(1);
    expect(() => {
      clock.advance(10);
    }).toThrow(/more than 1000/);
  });

  it("ticksIn / nsForTicks are exact inverses for large times", () => {
    const hz = 1_193_182;
    for (const ns of [0, 1, 999, 1e9 - 1, 1e9, 3.7e15, 2 ** 52]) {
      const t = ticksIn(ns, hz);
      expect(nsForTicks(t, hz)).toBeLessThanOrEqual(ns);
      expect(ticksIn(nsForTicks(t + 1, hz), hz)).toBe(t + 1);
    }
    expect(ticksIn(1e9 * 3600, hz)).toBe(hz * 3600);
  });

  it("RealTimeClock moves forward and fires due timers from the event loop", async () => {
    const clock = new RealTimeClock({ startNs: 5e9 });
    expect(clock.now()).toBeGreaterThanOrEqual(5e9);
    const fired = await new Promise<number>((resolve) => {
      const t = clock.createTimer((now) => {
        resolve(now);
      });
      t.arm(clock.now() + 2e6);
    });
    expect(fired).toBeGreaterThan(5e9 + 2e6 - 1);
    clock.dispose();
  });
});

describe("state helpers", () => {
  it("checkState rejects non-objects and unknown versions, naming the device", () => {
    expect(() => {
      checkState("dev", null, 1);
    }).toThrow(StateError);
    expect(() => {
      checkState("dev", { version: 3 }, 1, 2);
    }).toThrow(/dev: restore: unsupported state version 3 \(supported: 1, 2\)/);
    expect(() => {
      checkState("dev", { version: 2 }, 1, 2);
    }).not.toThrow();
  });

  it("checkShape names the first bad field", () => {
    const template = { version: 1, a: 1, b: [1, 2], c: [{ x: true }], d: { e: 0 } };
    expect(() => {
      checkShape("dev", { ...template, a: "1" }, template);
    }).toThrow(/field a must be a finite number/);
    expect(() => {
      checkShape("dev", { ...template, b: [1, null] }, template);
    }).toThrow(/field b\[1\]/);
    expect(() => {
      checkShape("dev", { ...template, c: [] }, template);
    }).toThrow(/field c must be an array of 1 entries/);
    expect(() => {
      checkShape("dev", { ...template, d: {} }, template);
    }).toThrow(/field d\.e/);
    expect(() => {
      checkShape("dev", { ...template, b: [] }, template);
    }).not.toThrow();
  });
});
