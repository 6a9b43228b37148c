/** Per-suite results, and the text summary printed by the CLI and the vitest test. */

export interface Diff {
  /** What differs: a register name, "eflags", "eip", "exception", "mem[0x…]", … */
  what: string;
  expected: string;
  got: string;
}

export interface Failure {
  /** Form (native-ia32) or opcode file (80286): failures are grouped by it. */
  group: string;
  /** Vector id. */
  id: string;
  /** Instruction bytes, hex. */
  bytes: string;
  /** Disassembly from the vector file. */
  asm: string;
  diffs: Diff[];
}

export interface SkipGroup {
  reason: string;
  count: number;
  /** Where the skipped vectors come from (group files / forms), with counts. */
  sources: Map<string, number>;
}

export class SuiteResult {
  passed = 0;
  failed = 0;
  skipped = 0;
  /** Skip categories by key. */
  readonly skips = new Map<string, SkipGroup>();
  /** Vectors judged with an expectation rewritten for 386 rules, by category. */
  readonly adjusted = new Map<string, number>();
  readonly failures: Failure[] = [];
  /** Harness warnings (printed, not counted). */
  readonly notes: string[] = [];

  constructor(readonly suite: string) {}

  get total(): number {
    return this.passed + this.failed + this.skipped;
  }

  pass(): void {
    this.passed++;
  }

  fail(f: Failure): void {
    this.failed++;
    this.failures.push(f);
  }

  skip(key: string, reason: string, source: string, n = 1): void {
    this.skipped += n;
    let g = this.skips.get(key);
    if (!g) {
      g = { reason, count: 0, sources: new Map() };
      this.skips.set(key, g);
    }
    g.count += n;
    g.sources.set(source, (g.sources.get(source) ?? 0) + n);
  }

  adjust(category: string): void {
    this.adjusted.set(category, (this.adjusted.get(category) ?? 0) + 1);
  }

  /** The one-line summary: `x86-vectors <suite>: P passed, F failed, S skipped of T`. */
  headline(): string {
    return `x86-vectors ${this.suite}: ${this.passed} passed, ${this.failed} failed, ${this.skipped} skipped of ${this.total}`;
  }
}

export interface FormatOptions {
  /** Failing groups to list (default 40; verbose: all). */
  maxGroups?: number;
  /** Example vectors per group (default 3). */
  examplesPerGroup?: number;
  /** Diffs per example (default 6). */
  diffsPerExample?: number;
  verbose?: boolean;
}

function list(sources: Map<string, number>, max: number): string {
  const items = [...sources.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = items.slice(0, max).map(([k, n]) => `${k} ${n}`);
  if (items.length > max) shown.push(`… ${items.length - max} more`);
  return shown.join(", ");
}

/** Headline, skip lines, adjusted-expectation lines and grouped failures. */
export function formatResult(r: SuiteResult, opts: FormatOptions = {}): string {
  const verbose = opts.verbose ?? false;
  const maxGroups = opts.maxGroups ?? (verbose ? Infinity : 40);
  const perGroup = opts.examplesPerGroup ?? (verbose ? 10 : 3);
  const perExample = opts.diffsPerExample ?? (verbose ? 20 : 6);
  const out: string[] = [r.headline()];
  const skips = [...r.skips.entries()].sort((a, b) => b[1].count - a[1].count);
  for (const [key, g] of skips) {
    out.push(`  skipped ${g.count} [${key}]: ${g.reason} (${list(g.sources, verbose ? Infinity : 8)})`);
  }
  for (const [cat, n] of [...r.adjusted.entries()].sort((a, b) => b[1] - a[1])) {
    out.push(`  judged under 386 rules (not skipped) ${n}: ${cat}`);
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  if (r.failures.length > 0) {
    const groups = new Map<string, Failure[]>();
    for (const f of r.failures) {
      let g = groups.get(f.group);
      if (!g) groups.set(f.group, (g = []));
      g.push(f);
    }
    const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
    out.push(`  failures by ${r.suite === "native-ia32" ? "form" : "opcode file"} (${sorted.length} groups, most frequent first):`);
    for (const [name, fs] of sorted.slice(0, maxGroups)) {
      out.push(`  ${name}: ${fs.length} failed`);
      for (const f of fs.slice(0, perGroup)) {
        const d = f.diffs.slice(0, perExample).map((x) => `${x.what} expected ${x.expected} got ${x.got}`);
        if (f.diffs.length > perExample) d.push(`… ${f.diffs.length - perExample} more`);
        out.push(`    ${f.id} [${f.bytes}] ${f.asm}: ${d.join("; ")}`);
      }
    }
    if (sorted.length > maxGroups) out.push(`  … ${sorted.length - maxGroups} more failing groups (use --verbose)`);
  }
  return out.join("\n");
}

export const hex = (v: number, digits = 8): string => "0x" + (v >>> 0).toString(16).padStart(digits, "0");
