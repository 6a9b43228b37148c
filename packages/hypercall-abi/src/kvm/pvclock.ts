/**
 * The pvclock structures KVM shares with the guest (kvm-clock):
 *
 * pvclock_vcpu_time_info (32 bytes): u32 version; u32 pad0; u64 tsc_timestamp;
 * u64 system_time; u32 tsc_to_system_mul; s8 tsc_shift; u8 flags; u8 pad[2].
 *
 * pvclock_wall_clock (12 bytes): u32 version; u32 sec; u32 nsec.
 *
 * The guest computes
 *   time = system_time + (((tsc - tsc_timestamp) << shift) * mul) >> 32   (shift < 0: >> -shift)
 * and retries while `version` is odd or changes across its read, so the host writes an odd
 * version, the fields, then the next even version.
 */

/** Size of pvclock_vcpu_time_info. */
export const PVCLOCK_VCPU_TIME_INFO_SIZE = 32;
/** Size of pvclock_wall_clock. */
export const PVCLOCK_WALL_CLOCK_SIZE = 12;
/** flags bit: the TSC is stable across vCPUs (the guest may skip its monotonicity fix-up). */
export const PVCLOCK_TSC_STABLE_BIT = 1 << 0;
/** flags bit: the guest was stopped (watchdogs should not fire). */
export const PVCLOCK_GUEST_STOPPED = 1 << 1;

/** The scale that converts TSC ticks to nanoseconds. */
export interface PvclockScale {
  /** tsc_to_system_mul (uint32). */
  mul: number;
  /** tsc_shift (-31..31). */
  shift: number;
}

/**
 * Compute tsc_to_system_mul/tsc_shift for a TSC of `tscHz`, so that
 * ns = ((ticks << shift) * mul) >> 32 approximates ticks * 1e9 / tscHz (mul ≥ 2^31).
 */
export function pvclockScale(tscHz: number): PvclockScale {
  if (!(tscHz > 0) || !Number.isFinite(tscHz)) throw new RangeError(`pvclock: invalid TSC frequency ${tscHz}`);
  // mul / 2^32 * 2^shift = 1e9 / tscHz; pick the shift that puts mul in [2^31, 2^32).
  const ratio = 1e9 / tscHz;
  let shift = 0;
  let scaled = ratio;
  while (scaled >= 1 && shift < 31) {
    scaled /= 2;
    shift++;
  }
  while (scaled < 0.5 && shift > -31) {
    scaled *= 2;
    shift--;
  }
  let mul = Math.floor(scaled * 2 ** 32);
  if (mul >= 2 ** 32) mul = 2 ** 32 - 1;
  return { mul, shift };
}

/** Apply a scale to a TSC delta (what the guest computes), exactly, in BigInt. */
export function pvclockScaleDelta(delta: bigint, scale: PvclockScale): bigint {
  const d = scale.shift >= 0 ? delta << BigInt(scale.shift) : delta >> BigInt(-scale.shift);
  return (d * BigInt(scale.mul)) >> 32n;
}

/** The fields of pvclock_vcpu_time_info (64-bit values as BigInt; this is not a hot path). */
export interface PvclockVcpuTimeInfo {
  version: number;
  tscTimestamp: bigint;
  systemTime: bigint;
  mul: number;
  shift: number;
  flags: number;
}

/** Something the structures can be written to: the guest memory consumer view. */
export interface PvclockMemory {
  write8(gpa: number, v: number): void;
  write32(gpa: number, v: number): void;
  read32(gpa: number): number;
  read8(gpa: number): number;
}

function write64(m: PvclockMemory, gpa: number, v: bigint): void {
  m.write32(gpa, Number(v & 0xffffffffn) | 0);
  m.write32(gpa + 4, Number((v >> 32n) & 0xffffffffn) | 0);
}

function read64(m: PvclockMemory, gpa: number): bigint {
  return BigInt(m.read32(gpa) >>> 0) | (BigInt(m.read32(gpa + 4) >>> 0) << 32n);
}

/**
 * Publish a new pvclock_vcpu_time_info at `gpa` with the version protocol: odd version, fields,
 * next even version. Returns the new (even) version.
 */
export function writePvclockVcpuTimeInfo(
  m: PvclockMemory, gpa: number, prevVersion: number, info: Omit<PvclockVcpuTimeInfo, "version">,
): number {
  const odd = (prevVersion | 1) >>> 0;
  m.write32(gpa, odd);
  m.write32(gpa + 4, 0);
  write64(m, gpa + 8, info.tscTimestamp);
  write64(m, gpa + 16, info.systemTime);
  m.write32(gpa + 24, info.mul | 0);
  m.write8(gpa + 28, info.shift & 0xff);
  m.write8(gpa + 29, info.flags & 0xff);
  m.write8(gpa + 30, 0);
  m.write8(gpa + 31, 0);
  const even = (odd + 1) >>> 0;
  m.write32(gpa, even);
  return even;
}

/** Read a pvclock_vcpu_time_info (tests, debugging). */
export function readPvclockVcpuTimeInfo(m: PvclockMemory, gpa: number): PvclockVcpuTimeInfo {
  return {
    version: m.read32(gpa) >>> 0,
    tscTimestamp: read64(m, gpa + 8),
    systemTime: read64(m, gpa + 16),
    mul: m.read32(gpa + 24) >>> 0,
    shift: (m.read8(gpa + 28) << 24) >> 24,
    flags: m.read8(gpa + 29),
  };
}

/** The time (ns) a guest computes from `info` at TSC value `tsc`. */
export function pvclockRead(info: PvclockVcpuTimeInfo, tsc: bigint): bigint {
  return info.systemTime + pvclockScaleDelta(tsc - info.tscTimestamp, info);
}

/** Publish pvclock_wall_clock (the wall time at which system_time was 0) with the version protocol. */
export function writePvclockWallClock(m: PvclockMemory, gpa: number, prevVersion: number, sec: number, nsec: number): number {
  const odd = (prevVersion | 1) >>> 0;
  m.write32(gpa, odd);
  m.write32(gpa + 4, sec >>> 0);
  m.write32(gpa + 8, nsec >>> 0);
  const even = (odd + 1) >>> 0;
  m.write32(gpa, even);
  return even;
}
