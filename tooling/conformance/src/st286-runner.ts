/**
 * Runs SingleStepTests 80286 real-mode vectors (MOO files) on the P6 CPU: real mode,
 * 16 MiB RAM without a 1 MiB wrap, IVT at 0, one Cpu and memory reused for every
 * vector. How each vector is judged on a 386 is decided in st286-classify.ts.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { PhysicalMemory } from "@virtkit/mmu";
import { Cpu, ExitReason, Seg } from "@virtkit/cpu";
import { MOO_REGS, readMooFile, type MooTest } from "./moo.js";
import { SuiteResult, hex, type Diff } from "./result.js";
import { st286FileNames } from "./st286-files.js";
import { classify, flagsMaskFor, type Expect, type Metadata } from "./st286-classify.js";

const RAM_SIZE = 16 << 20;

/** Register ⇄ CPU mapping: GPR index or segment number. */
const GPR_INDEX: Record<string, number> = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7 };
const SEG_INDEX: Record<"es" | "cs" | "ss" | "ds", number> = { es: Seg.ES, cs: Seg.CS, ss: Seg.SS, ds: Seg.DS };

export interface St286RunOptions {
  filter?: string;
  onFile?: (file: string, vectors: number) => void;
}

export class St286Machine {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  /** Expected memory image, kept equal to guest RAM outside what a vector may change. */
  private readonly mirror = new Uint8Array(RAM_SIZE);
  readonly fpuAvailable: boolean;

  constructor() {
    this.mem = new PhysicalMemory({ ramSize: RAM_SIZE });
    this.mem.mapRam(0, RAM_SIZE);
    this.mem.enableDirtyLog(true);
    this.cpu = new Cpu(this.mem);
    this.cpu.reset();
    this.fpuAvailable = this.fninit();
  }

  /** Executes FNINIT (DB E3) at 0060:0000; false when the CPU raises an exception for it. */
  fninit(): boolean {
    const c = this.cpu;
    this.mem.writeBytes(0x600, Uint8Array.of(0xdb, 0xe3, 0xf4));
    c.setSegment(Seg.CS, 0x60, 0x600, 0xffff, 0x9b);
    c.eip = 0;
    c.exceptionExits = 0xffffffff | 0;
    const r = c.step();
    this.mem.writeBytes(0x600, new Uint8Array(3));
    c.exceptionExits = 0;
    if (r !== ExitReason.None) {
      c.reset();
      return false;
    }
    return true;
  }

  private poke(addr: number, v: number): void {
    this.mem.write8(addr, v);
    this.mirror[addr] = v;
  }

  runVector(t: MooTest, e: Expect, isEsc: boolean): Diff[] {
    const c = this.cpu;
    const mem = this.mem;
    if (isEsc && this.fpuAvailable) this.fninit();
    for (let i = 0; i < t.init.ramAddr.length; i++) this.poke(t.init.ramAddr[i], t.init.ramValue[i]);
    for (const [a, v] of e.plant) this.poke(a, v);
    const ir = t.init.regs;
    c.halted = 0;
    for (const k of ["es", "cs", "ss", "ds"] as const) {
      const sel = ir[k] ?? 0;
      c.setSegment(SEG_INDEX[k], sel, sel << 4, 0xffff, k === "cs" ? 0x9b : 0x93);
    }
    c.setSegment(Seg.FS, 0, 0, 0xffff, 0x93);
    c.setSegment(Seg.GS, 0, 0, 0xffff, 0x93);
    for (const k of ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] as const) c.regs[GPR_INDEX[k]] = ir[k] ?? 0;
    c.eip = ir.ip ?? 0;
    c.setEflags(((ir.flags ?? 0) & 0x0fff) | 2);
    c.setIdtr(0, 0x3ff);
    c.exceptionExits = 0;
    mem.getAndClearDirtyLog();

    const diffs: Diff[] = [];
    let ioExits = 0;
    let budget = 4;
    for (;;) {
      const r = c.run(1000);
      if (r === ExitReason.Hlt) break;
      if (r === ExitReason.IoIn && ioExits++ < 1000) {
        const s = c.exit.size;
        c.completeIo(s === 1 ? 0xff : s === 2 ? 0xffff : 0xffffffff | 0);
        continue;
      }
      if (r === ExitReason.IoOut && ioExits++ < 1000) continue;
      if (r === ExitReason.Budget && budget-- > 0) continue;
      diffs.push({ what: "exit", expected: "HLT", got: r === ExitReason.Exception ? `exception ${c.exit.vector} exit` : `exit reason ${r}` });
      break;
    }
    const dirty = mem.getAndClearDirtyLog();

