/**
 * The lockstep engine: one guest, QEMU and virtkit, compared instruction by instruction.
 *
 * Modes (see README.md for measurements):
 * - `insn` (default): QEMU runs freely with `singlestep on` and `-d cpu,nochain,int` into a
 *   FIFO; every instruction's state dump is compared with virtkit's state after the same
 *   instruction. QEMU's logging bounds the speed.
 * - `gdb`: QEMU is single-stepped through its gdbstub (`s` + `g` per instruction). Exact and
 *   independent of the log format, but a VM stop/start per instruction makes it slow.
 *
 * Both start the same way: QEMU stopped at reset, a hardware breakpoint on the ELF entry,
 * then QEMU's RAM (pmemsave) and full register state (`info registers`) are loaded into
 * virtkit, so differences of the two multiboot loaders (selectors, GDT, EBX, the multiboot
 * information) cannot show up as divergences.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { disassemble } from "./disasm.js";
import { GdbError } from "./gdb.js";
import { QemuDumpParser, type QemuInterrupt } from "./qemu-log.js";
import { QemuSession } from "./qemu.js";
import { PdpteAccessedQuirk } from "./pdpte-quirk.js";
import { ArchState, diffStates, formatSideBySide, formatState, loadVirtkitFull, statesEqual, type CompareOptions, type FieldDiff } from "./state.js";
import { StepEvent, VirtkitSide, type HistoryEntry } from "./virtkit-side.js";

/** How QEMU's side is observed. */
export type LockstepMode = "insn" | "gdb";

/** Options of one lockstep run. */
export interface LockstepOptions {
  /** Multiboot ELF image. */
  elfPath: string;
  /** Guest RAM in MiB on both sides (default 32). */
  memMiB?: number;
  /** Stop after this many instructions (default: unlimited). */
  maxInstructions?: number;
  mode?: LockstepMode;
  /** QEMU binary. */
  qemu?: string;
  /** QEMU `-cpu` model (default: QEMU's default). */
  cpuModel?: string;
  /** Compare segment descriptor caches (insn mode only; default true). */
  compareCaches?: boolean;
  /**
   * Divergences to collect before stopping (default 1). After each one virtkit's registers
   * are reloaded from QEMU and the run goes on (memory is not resynced).
   */
  maxDivergences?: number;
  /** Progress lines (every million instructions, start/stop). */
  progress?: (line: string) => void;
  /** Guest debug-console output as virtkit produces it. */
  onOutput?: (text: string) => void;
  /** Skip disassembly in reports (faster tests). */
  noDisassembly?: boolean;
  /**
   * Start comparing at the `hits`-th arrival at linear address `addr` instead of the
   * multiboot entry: QEMU runs there at full speed, then its RAM and registers are copied
   * into virtkit. Required for non-multiboot images (a Linux bzImage).
   */
  startAt?: { addr: number; hits: number };
  /** Compare the x87 state too (insn mode: adds QEMU's `fpu` log item, ~40 % slower). */
  x87?: boolean;
  /** For Linux images: QEMU's -initrd and -append. */
  initrd?: string;
  append?: string;
}

/** One divergent instruction. */
export interface Divergence {
  /** 0-based index of the instruction in the run. */
  index: number;
  /** Where it was: CS:EIP and linear address. */
  cs: number;
  eip: number;
  pc: number;
  code32: boolean;
  bytes: Uint8Array;
  /** Disassembly (objdump) of the instruction. */
  disasm: string;
  /** State before the instruction (both sides agreed). */
  before: ArchState;
  /** States after it. */
  virtkit: ArchState;
  qemu: ArchState;
  diffs: FieldDiff[];
  /** Extra explanation (e.g. an interrupt QEMU took). */
  note: string;
  /** Instructions executed before it, oldest first. */
  history: HistoryEntry[];
}

