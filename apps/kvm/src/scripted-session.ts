/**
 * A scripted serial session: boot a VM with the deterministic clock, type commands at the
 * shell prompt, and report the console log and the outcome as JSON on stdout. Used by the
 * Linux end-to-end test, which runs it in a child process (vitest's module transform slows
 * the CPU's hot path several times over).
 *
 *   node --conditions=@virtkit/source --import tsx src/scripted-session.ts '<json>'
 *   json: { args: string[], ready: string, commands: string[], maxInstructions?: number }
 */
import { VirtualMachine } from "./vmm.js";
import { parseOptions } from "./options.js";

/** Input of a session. */
export interface SessionSpec {
  /** virtkit-kvm arguments (should include -icount for reproducibility). */
  args: string[];
  /** Console text that marks the start of the interactive part. */
  ready: string;
  /** Lines typed, each at the next shell prompt ("# "). */
  commands: string[];
  maxInstructions?: number;
}

/** Output of a session. */
export interface SessionResult {
  log: string;
  reason: string;
  status: number;
  message: string;
  instructions: number;
  exits: number;
  guestNs: number;
  /** Instructions, guest ns and host seconds when `ready` appeared (-1 if never). */
  readyInstructions: number;
  readyNs: number;
  readyHostSeconds: number;
  hostSeconds: number;
}

/** Strip terminal escapes (busybox asks for the cursor position before each prompt). */
export function cleanConsole(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

/** Run a session to its end. */
export function runSession(spec: SessionSpec): SessionResult {
  const cfg = parseOptions(spec.args);
  let out = "";
  const vm = new VirtualMachine(cfg, {
    serial: (b) => { out += Buffer.from(b).toString("latin1"); },
    debug: () => undefined,
  });
  vm.load();
  let next = 0;
  let readyAt = -1;
  let waitFrom = 0;
  let readyInstructions = -1;
  let readyNs = -1;
  let readyHostSeconds = -1;
  const t0 = performance.now();
  const r = vm.runSync(spec.maxInstructions ?? 40e9, () => {
    if (next >= spec.commands.length) return;
    const text = cleanConsole(out);
    if (readyAt < 0) {
      const i = text.indexOf(spec.ready);
      if (i < 0) return;
      readyAt = i;
      waitFrom = i;
      readyInstructions = vm.vcpu.cpu.icount;
      readyNs = vm.vm.clock.now();
      readyHostSeconds = (performance.now() - t0) / 1000;
    }
    // The shell's prompt after everything the previous command printed.
    if (text.indexOf("# ", waitFrom) >= 0) {
      vm.serialInput(Buffer.from(spec.commands[next++] + "\n", "latin1"));
      waitFrom = text.length;
    }
  });
  return {
    log: cleanConsole(out), reason: r.reason, status: r.status, message: r.message, instructions: r.instructions,
    exits: r.exits, guestNs: r.guestNs, readyInstructions, readyNs, readyHostSeconds,
    hostSeconds: (performance.now() - t0) / 1000,
  };
}

const entry = process.argv[1] ?? "";
if (entry.endsWith("scripted-session.ts") && process.argv[2] !== undefined) {
  const spec = JSON.parse(process.argv[2]) as SessionSpec;
  process.stdout.write(JSON.stringify(runSession(spec)) + "\n");
}
