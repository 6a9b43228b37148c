/**
 * The x87 part of a native-ia32 vector (suite README, "FSAVE image"): the FPU is loaded
 * from `init.fpu` (a 32-bit protected-mode FRSTOR image) before the instruction and
 * compared with `final.fpu` after it: FCW, FSW without `undef_fsw_mask`, FTW and the
 * eight registers (registers tagged empty are not compared). The reserved halves and
 * the pointer fields (FIP/FCS/FOP/FDP/FDS) are not compared, as the README says.
 */
import type { Cpu } from "@virtkit/cpu";
import type { NativeVector } from "./native.js";
import { hex, type Diff } from "./result.js";

const FSAVE_SIZE = 108;
const OFF_FCW = 0;
const OFF_FSW = 4;
const OFF_FTW = 8;
const OFF_ST0 = 28;
const ST_SIZE = 10;
const TAG_EMPTY = 3;

const image = new Uint8Array(FSAVE_SIZE);

function word(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

/**
 * Put the FPU in the vector's initial state: FRSTOR of `init.fpu`, or FNINIT when the
 * vector has none. FISTTP (SSE3) is enabled: the recording CPU has it, a P6 does not.
 */
export function loadX87(cpu: Cpu, v: NativeVector): void {
  cpu.fpu.fisttp = true;
  if (v.init.fpu !== undefined) cpu.fpu.loadFsaveImage(Buffer.from(v.init.fpu, "hex"));
  else cpu.fpu.reset();
}

/** Differences between the FPU and `final.fpu` (none when the vector records no FPU). */
export function compareX87(cpu: Cpu, v: NativeVector): Diff[] {
  const diffs: Diff[] = [];
  const fin = v.final.fpu;
  if (fin === undefined || fin === null) return diffs;
  const exp = Buffer.from(fin, "hex");
  cpu.fpu.saveFsaveImage(image);
  const undef = v.undef_fsw_mask ?? 0;
  const fcw = word(image, OFF_FCW);
  if (fcw !== word(exp, OFF_FCW)) diffs.push({ what: "fcw", expected: hex(word(exp, OFF_FCW), 4), got: hex(fcw, 4) });
  const fsw = word(image, OFF_FSW);
  const expFsw = word(exp, OFF_FSW);
  if (((fsw ^ expFsw) & ~undef) !== 0) diffs.push({ what: "fsw", expected: hex(expFsw & ~undef, 4), got: hex(fsw & ~undef, 4) });
  const ftw = word(image, OFF_FTW);
  const expFtw = word(exp, OFF_FTW);
  if (ftw !== expFtw) diffs.push({ what: "ftw", expected: hex(expFtw, 4), got: hex(ftw, 4) });
  const top = (expFsw >> 11) & 7;
  for (let k = 0; k < 8; k++) {
    if (((expFtw >> (2 * ((top + k) & 7))) & 3) === TAG_EMPTY) continue;
    const o = OFF_ST0 + ST_SIZE * k;
    const got = Buffer.from(image.subarray(o, o + ST_SIZE));
    const want = exp.subarray(o, o + ST_SIZE);
    if (!got.equals(want)) {
      // Printed as sign+exponent:significand.
      const fmt = (b: Uint8Array): string =>
        `${word(b, 8).toString(16).padStart(4, "0")}:${Buffer.from(b.subarray(0, 8)).reverse().toString("hex")}`;
      diffs.push({ what: `st${k}`, expected: fmt(want), got: fmt(got) });
    }
  }
  return diffs;
}
