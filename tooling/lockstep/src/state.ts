/**
 * The architectural state both sides are compared on, how it is read from the virtkit CPU
 * and loaded into it, and the comparison itself.
 */
import { Cpu, Flag } from "@virtkit/cpu";

/** Segment register names in the x86 encoding order (the order of `Cpu.segSel`). */
export const SEG_NAMES = ["ES", "CS", "SS", "DS", "FS", "GS"] as const;
/** General-purpose register names in the x86 encoding order. */
export const GPR_NAMES = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"] as const;

/** One snapshot of the comparable state of an IA-32 processor (uint32 values as int32). */
export class ArchState {
  /** EAX..EDI in encoding order. */
  readonly gpr = new Int32Array(8);
  eip = 0;
  eflags = 0;
  /** Selectors ES CS SS DS FS GS. */
  readonly sel = new Int32Array(6);
  /** Descriptor caches (valid when `hasCaches`): base, byte-granular limit, VMX-layout access rights. */
  readonly base = new Int32Array(6);
  readonly limit = new Int32Array(6);
  readonly ar = new Int32Array(6);
  hasCaches = false;
  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  efer = 0;
  /** CR0..CR4 and EFER are valid. */
  hasCr = false;
  /** Descriptor tables and LDTR/TR (valid when `hasTables`). */
  gdtBase = 0;
  gdtLimit = 0;
  idtBase = 0;
  idtLimit = 0;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0;
  hasTables = false;
  /**
   * x87 (when `hasX87`): FCW, FSW (with TOP), the abridged tag byte (bit n: physical register
   * n not empty) and the physical registers R0..R7 as 10 bytes each (significand
   * little-endian, then sign+exponent), as QEMU's `FPRn=` dump lines show them.
   */
  fcw = 0;
  fsw = 0;
  ftw = 0;
  readonly st = new Uint8Array(80);
  hasX87 = false;

  /** Linear address of the next instruction (CS base + EIP; needs the CS cache). */
  pc(): number {
    return (this.base[1] + this.eip) >>> 0;
  }

  clone(): ArchState {
    const s = new ArchState();
    s.copyFrom(this);
    return s;
  }

  copyFrom(o: ArchState): void {
    this.gpr.set(o.gpr);
    this.eip = o.eip;
    this.eflags = o.eflags;
    this.sel.set(o.sel);
    this.base.set(o.base);
    this.limit.set(o.limit);
    this.ar.set(o.ar);
    this.hasCaches = o.hasCaches;
    this.cr0 = o.cr0;
    this.cr2 = o.cr2;
    this.cr3 = o.cr3;
    this.cr4 = o.cr4;
    this.efer = o.efer;
    this.hasCr = o.hasCr;
    this.gdtBase = o.gdtBase;
    this.gdtLimit = o.gdtLimit;
    this.idtBase = o.idtBase;
    this.idtLimit = o.idtLimit;
    this.ldtSel = o.ldtSel;
    this.ldtBase = o.ldtBase;
    this.ldtLimit = o.ldtLimit;
    this.trSel = o.trSel;
    this.trBase = o.trBase;
    this.trLimit = o.trLimit;
    this.hasTables = o.hasTables;
    this.fcw = o.fcw;
    this.fsw = o.fsw;
    this.ftw = o.ftw;
    this.st.set(o.st);
    this.hasX87 = o.hasX87;
  }
}

/** Read the virtkit CPU's state into `out` (everything: virtkit always has the caches). */
export function captureVirtkit(cpu: Cpu, out: ArchState): ArchState {
  out.gpr.set(cpu.regs.subarray(0, 8));
  out.eip = cpu.eip;
  out.eflags = cpu.getEflags();
  out.sel.set(cpu.segSel);
  out.base.set(cpu.segBase);
  out.limit.set(cpu.segLimit);
  out.ar.set(cpu.segAr);
  out.hasCaches = true;
  out.cr0 = cpu.cr0;
  out.cr2 = cpu.cr2;
  out.cr3 = cpu.cr3;
  out.cr4 = cpu.cr4;
  out.efer = cpu.efer;
  out.hasCr = true;
  out.gdtBase = cpu.gdtrBase;
  out.gdtLimit = cpu.gdtrLimit;
  out.idtBase = cpu.idtrBase;
  out.idtLimit = cpu.idtrLimit;
  out.ldtSel = cpu.ldtrSel;
  out.ldtBase = cpu.ldtrBase;
  out.ldtLimit = cpu.ldtrLimit;
  out.trSel = cpu.trSel;
  out.trBase = cpu.trBase;
  out.trLimit = cpu.trLimit;
  out.hasTables = true;
  const f = cpu.fpu;
  out.fcw = f.cw & 0xffff;
  out.fsw = f.getSw() & 0xffff;
  out.ftw = f.getAbridgedTw() & 0xff;
  const st = out.st;
  for (let p = 0; p < 8; p++) {
    const lo = f.lo[p];
    const hi = f.hi[p];
    const se = f.se[p];
    const o = p * 10;
    st[o] = lo & 0xff; st[o + 1] = (lo >>> 8) & 0xff; st[o + 2] = (lo >>> 16) & 0xff; st[o + 3] = lo >>> 24;
    st[o + 4] = hi & 0xff; st[o + 5] = (hi >>> 8) & 0xff; st[o + 6] = (hi >>> 16) & 0xff; st[o + 7] = hi >>> 24;
    st[o + 8] = se & 0xff; st[o + 9] = (se >>> 8) & 0xff;
  }
  out.hasX87 = true;
  return out;
}

