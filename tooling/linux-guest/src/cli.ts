#!/usr/bin/env -S node --conditions=@virtkit/source --import tsx
/**
 * npm run guests:linux [-- --flavour kvm|xen|hyperv|esx|all] [--force] [--offline]
 * Fetch Debian's i386 kernel and busybox (first run as root) and build the initramfs,
 * then print the paths of the kernel and the initramfs.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { ensureLinuxGuest } from "./guest.js";
import { LINUX_FLAVOURS, isLinuxFlavour, type LinuxFlavour } from "./flavours.js";

const { values } = parseArgs({
  options: {
    flavour: { type: "string", default: "kvm" },
    force: { type: "boolean", default: false },
    offline: { type: "boolean", default: false },
    quiet: { type: "boolean", short: "q", default: false },
  },
});
const want = values.flavour;
const flavours: LinuxFlavour[] = want === "all" ? (Object.keys(LINUX_FLAVOURS) as LinuxFlavour[]) : isLinuxFlavour(want) ? [want] : [];
if (flavours.length === 0) {
  process.stderr.write(`guests:linux: unknown flavour "${want}" (kvm, xen, hyperv, esx or all)\n`);
  process.exit(2);
}
const log = values.quiet ? undefined : (line: string): void => void process.stderr.write(`[guests:linux] ${line}\n`);
const t0 = performance.now();
try {
  flavours.forEach((flavour, i) => {
    const g = ensureLinuxGuest({ flavour, force: values.force && i === 0, offline: values.offline, log });
    if (i === 0) process.stdout.write(`kernel ${g.kernel} (${g.version}, Debian ${g.packageVersion}, ${statSync(g.kernel).size} bytes)\n`);
    process.stdout.write(`initramfs-${flavour} ${g.initramfs} (${statSync(g.initramfs).size} bytes, ${g.modules.length} modules${g.built ? "" : ", cached"})\n`);
  });
  log?.(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} catch (e) {
  process.stderr.write(`guests:linux: ${(e as Error).message}\n`);
  process.exit(1);
}
