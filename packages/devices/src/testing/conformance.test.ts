import { describe, expect, it } from "vitest";
import { type AccessSize, BytePortDevice } from "../api/io.js";
import { checkState, type DeviceState } from "../api/state.js";
import {
  checkConformance,
  checkGuestFuzz,
  checkRegisterWidths,
  checkResetState,
  checkSaveRestore,
  ConformanceError,
  type ConformanceSpec,
} from "./conformance.js";
import { findDifference } from "./deep-equal.js";
import { Xorshift32 } from "./prng.js";

/** Faults to inject into the model device. */
interface Faults {
  throwOnWide?: boolean;
  resetForgets?: boolean;
  saveForgets?: boolean;
  typedArrayState?: boolean;
  acceptsAnyVersion?: boolean;
  throwOnValue?: number;
  badReadValue?: boolean;
}

/** Two registers: 0 = scratch (r/w, reset 0), 1 = counter of writes (read-only). */
class Model extends BytePortDevice {
  readonly name = "model";
  scratch = 0;
  writes = 0;

  constructor(private readonly faults: Faults) {
    super();
  }

  override ioRead(offset: number, size: AccessSize): number {
    if (this.faults.throwOnWide === true && size > 1) throw new Error("wide access");
    if (this.faults.badReadValue === true && offset === 1) return 0x1ff;
    return super.ioRead(offset, size);
  }

  protected readByte(offset: number): number {
    return offset === 0 ? this.scratch : this.writes & 0xff;
  }

  protected writeByte(offset: number, value: number): void {
    if (value === this.faults.throwOnValue) throw new TypeError("boom");
    if (offset === 0) this.scratch = value;
    this.writes++;
  }

  reset(): void {
    if (this.faults.resetForgets !== true) this.scratch = 0;
    this.writes = 0;
  }

  save(): DeviceState {
    const base = { version: 1, scratch: this.scratch, writes: this.writes };
    if (this.faults.saveForgets === true) return { version: 1, writes: this.writes } as DeviceState;
    if (this.faults.typedArrayState === true) return { ...base, bytes: new Uint8Array([1]) } as DeviceState;
    return base;
  }

  restore(state: DeviceState): void {
    if (this.faults.acceptsAnyVersion !== true) checkState(this.name, state, 1);
    const s = state as { scratch?: number; writes?: number };
    this.scratch = s.scratch ?? 0;
    this.writes = s.writes ?? 0;
  }
}

function spec(faults: Faults): ConformanceSpec {
  return {
    name: "model",
    fuzzAccesses: 1000,
    create() {
      const dev = new Model(faults);
      return {
        device: dev,
        windows: [
          {
            kind: "io",
            name: "model",
            size: 2,
            handler: dev,
            registers: [
              { name: "SCRATCH", offset: 0, widths: [1], reset: 0, writeMask: 0xff },
              { name: "COUNT", offset: 1, widths: [1], reset: 0 },
            ],
          },
        ],
      };
    },
  };
}

describe("conformance kit", () => {
  it("passes a correct device", () => {
    expect(() => {
      checkConformance(spec({}));
    }).not.toThrow();
  });

  it("catches a device that throws on a wide access", () => {
    expect(checkRegisterWidths(spec({ throwOnWide: true })).join("\n")).toMatch(/model\+0x0 width 2 threw: wide access/);
  });

  it("catches reset() leaving a register dirty", () => {
    expect(checkResetState(spec({ resetForgets: true })).join("\n")).toMatch(/after random writes.*SCRATCH reads 0x[0-9a-f]+, documented 0x0/);
  });

  it("catches state lost across save/restore", () => {
    expect(checkSaveRestore(spec({ saveForgets: true })).join("\n")).toMatch(/after restore, access #\d+ differs/);
  });

  it("catches state that is not plain JSON", () => {
    expect(checkSaveRestore(spec({ typedArrayState: true })).join("\n")).toMatch(/not plain JSON: state\.bytes/);
  });

  it("catches restore accepting an unknown version", () => {
    expect(checkSaveRestore(spec({ acceptsAnyVersion: true })).join("\n")).toMatch(/was accepted/);
  });

  it("catches a host exception on malformed guest input, naming the access", () => {
    const f = checkGuestFuzz(spec({ throwOnValue: 0x55 }));
    expect(f.join("\n")).toMatch(/write1 model\+0x[01] = 0x55\) threw: boom/);
  });

  it("catches reads that do not fit the access width", () => {
    expect(checkRegisterWidths(spec({ badReadValue: true })).join("\n")).toMatch(/read1 returned 511/);
  });

  it("checkConformance aggregates failures into a ConformanceError", () => {
    try {
      checkConformance(spec({ resetForgets: true, throwOnWide: true }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConformanceError);
      expect((e as ConformanceError).failures.length).toBeGreaterThanOrEqual(2);
    }
  });

  it("findDifference reports paths; the PRNG is reproducible", () => {
    expect(findDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe("state.a[1].b: 2 ≠ 3");
    expect(findDifference({ a: 1 }, { a: 1 })).toBeNull();
    const r1 = new Xorshift32(7);
    const r2 = new Xorshift32(7);
    const seq = Array.from({ length: 5 }, () => r1.nextU32());
    expect(Array.from({ length: 5 }, () => r2.nextU32())).toEqual(seq);
    expect(new Set(seq).size).toBe(5);
  });
});
