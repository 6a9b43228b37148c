import { spawn, spawnSync } from "node:child_process";

/** What a guest run under QEMU produced. */
export interface QemuRun {
  /** Everything the guest wrote to the debug console (port 0xE9). */
  output: string;
  /**
   * QEMU's exit status: (v << 1) | 1 after the guest writes v to isa-debug-exit at 0xF4,
   * so 1 means PASS and 3 means FAIL. -1 when QEMU was killed by the timeout or a signal.
   */
  status: number;
}

/** Options for {@link runUnderQemu}. */
export interface QemuOptions {
  /** Kill QEMU after this many milliseconds (default 20000). */
  timeoutMs?: number;
  /** QEMU binary (default `qemu-system-i386`). */
  qemu?: string;
  /** Extra QEMU arguments, e.g. `["-cpu", "pentium3"]`. */
  extraArgs?: string[];
}

/** The QEMU command line used for every guest: debugcon on stdout, exit device at 0xF4. */
export function qemuArgs(elfPath: string, extraArgs: string[] = []): string[] {
  return [
    "-kernel", elfPath,
    "-display", "none",
    "-debugcon", "stdio",
    "-serial", "none",
    "-monitor", "none",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
    "-no-reboot",
    ...extraArgs,
  ];
}

/** True when `qemu-system-i386` (or the given binary) can be started. */
export function qemuAvailable(qemu = "qemu-system-i386"): boolean {
  const r = spawnSync(qemu, ["--version"], { stdio: "ignore" });
  return r.status === 0;
}

/** Runs a multiboot guest under QEMU TCG and collects its debug-console output. */
export function runUnderQemu(elfPath: string, options: QemuOptions = {}): Promise<QemuRun> {
  const { timeoutMs = 20_000, qemu = "qemu-system-i386", extraArgs = [] } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, qemuArgs(elfPath, extraArgs), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${qemu} for ${elfPath}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      let output = Buffer.concat(out).toString("latin1");
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (stderr && code !== 1 && code !== 3) output += `\n[qemu stderr] ${stderr}`;
      resolve({ output, status: code ?? -1 });
    });
  });
}

/** The last non-empty line of a guest's output (its RESULT line when it finished). */
export function lastLine(output: string): string {
  const lines = output.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.at(-1) ?? "";
}
