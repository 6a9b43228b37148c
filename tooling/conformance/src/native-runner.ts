/**
 * Runs native-ia32 vectors: one IA-32 instruction in flat 32-bit protected mode at
 * CPL3 with paging, recorded on an AMD Zen 4 (see the suite README).
 *
 * One Cpu and one PhysicalMemory are reused for every vector. The four mapped
 * linear regions live in one 320 KiB physical "image"; a mirror of it holds the
 * expected bytes. Between vectors only what a vector wrote is cleared: its
 * init/diff windows and, via the memory's dirty log, any page the CPU wrote.
 */
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { PhysicalMemory } from "@virtkit/mmu";
import { Cpu, ExitReason, Seg } from "@virtkit/cpu";
import { NATIVE_GPRS, readNativeGroup, type NativeVector, type MemWindow } from "./native.js";
import { SuiteResult, hex, type Diff } from "./result.js";
import { compareX87, loadX87 } from "./native-x87.js";

export const CODE_BASE = 0x10000000;

/** Linear regions of the recording process and where they sit in the physical image. */
export const REGIONS = [
  { name: "LOW", lin: 0x00001000, size: 0x0000f000, img: 0x01000 },
  { name: "CODE", lin: 0x0fff0000, size: 0x00020000, img: 0x10000 },
  { name: "SCRATCH", lin: 0x20000000, size: 0x00010000, img: 0x30000 },
  { name: "STACK", lin: 0x30000000, size: 0x00010000, img: 0x40000 },
] as const;

const IMAGE_PHYS = 0x100000;
const IMAGE_SIZE = 0x50000;
const PAGE_DIR = 0x1000;
/** First page table; one per 4 MiB slot used, allocated upwards. */
const PT_BASE = 0x2000;
/**
 * Supervisor-only pages, as a kernel would have them: GDT, IDT (interrupt gates to one
 * HLT per vector; DPL 3 for vectors 3 and 4 like Linux), a 32-bit TSS whose I/O
 * bitmap offset lies beyond its limit (every port denied) and a kernel stack.
 * With exceptionExits set they are only used by what is not an exception, i.e. INT n,
 * which is delivered: the harness then reads the frame the CPU pushed, as Linux does
 * to build the signal context the vectors were recorded from.
 */
const KERNEL_LIN = 0xffff8000;
const KERNEL_PHYS = 0x10000;
const GDT_OFF = 0x0000;
const IDT_OFF = 0x1000;
const TSS_OFF = 0x2000;
const HANDLERS_OFF = 0x3000;
const KSTACK_TOP_OFF = 0x6000;
const KERNEL_PAGES = 6;
const SEL_KCODE = 0x10;
const SEL_KDATA = 0x18;
const SEL_TSS = 0x80;
const RAM_SIZE = 2 << 20;

const CR0_PE = 1, CR0_ET = 0x10, CR0_NE = 0x20, CR0_AM = 0x40000, CR0_PG = 0x80000000;
export const NATIVE_CR0 = (CR0_PG | CR0_AM | CR0_NE | CR0_ET | CR0_PE) | 0;
const EFLAGS_RF = 0x10000;

/** Image offset of a linear address, or -1 when it is not mapped. */
export function linToImage(lin: number): number {
  lin >>>= 0;
  for (const r of REGIONS) {
    if (lin >= r.lin && lin < r.lin + r.size) return r.img + (lin - r.lin);
  }
  return -1;
}

function imageToLin(off: number): number {
  for (const r of REGIONS) {
    if (off >= r.img && off < r.img + r.size) return (r.lin + off - r.img) >>> 0;
  }
  return -1;
}

export interface NativeRunOptions {
  filter?: string;
  /** Called after each group file. */
  onGroup?: (group: string, vectors: number) => void;
}

/** Group files of a native-ia32 directory, sorted. */
export function nativeGroupFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.jsonl(\.gz)?$/.test(f)).sort();
}

export function isNativeSuiteDir(dir: string): boolean {
  return existsSync(dir) && nativeGroupFiles(dir).length > 0;
}

export class NativeMachine {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  /** Expected image (IMAGE_SIZE bytes). */
  private readonly expect = new Uint8Array(IMAGE_SIZE);
  private readonly zeros = new Uint8Array(4096);

  constructor() {
    this.mem = new PhysicalMemory({ ramSize: RAM_SIZE });
    this.mem.mapRam(0, RAM_SIZE);
    this.buildPageTables();
    this.mem.enableDirtyLog(true);
    this.cpu = new Cpu(this.mem);
    this.initCpu();
  }