/** Load the general registers, EIP and EFLAGS of `st` into the CPU. */
export function loadVirtkitRegs(st: ArchState, cpu: Cpu): void {
  cpu.regs.set(st.gpr);
  cpu.eip = st.eip;
  cpu.setEflags(st.eflags);
}

/**
 * Load a complete QEMU state into the CPU (instruction 0: QEMU's multiboot loader leaves other
 * selectors, GDT and EBX than virtkit's loader). Needs `st.hasCaches` and `st.hasCr`.
 */
export function loadVirtkitFull(st: ArchState, cpu: Cpu): void {
  if (st.hasCr) {
    cpu.setCr4(st.cr4);
    cpu.setCr3(st.cr3);
    cpu.setCr0(st.cr0);
    cpu.cr2 = st.cr2;
    cpu.setEfer(st.efer);
  }
  if (st.hasTables) {
    cpu.setGdtr(st.gdtBase, st.gdtLimit);
    cpu.setIdtr(st.idtBase, st.idtLimit);
    cpu.ldtrSel = st.ldtSel;
    cpu.ldtrBase = st.ldtBase;
    cpu.ldtrLimit = st.ldtLimit;
    cpu.trSel = st.trSel;
    cpu.trBase = st.trBase;
    cpu.trLimit = st.trLimit;
  }
  for (let s = 0; s < 6; s++) {
    if (st.hasCaches) cpu.setSegment(s, st.sel[s], st.base[s], st.limit[s], st.ar[s]);
    else {
      const c = cpu.getSegment(s);
      cpu.setSegment(s, st.sel[s], c.base, c.limit, c.ar);
    }
  }
  loadVirtkitRegs(st, cpu);
  cpu.cpl = st.sel[1] & 3;
  cpu.updateMode();
}

/** One differing field. */
export interface FieldDiff {
  field: string;
  virtkit: number;
  qemu: number;
}

/** What to compare besides GPRs, EIP, EFLAGS and selectors. */
export interface CompareOptions {
  /** EFLAGS bits to ignore for this comparison (undefined flags of the last instruction). */
  flagMask: number;
  /** Compare descriptor caches (base, limit, access rights) of non-null selectors. */
  caches: boolean;
}

/** EFLAGS bits never compared: RF (QEMU sets it in its live EFLAGS around faults). */
export const IGNORED_FLAGS = Flag.RF;

/** Access-rights bits compared: type (without accessed), S, DPL, P, D/B, G. */
const AR_COMPARE = 0xc0fe;

/** Quick check: true when the states agree. `q` decides which optional parts are compared. */
export function statesEqual(v: ArchState, q: ArchState, o: CompareOptions): boolean {
  const a = v.gpr;
  const b = q.gpr;
  if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3] || a[4] !== b[4] || a[5] !== b[5] || a[6] !== b[6] || a[7] !== b[7]) return false;
  if (v.eip !== q.eip) return false;
  if (((v.eflags ^ q.eflags) & ~(o.flagMask | IGNORED_FLAGS)) !== 0) return false;
  const vs = v.sel;
  const qs = q.sel;
  for (let s = 0; s < 6; s++) if (((vs[s] ^ qs[s]) & 0xffff) !== 0) return false;
  if (q.hasCr && v.hasCr) {
    if (v.cr0 !== q.cr0 || v.cr2 !== q.cr2 || v.cr3 !== q.cr3 || v.cr4 !== q.cr4 || ((v.efer ^ q.efer) & 0xd01) !== 0) return false;
  }
  if (q.hasTables && v.hasTables) {
    if (v.gdtBase !== q.gdtBase || ((v.gdtLimit ^ q.gdtLimit) & 0xffff) !== 0 || v.idtBase !== q.idtBase || ((v.idtLimit ^ q.idtLimit) & 0xffff) !== 0) return false;
    if (((v.ldtSel ^ q.ldtSel) & 0xffff) !== 0 || ((v.trSel ^ q.trSel) & 0xffff) !== 0) return false;
    if ((q.trSel & ~3) !== 0 && (v.trBase !== q.trBase || v.trLimit !== q.trLimit)) return false;
  }
  if (o.caches && q.hasCaches && v.hasCaches) {
    const pm = (q.cr0 & 1) !== 0 && (q.eflags & Flag.VM) === 0;
    for (let s = 0; s < 6; s++) {
      if (pm && (qs[s] & ~3) === 0 && s !== 1) continue;
      if (v.base[s] !== q.base[s] || v.limit[s] !== q.limit[s]) return false;
      if (pm && ((v.ar[s] ^ q.ar[s]) & AR_COMPARE) !== 0) return false;
    }
  }
  if (q.hasX87 && v.hasX87) {
    if (v.fcw !== q.fcw || v.fsw !== q.fsw || v.ftw !== q.ftw) return false;
    for (let p = 0; p < 8; p++) {
      if (((q.ftw >> p) & 1) === 0) continue;
      for (let k = p * 10; k < p * 10 + 10; k++) if (v.st[k] !== q.st[k]) return false;
    }
  }
  return true;
}

