import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { parseNativeJsonl, readNativeGroup, readNativeManifest, NATIVE_GPRS } from "./native.js";
import { DEFAULT_VECTOR_DIR } from "./paths.js";

const DIR = join(DEFAULT_VECTOR_DIR, "native-ia32");

describe("native-ia32 JSONL reader", () => {
  it("parses lines and ignores blank ones", () => {
    const v = parseNativeJsonl('{"id":"a","form":"f"}\n\n{"id":"b","form":"g"}\n');
    expect(v.map((x) => x.id)).toEqual(["a", "b"]);
    expect(() => parseNativeJsonl('{"id":1}\n{oops}\n')).toThrow(/line 2/);
  });

  it("reads every group with the manifest's per-group, per-form and per-exception counts", () => {
    const manifest = readNativeManifest(join(DIR, "manifest.json"));
    let total = 0;
    for (const [group, g] of Object.entries(manifest.groups)) {
      const path = join(DIR, g.file);
      expect(existsSync(path), path).toBe(true);
      const vectors = readNativeGroup(path);
      expect(vectors.length, group).toBe(g.vectors);
      const forms: Record<string, number> = {};
      const exc: Record<string, number> = {};
      const malformed: string[] = [];
      for (const v of vectors) {
        forms[v.form] = (forms[v.form] ?? 0) + 1;
        const k = v.final.exception === null ? "None" : String(v.final.exception);
        exc[k] = (exc[k] ?? 0) + 1;
        const ok = v.group === group && NATIVE_GPRS.every((r) => typeof v.init.regs[r] === "number" && typeof v.final.regs[r] === "number") && /^([0-9a-f]{2})+$/.test(v.bytes);
        if (!ok) malformed.push(v.id);
      }
      expect(malformed, group).toEqual([]);
      expect(forms, group).toEqual(g.forms);
      expect(exc, group).toEqual(g.exceptions);
      total += vectors.length;
    }
    expect(total).toBe(manifest.total_vectors);
    expect(total).toBe(77060);
  });
});
