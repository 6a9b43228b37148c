import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseMoo, readMooFile } from "./moo.js";
import { DEFAULT_VECTOR_DIR } from "./paths.js";

const DIR = join(DEFAULT_VECTOR_DIR, "singlesteptests-80286");
const MOO_DIR = join(DIR, "v1_real_mode");

interface Manifest {
  files: { file: string; tests: number; indices: number[]; exceptions: number }[];
}

describe("MOO 1.0 reader", () => {
  it("decodes the README example (01.MOO.gz, index 0)", () => {
    const f = readMooFile(join(MOO_DIR, "01.MOO.gz"));
    expect(f.major).toBe(1);
    expect(f.minor).toBe(0);
    expect(f.cpu).toBe("C286");
    expect(f.testCount).toBe(50);
    expect(f.meta?.mnemonic).toBe("add");
    expect(f.meta?.opcode).toBe(1);
    const t = f.tests[0];
    expect(t.index).toBe(0);
    expect(t.name).toBe("add [bx-5409h],dx");
    expect(Buffer.from(t.bytes).toString("hex")).toBe("0197f7abf4");
    expect(t.init.regs).toMatchObject({ cs: 0xfffe, ip: 0xeea8, ds: 0xfa54, bx: 0x6547, dx: 0xd72a, flags: 0xf4c3 });
    expect(Object.keys(t.init.regs)).toHaveLength(14);
    expect(t.final.regs).toEqual({ ip: 0xeead, flags: 0x0413 });
    expect([...t.init.ramAddr]).toContain(0x10ee88);
    expect([...t.final.ramAddr]).toEqual([0x0fb67e, 0x0fb67f]);
    expect([...t.final.ramValue]).toEqual([0xa1, 0x4c]);
    expect(t.exception).toBeNull();
    expect(t.hash).toMatch(/^[0-9a-f]{40}$/);
  });

  it("reads every file with the manifest's counts, indices and exception counts", () => {
    const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as Manifest;
    const files = readdirSync(MOO_DIR).filter((f) => f.endsWith(".MOO.gz")).sort();
    expect(files.length).toBe(manifest.files.length);
    let total = 0;
    for (const entry of manifest.files) {
      const f = readMooFile(join(MOO_DIR, entry.file));
      expect(f.tests.length, entry.file).toBe(entry.tests);
      expect(f.testCount, entry.file).toBe(entry.tests);
      expect(f.tests.map((t) => t.index), entry.file).toEqual(entry.indices);
      expect(f.tests.filter((t) => t.exception !== null).length, entry.file).toBe(entry.exceptions);
      for (const t of f.tests) {
        expect(t.bytes[t.bytes.length - 1], `${entry.file} #${t.index} ends in HLT`).toBe(0xf4);
      }
      total += f.tests.length;
    }
    expect(total).toBe(16250);
  });

  it("skips unknown chunks at every level", () => {
    const chunk = (type: string, payload: Uint8Array): Buffer => {
      const h = Buffer.alloc(8);
      h.write(type, 0, "latin1");
      h.writeUInt32LE(payload.length, 4);
      return Buffer.concat([h, payload]);
    };
    const u32 = (v: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v);
      return b;
    };
    const header = Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 0x43, 0x32, 0x38, 0x36]);
    const regs = Buffer.from([0x01, 0x10, 0x34, 0x12, 0x78, 0x56]); // mask: ax (bit 0), ip (bit 12)
    const ram = Buffer.concat([u32(1), u32(0x1234), Buffer.from([0xab])]);
    const init = Buffer.concat([chunk("REGS", regs), chunk("ZZZZ", Buffer.from([1, 2, 3])), chunk("RAM ", ram)]);
    const test = Buffer.concat([u32(7), chunk("FUTR", Buffer.alloc(5)), chunk("INIT", init), chunk("FINA", chunk("REGS", Buffer.from([0, 0]))), chunk("EXCP", Buffer.from([6, 0x10, 0, 0, 0]))]);
    const file = Buffer.concat([chunk("MOO ", header), chunk("XTRA", Buffer.alloc(2)), chunk("TEST", test)]);
    const parsed = parseMoo(new Uint8Array(file));
    expect(parsed.tests).toHaveLength(1);
    const t = parsed.tests[0];
    expect(t.index).toBe(7);
    expect(t.init.regs).toEqual({ ax: 0x1234, ip: 0x5678 });
    expect([...t.init.ramAddr]).toEqual([0x1234]);
    expect([...t.init.ramValue]).toEqual([0xab]);
    expect(t.final.regs).toEqual({});
    expect(t.exception).toEqual({ vector: 6, flagsAddress: 0x10 });
  });

  it("rejects a chunk that overruns its container", () => {
    const bad = Buffer.from("MOO \x20\x00\x00\x00", "latin1");
    expect(() => parseMoo(new Uint8Array(bad))).toThrow(/overruns/);
  });
});
