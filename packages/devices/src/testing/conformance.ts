/**
 * The device conformance kit. A plugin author describes the device (a factory and its
 * register windows) and calls {@link checkConformance} from any test runner; it throws a
 * {@link ConformanceError} listing every failed check. The checks:
 *
 * - reset state: documented registers read their reset values after construction +
 *   `reset()`, and again after a burst of random guest writes + `reset()`;
 * - widths: every offset of every window at widths 1/2/4 (and 8 as two dwords where a
 *   register documents it) reads and writes without throwing, reads return an integer
 *   that fits the width; documented read/write bits read back what was written;
 * - snapshots: save → JSON → restore into a fresh device → save is deep-equal, and the
 *   two devices then answer an identical random access sequence identically (reads and
 *   IRQ levels); unknown versions and non-objects are rejected with a clear error;
 * - fuzz: a few thousand seeded random guest accesses interleaved with clock advances
 *   raise no host exception.
 */
import { PhysicalMemory } from "@virtkit/mmu";
import { VirtualClock } from "../api/clock.js";
import type { AccessSize, PortIoHandler } from "../api/io.js";
import type { MmioRangeHandler } from "../api/mmio.js";
import type { GuestMemory } from "../api/memory.js";
import type { Device, DeviceState } from "../api/state.js";
import { findDifference } from "./deep-equal.js";
import { RecordingIrqLine } from "./irq-recorder.js";
import { Xorshift32 } from "./prng.js";

/** An access width a register documents; 8 means two 4-byte accesses, low dword first. */
export type RegisterWidth = 1 | 2 | 4 | 8;

/** One register of a window, as documented by the device. */
export interface RegisterSpec {
  /** Name as in the datasheet ("LSR", "IOREGSEL"). */
  readonly name: string;
  /** Offset within the window. */
  readonly offset: number;
  /** Widths the datasheet allows. Other widths must still not throw. */
  readonly widths: readonly RegisterWidth[];
  /** Value read at `widths[0]` right after reset (omit for write-only or volatile registers). */
  readonly reset?: number | bigint;
  /** Bits of `reset` that are compared (default: all). */
  readonly resetMask?: number;
  /** Plain read/write bits: a write at `widths[0]` reads back through this mask. */
  readonly writeMask?: number;
}

/** A port-I/O window of a device under test. */
export interface IoWindowSpec {
  /** "io". */
  readonly kind: "io";
  /** Name for messages. */
  readonly name: string;
  /** Number of ports. */
  readonly size: number;
  /** The device's handler for this window. */
  readonly handler: PortIoHandler;
  /** Documented registers. */
  readonly registers: readonly RegisterSpec[];
}

/** An MMIO window of a device under test. */
export interface MmioWindowSpec {
  /** "mmio". */
  readonly kind: "mmio";
  /** Name for messages. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** The device's handler for this window. */
  readonly handler: MmioRangeHandler;
  /** Documented registers. */
  readonly registers: readonly RegisterSpec[];
}

/** A register window: port I/O or MMIO. */
export type WindowSpec = IoWindowSpec | MmioWindowSpec;

/** What a factory returns: the device and its guest-visible windows. */
export interface DeviceUnderTest {
  /** The device (reset, save, restore). */
  readonly device: Device;
  /** Its register windows. */
  readonly windows: readonly WindowSpec[];
}

/** The environment the kit gives each device instance it creates. */
export interface ConformanceEnv {
  /** A deterministic clock the kit advances during fuzzing. */
  readonly clock: VirtualClock;
  /** A recording IRQ line per name (same name → same line). */
  irq(name: string): RecordingIrqLine;
  /** 1 MiB of guest RAM at address 0, for DMA. */
  readonly memory: GuestMemory;
}

/** The description of a device for the kit. */
export interface ConformanceSpec {
  /** Device name for messages. */
  readonly name: string;
  /** Build a fresh, wired device (call env.irq / env.clock for its dependencies). */
  create(env: ConformanceEnv): DeviceUnderTest;
  /** PRNG seed (default 0x5eed). */
  readonly seed?: number;
  /** Random accesses per fuzz run (default 4000). */
  readonly fuzzAccesses?: number;
  /** Largest clock step between accesses, ns (default 200 µs). */
  readonly maxClockStepNs?: number;
}

