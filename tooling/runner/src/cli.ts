#!/usr/bin/env -S node --conditions=@virtkit/source --import tsx
/**
 * virtkit-run <guest.elf> [-m MiB]: run a multiboot guest on the virtkit CPU, print its
 * console, exit with QEMU's isa-debug-exit status rule.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runMultiboot } from "./machine.js";
import { MultibootError } from "./multiboot.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { m: { type: "string", short: "m" }, stats: { type: "boolean" } },
});
if (positionals.length !== 1) {
  process.stderr.write("usage: virtkit-run <multiboot.elf> [-m MiB] [--stats]\n");
  process.exit(2);
}
const file = positionals[0];
let image: Uint8Array;
try {
  image = readFileSync(file);
} catch (e) {
  process.stderr.write(`virtkit-run: cannot read ${file}: ${(e as Error).message}\n`);
  process.exit(2);
}
try {
  const r = runMultiboot(image, {
    memoryMiB: values.m !== undefined ? Number(values.m) : 32,
    onOutput: (s) => process.stdout.write(s),
  });
  if (values.stats === true || r.reason !== "debug-exit") {
    const mips = r.instructions / r.seconds / 1e6;
    process.stderr.write(`[virtkit-run] ${r.reason} after ${r.instructions} instructions, ${r.seconds.toFixed(3)} s (${mips.toFixed(1)} MIPS)\n`);
  }
  process.exit(r.status >= 0 ? r.status : r.reason === "halted" ? 0 : 3);
} catch (e) {
  if (e instanceof MultibootError) {
    process.stderr.write(`virtkit-run: ${file}: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