/** Every differing field (cold path, also used by `statesEqual` for the optional parts). */
export function diffStates(v: ArchState, q: ArchState, o: CompareOptions): FieldDiff[] {
  const d: FieldDiff[] = [];
  const add = (field: string, x: number, y: number): void => {
    if (x !== y) d.push({ field, virtkit: x >>> 0, qemu: y >>> 0 });
  };
  for (let k = 0; k < 8; k++) add(GPR_NAMES[k], v.gpr[k], q.gpr[k]);
  add("EIP", v.eip, q.eip);
  const m = ~(o.flagMask | IGNORED_FLAGS);
  add("EFLAGS", v.eflags & m, q.eflags & m);
  for (let s = 0; s < 6; s++) add(SEG_NAMES[s], v.sel[s] & 0xffff, q.sel[s] & 0xffff);
  if (q.hasCr && v.hasCr) {
    add("CR0", v.cr0, q.cr0);
    add("CR2", v.cr2, q.cr2);
    add("CR3", v.cr3, q.cr3);
    add("CR4", v.cr4, q.cr4);
    add("EFER", v.efer & 0xd01, q.efer & 0xd01);
  }
  const pm = (q.cr0 & 1) !== 0 && (q.eflags & Flag.VM) === 0;
  if (o.caches && q.hasCaches && v.hasCaches) {
    for (let s = 0; s < 6; s++) {
      // In protected mode a null selector's cache is unusable; its contents do not matter.
      if (pm && (q.sel[s] & ~3) === 0 && s !== 1) continue;
      add(`${SEG_NAMES[s]}.base`, v.base[s], q.base[s]);
      add(`${SEG_NAMES[s]}.limit`, v.limit[s], q.limit[s]);
      if (pm) add(`${SEG_NAMES[s]}.ar`, v.ar[s] & AR_COMPARE, q.ar[s] & AR_COMPARE);
    }
  }
  if (q.hasTables && v.hasTables) {
    add("GDTR.base", v.gdtBase, q.gdtBase);
    add("GDTR.limit", v.gdtLimit & 0xffff, q.gdtLimit & 0xffff);
    add("IDTR.base", v.idtBase, q.idtBase);
    add("IDTR.limit", v.idtLimit & 0xffff, q.idtLimit & 0xffff);
    add("LDTR", v.ldtSel & 0xffff, q.ldtSel & 0xffff);
    add("TR", v.trSel & 0xffff, q.trSel & 0xffff);
    if ((q.trSel & ~3) !== 0) {
      add("TR.base", v.trBase, q.trBase);
      add("TR.limit", v.trLimit, q.trLimit);
    }
  }
  if (q.hasX87 && v.hasX87) {
    add("FCW", v.fcw, q.fcw);
    add("FSW", v.fsw, q.fsw);
    add("FTW", v.ftw, q.ftw);
    for (let p = 0; p < 8; p++) {
      if (((q.ftw >> p) & 1) === 0) continue; // an empty register's contents do not matter
      const o = p * 10;
      const se = (x: ArchState): number => x.st[o + 8] | (x.st[o + 9] << 8);
      const w = (x: ArchState, at: number): number => x.st[at] | (x.st[at + 1] << 8) | (x.st[at + 2] << 16) | (x.st[at + 3] << 24);
      add(`R${p}.se`, se(v), se(q));
      add(`R${p}.hi`, w(v, o + 4), w(q, o + 4));
      add(`R${p}.lo`, w(v, o), w(q, o));
    }
  }
  return d;
}

const hex = (x: number, w = 8): string => (x >>> 0).toString(16).padStart(w, "0");

