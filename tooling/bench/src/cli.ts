/**
 * npm run bench: runs the CPU-bound integer guest (bench-int: quick sort, CRC32, matrix
 * multiply, list walk) on the virtkit interpreter and under qemu-system-i386 (TCG) in the same
 * run, and prints one line per benchmark:
 *
 *   BENCH cpu-int virtkit_mips=<n> virtkit_s=<s> qemu_tcg_s=<s> ratio=<virtkit/qemu>
 *
 * Options: --runs N (best of N, default 3), --guest NAME (default bench-int).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { listGuests } from "@virtkit/guests";
import { qemuAvailable, runUnderQemu } from "@virtkit/guests/qemu";
import { runMultiboot } from "@virtkit/runner";

const { values } = parseArgs({ options: { runs: { type: "string" }, guest: { type: "string" } } });
const runs = Math.max(1, Number(values.runs ?? 3));
const name = values.guest ?? "bench-int";
const guest = listGuests().find((g) => g.name === name);
if (guest === undefined) {
  process.stderr.write(`bench: no guest named ${name}\n`);
  process.exit(2);
}
const image = readFileSync(guest.elfPath);

let best = Infinity;
let instructions = 0;
for (let k = 0; k < runs; k++) {
  const r = runMultiboot(image, { memoryMiB: 32 });
  if (!r.output.includes(`RESULT PASS ${name}`)) {
    process.stderr.write(`bench: ${name} did not pass under virtkit:\n${r.output}\n`);
    process.exit(1);
  }
  instructions = r.instructions;
  best = Math.min(best, r.seconds);
}

let qemuS = NaN;
if (qemuAvailable()) {
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const q = await runUnderQemu(guest.elfPath, { timeoutMs: 120_000 });
    const s = (performance.now() - t0) / 1000;
    if (!q.output.includes(`RESULT PASS ${name}`)) {
      process.stderr.write(`bench: ${name} did not pass under QEMU\n`);
      process.exit(1);
    }
    qemuS = Number.isNaN(qemuS) ? s : Math.min(qemuS, s);
  }
} else {
  process.stderr.write("bench: qemu-system-i386 not installed; qemu_tcg_s=nan\n");
}

const mips = instructions / best / 1e6;
const ratio = best / qemuS;
console.log(
  `BENCH cpu-int virtkit_mips=${mips.toFixed(1)} virtkit_s=${best.toFixed(3)} qemu_tcg_s=${qemuS.toFixed(3)} ratio=${ratio.toFixed(2)}`,
);
console.log(`  (${instructions} guest instructions; best of ${runs}; QEMU time includes its start-up)`);
