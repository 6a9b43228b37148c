/** Where the vectors live, and which suites a directory holds. */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's directory (tooling/conformance). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The monorepo root. */
export const REPO_ROOT = resolve(PACKAGE_DIR, "..", "..");
/** Default vector directory: `<repo root>/../shared/x86-vectors`. */
export const DEFAULT_VECTOR_DIR = resolve(REPO_ROOT, "..", "shared", "x86-vectors");

export type SuiteKind = "native-ia32" | "singlesteptests-80286";

export interface SuiteLocation {
  kind: SuiteKind;
  /** Directory holding the suite's data files. */
  dir: string;
}

const hasFiles = (dir: string, re: RegExp): boolean => existsSync(dir) && readdirSync(dir).some((f) => re.test(f));

/** Directory with `.MOO` / `.MOO.gz` files for a 286-style suite root (`v1_real_mode/` or the root itself). */
function mooDir(dir: string): string | null {
  for (const d of [join(dir, "v1_real_mode"), dir]) if (hasFiles(d, /\.MOO(\.gz)?$/i)) return d;
  return null;
}

/**
 * Suites under `root`, detected by their files: a directory (the root itself or a
 * subdirectory) with `*.jsonl.gz` files is a native-ia32 suite; one with MOO files
 * (directly or in `v1_real_mode/`) is a SingleStepTests 80286 suite.
 */
export function discoverSuites(root: string): SuiteLocation[] {
  const out: SuiteLocation[] = [];
  const candidates = [root, ...(existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name)) : [])];
  for (const d of candidates.sort()) {
    if (hasFiles(d, /\.jsonl(\.gz)?$/)) out.push({ kind: "native-ia32", dir: d });
    else {
      const m = mooDir(d);
      if (m !== null && (d !== root || out.length === 0)) out.push({ kind: "singlesteptests-80286", dir: m });
    }
  }
  // The root itself matched via v1_real_mode and a subdirectory was also v1_real_mode: dedupe.
  const seen = new Set<string>();
  return out.filter((s) => (seen.has(s.dir) ? false : (seen.add(s.dir), true)));
}
