/**
 * ensureLinuxGuest: the Debian 12 i386 kernel and a flavour's initramfs, downloaded and
 * built once into the user's cache directory and reused afterwards.
 *
 * Cache layout (`<cache>` = `$XDG_CACHE_HOME/virtkit` or `~/.cache/virtkit`):
 *   debs/*.deb                           the packages as downloaded
 *   linux/unpacked/<package>_<version>/  `dpkg -x` of each package
 *   linux/vmlinuz-<release>              the bzImage (release e.g. 6.1.0-50-686-pae)
 *   linux/initramfs-<flavour>.cpio.gz    one per flavour
 *   linux/manifest.json                  what the files above were made from
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { aptCacheDepends, aptDownload, aptUpdate, debExtract, debField, DebianError, ensureI386, kernelPackageFromDepends, type Log } from "./debian.js";
import { LINUX_FLAVOURS, type LinuxFlavour } from "./flavours.js";
import { buildInitramfs } from "./initramfs.js";

/** The Debian kernel flavour used by every monitor (PAE, so Xen PV and NX work). */
export const KERNEL_FLAVOUR = "686-pae";
/** The kernel meta package that tracks the current ABI. */
export const KERNEL_META_PACKAGE = `linux-image-${KERNEL_FLAVOUR}:i386`;
/** The busybox package (statically linked, so the initramfs needs no libc). */
export const BUSYBOX_PACKAGE = "busybox-static:i386";

/** Options of {@link ensureLinuxGuest}. */
export interface EnsureLinuxGuestOptions {
  /** Which monitor's modules the initramfs carries. */
  flavour: LinuxFlavour;
  /** Download and rebuild even if the cache is complete. */
  force?: boolean;
  /** Never run apt: use the cache or fail (default false). */
  offline?: boolean;
  /** Cache root (default {@link defaultCacheDir}). */
  cacheDir?: string;
  /** Progress lines (default: none). */
  log?: Log;
}

/** A ready guest: files to hand to the bzImage loader. */
export interface LinuxGuest {
  /** Path of the bzImage. */
  kernel: string;
  /** Path of the gzip newc initramfs for the flavour. */
  initramfs: string;
  /** Kernel release (`uname -r`), e.g. "6.1.0-50-686-pae". */
  version: string;
  /** Debian version of the kernel package, e.g. "6.1.176-1". */
  packageVersion: string;
  /** Modules /init loads, in order (paths under /lib/modules/<release>). */
  modules: string[];
  /** Whether anything was downloaded or built by this call. */
  built: boolean;
}

interface FlavourRecord {
  initramfs: string;
  modules: string[];
  builtin: string[];
}

interface Manifest {
  format: 1;
  kernelPackage: string;
  kernelPackageVersion: string;
  release: string;
  busyboxPackageVersion: string;
  kernelRoot: string;
  busyboxRoot: string;
  kernel: string;
  flavours: Partial<Record<LinuxFlavour, FlavourRecord>>;
}

/** `$XDG_CACHE_HOME/virtkit`, or `~/.cache/virtkit` when XDG_CACHE_HOME is unset or not absolute. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "virtkit");
}

/** The directory holding the kernel, initramfs images and manifest under a cache root. */
export function linuxCacheDir(cacheDir = defaultCacheDir()): string {
  return join(cacheDir, "linux");
}

function readManifest(dir: string): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    return m.format === 1 ? m : null;
  } catch {
    return null;
  }
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

function result(m: Manifest, f: FlavourRecord, built: boolean): LinuxGuest {
  return { kernel: m.kernel, initramfs: f.initramfs, version: m.release, packageVersion: m.kernelPackageVersion, modules: f.modules, built };
}

