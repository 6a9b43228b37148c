#!/usr/bin/env -S node --conditions=@virtkit/source --import tsx
/**
 * virtkit-lockstep <guest.elf|name> [--max N] [--mem MiB] [--mode insn|gdb] [--verbose]
 * virtkit-lockstep --all [--mode …]
 *
 * Runs a guest in QEMU and in the virtkit CPU in lockstep and reports the first divergence.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { listGuests } from "@virtkit/guests";
import { formatDivergence, runLockstep, type LockstepMode, type LockstepResult } from "./lockstep.js";
import { qemuAvailable } from "./qemu.js";

const usage = `usage: lockstep <guest.elf|guest-name> [options]
       lockstep --all [options]
options:
  --max N            stop after N instructions
  --mem MiB          guest RAM on both sides (default 32)
  --mode insn|gdb    insn: QEMU -d cpu log with singlestep (fast, default);
                     gdb: gdbstub single-step (slow, ~3k instructions/s)
  --cpu MODEL        QEMU -cpu model (default: QEMU's default)
  --keep-going N     collect up to N divergences, resyncing registers after each
  --no-caches        do not compare segment descriptor caches
  --x87              compare x87 state too (insn mode; QEMU logs fpu, ~40% slower)
  --start-at ADDR[:N]  start comparing at the N-th arrival at linear ADDR (QEMU runs
                     there at full speed; its RAM and registers are copied to virtkit)
  --initrd FILE, --append CMDLINE   for Linux bzImages (with --start-at)
  --qemu PATH        QEMU binary (default qemu-system-i386)
  --verbose          progress, guest output
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    max: { type: "string" },
    mem: { type: "string" },
    mode: { type: "string" },
    cpu: { type: "string" },
    "keep-going": { type: "string" },
    "no-caches": { type: "boolean" },
    x87: { type: "boolean" },
    qemu: { type: "string" },
    "start-at": { type: "string" },
    initrd: { type: "string" },
    append: { type: "string" },
    verbose: { type: "boolean", short: "v" },
    all: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help === true || (values.all !== true && positionals.length !== 1)) {
  process.stdout.write(usage);
  process.exit(values.help === true ? 0 : 2);
}
const modeArg = values.mode ?? "insn";
if (modeArg !== "insn" && modeArg !== "gdb") {
  process.stderr.write(`lockstep: unknown mode ${modeArg}\n${usage}`);
  process.exit(2);
}
const mode: LockstepMode = modeArg;
const qemu = values.qemu ?? "qemu-system-i386";
if (!qemuAvailable(qemu)) {
  process.stderr.write(`lockstep: ${qemu} cannot be started (Debian: apt-get install qemu-system-x86)\n`);
  process.exit(2);
}
const verbose = values.verbose === true;
// Exit through process.exit so that QEMU children are killed by their exit hooks.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(130));
let startAt: { addr: number; hits: number } | undefined;
if (values["start-at"] !== undefined) {
  const [a, n] = values["start-at"].split(":");
  startAt = { addr: Number(a.startsWith("0x") ? a : `0x${a}`), hits: n !== undefined ? Number(n) : 1 };
  if (!Number.isFinite(startAt.addr) || !(startAt.hits >= 1)) {
    process.stderr.write(`lockstep: bad --start-at ${values["start-at"]} (want ADDR[:N], hex address)\n`);
    process.exit(2);
  }
}
const common = {
  mode,
  qemu,
  memMiB: values.mem !== undefined ? Number(values.mem) : undefined,
  maxInstructions: values.max !== undefined ? Number(values.max) : undefined,
  cpuModel: values.cpu,
  maxDivergences: values["keep-going"] !== undefined ? Number(values["keep-going"]) : 1,
  compareCaches: values["no-caches"] !== true,
  x87: values.x87 === true,
  startAt,
  initrd: values.initrd,
  append: values.append,
  progress: verbose ? (l: string) => process.stderr.write(`[lockstep] ${l}\n`) : undefined,
};

function resolveGuest(arg: string): string {
  if (existsSync(arg)) return arg;
  const g = listGuests().find((x) => x.name === arg);
  if (g !== undefined && existsSync(g.elfPath)) return g.elfPath;
  process.stderr.write(`lockstep: no such guest or file: ${arg} (guests: ${listGuests().map((x) => x.name).join(", ")})\n`);
  process.exit(2);
}

function summary(name: string, r: LockstepResult): string {
  const ips = r.seconds > 0 ? Math.round(r.instructions / r.seconds) : 0;
  return `LOCKSTEP ${name} instructions=${r.instructions} divergences=${r.divergences.length} end=${r.end} ` +
    `seconds=${r.seconds.toFixed(2)} setup=${r.setupSeconds.toFixed(2)} ips=${ips}` +
    (r.error !== "" ? ` error="${r.error}"` : "");
}

function report(r: LockstepResult): void {
  for (const d of r.divergences) process.stdout.write(formatDivergence(d) + "\n\n");
  if (verbose) {
    process.stderr.write(`[lockstep] undefined-flag syncs ${r.undefSyncs}, non-deterministic results from QEMU ${r.nondetSyncs}, MMIO reads from QEMU ${r.mmioSyncs}, x87 QEMU-gap syncs ${r.x87QemuQuirks}, PAE PDPTE accessed-bit reads ${r.pdpteQemuQuirks} (tolerated after ${r.pdpteTolerated} instructions), repeated QEMU dumps skipped ${r.repeats}, qemu status ${r.qemuStatus}\n`);
  }
}

let bad = false;
if (values.all === true) {
  for (const g of listGuests().filter((x) => x.quick)) {
    if (!g.qemuPasses) {
      // Nothing to compare with: the installed QEMU cannot run this guest (see tooling/guests).
      process.stdout.write(`LOCKSTEP ${g.name} skipped: qemu-system-i386 cannot run it\n`);
      continue;
    }
    // x87 guests compare the FPU too (C0/C2/C3 left undefined are taken from QEMU's dumps).
    const r = await runLockstep({ ...common, elfPath: g.elfPath, x87: common.x87 || g.name.startsWith("x87") });
    process.stdout.write(summary(g.name, r) + "\n");
    report(r);
    if (r.divergences.length > 0 || r.end === "error") bad = true;
  }
} else {
  const elf = resolveGuest(positionals[0]);
  const x87 = common.x87 || positionals[0].startsWith("x87");
  const r = await runLockstep({ ...common, x87, elfPath: elf, onOutput: verbose ? (s) => process.stderr.write(s) : undefined });
  report(r);
  process.stdout.write(summary(positionals[0], r) + "\n");
  if (r.divergences.length > 0 || r.end === "error") bad = true;
}
process.exit(bad ? 1 : 0);
