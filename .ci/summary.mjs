// Adds up the vitest JSON reports of every workspace package and prints "N passed, N failed".
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

let passed = 0, failed = 0, skipped = 0, files = 0;
for (const top of ["packages", "apps", "tooling"]) {
  if (!existsSync(top)) continue;
  for (const dir of readdirSync(top)) {
    const f = join(top, dir, ".vitest-report.json");
    if (!existsSync(f)) continue;
    const r = JSON.parse(readFileSync(f, "utf8"));
    files++;
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
}
if (files === 0) console.log("ci: no vitest report found");
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(files === 0 || passed === 0 || failed > 0 ? 1 : 0);
