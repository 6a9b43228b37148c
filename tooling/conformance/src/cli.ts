/**
 * npm run conformance [-- <dir>] [--filter <substring>] [--verbose]
 *
 * Runs every suite found under <dir> (default: <repo root>/../shared/x86-vectors)
 * and prints, per suite, `x86-vectors <suite>: P passed, F failed, S skipped of T`,
 * the skip categories and a grouped failure summary. Exit code 1 if anything failed.
 */
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { DEFAULT_VECTOR_DIR, discoverSuites } from "./paths.js";
import { runSuite } from "./run.js";
import { formatResult } from "./result.js";

function usage(): never {
  console.error("usage: conformance [<vector dir>] [--filter <substring>] [--verbose]");
  process.exit(2);
}

const args = process.argv.slice(2);
let dir: string | undefined;
let filter: string | undefined;
let verbose = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--filter") {
    filter = args[++i];
    if (filter === undefined) usage();
  } else if (a.startsWith("--filter=")) filter = a.slice("--filter=".length);
  else if (a === "--verbose" || a === "-v") verbose = true;
  else if (a === "--help" || a === "-h") usage();
  else if (a.startsWith("-")) usage();
  else if (dir === undefined) dir = resolve(process.env.INIT_CWD ?? process.cwd(), a);
  else usage();
}
const root = dir ?? DEFAULT_VECTOR_DIR;
if (!existsSync(root)) {
  console.error(`conformance: no such directory: ${root}`);
  process.exit(2);
}
const suites = discoverSuites(root);
if (suites.length === 0) {
  console.error(`conformance: no test-vector suite found under ${root}`);
  process.exit(2);
}
let failed = 0;
for (const s of suites) {
  const t0 = performance.now();
  const r = runSuite(s, filter);
  failed += r.failed;
  console.log(formatResult(r, { verbose }));
  if (verbose) console.log(`  (${s.dir}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
process.exitCode = failed > 0 ? 1 : 0;
