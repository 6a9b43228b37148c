import { describe, expect, it } from "vitest";
import {
  pvclockRead, pvclockScale, pvclockScaleDelta, readPvclockVcpuTimeInfo, writePvclockVcpuTimeInfo,
  writePvclockWallClock, PVCLOCK_TSC_STABLE_BIT,
} from "./pvclock.js";
import { kvmSignatureLeaf } from "./abi.js";

class Mem {
  readonly b = new Uint8Array(4096);
  readonly v = new DataView(this.b.buffer);
  writes: number[] = [];
  write8(a: number, x: number): void { this.b[a] = x; }
  write32(a: number, x: number): void { this.writes.push(a); this.v.setUint32(a, x >>> 0, true); }
  read32(a: number): number { return this.v.getInt32(a, true); }
  read8(a: number): number { return this.b[a]; }
}

describe("pvclock scale", () => {
  for (const hz of [1e9, 2.5e9, 3.3e9, 1e8, 12e6, 1e10]) {
    it(`converts ${hz} Hz ticks to ns within 1 ppm`, () => {
      const s = pvclockScale(hz);
      expect(s.mul).toBeGreaterThanOrEqual(2 ** 31);
      expect(s.mul).toBeLessThan(2 ** 32);
      const ticks = BigInt(Math.round(hz * 7.25)); // 7.25 s
      const ns = Number(pvclockScaleDelta(ticks, s));
      expect(Math.abs(ns - 7.25e9) / 7.25e9).toBeLessThan(1e-6);
    });
  }
  it("rejects nonsense frequencies", () => {
    expect(() => pvclockScale(0)).toThrow(/invalid TSC frequency/);
  });
});

describe("pvclock structures", () => {
  it("publishes with the odd/even version protocol and reads back", () => {
    const m = new Mem();
    const s = pvclockScale(2e9);
    const v = writePvclockVcpuTimeInfo(m, 64, 4, { tscTimestamp: 1000n, systemTime: 5000n, ...s, flags: PVCLOCK_TSC_STABLE_BIT });
    expect(v).toBe(6);
    expect(m.writes[0]).toBe(64); // version first (odd) ...
    expect(m.writes[m.writes.length - 1]).toBe(64); // ... and last (even)
    const info = readPvclockVcpuTimeInfo(m, 64);
    expect(info).toMatchObject({ version: 6, tscTimestamp: 1000n, systemTime: 5000n, mul: s.mul, shift: s.shift, flags: 1 });
    // 2e9 ticks later at 2 GHz: one second more.
    const t = pvclockRead(info, 1000n + 2_000_000_000n);
    expect(Number(t - 5000n)).toBeGreaterThan(999_999_000);
    expect(Number(t - 5000n)).toBeLessThanOrEqual(1_000_000_000);
  });
  it("wall clock", () => {
    const m = new Mem();
    expect(writePvclockWallClock(m, 0, 0, 1_700_000_000, 123)).toBe(2);
    expect(m.read32(4)).toBe(1_700_000_000);
    expect(m.read32(8)).toBe(123);
  });
  it("signature leaf spells KVMKVMKVM", () => {
    const out = new Int32Array(4);
    kvmSignatureLeaf(0x40000001, out);
    const s = [out[1], out[2], out[3]].map((x) => String.fromCharCode(x & 255, (x >> 8) & 255, (x >> 16) & 255, (x >>> 24) & 255)).join("");
    expect(s).toBe("KVMKVMKVM\0\0\0");
    expect(out[0]).toBe(0x40000001);
  });
});