  private buildPageTables(): void {
    const m = this.mem;
    const tables = new Map<number, number>();
    let nextPt = PT_BASE;
    const map = (lin: number, phys: number, user: boolean): void => {
      const pdi = lin >>> 22;
      let pt = tables.get(pdi);
      if (pt === undefined) {
        pt = nextPt;
        nextPt += 0x1000;
        tables.set(pdi, pt);
        m.write32(PAGE_DIR + pdi * 4, pt | 7); // P RW US: the PTE decides
      }
      m.write32(pt + ((lin >>> 12) & 0x3ff) * 4, phys | (user ? 7 : 3));
    };
    for (const r of REGIONS) {
      for (let off = 0; off < r.size; off += 0x1000) map(r.lin + off, IMAGE_PHYS + r.img + off, true);
    }
    for (let k = 0; k < KERNEL_PAGES; k++) map(KERNEL_LIN + k * 0x1000, KERNEL_PHYS + k * 0x1000, false);
    if (nextPt > KERNEL_PHYS) throw new Error("page tables overflow");
    // GDT: flat kernel code/data, the user segments 0x23/0x2b, the TSS.
    const desc = (sel: number, base: number, limit: number, access: number, flags: number): void => {
      const a = KERNEL_PHYS + GDT_OFF + (sel & ~7);
      m.write32(a, ((base & 0xffff) << 16) | (limit & 0xffff));
      m.write32(a + 4, (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff));
    };
    desc(SEL_KCODE, 0, 0xfffff, 0x9b, 0xc);
    desc(SEL_KDATA, 0, 0xfffff, 0x93, 0xc);
    desc(0x23, 0, 0xfffff, 0xfb, 0xc);
    desc(0x2b, 0, 0xfffff, 0xf3, 0xc);
    desc(SEL_TSS, (KERNEL_LIN + TSS_OFF) | 0, 0x67, 0x8b, 0);
    // IDT: 32-bit interrupt gates, handler for vector v at HANDLERS + v (a HLT).
    for (let v = 0; v < 256; v++) {
      const off = (KERNEL_LIN + HANDLERS_OFF + v) | 0;
      const dpl = v === 3 || v === 4 || v === 0x80 ? 3 : 0;
      const a = KERNEL_PHYS + IDT_OFF + v * 8;
      m.write32(a, (SEL_KCODE << 16) | (off & 0xffff));
      m.write32(a + 4, (off & 0xffff0000) | 0x8e00 | (dpl << 13));
      m.write8(KERNEL_PHYS + HANDLERS_OFF + v, 0xf4);
    }
    // TSS: ring-0 stack; I/O map base (offset 0x66) = 0x68 > limit 0x67, so every port is denied.
    const tss = KERNEL_PHYS + TSS_OFF;
    m.write32(tss + 4, (KERNEL_LIN + KSTACK_TOP_OFF) | 0);
    m.write32(tss + 8, SEL_KDATA);
    m.write16(tss + 0x66, 0x68);
  }

  /**
   * After an INT n was delivered (CPU now at a kernel handler), the state the
   * instruction left, read back from the interrupt frame; null if not delivered.
   */
  private deliveredInterrupt(): { vector: number; eip: number; eflags: number; esp: number } | null {
    const c = this.cpu;
    const h = (c.eip >>> 0) - ((KERNEL_LIN + HANDLERS_OFF) >>> 0);
    if (c.getSegment(Seg.CS).selector !== SEL_KCODE || h < 0 || h > 255) return null;
    const frame = KERNEL_PHYS + KSTACK_TOP_OFF - 20; // EIP CS EFLAGS ESP SS (no error code for INT n)
    if ((c.regs[4] >>> 0) !== ((KERNEL_LIN + KSTACK_TOP_OFF - 20) >>> 0)) return null;
    const m = this.mem;
    return { vector: h, eip: m.read32(frame) >>> 0, eflags: m.read32(frame + 8) >>> 0, esp: m.read32(frame + 12) >>> 0 };
  }

  /** Full (re)initialisation: power-on reset, then the recording environment. */
  initCpu(): void {
    const c = this.cpu;
    c.reset();
    c.setCr4(0);
    c.setCr3(PAGE_DIR);
    c.setGdtr((KERNEL_LIN + GDT_OFF) | 0, 0x87);
    c.setIdtr((KERNEL_LIN + IDT_OFF) | 0, 0x7ff);
    this.loadSegments();
    c.trSel = SEL_TSS;
    c.trBase = (KERNEL_LIN + TSS_OFF) | 0;
    c.trLimit = 0x67;
    c.trAr = 0x8b;
    c.setCr0(NATIVE_CR0);
    c.exceptionExits = 0xffffffff | 0;
  }