/** Outcome of a run. */
export interface LockstepResult {
  elfPath: string;
  mode: LockstepMode;
  /** Instructions compared. */
  instructions: number;
  divergences: Divergence[];
  /** Seconds of lockstep (after the setup to the entry point). */
  seconds: number;
  /** Seconds of setup (QEMU start, run to entry, RAM copy). */
  setupSeconds: number;
  /** How it ended. */
  end: "debug-exit" | "limit" | "divergence" | "qemu-exit" | "triple-fault" | "halted" | "error";
  /** isa-debug-exit value written by the guest on the virtkit side (-1 none). */
  exitValue: number;
  /** QEMU's exit status (-1 killed). */
  qemuStatus: number;
  /** virtkit's debug-console output. */
  output: string;
  /** Counters: undefined-flag syncs, non-deterministic and MMIO-read results taken from QEMU. */
  undefSyncs: number;
  nondetSyncs: number;
  mmioSyncs: number;
  /** x87 status bits taken from QEMU for its known gaps (C1 round-up, DE, FPREM quotient). */
  x87QemuQuirks: number;
  /**
   * QEMU's accessed bit (0x20) in PAE PDPTEs (reserved there; virtkit leaves it clear):
   * registers that read a PDPTE back and got QEMU's value with the bit set. virtkit keeps its
   * value; `pdpteTolerated` counts the instructions after which such a register was tolerated.
   */
  pdpteQemuQuirks: number;
  pdpteTolerated: number;
  /** A message when end === "error". */
  error: string;
  /** Repeated QEMU dumps of one instruction that were skipped (aborted block entries). */
  repeats: number;
}

const fmt = (x: number, w = 8): string => (x >>> 0).toString(16).padStart(w, "0");

