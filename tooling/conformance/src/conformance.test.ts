/**
 * Runs every vector of both suites against @virtkit/cpu and requires zero failures.
 * The summary (headline, skip categories, failures by form/opcode) is printed.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { DEFAULT_VECTOR_DIR } from "./paths.js";
import { runNativeSuite } from "./native-runner.js";
import { runSt286Suite } from "./st286-runner.js";
import { formatResult } from "./result.js";

const TIMEOUT = 600_000;

describe("x86-vectors conformance", () => {
  it(
    "native-ia32: every vector passes (x87 included)",
    () => {
      const r = runNativeSuite(join(DEFAULT_VECTOR_DIR, "native-ia32"));
      console.log(formatResult(r));
      expect(r.total).toBe(77060);
      expect(r.skipped).toBe(0);
      expect(r.failed).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "singlesteptests-80286: every vector passes under 386 rules",
    () => {
      const r = runSt286Suite(join(DEFAULT_VECTOR_DIR, "singlesteptests-80286", "v1_real_mode"));
      console.log(formatResult(r));
      expect(r.total).toBe(16250);
      expect(r.skips.get("long")?.count ?? 0).toBe(8);
      for (const k of r.skips.keys()) expect(["long", "x87"]).toContain(k);
      expect(r.failed).toBe(0);
    },
    TIMEOUT,
  );
});
