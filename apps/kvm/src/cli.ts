/**
 * virtkit-kvm: the command line (QEMU's flags where they overlap). Exit status: the guest's
 * isa-debug-exit status when it used one, 0 after a power-off, 1 on errors, 2 for bad usage.
 */
import { createWriteStream } from "node:fs";
import { HELP, OptionError, parseOptions } from "./options.js";
import { VirtualMachine } from "./vmm.js";
import { attachTerminal } from "./console.js";

function main(): Promise<number> | number {
  let cfg;
  try {
    cfg = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof OptionError) {
      process.stderr.write(`virtkit-kvm: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (cfg.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (cfg.version) {
    process.stdout.write("virtkit-kvm 0.1.0\n");
    return 0;
  }
  const out = (dev: typeof cfg.serial): ((b: Uint8Array) => void) => {
    if (dev === "stdio") return (b) => process.stdout.write(b);
    if (dev === "none") return () => undefined;
    const s = createWriteStream(dev.file);
    return (b) => s.write(b);
  };
  let vm: VirtualMachine;
  try {
    vm = new VirtualMachine(cfg, { serial: out(cfg.serial), debug: out(cfg.debugcon) });
    vm.load();
  } catch (e) {
    process.stderr.write(`virtkit-kvm: ${(e as Error).message}\n`);
    return 1;
  }
  if (cfg.trace.includes("exits")) {
    const t = cfg.traceFile !== null ? createWriteStream(cfg.traceFile) : process.stderr;
    vm.trace = (line) => t.write(line + "\n");
  }
  const detach = cfg.serial === "stdio"
    ? attachTerminal({
      input: (b) => { vm.serialInput(b); },
      quit: () => { vm.requestStop("quit", 0, "Ctrl-A x"); },
      message: (t) => process.stdout.write(t),
    })
    : () => undefined;
  const finish = (r: Awaited<ReturnType<VirtualMachine["runAsync"]>>): number => {
    detach();
    if (r.reason === "error") process.stderr.write(`virtkit-kvm: ${r.message}\n`);
    return r.status;
  };
  if (cfg.icount !== null) return finish(vm.runSync());
  return vm.runAsync().then(finish);
}

const r = main();
if (typeof r === "number") process.exit(r);
else void r.then((s) => process.exit(s));