    // Registers.
    const x = e.regs;
    for (const k of MOO_REGS) {
      if (k === "flags") {
        const got = c.getEflags() & 0xffff;
        if (((got ^ x.flags) & e.flagsMask) !== 0) diffs.push({ what: "flags", expected: hex(x.flags & e.flagsMask, 4), got: hex(got & e.flagsMask, 4) });
        continue;
      }
      if (k === "ip") {
        if (c.eip >>> 0 !== x.ip) diffs.push({ what: "ip", expected: hex(x.ip, 4), got: hex(c.eip, 4) });
        continue;
      }
      const gi = GPR_INDEX[k] as number | undefined;
      if (gi !== undefined) {
        const got = c.regs[gi] >>> 0;
        if (got !== x[k]) diffs.push({ what: got >>> 16 !== 0 ? `e${k}` : k, expected: hex(x[k], 4), got: hex(got, got >>> 16 !== 0 ? 8 : 4) });
        continue;
      }
      const s = c.getSegment(SEG_INDEX[k as keyof typeof SEG_INDEX]);
      if (s.selector !== x[k]) diffs.push({ what: k, expected: hex(x[k], 4), got: hex(s.selector, 4) });
      else if (s.base !== x[k] << 4) diffs.push({ what: `${k}.base`, expected: hex(x[k] << 4), got: hex(s.base) });
    }
    // Expected RAM bytes.
    const u8 = mem.u8;
    for (const [a, { value, mask }] of e.ram) {
      if (((u8[a] ^ value) & mask) !== 0) diffs.push({ what: `mem[${hex(a, 6)}]`, expected: hex(value & mask, 2), got: hex(u8[a] & mask, 2) });
      this.mirror[a] = u8[a]; // judged above; keeps the page comparison below about other bytes
    }
    // Any other byte the CPU wrote must be unchanged.
    const strayPages: number[] = [];
    for (let b = 0; b < dirty.length; b++) {
      if (dirty[b] === 0) continue;
      for (let j = 0; j < 8; j++) {
        if (((dirty[b] >> j) & 1) === 0) continue;
        const base = ((b << 3) | j) << 12;
        if (base >= RAM_SIZE) continue;
        if (Buffer.compare(u8.subarray(base, base + 4096), this.mirror.subarray(base, base + 4096)) === 0) continue;
        let shown = 0;
        for (let k = 0; k < 4096; k++) {
          const a = base + k;
          if (u8[a] !== this.mirror[a] && !e.ram.has(a)) {
            if (shown++ < 8) diffs.push({ what: `mem[${hex(a, 6)}] (not written by the 286)`, expected: hex(this.mirror[a], 2), got: hex(u8[a], 2) });
          }
        }
        strayPages.push(base);
      }
    }
    // Reset what the vector touched.
    for (let i = 0; i < t.init.ramAddr.length; i++) this.poke(t.init.ramAddr[i], 0);
    for (const a of e.ram.keys()) this.poke(a, 0);
    for (const a of e.plant.keys()) this.poke(a, 0);
    for (const base of strayPages) {
      mem.writeBytes(base, new Uint8Array(4096));
      this.mirror.fill(0, base, base + 4096);
    }
    mem.getAndClearDirtyLog();
    return diffs;
  }

  /** Whether all RAM is zero (end-of-file check of the reset logic). */
  isClean(): boolean {
    const u32 = new Uint32Array(this.mem.buffer, 0, RAM_SIZE >> 2);
    for (let i = 0; i < u32.length; i++) if (u32[i] !== 0) return false;
    return true;
  }

  wipe(): void {
    for (let a = 0; a < RAM_SIZE; a += 1 << 16) this.mem.writeBytes(a, new Uint8Array(1 << 16));
    this.mirror.fill(0);
  }
}

export function runSt286Suite(dir: string, opts: St286RunOptions = {}): SuiteResult {
  const result = new SuiteResult("singlesteptests-80286");
  const metaPath = join(dir, "metadata.json");
  const meta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, "utf8")) as Metadata) : null;
  if (meta === null) result.notes.push("no metadata.json: undefined flags are not masked");
  const m = new St286Machine();
  if (!m.fpuAvailable) result.notes.push("FNINIT raised an exception: the CPU has no x87 FPU yet, ESC (D8) vectors are skipped");
  for (const file of st286FileNames(dir)) {
    const name = file.replace(/\.MOO(\.gz)?$/i, "");
    const mf = readMooFile(join(dir, file));
    const mnemonic = mf.meta?.mnemonic ?? "";
    if (opts.filter !== undefined && !name.toUpperCase().includes(opts.filter.toUpperCase()) && mnemonic !== opts.filter) continue;
    const baseMask = flagsMaskFor(meta, file);
    const group = mnemonic ? `${name} (${mnemonic})` : name;
    for (const t of mf.tests) {
      const v = classify(t, file, baseMask, m.fpuAvailable);
      if (v.kind === "skip") {
        result.skip(v.key, v.reason, name);
        continue;
      }
      if (v.adjusted !== null) result.adjust(v.adjusted);
      const diffs = m.runVector(t, v.expect, name.toUpperCase().startsWith("D8"));
      if (diffs.length === 0) result.pass();
      else result.fail({ group, id: `${name}#${t.index}`, bytes: Buffer.from(t.bytes).toString("hex"), asm: t.name, diffs });
    }
    if (!m.isClean()) {
      m.wipe();
      result.notes.push(`${name}: RAM not clean after the file: a guest write bypassed the dirty log`);
    }
    opts.onFile?.(name, mf.tests.length);
  }
  return result;
}
