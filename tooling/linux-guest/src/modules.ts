/**
 * Kernel modules of an unpacked kernel package: read each module's `.modinfo` section
 * (NUL-separated `key=value` strings; `depends=` names the modules it needs), resolve the
 * closure of a wanted set, order it for loading, and write `modules.dep` for the subset.
 *
 * We write modules.dep ourselves rather than run `depmod -b`: Debian's kmod need not be
 * installed, and only the few modules placed in the initramfs need entries. Format (as
 * kmod writes it): `kernel/path/a.ko: kernel/path/b.ko kernel/path/c.ko`, paths relative to
 * /lib/modules/<release>/, listing every transitive dependency with the ones loaded first
 * at the end (modprobe loads the list back to front, then the module itself).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

/** A module file in a tree, or a problem with one; the message names the module. */
export class ModuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModuleError";
  }
}

/** Kernel module names treat '-' and '_' alike; this is the canonical (underscore) form. */
export function normaliseModuleName(name: string): string {
  return name.replace(/-/g, "_");
}

/** The module name a file stands for: `virtio-rng.ko.xz` → `virtio_rng`. */
export function moduleNameOfFile(file: string): string | null {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const m = /^(.*)\.ko(\.xz|\.zst|\.gz)?$/.exec(base);
  return m === null ? null : normaliseModuleName(m[1]);
}

/** Decompress a `.ko.xz` with xz-utils' `xz -dc` (node has no xz codec); other files are returned as is. */
export function readModuleFile(path: string): Uint8Array {
  if (path.endsWith(".ko")) return readFileSync(path);
  if (path.endsWith(".ko.xz")) {
    try {
      return execFileSync("xz", ["-dc", path], { maxBuffer: 256 << 20 });
    } catch (e) {
      throw new ModuleError(`cannot decompress ${path} with "xz -dc" (install Debian's xz-utils): ${(e as Error).message}`);
    }
  }
  throw new ModuleError(`${path}: unsupported module compression (only .ko and .ko.xz are handled)`);
}

/**
 * The `.modinfo` strings of a module image (ELF32 or ELF64, either byte order).
 * Returns key → values (a key such as `alias` may repeat).
 */
export function readModinfo(image: Uint8Array, what = "module"): Map<string, string[]> {
  if (image.length < 52 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) {
    throw new ModuleError(`${what}: not an ELF file`);
  }
  const is64 = image[4] === 2;
  const le = image[5] === 1;
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, le);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const addr = (o: number): number => (is64 ? Number(dv.getBigUint64(o, le)) : u32(o));
  const shoff = is64 ? addr(0x28) : u32(0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shoff + shnum * shentsize > image.length || shstrndx >= shnum) {
    throw new ModuleError(`${what}: ELF section header table (offset ${shoff}, ${shnum} entries) is out of range`);
  }
  const section = (i: number): { name: number; offset: number; size: number } => {
    const s = shoff + i * shentsize;
    return is64
      ? { name: u32(s), offset: addr(s + 0x18), size: addr(s + 0x20) }
      : { name: u32(s), offset: u32(s + 0x10), size: u32(s + 0x14) };
  };
  const strtab = section(shstrndx);
  const latin1 = new TextDecoder("latin1");
  const nameAt = (o: number): string => {
    const start = strtab.offset + o;
    let end = start;
    while (end < image.length && image[end] !== 0) end++;
    return latin1.decode(image.subarray(start, end));
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (nameAt(s.name) !== ".modinfo") continue;
    if (s.offset + s.size > image.length) throw new ModuleError(`${what}: .modinfo section runs past the end of the file`);
    const info = new Map<string, string[]>();
    for (const str of latin1.decode(image.subarray(s.offset, s.offset + s.size)).split("\0")) {
      const eq = str.indexOf("=");
      if (eq <= 0) continue;
      const key = str.slice(0, eq);
      const list = info.get(key);
      if (list === undefined) info.set(key, [str.slice(eq + 1)]);
      else list.push(str.slice(eq + 1));
    }
    return info;
  }
  throw new ModuleError(`${what}: no .modinfo section`);
}

/** One module of a tree. */
export interface ModuleInfo {
  /** Canonical name (underscores). */
  name: string;
  /** Path relative to the release directory, as in the package (`kernel/drivers/…/x.ko[.xz]`). */
  file: string;
  /** The same path with any compression suffix removed (what the initramfs holds). */
  plainFile: string;
  /** Canonical names from `depends=`. */
  depends: string[];
}

/**
 * The modules of one kernel release directory (`…/lib/modules/<release>`): file names are
 * indexed eagerly, `.modinfo` is read only for modules a resolution touches.
 */