  private loadSegments(): void {
    const c = this.cpu;
    c.setSegment(Seg.CS, 0x23, 0, 0xffffffff, 0xc0fb);
    for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) c.setSegment(s, 0x2b, 0, 0xffffffff, 0xc0f3);
  }

  private writeWindow(lin: number, bytes: Uint8Array, alsoExpect: boolean): void {
    for (let i = 0; i < bytes.length; ) {
      const off = linToImage(lin + i);
      if (off < 0) { i++; continue; }
      // contiguous run inside one region
      let n = 1;
      while (i + n < bytes.length && linToImage(lin + i + n) === off + n) n++;
      const chunk = bytes.subarray(i, i + n);
      this.mem.writeBytes(IMAGE_PHYS + off, chunk);
      if (alsoExpect) this.expect.set(chunk, off);
      i += n;
    }
  }

  private clearWindow(lin: number, len: number): void {
    for (let i = 0; i < len; ) {
      const off = linToImage(lin + i);
      if (off < 0) { i++; continue; }
      let n = 1;
      while (i + n < len && linToImage(lin + i + n) === off + n) n++;
      for (let k = 0; k < n; k += 4096) {
        const m = Math.min(4096, n - k);
        this.mem.writeBytes(IMAGE_PHYS + off + k, this.zeros.subarray(0, m));
      }
      this.expect.fill(0, off, off + n);
      i += n;
    }
  }

  private clearImagePage(off: number): void {
    this.mem.writeBytes(IMAGE_PHYS + off, this.zeros);
    this.expect.fill(0, off, off + 4096);
  }

  /** Runs one vector; returns the differences (empty = pass). */
  runVector(v: NativeVector): Diff[] {
    const c = this.cpu;
    const mem = this.mem;
    const code = Buffer.from(v.bytes, "hex");
    const windows: [number, Uint8Array][] = v.init.mem.map(([a, h]: MemWindow) => [a, Buffer.from(h, "hex")]);
    const diffWins: [number, Uint8Array][] = v.final.mem_diff.map(([a, h]: MemWindow) => [a, Buffer.from(h, "hex")]);

    this.writeWindow(CODE_BASE, code, true);
    for (const [a, b] of windows) this.writeWindow(a, b, true);

    this.loadSegments();
    c.setCr3(PAGE_DIR);
    const ir = v.init.regs;
    for (let i = 0; i < 8; i++) c.regs[i] = ir[NATIVE_GPRS[i]] | 0;
    c.setEflags(ir.eflags);
    c.eip = CODE_BASE;
    c.cr2 = 0;
    c.exceptionExits = 0xffffffff | 0;
    mem.getAndClearDirtyLog();
    loadX87(c, v);

    const reason = c.step();
    const dirty = mem.getAndClearDirtyLog();

    const diffs: Diff[] = [];
    const fin = v.final;
    // Exception / exit; an INT n is delivered through the IDT instead (not an exception).
    let gotExc: number | null = reason === ExitReason.Exception ? c.exit.vector : null;
    let gotEip = c.eip >>> 0;
    let gotFl = c.getEflags() >>> 0;
    let gotEsp = c.regs[4] >>> 0;
    const intn = reason === ExitReason.None ? this.deliveredInterrupt() : null;
    if (intn !== null) {
      gotExc = intn.vector;
      gotEip = intn.eip;
      gotFl = intn.eflags;
      gotEsp = intn.esp;
    }
    if (reason !== ExitReason.None && reason !== ExitReason.Exception) {
      diffs.push({ what: "exit", expected: fin.exception === null ? "none" : `#${fin.exception}`, got: `exit reason ${reason}` });
    } else if (gotExc !== fin.exception) {
      diffs.push({ what: "exception", expected: fin.exception === null ? "none" : String(fin.exception), got: gotExc === null ? "none" : String(gotExc) });
    } else if (gotExc !== null) {
      if (fin.error_code !== undefined && c.exit.errorCode !== fin.error_code) {
        diffs.push({ what: "error_code", expected: String(fin.error_code), got: String(c.exit.errorCode) });
      }
      if (fin.fault_addr !== undefined && c.cr2 >>> 0 !== fin.fault_addr >>> 0) {
        diffs.push({ what: "cr2", expected: hex(fin.fault_addr), got: hex(c.cr2) });
      }
    }
    // Registers.
    for (let i = 0; i < 8; i++) {
      const name = NATIVE_GPRS[i];
      const undef = v.undef_regs?.[name] ?? 0;
      const exp = fin.regs[name] >>> 0;
      const got = i === 4 ? gotEsp : c.regs[i] >>> 0;
      if (((exp ^ got) & ~undef) !== 0) diffs.push({ what: name, expected: hex(exp), got: hex(got) });
    }
    const fmask = ~(v.undef_flags_mask | EFLAGS_RF);
    if (((gotFl ^ fin.regs.eflags) & fmask) !== 0) {
      diffs.push({ what: "eflags", expected: hex(fin.regs.eflags & fmask), got: hex(gotFl & fmask) });
    }
    const expEip = (CODE_BASE + fin.eip_offset) >>> 0;
    if (gotEip !== expEip) diffs.push({ what: "eip", expected: hex(expEip), got: hex(gotEip) });

    // Memory: expected = init overlaid with mem_diff; check every page the CPU wrote
    // plus every page that should have changed.
    for (const [a, b] of diffWins) {
      for (let i = 0; i < b.length; i++) {
        const off = linToImage(a + i);
        if (off >= 0) this.expect[off] = b[i];
      }
    }
    const pages = new Set<number>();
    const firstPage = IMAGE_PHYS >>> 12;
    for (let p = firstPage; p < firstPage + (IMAGE_SIZE >>> 12); p++) {
      if ((dirty[p >>> 3] >>> (p & 7)) & 1) pages.add((p - firstPage) << 12);
    }
    for (const [a, b] of diffWins) {
      for (let i = 0; i < b.length; i += 1) {
        const off = linToImage(a + i);
        if (off >= 0) pages.add(off & ~0xfff);
      }
    }
    const bad: number[] = [];
    const u8 = mem.u8;
    for (const off of pages) {
      const base = IMAGE_PHYS + off;
      if (Buffer.compare(u8.subarray(base, base + 4096), this.expect.subarray(off, off + 4096)) === 0) continue;
      bad.push(off);
      let shown = 0;
      for (let k = 0; k < 4096; k++) {
        const e = this.expect[off + k];
        const g = u8[base + k];
        if (e !== g) {
          if (shown++ < 16) diffs.push({ what: `mem[${hex(imageToLin(off + k))}]`, expected: hex(e, 2), got: hex(g, 2) });
        }
      }
      if (shown > 16) diffs.push({ what: "mem", expected: "", got: `… ${shown - 16} more bytes differ in that page` });
    }

    // x87 state (FSAVE image), for the vectors that record it.
    for (const d of compareX87(c, v)) diffs.push(d);

    // Reset what this vector touched.
    this.clearWindow(CODE_BASE, code.length);
    for (const [a, b] of windows) this.clearWindow(a, b.length);
    for (const [a, b] of diffWins) this.clearWindow(a, b.length);
    for (const off of bad) this.clearImagePage(off);
    if (reason !== ExitReason.None && reason !== ExitReason.Exception) this.initCpu();
    mem.getAndClearDirtyLog();
    return diffs;
  }

  /** Whether the whole image is zero (a cheap end-of-group check for stray writes). */
  imageIsClean(): boolean {
    const u8 = this.mem.u8;
    for (let i = IMAGE_PHYS; i < IMAGE_PHYS + IMAGE_SIZE; i++) if (u8[i] !== 0) return false;
    return true;
  }

  resetImage(): void {
    for (let off = 0; off < IMAGE_SIZE; off += 4096) this.clearImagePage(off);
  }
}

export function runNativeSuite(dir: string, opts: NativeRunOptions = {}): SuiteResult {
  const result = new SuiteResult("native-ia32");
  const m = new NativeMachine();
  for (const file of nativeGroupFiles(dir)) {
    const group = file.replace(/\.jsonl(\.gz)?$/, "");
    const f = opts.filter;
    const vectors = readNativeGroup(join(dir, file)).filter((v) => f === undefined || group.includes(f) || file.includes(f) || v.form.includes(f));
    if (vectors.length === 0) continue;
    for (const v of vectors) {
      const diffs = m.runVector(v);
      if (diffs.length === 0) result.pass();
      else result.fail({ group: v.form, id: v.id, bytes: v.bytes, asm: v.asm, diffs });
    }
    if (!m.imageIsClean()) {
      // A write escaped the dirty log (the per-vector memory check relies on it).
      m.resetImage();
      result.notes.push(`${group}: memory image not clean after the group: some guest write bypassed the dirty log, memory checks may have missed it`);
    }
    opts.onGroup?.(group, vectors.length);
  }
  return result;
}
