import type { SuiteLocation } from "./paths.js";
import type { SuiteResult } from "./result.js";
import { runNativeSuite } from "./native-runner.js";
import { runSt286Suite } from "./st286-runner.js";

/** Runs one discovered suite. */
export function runSuite(s: SuiteLocation, filter?: string): SuiteResult {
  const opts = filter === undefined ? {} : { filter };
  return s.kind === "native-ia32" ? runNativeSuite(s.dir, opts) : runSt286Suite(s.dir, opts);
}