/** The flags of an EFLAGS value as letters (O D I T S Z A P C), '-' when clear. */
export function flagLetters(f: number): string {
  const bits: [number, string][] = [[Flag.OF, "O"], [Flag.DF, "D"], [Flag.IF, "I"], [Flag.TF, "T"], [Flag.SF, "S"], [Flag.ZF, "Z"], [Flag.AF, "A"], [Flag.PF, "P"], [Flag.CF, "C"]];
  return bits.map(([b, c]) => ((f & b) !== 0 ? c : "-")).join("");
}

/** Side-by-side text of both states, differing lines marked with `*`. */
export function formatSideBySide(v: ArchState, q: ArchState, diffs: FieldDiff[]): string {
  const bad = new Set(diffs.map((d) => d.field.split(".")[0]));
  const x87 = q.hasX87 && v.hasX87;
  const rows: [string, string, string][] = [];
  for (let k = 0; k < 8; k++) rows.push([GPR_NAMES[k], hex(v.gpr[k]), hex(q.gpr[k])]);
  rows.push(["EIP", hex(v.eip), hex(q.eip)]);
  rows.push(["EFLAGS", `${hex(v.eflags)} ${flagLetters(v.eflags)}`, `${hex(q.eflags)} ${flagLetters(q.eflags)}`]);
  for (let s = 0; s < 6; s++) {
    const cache = (x: ArchState): string => (x.hasCaches ? ` ${hex(x.base[s])} ${hex(x.limit[s])} ${hex(x.ar[s], 4)}` : "");
    rows.push([SEG_NAMES[s], hex(v.sel[s], 4) + cache(v), hex(q.sel[s], 4) + cache(q)]);
  }
  if (q.hasCr) {
    rows.push(["CR0", hex(v.cr0), hex(q.cr0)]);
    rows.push(["CR2", hex(v.cr2), hex(q.cr2)]);
    rows.push(["CR3", hex(v.cr3), hex(q.cr3)]);
    rows.push(["CR4", hex(v.cr4), hex(q.cr4)]);
    rows.push(["EFER", hex(v.efer), hex(q.efer)]);
  }
  if (q.hasTables) {
    rows.push(["GDTR", `${hex(v.gdtBase)} ${hex(v.gdtLimit, 4)}`, `${hex(q.gdtBase)} ${hex(q.gdtLimit, 4)}`]);
    rows.push(["IDTR", `${hex(v.idtBase)} ${hex(v.idtLimit, 4)}`, `${hex(q.idtBase)} ${hex(q.idtLimit, 4)}`]);
    rows.push(["LDTR", hex(v.ldtSel, 4), hex(q.ldtSel, 4)]);
    rows.push(["TR", `${hex(v.trSel, 4)} ${hex(v.trBase)} ${hex(v.trLimit)}`, `${hex(q.trSel, 4)} ${hex(q.trBase)} ${hex(q.trLimit)}`]);
  }
  if (x87) {
    rows.push(["FCW", hex(v.fcw, 4), hex(q.fcw, 4)]);
    rows.push(["FSW", hex(v.fsw, 4), hex(q.fsw, 4)]);
    rows.push(["FTW", hex(v.ftw, 2), hex(q.ftw, 2)]);
    const reg = (x: ArchState, p: number): string => {
      let s = "";
      for (let k = 9; k >= 0; k--) s += x.st[p * 10 + k].toString(16).padStart(2, "0");
      return s;
    };
    for (let p = 0; p < 8; p++) rows.push([`R${p}`, reg(v, p), reg(q, p)]);
  }
  const w = Math.max(...rows.map((r) => r[1].length), 7);
  const lines = [`  ${"".padEnd(7)}${"virtkit".padEnd(w + 2)}qemu`];
  for (const [name, a, b] of rows) lines.push(`${bad.has(name) ? "* " : "  "}${name.padEnd(7)}${a.padEnd(w + 2)}${b}`);
  return lines.join("\n");
}

/** Compact text of one state (GPRs, EIP, EFLAGS, selectors, control registers). */
export function formatState(s: ArchState): string {
  const g = GPR_NAMES.map((n, k) => `${n}=${hex(s.gpr[k])}`);
  const sel = SEG_NAMES.map((n, k) => `${n}=${hex(s.sel[k], 4)}`);
  const lines = [g.slice(0, 4).join(" "), g.slice(4).join(" "), `EIP=${hex(s.eip)} EFLAGS=${hex(s.eflags)} [${flagLetters(s.eflags)}]`, sel.join(" ")];
  if (s.hasCr) lines.push(`CR0=${hex(s.cr0)} CR2=${hex(s.cr2)} CR3=${hex(s.cr3)} CR4=${hex(s.cr4)}`);
  return lines.join("\n");
}
