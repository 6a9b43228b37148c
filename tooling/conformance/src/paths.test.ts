import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { DEFAULT_VECTOR_DIR, REPO_ROOT, discoverSuites } from "./paths.js";

describe("vector directory discovery", () => {
  it("defaults to <repo root>/../shared/x86-vectors", () => {
    expect(existsSync(join(REPO_ROOT, "package.json"))).toBe(true);
    expect(DEFAULT_VECTOR_DIR).toBe(join(REPO_ROOT, "..", "shared", "x86-vectors"));
  });

  it("finds both suites by their files", () => {
    const s = discoverSuites(DEFAULT_VECTOR_DIR);
    expect(s.map((x) => x.kind).sort()).toEqual(["native-ia32", "singlesteptests-80286"]);
    expect(s.find((x) => x.kind === "singlesteptests-80286")?.dir).toBe(join(DEFAULT_VECTOR_DIR, "singlesteptests-80286", "v1_real_mode"));
  });

  it("accepts a suite directory itself", () => {
    expect(discoverSuites(join(DEFAULT_VECTOR_DIR, "native-ia32")).map((x) => x.kind)).toEqual(["native-ia32"]);
    expect(discoverSuites(join(DEFAULT_VECTOR_DIR, "singlesteptests-80286")).map((x) => x.kind)).toEqual(["singlesteptests-80286"]);
    expect(discoverSuites(join(DEFAULT_VECTOR_DIR, "singlesteptests-80286", "v1_real_mode")).map((x) => x.kind)).toEqual(["singlesteptests-80286"]);
  });
});
