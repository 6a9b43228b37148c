import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CpioError, CpioTree, NEWC_HEADER_SIZE, parseCpio, writeCpio, type CpioEntry } from "./cpio.js";

const enc = new TextEncoder();

const sample: CpioEntry[] = [
  { path: "bin", kind: "dir" },
  { path: "bin/busybox", kind: "file", data: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), perm: 0o755 },
  { path: "bin/sh", kind: "symlink", target: "busybox" },
  { path: "dev", kind: "dir" },
  { path: "dev/console", kind: "char", major: 5, minor: 1 },
  { path: "dev/vda", kind: "block", major: 254, minor: 0, perm: 0o660 },
  { path: "empty", kind: "file" },
  { path: "tmp", kind: "dir", perm: 0o1777 },
  { path: "init", kind: "file", data: enc.encode("#!/bin/sh\necho hi\n"), perm: 0o755, mtime: 1234567890, uid: 1000, gid: 100 },
];

function cpioAvailable(): boolean {
  return spawnSync("cpio", ["--version"]).status === 0;
}

describe("writeCpio", () => {
  it("round-trips every member kind through parseCpio", () => {
    const bytes = writeCpio(sample);
    const back = parseCpio(bytes);
    expect(back.map((e) => e.path)).toEqual(sample.map((e) => e.path));
    for (const [i, e] of back.entries()) {
      const want = sample[i];
      expect(e.kind).toBe(want.kind);
      if (want.perm !== undefined) expect(e.perm).toBe(want.perm);
      if (want.kind === "file") expect([...(e.data ?? [])]).toEqual([...(want.data ?? [])]);
      if (want.kind === "symlink") expect(e.target).toBe(want.target);
      if (want.kind === "char" || want.kind === "block") expect([e.major, e.minor]).toEqual([want.major, want.minor]);
    }
    expect(back[8]).toMatchObject({ mtime: 1234567890, uid: 1000, gid: 100 });
    expect(back[0].perm).toBe(0o755);
    expect(back[1].perm).toBe(0o755);
    expect(back[6].perm).toBe(0o644);
  });

  it("aligns every header on 4 bytes and ends with the trailer", () => {
    const bytes = writeCpio([{ path: "a", kind: "file", data: new Uint8Array(5) }, { path: "bb", kind: "file", data: new Uint8Array(3) }]);
    expect(bytes.length % 4).toBe(0);
    const text = new TextDecoder("latin1").decode(bytes);
    // "a\0" is 2 bytes: 110 + 2 = 112 (aligned); data 5 → pad 3: next header at 112 + 8.
    expect(text.slice(0, 6)).toBe("070701");
    expect(text.slice(120, 126)).toBe("070701");
    expect(text).toContain("TRAILER!!!\0");
    expect(text.lastIndexOf("070701")).toBeGreaterThan(120 + NEWC_HEADER_SIZE);
  });

  it("writes the header fields as 8-digit hex (mode, nlink, filesize, namesize)", () => {
    const bytes = writeCpio([{ path: "x", kind: "file", data: new Uint8Array(0x12), perm: 0o600 }]);
    const h = new TextDecoder("latin1").decode(bytes.subarray(0, NEWC_HEADER_SIZE));
    const field = (i: number): number => parseInt(h.slice(6 + 8 * i, 14 + 8 * i), 16);
    expect(field(1)).toBe(0o100600);
    expect(field(4)).toBe(1);
    expect(field(6)).toBe(0x12);
    expect(field(11)).toBe(2);
  });

  it("rejects absolute paths, duplicates, link targets and devices that are missing", () => {
    expect(() => writeCpio([{ path: "/abs", kind: "dir" }])).toThrow(CpioError);
    expect(() => writeCpio([{ path: "a", kind: "dir" }, { path: "a", kind: "dir" }])).toThrow(/twice/);
    expect(() => writeCpio([{ path: "l", kind: "symlink" }])).toThrow(/without a target/);
    expect(() => writeCpio([{ path: "c", kind: "char" }])).toThrow(/major\/minor/);
    expect(() => writeCpio([{ path: "f", kind: "file", perm: 0o10000 }])).toThrow(/perm/);
  });

  it("parseCpio reports truncation and bad magic with the offset", () => {
    const bytes = writeCpio(sample);
    expect(() => parseCpio(bytes.subarray(0, 200))).toThrow(/truncated|runs past/);
    const bad = bytes.slice();
    bad[0] = 0x39;
    expect(() => parseCpio(bad)).toThrow(/bad magic .* at offset 0/);
  });

  it.skipIf(!cpioAvailable())("is listed and extracted by GNU cpio", () => {
    const dir = mkdtempSync(join(tmpdir(), "virtkit-cpio-"));
    try {
      const file = join(dir, "a.cpio");
      writeFileSync(file, writeCpio(sample.filter((e) => e.kind !== "char" && e.kind !== "block")));
      const r = spawnSync("cpio", ["-t", "-v", "-F", file], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const names = r.stdout.trim().split("\n").map((l) => l.split(/\s+/).slice(8).join(" "));
      expect(names).toEqual(["bin", "bin/busybox", "bin/sh -> busybox", "dev", "empty", "tmp", "init"]);
      const x = spawnSync("cpio", ["-i", "-d", "--no-absolute-filenames", "-F", file], { cwd: dir, encoding: "utf8" });
      expect(x.status, x.stderr).toBe(0);
      const init = spawnSync("cat", [join(dir, "init")], { encoding: "utf8" });
      expect(init.stdout).toBe("#!/bin/sh\necho hi\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CpioTree", () => {
  it("adds missing parents before their children, once", () => {
    const t = new CpioTree();
    t.add({ path: "lib/modules/6.1/kernel/a.ko", kind: "file" });
    t.add({ path: "/lib/modules/6.1/modules.dep", kind: "file" });
    t.add({ path: "tmp", kind: "dir", perm: 0o1777 });
    expect(t.entries().map((e) => e.path)).toEqual([
      "lib", "lib/modules", "lib/modules/6.1", "lib/modules/6.1/kernel", "lib/modules/6.1/kernel/a.ko", "lib/modules/6.1/modules.dep", "tmp",
    ]);
    expect(parseCpio(t.toBytes())).toHaveLength(7);
  });

  it("refuses a file where a directory is needed and a second file at one path", () => {
    const t = new CpioTree().add({ path: "a", kind: "file" });
    expect(() => t.add({ path: "a/b", kind: "file" })).toThrow(/"a" is a file/);
    expect(() => t.add({ path: "a", kind: "file" })).toThrow(/twice/);
  });
});