/** Download the kernel and busybox packages and unpack them; returns a manifest without flavours. */
function fetchPackages(cacheDir: string, log: Log): Manifest {
  const linuxDir = linuxCacheDir(cacheDir);
  const debDir = join(cacheDir, "debs");
  ensureI386(log);
  aptUpdate(log);
  const meta = aptDownload(KERNEL_META_PACKAGE, debDir, log);
  let kernelPkg = kernelPackageFromDepends(debField(meta, "Depends"), KERNEL_FLAVOUR);
  if (kernelPkg === null) kernelPkg = kernelPackageFromDepends(aptCacheDepends(KERNEL_META_PACKAGE), KERNEL_FLAVOUR);
  if (kernelPkg === null) throw new DebianError(`cannot find the linux-image-<abi>-${KERNEL_FLAVOUR} package ${KERNEL_META_PACKAGE} depends on`);
  log(`${KERNEL_META_PACKAGE} depends on ${kernelPkg}`);
  const kernelDeb = aptDownload(`${kernelPkg}:i386`, debDir, log);
  const busyboxDeb = aptDownload(BUSYBOX_PACKAGE, debDir, log);
  const kernelVersion = debField(kernelDeb, "Version");
  const busyboxVersion = debField(busyboxDeb, "Version");
  const release = kernelPkg.replace(/^linux-image-/, "");
  const kernelRoot = join(linuxDir, "unpacked", `${kernelPkg}_${kernelVersion}`);
  const busyboxRoot = join(linuxDir, "unpacked", `busybox-static_${busyboxVersion.replace(/:/g, "%3a")}`);
  debExtract(kernelDeb, kernelRoot, log);
  debExtract(busyboxDeb, busyboxRoot, log);
  const vmlinuz = join(kernelRoot, "boot", `vmlinuz-${release}`);
  if (!existsSync(vmlinuz)) throw new DebianError(`${kernelDeb} has no boot/vmlinuz-${release}`);
  if (!existsSync(join(kernelRoot, "lib", "modules", release))) throw new DebianError(`${kernelDeb} has no lib/modules/${release}`);
  const kernel = join(linuxDir, `vmlinuz-${release}`);
  copyFileSync(vmlinuz, `${kernel}.tmp`);
  renameSync(`${kernel}.tmp`, kernel);
  return {
    format: 1,
    kernelPackage: kernelPkg,
    kernelPackageVersion: kernelVersion,
    release,
    busyboxPackageVersion: busyboxVersion,
    kernelRoot,
    busyboxRoot,
    kernel,
    flavours: {},
  };
}

/**
 * Return the kernel and the flavour's initramfs, downloading (Debian's apt-get, as root
 * for the first run) and building what the cache lacks. Idempotent: a complete cache is
 * returned without running apt; `force` downloads and rebuilds everything.
 */
export function ensureLinuxGuest(opts: EnsureLinuxGuestOptions): LinuxGuest {
  const log: Log = opts.log ?? (() => undefined);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const linuxDir = linuxCacheDir(cacheDir);
  const flavour = opts.flavour;
  if (!Object.hasOwn(LINUX_FLAVOURS, flavour)) throw new RangeError(`unknown Linux guest flavour "${flavour}" (known: ${Object.keys(LINUX_FLAVOURS).join(", ")})`);
  mkdirSync(linuxDir, { recursive: true });
  let manifest = opts.force === true ? null : readManifest(linuxDir);
  const unpackedOk = (m: Manifest): boolean => existsSync(m.kernel) && existsSync(m.kernelRoot) && existsSync(join(m.busyboxRoot, "bin", "busybox"));
  if (manifest !== null) {
    const f = manifest.flavours[flavour];
    if (f !== undefined && existsSync(manifest.kernel) && existsSync(f.initramfs)) return result(manifest, f, false);
    if (!unpackedOk(manifest)) manifest = null;
  }
  if (manifest === null) {
    if (opts.offline === true) throw new DebianError(`no cached Linux guest in ${linuxDir} and offline is set (run npm run guests:linux once)`);
    manifest = fetchPackages(cacheDir, log);
  }
  log(`building the ${flavour} initramfs for ${manifest.release}`);
  const img = buildInitramfs({
    flavour,
    release: manifest.release,
    busybox: readFileSync(join(manifest.busyboxRoot, "bin", "busybox")),
    modulesDir: join(manifest.kernelRoot, "lib", "modules", manifest.release),
  });
  const initramfs = join(linuxDir, `initramfs-${flavour}.cpio.gz`);
  writeAtomic(initramfs, img.gz);
  if (img.modules.builtin.length > 0) log(`built into the kernel (not loaded): ${img.modules.builtin.join(", ")}`);
  log(`initramfs: ${img.modules.load.length} modules, ${img.cpioBytes} bytes of cpio, ${statSync(initramfs).size} bytes gzipped`);
  const record: FlavourRecord = { initramfs, modules: img.modules.load.map((m) => m.plainFile), builtin: img.modules.builtin };
  manifest.flavours[flavour] = record;
  writeAtomic(join(linuxDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return result(manifest, record, true);
}