export class ModuleTree {
  /** Canonical name → path relative to the release directory. */
  readonly files = new Map<string, string>();
  /** Canonical names of modules built into the kernel (from modules.builtin). */
  readonly builtin = new Set<string>();
  private readonly infos = new Map<string, ModuleInfo>();

  /** Index `releaseDir` (throws if it has no `kernel/` directory). */
  constructor(readonly releaseDir: string) {
    const kernelDir = join(releaseDir, "kernel");
    if (!existsSync(kernelDir)) throw new ModuleError(`${releaseDir}: no kernel/ directory of modules`);
    const walk = (rel: string): void => {
      for (const d of readdirSync(join(releaseDir, rel), { withFileTypes: true })) {
        const r = `${rel}/${d.name}`;
        if (d.isDirectory()) walk(r);
        else {
          const name = moduleNameOfFile(d.name);
          if (name !== null && !this.files.has(name)) this.files.set(name, r);
        }
      }
    };
    walk("kernel");
    const builtinFile = join(releaseDir, "modules.builtin");
    if (existsSync(builtinFile)) {
      for (const line of readFileSync(builtinFile, "utf8").split("\n")) {
        const name = moduleNameOfFile(line.trim());
        if (name !== null) this.builtin.add(name);
      }
    }
  }

  /** The module `name` (any spelling), reading its .modinfo on first use; null if the tree lacks it. */
  info(name: string): ModuleInfo | null {
    const canon = normaliseModuleName(name);
    const cached = this.infos.get(canon);
    if (cached !== undefined) return cached;
    const file = this.files.get(canon);
    if (file === undefined) return null;
    const modinfo = readModinfo(readModuleFile(join(this.releaseDir, file)), file);
    const deps = (modinfo.get("depends") ?? [])
      .flatMap((d) => d.split(","))
      .map((d) => d.trim())
      .filter((d) => d !== "")
      .map(normaliseModuleName);
    const info: ModuleInfo = { name: canon, file, plainFile: file.replace(/\.ko\.(xz|zst|gz)$/, ".ko"), depends: deps };
    this.infos.set(canon, info);
    return info;
  }
}

/** The outcome of {@link resolveModules}. */
export interface ModuleResolution {
  /** Modules in load order: every module after all of its dependencies. */
  load: ModuleInfo[];
  /** Wanted modules that are built into this kernel (nothing to load). */
  builtin: string[];
}

/**
 * The closure of `wanted` under `depends=`, in a load order (dependencies first; ties keep
 * the order of `wanted`). A wanted module that is built in is reported, not loaded; a
 * missing module or a dependency cycle throws, naming the chain.
 */
export function resolveModules(tree: ModuleTree, wanted: readonly string[]): ModuleResolution {
  const load: ModuleInfo[] = [];
  const builtin: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, chain: string[]): void => {
    const canon = normaliseModuleName(name);
    const st = state.get(canon);
    if (st === "done") return;
    if (st === "visiting") throw new ModuleError(`module dependency cycle: ${[...chain, canon].join(" -> ")}`);
    const info = tree.info(canon);
    if (info === null) {
      if (tree.builtin.has(canon)) {
        state.set(canon, "done");
        if (chain.length === 0) builtin.push(canon);
        return;
      }
      const via = chain.length > 0 ? ` (needed by ${chain.join(" -> ")})` : "";
      throw new ModuleError(`module ${canon}${via} is neither in ${tree.releaseDir}/kernel nor in modules.builtin`);
    }
    state.set(canon, "visiting");
    for (const d of info.depends) visit(d, [...chain, canon]);
    state.set(canon, "done");
    load.push(info);
  };
  for (const w of wanted) visit(w, []);
  return { load, builtin };
}

/**
 * modules.dep text for `mods` (each must have its dependencies in `mods` or built in):
 * one line per module, dependencies transitively, nearest first and the base modules last.
 */
export function formatModulesDep(mods: readonly ModuleInfo[]): string {
  const byName = new Map(mods.map((m) => [m.name, m]));
  const order = new Map(mods.map((m, i) => [m.name, i]));
  let text = "";
  for (const m of mods) {
    const closure = new Set<string>();
    const add = (n: string): void => {
      const d = byName.get(n);
      if (d === undefined || closure.has(n)) return;
      closure.add(n);
      for (const x of d.depends) add(x);
    };
    for (const d of m.depends) add(d);
    // Reverse load order: modprobe walks the list from its end.
    const deps = [...closure].sort((a, b) => (order.get(b) ?? 0) - (order.get(a) ?? 0)).map((n) => byName.get(n)?.plainFile ?? n);
    text += `${m.plainFile}:${deps.length > 0 ? " " + deps.join(" ") : ""}\n`;
  }
  return text;
}
