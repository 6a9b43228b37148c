/**
 * QEMU-compatible command-line options for virtkit-kvm. QEMU spells long options with one
 * dash (`-kernel`, `-m`, `-append`), which general-purpose parsers read as bundles of short
 * flags, so this small table-driven parser keeps QEMU's syntax exactly.
 */

/** Parsed configuration of a VM. */
export interface VmConfig {
  /** bzImage or multiboot ELF. */
  kernel: string | null;
  initrd: string | null;
  append: string;
  /** Guest RAM in MiB. */
  memoryMiB: number;
  /** Where the first serial port goes. */
  serial: "stdio" | "none" | { file: string };
  /** Where the debug console (port 0xE9) goes. */
  debugcon: "stdio" | "none" | { file: string };
  /** isa-debug-exit device, if configured. */
  debugExit: { iobase: number; iosize: number } | null;
  /** -no-reboot: a guest reset ends the VM instead. */
  noReboot: boolean;
  /** -nographic (implies -serial stdio when no serial was given). */
  nographic: boolean;
  /** Deterministic clock: virtual time advances with retired instructions (-icount). */
  icount: { shift: number } | null;
  /** -d tracing categories (e.g. "exits", "cpu_reset", "guest_errors"). */
  trace: string[];
  /** -D: trace output file. */
  traceFile: string | null;
  /** Number of vCPUs (-smp). */
  cpus: number;
}

/** A command-line problem; the message names the option. */
export class OptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OptionError";
  }
}

/** Options taking one argument. */
const WITH_ARG = new Set([
  "kernel", "initrd", "append", "m", "serial", "debugcon", "device", "icount", "d", "D", "smp",
  "display", "monitor", "accel", "machine", "cpu",
]);
/** Options without argument. */
const FLAGS = new Set(["nographic", "no-reboot", "S", "help", "version"]);

/** Parse a QEMU-style size: "256", "256M", "1G", "512k" → MiB. */
export function parseMemory(v: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v.trim());
  if (m === null) throw new OptionError(`-m: cannot parse memory size '${v}' (examples: 256, 256M, 1G)`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const mib = unit === "g" ? n * 1024 : unit === "k" ? n / 1024 : n;
  if (!Number.isInteger(mib) || mib < 2) throw new OptionError(`-m: ${v} is too small or not a whole number of MiB (at least 2 MiB)`);
  if (mib > 3072) throw new OptionError(`-m: ${v} is more than this 32-bit PC board supports (3072 MiB below the PCI hole)`);
  return mib;
}

function parseChardev(opt: string, v: string): "stdio" | "none" | { file: string } {
  if (v === "stdio" || v === "mon:stdio") return "stdio";
  if (v === "none" || v === "null") return "none";
  if (v.startsWith("file:")) return { file: v.slice(5) };
  throw new OptionError(`-${opt}: unsupported character device '${v}' (use stdio, none or file:PATH)`);
}

/** Parse a number as QEMU does (0x prefix allowed). */
function parseNum(opt: string, key: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`-${opt}: ${key}=${v} is not a number`);
  return n;
}

