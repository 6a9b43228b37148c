import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readMooFile } from "./moo.js";
import { DEFAULT_VECTOR_DIR } from "./paths.js";
import { classify, flagsMaskFor, type Metadata } from "./st286-classify.js";
import { st286FileNames } from "./st286-files.js";
import { decode16, isLockable, firstLimitViolation, memoryAccesses, SEG_SS, SEG_DS, SEG_ES } from "./x86-16.js";

const DIR = join(DEFAULT_VECTOR_DIR, "singlesteptests-80286", "v1_real_mode");
const meta = JSON.parse(readFileSync(join(DIR, "metadata.json"), "utf8")) as Metadata;
const R0 = { bx: 0, bp: 0, si: 0, di: 0 };

describe("16-bit decoding helpers", () => {
  it("computes effective addresses and default segments", () => {
    const d = decode16(Uint8Array.of(0x39, 0x02, 0xf4), { bx: 0, bp: 0, si: 0xffff, di: 0 }); // cmp [bp+si],ax
    expect(d.ea).toBe(0xffff);
    expect(d.eaSeg).toBe(SEG_SS);
    const d2 = decode16(Uint8Array.of(0x26, 0x01, 0x97, 0xf7, 0xab), { ...R0, bx: 0x6547 }); // add [es:bx-5409h],dx
    expect(d2.ea).toBe((0x6547 - 0x5409) & 0xffff);
    expect(d2.eaSeg).toBe(SEG_ES);
    const d3 = decode16(Uint8Array.of(0x36, 0x8b, 0x07), R0); // mov ax,[ss:bx]
    expect(d3.eaSeg).toBe(SEG_SS);
    const d4 = decode16(Uint8Array.of(0x3e, 0x8b, 0x46, 0x10), { ...R0, bp: 0xffff }); // mov ax,[ds:bp+10h]
    expect(d4.eaSeg).toBe(SEG_DS);
    expect(d4.ea).toBe(0x000f);
  });

  it("knows which LOCK forms a 386 accepts", () => {
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x01, 0x07), R0))).toBe(true); // lock add [bx],ax
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x01, 0xc0), R0))).toBe(false); // lock add ax,ax
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x03, 0x07), R0))).toBe(false); // lock add ax,[bx]
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x80, 0x3f, 1), R0))).toBe(false); // lock cmp byte [bx],1
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x80, 0x37, 1), R0))).toBe(true); // lock xor byte [bx],1
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0xf6, 0x17), R0))).toBe(true); // lock not byte [bx]
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0xf6, 0x27), R0))).toBe(false); // lock mul byte [bx]
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0xff, 0x37), R0))).toBe(false); // lock push word [bx]
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x87, 0x07), R0))).toBe(true); // lock xchg [bx],ax
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x89, 0x07), R0))).toBe(false); // lock mov [bx],ax
    expect(isLockable(decode16(Uint8Array.of(0xf0, 0x9d), R0))).toBe(false); // lock popf
  });

  it("finds real-mode limit violations of 386 accesses", () => {
    const les = decode16(Uint8Array.of(0xc4, 0x1f), { ...R0, bx: 0xfffe });
    expect(firstLimitViolation(memoryAccesses(les, { ...R0 }))).toMatchObject({ offset: 0xfffe, size: 4 });
    const mov = decode16(Uint8Array.of(0x8b, 0x07), { ...R0, bx: 0xfffe });
    expect(firstLimitViolation(memoryAccesses(mov, R0))).toBeNull();
    const leave = decode16(Uint8Array.of(0xc9), R0);
    expect(firstLimitViolation(memoryAccesses(leave, { ...R0, bp: 0xffff }))).toMatchObject({ seg: SEG_SS });
  });
});

describe("80286 vectors judged on a 386", () => {
  it("metadata masks match the README table", () => {
    expect(flagsMaskFor(meta, "08.MOO.gz")).toBe(0xffef);
    expect(flagsMaskFor(meta, "F6.6.MOO.gz")).toBe(0xf72a);
    expect(flagsMaskFor(meta, "D3.4.MOO.gz")).toBe(0xf7ee);
    expect(flagsMaskFor(meta, "00.MOO.gz")).toBe(0xffff);
    expect(flagsMaskFor(meta, "C0.0.MOO.gz")).toBe(0xffff);
  });

  it("classifies every vector; skips only the documented categories", () => {
    const skips: Record<string, number> = {};
    const adjusted: Record<string, number> = {};
    let run = 0;
    let total = 0;
    for (const file of st286FileNames(DIR)) {
      const mf = readMooFile(join(DIR, file));
      for (const t of mf.tests) {
        total++;
        const v = classify(t, file, flagsMaskFor(meta, file), true);
        if (v.kind === "skip") skips[v.key] = (skips[v.key] ?? 0) + 1;
        else {
          run++;
          if (v.adjusted !== null) adjusted[v.adjusted] = (adjusted[v.adjusted] ?? 0) + 1;
        }
      }
    }
    expect(total).toBe(16250);
    expect(skips).toEqual({ long: 8 });
    expect(run).toBe(16242);
    console.log("386 adjustments:", adjusted);
    const lockUd = Object.entries(adjusted).filter(([k]) => k.startsWith("LOCK")).reduce((a, [, n]) => a + n, 0);
    expect(lockUd).toBeGreaterThan(200);
  });
});
