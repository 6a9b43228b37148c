/**
 * Starting `qemu-system-i386` stopped (-S) with its gdbstub on a loopback port, running it to
 * the guest's entry point, and reading its state and RAM there.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GdbClient, GdbError } from "./gdb.js";
import { fallbackI386Layout, parseTargetXml, type RegLayout } from "./layout.js";
import { parseDump } from "./qemu-log.js";
import { ArchState } from "./state.js";

/** How to start QEMU. */
export interface QemuLaunch {
  elfPath: string;
  memMiB: number;
  /** QEMU binary (default qemu-system-i386). */
  qemu?: string;
  /** `-cpu` model (default: QEMU's default, qemu32). */
  cpuModel?: string;
  /** Where the debug console goes (a file path) or null to discard it. */
  debugconFile?: string | null;
  /** `-D` log file (a FIFO in log mode). */
  logFile?: string;
  /** Linux images: `-initrd` and `-append`. */
  initrd?: string;
  append?: string;
  /** `-serial` backend (default none; Linux runs use null so a UART exists). */
  serial?: string;
  /** Extra arguments. */
  extraArgs?: string[];
}

/** True when the QEMU binary can be started. */
export function qemuAvailable(qemu = "qemu-system-i386"): boolean {
  return spawnSync(qemu, ["--version"], { stdio: "ignore" }).status === 0;
}

/** A free TCP port on 127.0.0.1 (closed again before QEMU binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** The command line for a lockstep run. */
export function qemuCommandLine(l: QemuLaunch, port: number): string[] {
  return [
    "-kernel", l.elfPath,
    "-display", "none",
    "-S",
    "-gdb", `tcp:127.0.0.1:${port}`,
    "-debugcon", l.debugconFile != null ? `file:${l.debugconFile}` : "null",
    "-serial", l.serial ?? "none",
    "-monitor", "none",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
    "-no-reboot",
    "-m", String(l.memMiB),
    ...(l.cpuModel !== undefined ? ["-cpu", l.cpuModel] : []),
    ...(l.initrd !== undefined ? ["-initrd", l.initrd] : []),
    ...(l.append !== undefined ? ["-append", l.append] : []),
    ...(l.logFile !== undefined ? ["-D", l.logFile] : []),
    ...(l.extraArgs ?? []),
  ];
}

/** A QEMU process under gdbstub control. */
export class QemuSession {
  readonly proc: ChildProcess;
  readonly gdb: GdbClient;
  readonly layout: RegLayout;
  /** Exit status once QEMU has exited (isa-debug-exit: (v << 1) | 1), else null. */
  exitCode: number | null = null;
  private readonly exited: Promise<number>;
  stderr = "";

  private constructor(proc: ChildProcess, gdb: GdbClient, layout: RegLayout, exited: Promise<number>) {
    this.proc = proc;
    this.gdb = gdb;
    this.layout = layout;
    this.exited = exited;
  }