/** Parse argv (without node and script). */
export function parseOptions(argv: readonly string[]): VmConfig & { help: boolean; version: boolean } {
  const cfg: VmConfig & { help: boolean; version: boolean } = {
    kernel: null, initrd: null, append: "", memoryMiB: 128, serial: "none", debugcon: "none",
    debugExit: null, noReboot: false, nographic: false, icount: null, trace: [], traceFile: null, cpus: 1,
    help: false, version: false,
  };
  let serialGiven = false;
  for (let k = 0; k < argv.length; k++) {
    const raw = argv[k];
    if (!raw.startsWith("-")) throw new OptionError(`unexpected argument '${raw}' (options start with '-', e.g. -kernel FILE)`);
    const name = raw.replace(/^--?/, "");
    if (FLAGS.has(name)) {
      if (name === "nographic") cfg.nographic = true;
      else if (name === "no-reboot") cfg.noReboot = true;
      else if (name === "help") cfg.help = true;
      else if (name === "version") cfg.version = true;
      else throw new OptionError(`-${name} is not supported by virtkit-kvm`);
      continue;
    }
    if (!WITH_ARG.has(name)) throw new OptionError(`unknown option '${raw}' (see -help)`);
    const v = argv[++k];
    if (v === undefined) throw new OptionError(`-${name} needs an argument`);
    switch (name) {
      case "kernel": cfg.kernel = v; break;
      case "initrd": cfg.initrd = v; break;
      case "append": cfg.append = v; break;
      case "m": cfg.memoryMiB = parseMemory(v.replace(/^size=/, "")); break;
      case "serial": cfg.serial = parseChardev(name, v); serialGiven = true; break;
      case "debugcon": cfg.debugcon = parseChardev(name, v); break;
      case "smp": {
        const n = parseNum(name, "cpus", v.replace(/^cpus=/, "").split(",")[0]);
        if (n !== 1) throw new OptionError(`-smp ${v}: this version runs one vCPU`);
        cfg.cpus = 1;
        break;
      }
      case "device": {
        const [driver, ...props] = v.split(",");
        if (driver !== "isa-debug-exit") throw new OptionError(`-device ${driver}: unknown device (supported: isa-debug-exit)`);
        const p = new Map(props.map((s) => s.split("=") as [string, string]));
        const iobase = p.has("iobase") ? parseNum(name, "iobase", p.get("iobase") ?? "") : 0x501;
        const iosize = p.has("iosize") ? parseNum(name, "iosize", p.get("iosize") ?? "") : 2;
        if (![1, 2, 4].includes(iosize)) throw new OptionError(`-device isa-debug-exit: iosize=${iosize} must be 1, 2 or 4`);
        cfg.debugExit = { iobase, iosize };
        break;
      }
      case "icount": {
        const s = v.split(",")[0].replace(/^shift=/, "");
        const shift = s === "auto" ? 0 : parseNum(name, "shift", s);
        if (shift > 10) throw new OptionError(`-icount shift=${shift}: at most 10`);
        cfg.icount = { shift };
        break;
      }
      case "d": cfg.trace.push(...v.split(",").filter((s) => s.length > 0)); break;
      case "D": cfg.traceFile = v; break;
      case "display":
        if (v !== "none") throw new OptionError(`-display ${v}: only 'none' (there is no graphics device)`);
        break;
      case "monitor":
        if (v !== "none") throw new OptionError(`-monitor ${v}: no monitor is available; use 'none'`);
        break;
      case "accel":
        if (!/^(kvm|tcg)/.test(v)) throw new OptionError(`-accel ${v}: unknown accelerator`);
        break;
      case "machine": case "cpu":
        break;
      default:
        throw new OptionError(`unknown option '${raw}'`);
    }
  }
  if (cfg.nographic && !serialGiven) cfg.serial = "stdio";
  if (!cfg.help && !cfg.version && cfg.kernel === null) throw new OptionError("no kernel: give -kernel FILE (a bzImage or a multiboot ELF)");
  if (cfg.initrd !== null && cfg.kernel === null) throw new OptionError("-initrd needs -kernel");
  return cfg;
}

/** The text -help prints. */
export const HELP = `usage: virtkit-kvm -kernel FILE [options]

A KVM-style virtual machine monitor: a user-space VMM on virtkit's KVM API.

  -kernel FILE        Linux bzImage or multiboot v1 ELF
  -initrd FILE        initial ramdisk (bzImage kernels)
  -append STRING      kernel command line
  -m SIZE             guest RAM (default 128M; 256, 256M, 1G)
  -serial DEV         first serial port: stdio, none, file:PATH
  -nographic          no display; serial on stdio unless -serial says otherwise
  -debugcon DEV       debug console on port 0xE9: stdio, none, file:PATH
  -device isa-debug-exit,iobase=0xf4,iosize=4
                      writing V to the port ends the VM with status (V << 1) | 1
  -no-reboot          exit instead of rebooting
  -icount shift=N     deterministic clock: virtual time advances 2^N ns per instruction
  -d exits,...        trace VM exits (-D FILE writes the trace there)

On the serial console: Ctrl-A x quits, Ctrl-A h lists the escapes.
`;