/** Thrown by the checks: every failure, one per line. */
export class ConformanceError extends Error {
  constructor(
    device: string,
    /** The individual failures. */
    readonly failures: readonly string[],
  ) {
    super(`${device}: ${failures.length} conformance failure(s):\n  ${failures.join("\n  ")}`);
    this.name = "ConformanceError";
  }
}

class Env implements ConformanceEnv {
  readonly clock = new VirtualClock();
  private mem: PhysicalMemory | null = null;
  private readonly lines = new Map<string, RecordingIrqLine>();

  /** Created on first use: the page tables cover 4 GiB and cost a few MiB. */
  get memory(): GuestMemory {
    if (this.mem === null) {
      this.mem = new PhysicalMemory({ ramSize: 1 << 20, reservePages: 0 });
      this.mem.mapRam(0, 1 << 20);
    }
    return this.mem;
  }

  irq(name: string): RecordingIrqLine {
    let l = this.lines.get(name);
    if (l === undefined) {
      l = new RecordingIrqLine();
      this.lines.set(name, l);
    }
    return l;
  }

  /** Names of the asserted lines in name order (lines are created lazily, so only asserted ones count). */
  levels(): string {
    return [...this.lines.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .filter(([, l]) => l.level)
      .map(([n]) => n)
      .join(",");
  }
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

function rawRead(w: WindowSpec, offset: number, size: AccessSize): number {
  return w.kind === "io" ? w.handler.ioRead(offset, size) : w.handler.mmioRead(offset, size);
}

function rawWrite(w: WindowSpec, offset: number, size: AccessSize, value: number): void {
  const v = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
  if (w.kind === "io") w.handler.ioWrite(offset, size, v);
  else w.handler.mmioWrite(offset, size, v);
}

/** Check the raw value a device returned for a read of `size` bytes. */
function badReadValue(v: number, size: AccessSize): boolean {
  if (!Number.isInteger(v)) return true;
  if (size === 4) return v < -0x80000000 || v > 0xffffffff;
  return v < 0 || v >= 1 << (8 * size);
}

/** Read a register at a documented width (8 = two dwords, low first). */
function readAt(w: WindowSpec, offset: number, width: RegisterWidth): bigint {
  if (width === 8) {
    const lo = rawRead(w, offset, 4);
    const hi = rawRead(w, offset + 4, 4);
    if (badReadValue(lo, 4) || badReadValue(hi, 4)) throw new Error(`read8 halves ${String(lo)}, ${String(hi)} do not fit 4 bytes`);
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }
  const v = rawRead(w, offset, width);
  if (badReadValue(v, width)) throw new Error(`read${width} returned ${String(v)}, which does not fit`);
  return BigInt(width === 4 ? v >>> 0 : v);
}

function writeAt(w: WindowSpec, offset: number, width: RegisterWidth, value: bigint): void {
  if (width === 8) {
    rawWrite(w, offset, 4, Number(value & 0xffffffffn));
    rawWrite(w, offset + 4, 4, Number((value >> 32n) & 0xffffffffn));
  } else {
    rawWrite(w, offset, width, Number(value & 0xffffffffn));
  }
}

function widthMask(width: RegisterWidth): bigint {
  return (1n << BigInt(8 * width)) - 1n;
}

function hexBig(n: bigint): string {
  return `0x${n.toString(16)}`;
}

/** One random guest access, recorded for error messages. */
interface Access {
  window: number;
  offset: number;
  size: AccessSize;
  write: boolean;
  value: number;
  stepNs: number;
}

const INTERESTING = [0, 0xff, 0xffffffff, 0x80, 0x01, 0x7f, 0xaa, 0x55, 0xfe, 0x10];

function randomAccess(rng: Xorshift32, windows: readonly WindowSpec[], maxStep: number): Access {
  const wi = rng.below(windows.length);
  const w = windows[wi];
  let offset: number;
  let size: AccessSize;
  if (w.registers.length > 0 && rng.below(10) < 7) {
    const r = rng.pick(w.registers);
    const width = rng.pick(r.widths);
    size = width === 8 ? 4 : width;
    offset = r.offset + (width === 8 && rng.below(2) === 1 ? 4 : 0);
  } else {
    size = rng.pick<AccessSize>([1, 2, 4]);
    if (size > w.size) size = 1;
    offset = rng.below(w.size - size + 1);
  }
  const value = rng.below(3) === 0 ? rng.pick(INTERESTING) : rng.nextU32();
  const stepNs = rng.below(8) === 0 ? rng.below(maxStep + 1) : 0;
  return { window: wi, offset, size, write: rng.below(2) === 0, value, stepNs };
}

function describeAccess(windows: readonly WindowSpec[], a: Access): string {
  const w = windows[a.window];
  return `${a.write ? "write" : "read"}${a.size} ${w.name}+${hex(a.offset)}${a.write ? ` = ${hex(a.value)}` : ""}${a.stepNs > 0 ? ` (after +${a.stepNs} ns)` : ""}`;
}

/**
 * Run `count` random accesses; returns a trace of read values and IRQ levels (for
 * comparing two devices). Throws an Error naming the access on a host exception or a
 * read value that does not fit its width.
 */
function fuzz(dut: DeviceUnderTest, env: Env, seed: number, count: number, maxStep: number): string[] {
  const rng = new Xorshift32(seed);
  const trace: string[] = [];
  const recent: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = randomAccess(rng, dut.windows, maxStep);
    const desc = describeAccess(dut.windows, a);
    recent.push(desc);
    if (recent.length > 8) recent.shift();
    try {
      if (a.stepNs > 0) env.clock.advance(a.stepNs);
      const w = dut.windows[a.window];
      if (a.write) {
        rawWrite(w, a.offset, a.size, a.value);
        trace.push(env.levels());
      } else {
        const v = rawRead(w, a.offset, a.size);
        if (badReadValue(v, a.size)) throw new Error(`read returned ${String(v)}, which does not fit ${a.size} byte(s)`);
        trace.push(`${hex(v)} ${env.levels()}`);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`access #${i} (${desc}) threw: ${msg}; last accesses: ${recent.join("; ")}`, { cause: e });
    }
  }
  return trace;
}

function seedOf(spec: ConformanceSpec): number {
  return spec.seed ?? 0x5eed;
}

function create(spec: ConformanceSpec): { dut: DeviceUnderTest; env: Env } {
  const env = new Env();
  const dut = spec.create(env);
  return { dut, env };
}

/** Documented reset values after construction + reset(), and after random writes + reset(). */
export function checkResetState(spec: ConformanceSpec): string[] {
  const failures: string[] = [];
  const { dut, env } = create(spec);
  const compare = (when: string): void => {
    for (const w of dut.windows) {
      for (const r of w.registers) {
        if (r.reset === undefined) continue;
        const width = r.widths[0];
        const mask = r.resetMask === undefined ? widthMask(width) : BigInt(r.resetMask >>> 0);
        const got = readAt(w, r.offset, width) & mask;
        const want = BigInt.asUintN(64, BigInt(r.reset)) & mask;
        if (got !== want) failures.push(`reset (${when}): ${w.name}.${r.name} reads ${hexBig(got)}, documented ${hexBig(want)}`);
      }
    }
  };
  dut.device.reset();
  compare("fresh");
  const rng = new Xorshift32(seedOf(spec) ^ 0x1234567);
  for (let i = 0; i < 300; i++) {
    const a = randomAccess(rng, dut.windows, spec.maxClockStepNs ?? 200_000);
    if (a.stepNs > 0) env.clock.advance(a.stepNs);
    const w = dut.windows[a.window];
    if (a.write) rawWrite(w, a.offset, a.size, a.value);
    else rawRead(w, a.offset, a.size);
  }
  dut.device.reset();
  compare("after random writes");
  return failures;
}

/** Every offset at every width reads/writes without throwing; documented r/w bits read back. */
export function checkRegisterWidths(spec: ConformanceSpec): string[] {
  const failures: string[] = [];
  const { dut } = create(spec);
  dut.device.reset();
  for (const w of dut.windows) {
    for (let off = 0; off < w.size; off++) {
      for (const size of [1, 2, 4] as const) {
        if (off + size > w.size) continue;
        try {
          const v = rawRead(w, off, size);
          if (badReadValue(v, size)) failures.push(`${w.name}+${hex(off)} read${size} returned ${String(v)}`);
          rawWrite(w, off, size, v);
          rawWrite(w, off, size, 0);
          rawWrite(w, off, size, 0xffffffff);
        } catch (e) {
          failures.push(`${w.name}+${hex(off)} width ${size} threw: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      dut.device.reset();
    }
    for (const r of w.registers) {
      for (const width of r.widths) {
        try {
          readAt(w, r.offset, width);
        } catch (e) {
          failures.push(`${w.name}.${r.name} documented width ${width}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (r.writeMask !== undefined) {
        const width = r.widths[0];
        const m = BigInt(r.writeMask >>> 0);
        for (const pattern of [0x5a5a5a5a5a5a5a5an, 0xa5a5a5a5a5a5a5a5n, 0n]) {
          dut.device.reset();
          const p = pattern & widthMask(width);
          writeAt(w, r.offset, width, p);
          const got = readAt(w, r.offset, width);
          if ((got & m) !== (p & m)) {
            failures.push(`${w.name}.${r.name}: wrote ${hexBig(p)}, read back ${hexBig(got)} (r/w mask ${hex(r.writeMask)})`);
          }
        }
      }
    }
    dut.device.reset();
  }
  return failures;
}

/** save → JSON → restore into a fresh device → save; then both run the same accesses. */
export function checkSaveRestore(spec: ConformanceSpec): string[] {
  const failures: string[] = [];
  const seed = seedOf(spec);
  const n = Math.max(200, Math.floor((spec.fuzzAccesses ?? 4000) / 4));
  const maxStep = spec.maxClockStepNs ?? 200_000;
  const a = create(spec);
  a.dut.device.reset();
  fuzz(a.dut, a.env, seed, n, maxStep);
  const s1 = a.dut.device.save();
  const text = JSON.stringify(s1);
  const parsed = JSON.parse(text) as DeviceState;
  const notJson = findDifference(s1, parsed);
  if (notJson !== null) failures.push(`save() is not plain JSON: ${notJson}`);
  if (typeof s1.version !== "number") failures.push("save() has no numeric version field");

  const b = create(spec);
  b.env.clock.advanceTo(a.env.clock.now());
  try {
    b.dut.device.restore(parsed);
    const s2 = b.dut.device.save();
    const d = findDifference(s1, s2);
    if (d !== null) failures.push(`save → restore → save differs: ${d}`);
  } catch (e) {
    failures.push(`restore of a saved state threw: ${e instanceof Error ? e.message : String(e)}`);
    return failures;
  }
  const ta = fuzz(a.dut, a.env, seed ^ 0x77, n, maxStep);
  const tb = fuzz(b.dut, b.env, seed ^ 0x77, n, maxStep);
  for (let i = 0; i < ta.length; i++) {
    if (ta[i] !== tb[i]) {
      failures.push(`after restore, access #${i} differs: original ${ta[i]}, restored ${tb[i]}`);
      break;
    }
  }
  const sa = a.dut.device.save();
  const sb = b.dut.device.save();
  const d4 = findDifference(sa, sb);
  if (d4 !== null) failures.push(`after identical accesses, saved states differ: ${d4}`);
  // Restoring a device's own snapshot onto it must be a no-op.
  const own = JSON.stringify(sa);
  a.dut.device.restore(JSON.parse(own) as DeviceState);
  const d3 = findDifference(sa, a.dut.device.save());
  if (d3 !== null) failures.push(`restore onto the same device changed it: ${d3}`);

  for (const bad of [{ ...s1, version: 9999 }, null, 42, []] as unknown[]) {
    try {
      b.dut.device.restore(bad as DeviceState);
      failures.push(`restore(${JSON.stringify(bad).slice(0, 40)}) was accepted`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (bad !== null && typeof bad === "object" && !Array.isArray(bad) && !msg.includes("version")) {
        failures.push(`restore of version 9999 failed without naming the version: ${msg}`);
      }
    }
  }
  return failures;
}

/** A few thousand seeded random guest accesses with clock advances: no host exception. */
export function checkGuestFuzz(spec: ConformanceSpec): string[] {
  const { dut, env } = create(spec);
  dut.device.reset();
  try {
    fuzz(dut, env, seedOf(spec) ^ 0xf00d, spec.fuzzAccesses ?? 4000, spec.maxClockStepNs ?? 200_000);
    env.clock.advance(1e9);
  } catch (e) {
    return [`fuzz: ${e instanceof Error ? e.message : String(e)}`];
  }
  return [];
}

/** Run every check; throws a {@link ConformanceError} listing all failures. */
export function checkConformance(spec: ConformanceSpec): void {
  const failures: string[] = [];
  const run = (check: (s: ConformanceSpec) => string[], label: string): void => {
    try {
      failures.push(...check(spec));
    } catch (e) {
      failures.push(`${label} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  run(checkResetState, "reset check");
  run(checkRegisterWidths, "width check");
  run(checkSaveRestore, "snapshot check");
  run(checkGuestFuzz, "fuzz");
  if (failures.length > 0) throw new ConformanceError(spec.name, failures);
}