  /**
   * Start QEMU and connect. `beforeConnect` runs after the spawn and before the gdb
   * connection (open a FIFO reader there: QEMU opens its -D file before listening).
   */
  static async start(l: QemuLaunch, beforeConnect?: () => void): Promise<QemuSession> {
    const qemu = l.qemu ?? "qemu-system-i386";
    let lastErr: unknown = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const proc = spawn(qemu, qemuCommandLine(l, port), { stdio: ["ignore", "ignore", "pipe"] });
      // Never leave QEMU behind (it would block on the log FIFO forever).
      const reap = (): void => {
        if (proc.exitCode === null) proc.kill("SIGKILL");
      };
      process.once("exit", reap);
      proc.once("exit", () => {
        process.off("exit", reap);
      });
      let stderr = "";
      proc.stderr?.setEncoding("utf8");
      proc.stderr?.on("data", (d: string) => (stderr += d));
      const exited = new Promise<number>((resolve) => {
        proc.on("exit", (code, sig) => {
          resolve(code ?? (sig !== null ? -1 : -1));
        });
        proc.on("error", () => {
          resolve(-1);
        });
      });
      if (attempt === 0) beforeConnect?.();
      try {
        const gdb = await Promise.race([
          GdbClient.connect("127.0.0.1", port),
          exited.then((c) => {
            throw new GdbError(`${qemu} exited with status ${c} before its gdbstub answered: ${stderr.trim()}`);
          }),
        ]);
        const features = await gdb.handshake();
        let layout = fallbackI386Layout();
        if (features.includes("qXfer:features:read+")) {
          const top = await gdb.qXfer("features", "target.xml");
          const texts = [top];
          for (const m of top.matchAll(/<xi:include\s+href="([^"]+)"/g)) texts.push(await gdb.qXfer("features", m[1]));
          const parsed = parseTargetXml(texts);
          if (parsed.slots.has("eip") && parsed.slots.has("eflags")) layout = parsed;
        }
        const s = new QemuSession(proc, gdb, layout, exited);
        void exited.then((c) => {
          s.exitCode = c;
          s.stderr = stderr;
        });
        return s;
      } catch (e) {
        lastErr = e;
        proc.kill("SIGKILL");
        if (proc.exitCode !== null || !(e instanceof GdbError) || !e.message.includes("cannot connect")) throw e;
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  /** Run until the `hits`-th time `addr` is reached (hardware breakpoint) and stop there. */
  async runTo(addr: number, hits = 1): Promise<void> {
    const a = (addr >>> 0).toString(16);
    await this.gdb.requestOk(`Z1,${a},1`);
    for (let k = 0; k < hits; k++) {
      const r = await this.gdb.request("c");
      if (!r.startsWith("T") && !r.startsWith("S")) throw new GdbError(`QEMU did not reach 0x${a} (hit ${k + 1} of ${hits}): stop reply ${r}`);
    }
    await this.gdb.requestOk(`z1,${a},1`);
  }

  /** Run to `entry` (hardware breakpoint) and stop there. Checks the multiboot magic. */
  async runToEntry(entry: number): Promise<void> {
    const a = (entry >>> 0).toString(16);
    await this.gdb.requestOk(`Z1,${a},1`);
    for (let k = 0; k < 4; k++) {
      const r = await this.gdb.request("c");
      if (!r.startsWith("T") && !r.startsWith("S")) throw new GdbError(`QEMU did not reach the entry point 0x${a}: stop reply ${r}`);
      const st = await this.readRegs();
      if (st.eip === entry && st.gpr[0] === 0x2badb002) break;
    }
    await this.gdb.requestOk(`z1,${a},1`);
  }

  /** Read GPRs, EIP, EFLAGS, selectors, CR0-4, EFER and x87 through `g`. */
  async readRegs(out = new ArchState()): Promise<ArchState> {
    const r = await this.gdb.request("g");
    if (r.startsWith("E") || r.length < 2 * 40) throw new GdbError(`register read failed: ${r.slice(0, 16)}`);
    decodeG(r, this.layout, out);
    return out;
  }

  /** The full dump of `info registers` (segment caches, descriptor tables). */
  async infoRegisters(): Promise<ArchState> {
    const text = await this.gdb.monitor("info registers");
    const st = parseDump(text);
    if (st === null) throw new GdbError(`cannot parse "info registers" output: ${text.slice(0, 200)}`);
    return st;
  }

  /** Guest RAM (physical, `bytes` long) through the monitor's pmemsave into a temporary file. */
  async readRam(bytes: number): Promise<Uint8Array> {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-ram-"));
    const f = join(dir, "ram.bin");
    try {
      const out = await this.gdb.monitor(`pmemsave 0 ${bytes} "${f}"`);
      if (out.trim() !== "") throw new GdbError(`pmemsave failed: ${out.trim()}`);
      return new Uint8Array(readFileSync(f));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Wait for QEMU to exit (up to `ms`), then kill it. Returns the exit status. */
  async finish(ms = 2000): Promise<number> {
    const t = new Promise<number>((r) => {
      setTimeout(() => {
        r(-2);
      }, ms);
    });
    const c = await Promise.race([this.exited, t]);
    if (c === -2) {
      this.proc.kill("SIGKILL");
      return -1;
    }
    return c;
  }

  /** Kill QEMU and close the connection. */
  kill(): void {
    this.gdb.close();
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}

function le32(hex: string, off: number): number {
  const p = off * 2;
  return parseInt(hex.slice(p + 6, p + 8) + hex.slice(p + 4, p + 6) + hex.slice(p + 2, p + 4) + hex.slice(p, p + 2), 16) | 0;
}

/** Decode a `g` reply into `out` by register name. */
export function decodeG(hex: string, layout: RegLayout, out: ArchState): void {
  const get = (name: string): number => {
    const s = layout.slots.get(name);
    if (s === undefined || (s.offset + 4) * 2 > hex.length) return 0;
    return le32(hex, s.offset);
  };
  const gprs = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
  for (let k = 0; k < 8; k++) out.gpr[k] = get(gprs[k]);
  out.eip = get("eip");
  out.eflags = get("eflags");
  const segs = ["es", "cs", "ss", "ds", "fs", "gs"];
  for (let k = 0; k < 6; k++) out.sel[k] = get(segs[k]) & 0xffff;
  out.hasCaches = false;
  out.hasTables = false;
  if (layout.slots.has("cr0")) {
    out.cr0 = get("cr0");
    out.cr2 = get("cr2");
    out.cr3 = get("cr3");
    out.cr4 = get("cr4");
    out.efer = get("efer");
    out.hasCr = true;
  }
  const st0 = layout.slots.get("st0");
  if (st0 !== undefined && (st0.offset + 80) * 2 <= hex.length) {
    for (let k = 0; k < 80; k++) out.st[k] = parseInt(hex.slice((st0.offset + k) * 2, (st0.offset + k) * 2 + 2), 16);
    out.fcw = get("fctrl") & 0xffff;
    out.fsw = get("fstat") & 0xffff;
    out.ftw = get("ftag") & 0xffff;
    // QEMU's stub does not report the tag word (nor say which st slots are live): the
    // x87 part is informational only in gdb mode.
    out.hasX87 = false;
  }
}