/** Run one guest in lockstep. */
export async function runLockstep(opts: LockstepOptions): Promise<LockstepResult> {
  const mode = opts.mode ?? "insn";
  const memMiB = opts.memMiB ?? 32;
  const image = readFileSync(opts.elfPath);
  const vk = new VirtkitSide(image, memMiB);
  vk.onOutput = opts.onOutput ?? null;
  const dir = mkdtempSync(join(tmpdir(), "lockstep-"));
  const fifo = join(dir, "qemu.log");
  const t0 = performance.now();
  let qemu: QemuSession | null = null;
  const result: LockstepResult = {
    elfPath: opts.elfPath, mode, instructions: 0, divergences: [], seconds: 0, setupSeconds: 0, end: "error",
    exitValue: -1, qemuStatus: -1, output: "", undefSyncs: 0, nondetSyncs: 0, mmioSyncs: 0, x87QemuQuirks: 0, pdpteQemuQuirks: 0, pdpteTolerated: 0, error: "", repeats: 0,
  };
  let stream: ReturnType<typeof createReadStream> | null = null;
  let run: Run | null = null;
  try {
    if (mode === "insn") execFileSync("mkfifo", [fifo]);
    qemu = await QemuSession.start(
      {
        elfPath: opts.elfPath, memMiB, qemu: opts.qemu, cpuModel: opts.cpuModel, logFile: mode === "insn" ? fifo : undefined,
        initrd: opts.initrd, append: opts.append, serial: vk.entry < 0 ? "null" : undefined,
      },
      () => {
        if (mode === "insn") stream = createReadStream(fifo, { highWaterMark: 1 << 20 });
      },
    );
    if (opts.startAt !== undefined) await qemu.runTo(opts.startAt.addr, opts.startAt.hits);
    else if (vk.entry >= 0) await qemu.runToEntry(vk.entry);
    else throw new Error(`${opts.elfPath} is not a multiboot image: give the address to start comparing at (--start-at)`);
    vk.loadRam(await qemu.readRam(memMiB << 20));
    const initial = await qemu.infoRegisters();
    loadVirtkitFull(initial, vk.cpu);
    const t1 = performance.now();
    result.setupSeconds = (t1 - t0) / 1000;
    opts.progress?.(`setup ${result.setupSeconds.toFixed(2)} s; start at ${fmt(initial.sel[1], 4)}:${fmt(initial.eip)}; mode ${mode}`);
    run = new Run(vk, qemu, opts, result);
    if (mode === "insn") {
      if (stream === null) throw new Error("log FIFO was not opened");
      await run.insnMode(stream);
    } else {
      await run.gdbMode();
    }
    result.seconds = (performance.now() - t1) / 1000;
  } catch (e) {
    result.end = "error";
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    if (qemu !== null) {
      const q = qemu;
      if (result.end === "debug-exit" || result.end === "qemu-exit") result.qemuStatus = await q.finish(3000);
      q.kill();
      if (result.qemuStatus === -1 && q.exitCode !== null) result.qemuStatus = q.exitCode;
      if (result.end === "error" && q.stderr.trim() !== "") result.error += ` [qemu: ${q.stderr.trim()}]`;
    }
    (stream as ReturnType<typeof createReadStream> | null)?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  result.instructions = vk.count;
  result.exitValue = vk.exitValue;
  result.output = vk.output;
  result.undefSyncs = vk.undefSyncs;
  result.nondetSyncs = vk.nondetSyncs;
  result.mmioSyncs = vk.mmioSyncs;
  result.x87QemuQuirks = vk.x87QemuQuirks;
  result.pdpteQemuQuirks = run?.pdpte.admissions ?? 0;
  result.pdpteTolerated = run?.pdpte.tolerated ?? 0;
  return result;
}

/** State shared by the mode loops. */
class Run {
  private readonly cmp: CompareOptions;
  private readonly max: number;
  private readonly maxDiv: number;
  private readonly x87: boolean;
  private nextProgress = 1_000_000;
  private readonly tStart = performance.now();
  /** QEMU's accessed bit in PAE PDPTEs (see pdpte-quirk.ts). */
  readonly pdpte: PdpteAccessedQuirk;

  constructor(
    private readonly vk: VirtkitSide,
    private readonly qemu: QemuSession,
    private readonly opts: LockstepOptions,
    private readonly result: LockstepResult,
  ) {
    this.cmp = { flagMask: 0, caches: opts.compareCaches ?? true };
    this.max = opts.maxInstructions ?? Number.POSITIVE_INFINITY;
    this.maxDiv = opts.maxDivergences ?? 1;
    this.x87 = opts.x87 === true;
    this.pdpte = new PdpteAccessedQuirk(vk.cpu, vk.mem);
  }

  /**
   * Compare after one instruction: equal, or equal once the registers holding a PAE PDPTE
   * that QEMU has with its accessed bit set are tolerated (patched in `v` only).
   */
  private agrees(v: ArchState, q: ArchState): boolean {
    if (statesEqual(v, q, this.cmp)) return true;
    return this.pdpte.apply(v, q, this.vk.insn) && statesEqual(v, q, this.cmp);
  }

  private progress(): void {
    if (this.vk.count < this.nextProgress) return;
    this.nextProgress += 1_000_000;
    const s = (performance.now() - this.tStart) / 1000;
    this.opts.progress?.(`${this.vk.count} instructions, ${s.toFixed(1)} s, ${Math.round(this.vk.count / s)} instructions/s`);
  }

  /** Record a divergence; returns true when the run must stop. */
  private diverged(before: ArchState, q: ArchState, note: string, skipCaches = false): boolean {
    const vk = this.vk;
    const v = vk.state().clone();
    const cmp = skipCaches ? { ...this.cmp, caches: false } : this.cmp;
    // Registers the PDPTE rule tolerates are not part of the difference.
    const tainted = this.pdpte.apply(v, q, vk.insn) ? this.pdpte.taintedNames() : "";
    if (tainted !== "") note += `Tolerated (QEMU's accessed bit in a PAE PDPTE): ${tainted}. `;
    const diffs = diffStates(v, q, cmp);
    const hist = vk.history();
    const last = hist.at(-1) ?? { cs: before.sel[1], eip: before.eip, pc: before.pc(), code32: true, bytes: new Uint8Array(0) };
    const dis = this.opts.noDisassembly === true ? "" : disassemble(last.bytes, last.eip, last.code32).text;
    this.result.divergences.push({
      index: vk.count - 1, cs: last.cs, eip: last.eip, pc: last.pc, code32: last.code32, bytes: last.bytes,
      disasm: dis, before: before.clone(), virtkit: v, qemu: q.clone(), diffs, note, history: hist.slice(0, -1),
    });
    if (this.result.divergences.length >= this.maxDiv) {
      this.result.end = "divergence";
      return true;
    }
    // Keep going: take QEMU's registers (memory stays as virtkit left it).
    loadVirtkitFull(q, vk.cpu);
    this.pdpte.reset();
    return false;
  }

  /** Per-instruction comparison against QEMU's `-d cpu` log (singlestep on). */
  async insnMode(stream: AsyncIterable<unknown>): Promise<void> {
    const g = this.qemu.gdb;
    await g.monitor("singlestep on");
    const logOut = await g.monitor(this.opts.x87 === true ? "log cpu,fpu,nochain,int" : "log cpu,nochain,int");
    if (logOut.trim() !== "") throw new GdbError(`QEMU rejected the log flags: ${logOut.trim()}`);
    await g.requestOk("D");
    g.close();
    const vk = this.vk;
    const parser = new QemuDumpParser();
    let cur: ArchState | null = null;
    const before = new ArchState();
    const pending: QemuInterrupt[] = [];
    let done = false;
    const onState = (nxt: ArchState): boolean => {
      if (cur === null) {
        // The first dump is the entry state: it must equal what `info registers` gave.
        cur = nxt;
        loadVirtkitFull(nxt, vk.cpu);
        vk.peek();
        return false;
      }
      const i = vk.insn;
      // QEMU executes one REP iteration per translation block: wait for the last one.
      if (i.repString && pending.length === 0 && nxt.eip === cur.eip && nxt.sel[1] === cur.sel[1]) return false;
      // QEMU dumps the state when it enters a translation block; a block that is left at
      // once for an exit request (timers, I/O threads) is dumped again on re-entry. An
      // identical dump with nothing logged in between is such a repeat. (An instruction
      // that leaves every register unchanged, like a jump to itself, is skipped as well,
      // which is harmless: it has no effect to compare.)
      if (pending.length === 0 && sameDump(cur, nxt)) {
        this.result.repeats++;
        return false;
      }
      if (vk.count >= this.max) {
        this.result.end = "limit";
        return true;
      }
      before.copyFrom(cur);
      let ev = vk.step(nxt);
      let note = "";
      for (const p of pending) {
        if (p.hardware) {
          vk.deliverExternal(p.vector);
          note += `QEMU delivered external interrupt 0x${p.vector.toString(16)} after it. `;
        }
      }
      // A fault on the instruction fetch has no dump in QEMU's log: the previous dump is
      // followed by the handler's. Step virtkit over the faulting instruction too.
      const cpu = vk.cpu;
      for (const p of pending) {
        if (!p.hardware && p.pc === ((cpu.segBase[1] + cpu.eip) >>> 0) && nxt.eip !== cpu.eip) {
          vk.peek();
          ev = vk.step(nxt);
          note += `QEMU took exception ${p.vector} at the next instruction's fetch. `;
        }
      }
      pending.length = 0;
      if (ev === StepEvent.HostError) note += `virtkit host error: ${cpu.hostError?.message ?? "?"}. `;
      const v = vk.state();
      if (!this.x87) v.hasX87 = false;
      if (!this.agrees(v, nxt) && this.diverged(before, nxt, note)) return true;
      if (ev === StepEvent.DebugExit) {
        this.result.end = "debug-exit";
        return true;
      }
      cur = nxt;
      vk.peek();
      this.progress();
      return false;
    };
    const drain = (): boolean => {
      const evs = parser.events;
      for (let k = 0; k < evs.length; k++) {
        const e = evs[k];
        if (e.kind === "int") pending.push(e);
        else if (onState(e.st)) {
          evs.length = 0;
          return true;
        }
      }
      evs.length = 0;
      return false;
    };
    for await (const chunk of stream) {
      parser.push(chunk as Buffer);
      if (drain()) {
        done = true;
        break;
      }
    }
    if (!done) {
      parser.end();
      if (drain()) return;
      // The log ended: QEMU exited. The last dumped instruction has not run on virtkit yet.
      if (cur === null) throw new Error("QEMU's log had no CPU state (did the log command work?)");
      if (vk.count >= this.max) {
        this.result.end = "limit";
        return;
      }
      const ev = vk.step(null);
      if (ev === StepEvent.DebugExit) this.result.end = "debug-exit";
      else if (ev === StepEvent.TripleFault) this.result.end = "triple-fault";
      else if (ev === StepEvent.Halted) this.result.end = "halted";
      else {
        this.result.end = "qemu-exit";
        const q: ArchState = cur;
        this.diverged(q, q, "QEMU stopped (exit or shutdown) but virtkit went on");
        this.result.end = "divergence";
      }
    }
  }

  /** Per-instruction comparison by single-stepping QEMU's gdbstub. */
  async gdbMode(): Promise<void> {
    const vk = this.vk;
    const g = this.qemu.gdb;
    // Step without interrupts and timers (QEMU's default for gdb single-step, made explicit).
    try {
      await g.requestOk("Qqemu.sstep=0x7");
    } catch {
      /* older stubs: default behaviour */
    }
    let cur = await this.qemu.infoRegisters();
    const before = new ArchState();
    let q = new ArchState();
    vk.peek();
    const stepQemu = async (): Promise<"stopped" | "exited"> => {
      let r: string;
      try {
        const timer = setTimeout(() => {
          g.interrupt();
        }, 2000);
        r = await g.request("s");
        clearTimeout(timer);
      } catch (e) {
        if (e instanceof GdbError) return "exited";
        throw e;
      }
      if (r.startsWith("W") || r.startsWith("X")) return "exited";
      if (!r.startsWith("T") && !r.startsWith("S")) throw new GdbError(`unexpected stop reply to s: ${r}`);
      return "stopped";
    };
    for (;;) {
      if (vk.count >= this.max) {
        this.result.end = "limit";
        return;
      }
      const i = vk.insn;
      before.copyFrom(cur);
      if ((await stepQemu()) === "exited") {
        const ev = vk.step(null);
        this.result.end = ev === StepEvent.DebugExit ? "debug-exit" : "qemu-exit";
        return;
      }
      await this.qemu.readRegs(q);
      // A step can end before the instruction ran (an exit request got there first): the
      // registers are then unchanged. Step again (a jump to itself gives up after 4 tries).
      for (let retry = 0; retry < 4 && sameDump(cur, q); retry++) {
        this.result.repeats++;
        if ((await stepQemu()) === "exited") break;
        await this.qemu.readRegs(q);
      }
      if (i.repString) {
        while (q.eip === cur.eip && q.sel[1] === cur.sel[1]) {
          if ((await stepQemu()) === "exited") break;
          await this.qemu.readRegs(q);
        }
      }
      const ev = vk.step(q);
      const v = vk.state();
      if (!this.agrees(v, q) && this.diverged(before, q, "", true)) return;
      if (ev === StepEvent.DebugExit) {
        this.result.end = "debug-exit";
        return;
      }
      if (ev === StepEvent.TripleFault) {
        this.result.end = "triple-fault";
        return;
      }
      const t = cur;
      cur = q;
      q = t;
      vk.peek();
      this.progress();
    }
  }
}

/** True when two QEMU dumps carry the same registers (a block entered twice). */
function sameDump(a: ArchState, b: ArchState): boolean {
  if (a.eip !== b.eip || a.eflags !== b.eflags || a.cr0 !== b.cr0 || a.cr3 !== b.cr3) return false;
  for (let k = 0; k < 8; k++) if (a.gpr[k] !== b.gpr[k]) return false;
  for (let k = 0; k < 6; k++) if (a.sel[k] !== b.sel[k]) return false;
  if (a.hasCaches && b.hasCaches) for (let k = 0; k < 6; k++) if (a.base[k] !== b.base[k]) return false;
  return true;
}

/** A multi-line report of one divergence. */
export function formatDivergence(d: Divergence): string {
  const lines: string[] = [];
  lines.push(`DIVERGENCE at instruction #${d.index}: ${fmt(d.cs, 4)}:${fmt(d.eip)} (linear ${fmt(d.pc)})`);
  lines.push(`  ${d.disasm !== "" ? d.disasm : Array.from(d.bytes, (b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  if (d.note !== "") lines.push(`  note: ${d.note.trim()}`);
  lines.push(`  differs: ${d.diffs.map((x) => `${x.field} virtkit=${fmt(x.virtkit)} qemu=${fmt(x.qemu)}`).join(", ") || "(nothing outside masked fields?)"}`);
  if (d.history.length > 0) {
    lines.push("  previous instructions:");
    for (const h of d.history) {
      const dis = disassemble(h.bytes, h.eip, h.code32).text;
      lines.push(`    ${fmt(h.cs, 4)}:${fmt(h.eip)}  ${dis}`);
    }
  }
  lines.push("  state before (both agreed):");
  lines.push(formatState(d.before).split("\n").map((l) => "    " + l).join("\n"));
  lines.push("  state after:");
  lines.push(formatSideBySide(d.virtkit, d.qemu, d.diffs).split("\n").map((l) => "  " + l).join("\n"));
  return lines.join("\n");
}
