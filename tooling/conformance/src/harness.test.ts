/**
 * The harnesses must notice wrong results: real vectors with a deliberately altered
 * expectation have to fail, on the field that was altered.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { readNativeGroup, type NativeVector } from "./native.js";
import { NativeMachine, runNativeSuite } from "./native-runner.js";
import { readMooFile, type MooTest } from "./moo.js";
import { St286Machine } from "./st286-runner.js";
import { classify } from "./st286-classify.js";
import { DEFAULT_VECTOR_DIR, discoverSuites } from "./paths.js";

const NATIVE = join(DEFAULT_VECTOR_DIR, "native-ia32");
const MOO = join(DEFAULT_VECTOR_DIR, "singlesteptests-80286", "v1_real_mode");
const clone = <T>(v: T): T => structuredClone(v);
function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`no ${what} vector`);
  return v;
}

describe("native-ia32 harness", () => {
  const alu = readNativeGroup(join(NATIVE, "alu.jsonl.gz"));
  const memVec = must(alu.find((v) => v.form === "add_rm32_r32.mem" && v.final.mem_diff.length > 0), "memory");
  const m = new NativeMachine();

  it("passes the real vector, fails altered registers, flags, EIP and memory", () => {
    expect(m.runVector(memVec)).toEqual([]);
    const a = clone(memVec);
    a.final.regs.ecx ^= 0x100;
    expect(m.runVector(a).map((d) => d.what)).toEqual(["ecx"]);
    const f = clone(memVec);
    f.final.regs.eflags ^= 0x1; // CF
    expect(m.runVector(f).map((d) => d.what)).toEqual(["eflags"]);
    const e = clone(memVec);
    e.final.eip_offset += 1;
    expect(m.runVector(e).map((d) => d.what)).toEqual(["eip"]);
    const d = clone(memVec);
    const [addr, hex] = d.final.mem_diff[0];
    d.final.mem_diff[0] = [addr, (Number.parseInt(hex.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, "0") + hex.slice(2)];
    expect(m.runVector(d).map((x) => x.what)).toEqual([`mem[0x${(addr >>> 0).toString(16).padStart(8, "0")}]`]);
    // A byte the CPU writes that the vector says stays unchanged.
    const s = clone(memVec);
    s.final.mem_diff = [];
    expect(m.runVector(s).length).toBeGreaterThan(0);
    // State was reset properly: the original still passes.
    expect(m.runVector(memVec)).toEqual([]);
  });

  it("checks exceptions, error codes and CR2", () => {
    const misc = readNativeGroup(join(NATIVE, "misc.jsonl.gz"));
    const pf = must(misc.find((v) => v.final.exception === 14), "#PF");
    expect(m.runVector(pf)).toEqual([]);
    const c = clone(pf);
    c.final.fault_addr = ((c.final.fault_addr ?? 0) + 1) >>> 0;
    expect(m.runVector(c).map((d) => d.what)).toEqual(["cr2"]);
    const ec = clone(pf);
    ec.final.error_code = ec.final.error_code === 4 ? 6 : 4;
    expect(m.runVector(ec).map((d) => d.what)).toEqual(["error_code"]);
    const none = clone(pf);
    none.final.exception = null;
    expect(m.runVector(none).map((d) => d.what)).toContain("exception");
  });

  it("a vector directory with a wrong vector gives a failure and the CLI headline", () => {
    const dir = mkdtempSync(join(tmpdir(), "vk-conf-"));
    try {
      mkdirSync(join(dir, "native-ia32"));
      const bad: NativeVector = clone(memVec);
      bad.final.regs.eax ^= 1;
      const lines = [memVec, bad].map((v) => JSON.stringify(v)).join("\n") + "\n";
      writeFileSync(join(dir, "native-ia32", "alu.jsonl.gz"), gzipSync(lines));
      expect(discoverSuites(dir).map((s) => s.kind)).toEqual(["native-ia32"]);
      const r = runNativeSuite(join(dir, "native-ia32"));
      expect(r.headline()).toBe("x86-vectors native-ia32: 1 passed, 1 failed, 0 skipped of 2");
      expect(r.failures[0].diffs[0]).toMatchObject({ what: "eax" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("80286 harness", () => {
  const m = new St286Machine();
  const file = "01.MOO.gz";
  const t0 = readMooFile(join(MOO, file)).tests[0];
  const judge = (t: MooTest) => {
    const v = classify(t, file, 0xffff, m.fpuAvailable);
    if (v.kind !== "run") throw new Error("unexpected skip");
    return m.runVector(t, v.expect, false).map((d) => d.what);
  };

  it("passes the real vector, fails altered registers and memory", () => {
    expect(judge(t0)).toEqual([]);
    const a = clone(t0);
    a.final.regs.dx = 0x1234;
    expect(judge(a)).toEqual(["dx"]);
    const f = clone(t0);
    f.final.regs.flags = (f.final.regs.flags ?? 0) ^ 0x40; // ZF
    expect(judge(f)).toEqual(["flags"]);
    const r = clone(t0);
    r.final.ramValue[0] ^= 0x80;
    expect(judge(r)).toEqual([`mem[0x${r.final.ramAddr[0].toString(16).padStart(6, "0")}]`]);
    // The CPU's write where the vector records none is reported.
    const s = clone(t0);
    s.final.ramAddr = new Uint32Array(0);
    s.final.ramValue = new Uint8Array(0);
    const stray = judge(s);
    expect(stray.length).toBeGreaterThan(0);
    expect(stray.every((w) => w.includes("not written by the 286"))).toBe(true);
    expect(judge(t0)).toEqual([]);
  });
});
