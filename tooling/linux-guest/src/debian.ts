/**
 * The Debian side: make i386 a foreign architecture, refresh the package indices, download
 * i386 packages with `apt-get download` and unpack them with `dpkg -x`. Only Debian's own
 * clients are used, so the machine's configured mirrors and keys apply.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** A step of the Debian download/unpack failed; the message names the command and package. */
export class DebianError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DebianError";
  }
}

/** Where progress lines go. */
export type Log = (line: string) => void;

interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], cwd?: string): RunResult {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: "C" } });
  if (r.error !== undefined) throw new DebianError(`cannot run ${cmd}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function runOk(cmd: string, args: readonly string[], cwd?: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new DebianError(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Make sure dpkg/apt know the i386 architecture (adds it as root; explains what to run otherwise). */
export function ensureI386(log: Log): void {
  const native = runOk("dpkg", ["--print-architecture"]).trim();
  if (native === "i386") return;
  const foreign = runOk("dpkg", ["--print-foreign-architectures"]).split(/\s+/);
  if (foreign.includes("i386")) return;
  if (!isRoot()) {
    throw new DebianError("i386 is not a dpkg architecture on this machine; as root run: dpkg --add-architecture i386 && apt-get update");
  }
  log("adding i386 as a foreign dpkg architecture");
  runOk("dpkg", ["--add-architecture", "i386"]);
}

/**
 * `apt-get update` (as root; skipped otherwise). A non-zero exit is tolerated: while a
 * foreign architecture's index is mid-sync apt reports failure for the whole run although
 * the indices we need are fine. Callers check the packages they need instead.
 */
export function aptUpdate(log: Log): void {
  if (!isRoot()) {
    log("not root: skipping apt-get update (the i386 package indices must already be present)");
    return;
  }
  log("apt-get update");
  const r = run("apt-get", ["update"]);
  if (r.status !== 0) {
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("E:") || l.startsWith("W:")).slice(0, 3).join(" | ");
    log(`apt-get update exited ${r.status} (tolerated; checking the packages instead): ${errors}`);
  }
}

/** The candidate version apt would download for `pkg` (e.g. "linux-image-686-pae:i386"), or null. */
export function candidateVersion(pkg: string): string | null {
  const r = run("apt-cache", ["policy", pkg]);
  if (r.status !== 0) return null;
  const m = /^\s*Candidate:\s*(\S+)/m.exec(r.stdout);
  return m === null || m[1] === "(none)" ? null : m[1];
}

/**
 * The real kernel package a Debian kernel meta package depends on, from either a control
 * `Depends:` field ("linux-image-6.1.0-50-686-pae (= 6.1.176-1)") or `apt-cache depends`
 * output ("  Depends: linux-image-6.1.0-50-686-pae:i386"). Null if there is none.
 */
export function kernelPackageFromDepends(text: string, kernelFlavour = "686-pae"): string | null {
  const re = new RegExp(`\\b(linux-image-\\d+\\.\\d+\\.\\d+-\\d+-${kernelFlavour})(?![\\w.-])`);
  const m = re.exec(text);
  return m === null ? null : m[1];
}

/**
 * `apt-get download pkg` into `dir`; returns the path of the .deb. Downloads into a
 * temporary directory first so that an interrupted download leaves nothing behind.
 */
export function aptDownload(pkg: string, dir: string, log: Log): string {
  if (candidateVersion(pkg) === null) {
    throw new DebianError(`apt has no candidate for ${pkg}: is i386 a foreign architecture and has apt-get update run? (apt-cache policy ${pkg})`);
  }
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, ".download-"));
  try {
    log(`apt-get download ${pkg}`);
    runOk("apt-get", ["download", pkg], tmp);
    const debs = readdirSync(tmp).filter((f) => f.endsWith(".deb"));
    if (debs.length !== 1) throw new DebianError(`apt-get download ${pkg} left ${debs.length} .deb files in ${tmp}`);
    const dest = join(dir, debs[0]);
    renameSync(join(tmp, debs[0]), dest);
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One control field of a .deb (`dpkg-deb -f`). */
export function debField(deb: string, field: string): string {
  return runOk("dpkg-deb", ["-f", deb, field]).trim();
}

/** `dpkg -x deb dir`, into a fresh directory (replaced atomically if it exists). */
export function debExtract(deb: string, dir: string, log: Log): void {
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`dpkg -x ${deb}`);
  runOk("dpkg", ["-x", deb, tmp]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** `apt-cache depends pkg` output (for resolving a meta package without downloading it). */
export function aptCacheDepends(pkg: string): string {
  return runOk("apt-cache", ["depends", pkg]);
}
