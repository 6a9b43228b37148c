import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { parseCpio } from "./cpio.js";
import { buildInitramfs, INIT_READY_MARKER, MODULE_LIST_PATH } from "./initramfs.js";
import { kernelPackageFromDepends } from "./debian.js";
import { formatModulesDep, ModuleError, moduleNameOfFile, ModuleTree, readModinfo, resolveModules } from "./modules.js";

/** A minimal relocatable ELF32 (little-endian) with a .modinfo and a .shstrtab section. */
function fakeModule(modinfo: string[]): Uint8Array {
  const enc = new TextEncoder();
  const info = enc.encode(modinfo.map((s) => s + "\0").join(""));
  const shstr = enc.encode("\0.modinfo\0.shstrtab\0");
  const infoOff = 52;
  const shstrOff = infoOff + info.length;
  const shoff = (shstrOff + shstr.length + 3) & ~3;
  const out = new Uint8Array(shoff + 3 * 40);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 1, true); // ET_REL
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true);
  dv.setUint32(32, shoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, 3, true);
  dv.setUint16(50, 2, true);
  out.set(info, infoOff);
  out.set(shstr, shstrOff);
  const sh = (i: number, name: number, type: number, off: number, size: number): void => {
    const b = shoff + i * 40;
    dv.setUint32(b, name, true);
    dv.setUint32(b + 4, type, true);
    dv.setUint32(b + 16, off, true);
    dv.setUint32(b + 20, size, true);
  };
  sh(1, 1, 1, infoOff, info.length);
  sh(2, 10, 3, shstrOff, shstr.length);
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A release directory with modules (relative path → depends list); optional builtins. */
function makeTree(mods: Record<string, string[]>, builtin: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), "virtkit-mods-"));
  dirs.push(root);
  for (const [file, deps] of Object.entries(mods)) {
    const name = moduleNameOfFile(file) ?? "?";
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), fakeModule([`license=GPL`, `depends=${deps.join(",")}`, `name=${name}`, `vermagic=6.1.0 SMP`]));
  }
  writeFileSync(join(root, "modules.builtin"), builtin.map((b) => `${b}\n`).join(""));
  return root;
}

const virtioTree = {
  "kernel/drivers/virtio/virtio.ko": [],
  "kernel/drivers/virtio/virtio_ring.ko": [],
  "kernel/drivers/virtio/virtio_pci_modern_dev.ko": [],
  "kernel/drivers/virtio/virtio_pci.ko": ["virtio_pci_modern_dev", "virtio_ring", "virtio"],
  "kernel/drivers/char/hw_random/virtio-rng.ko": ["virtio_ring", "virtio"],
  "kernel/drivers/net/virtio_net.ko": ["net_failover", "virtio", "virtio_ring"],
  "kernel/drivers/net/net_failover.ko": ["failover"],
  "kernel/net/core/failover.ko": [],
  "kernel/drivers/unrelated/other.ko": ["missing_thing"],
};

describe("readModinfo", () => {
  it("reads key=value strings of the .modinfo section, keeping repeats", () => {
    const info = readModinfo(fakeModule(["alias=a", "alias=b", "depends=x,y", "name=m"]));
    expect(info.get("alias")).toEqual(["a", "b"]);
    expect(info.get("depends")).toEqual(["x,y"]);
  });

  it("names the file when the input is not an ELF module", () => {
    expect(() => readModinfo(new Uint8Array(64), "kernel/x.ko")).toThrow(/kernel\/x\.ko: not an ELF file/);
  });
});

describe("resolveModules", () => {
  it("loads dependencies first and maps '-' file names to '_' module names", () => {
    const tree = new ModuleTree(makeTree(virtioTree));
    const r = resolveModules(tree, ["virtio_pci", "virtio_rng", "virtio-net"]);
    const names = r.load.map((m) => m.name);
    expect(names).toEqual(["virtio_pci_modern_dev", "virtio_ring", "virtio", "virtio_pci", "virtio_rng", "failover", "net_failover", "virtio_net"]);
    for (const [i, m] of r.load.entries()) {
      for (const d of m.depends) expect(names.indexOf(d), `${d} before ${m.name}`).toBeLessThan(i);
    }
    expect(r.load.find((m) => m.name === "virtio_rng")?.file).toBe("kernel/drivers/char/hw_random/virtio-rng.ko");
    expect(r.builtin).toEqual([]);
  });

  it("reports built-in modules instead of loading them", () => {
    const tree = new ModuleTree(makeTree(virtioTree, ["kernel/drivers/block/virtio_blk.ko"]));
    const r = resolveModules(tree, ["virtio_blk", "virtio"]);
    expect(r.builtin).toEqual(["virtio_blk"]);
    expect(r.load.map((m) => m.name)).toEqual(["virtio"]);
  });

  it("names the chain that needs a missing module", () => {
    const tree = new ModuleTree(makeTree(virtioTree));
    expect(() => resolveModules(tree, ["other"])).toThrow(/missing_thing \(needed by other\)/);
    expect(() => resolveModules(tree, ["nope"])).toThrow(ModuleError);
  });

  it("detects dependency cycles", () => {
    const tree = new ModuleTree(makeTree({ "kernel/a.ko": ["b"], "kernel/b.ko": ["c"], "kernel/c.ko": ["a"] }));
    expect(() => resolveModules(tree, ["a"])).toThrow(/cycle: a -> b -> c -> a/);
  });
});

describe("formatModulesDep", () => {
  it("lists every transitive dependency, base modules last", () => {
    const tree = new ModuleTree(makeTree(virtioTree));
    const text = formatModulesDep(resolveModules(tree, ["virtio_net", "virtio_pci"]).load);
    const lines = Object.fromEntries(text.trim().split("\n").map((l) => l.split(":")).map(([k, v]) => [k, v.trim().split(" ").filter((s) => s !== "")]));
    expect(lines["kernel/net/core/failover.ko"]).toEqual([]);
    // Load order: failover, net_failover, virtio, virtio_ring, virtio_net, …; listed in reverse.
    expect(lines["kernel/drivers/net/virtio_net.ko"]).toEqual([
      "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/net/net_failover.ko", "kernel/net/core/failover.ko",
    ]);
    expect(lines["kernel/drivers/virtio/virtio_pci.ko"]).toHaveLength(3);
  });
});

describe("buildInitramfs", () => {
  it("packs busybox, /init, device nodes, the modules and modules.dep", () => {
    const release = "6.1.0-99-686-pae";
    const root = makeTree({
      ...virtioTree,
      "kernel/drivers/block/virtio_blk.ko": ["virtio", "virtio_ring"],
      "kernel/drivers/virtio/virtio_balloon.ko": ["virtio", "virtio_ring"],
    }, ["kernel/drivers/char/virtio_console.ko"]);
    const img = buildInitramfs({ flavour: "kvm", release, busybox: new Uint8Array([1, 2, 3]), modulesDir: root });
    expect(img.modules.builtin).toEqual(["virtio_console"]);
    expect(img.modules.load.map((m) => m.name)).toEqual([
      "virtio_pci_modern_dev", "virtio_ring", "virtio", "virtio_pci", "virtio_blk", "failover", "net_failover", "virtio_net", "virtio_rng", "virtio_balloon",
    ]);
    const members = new Map(parseCpio(gunzipSync(img.gz)).map((e) => [e.path, e]));
    expect(members.get("dev/console")).toMatchObject({ kind: "char", major: 5, minor: 1 });
    expect(members.get("bin/busybox")?.perm).toBe(0o755);
    const init = new TextDecoder().decode(members.get("init")?.data);
    expect(init.startsWith("#!/bin/busybox sh\n")).toBe(true);
    expect(init).toContain("--install -s");
    expect(init).toContain(INIT_READY_MARKER);
    expect(init).toContain("setsid cttyhack sh");
    const list = new TextDecoder().decode(members.get(MODULE_LIST_PATH)?.data).trim().split("\n");
    for (const f of list) expect(members.has(`lib/modules/${release}/${f}`), f).toBe(true);
    expect(members.has(`lib/modules/${release}/modules.dep`)).toBe(true);
  }, 30_000);
});

describe("kernelPackageFromDepends", () => {
  it("finds the ABI package in a control field and in apt-cache output", () => {
    expect(kernelPackageFromDepends("linux-image-6.1.0-50-686-pae (= 6.1.176-1)")).toBe("linux-image-6.1.0-50-686-pae");
    expect(kernelPackageFromDepends("linux-image-686-pae:i386\n  Depends: linux-image-6.1.0-50-686-pae:i386\n")).toBe("linux-image-6.1.0-50-686-pae");
    expect(kernelPackageFromDepends("linux-image-6.1.0-50-686-pae (= 6.1.176-1)", "686")).toBeNull();
    expect(kernelPackageFromDepends("linux-image-6.1.0-50-686 (= 6.1.176-1)", "686")).toBe("linux-image-6.1.0-50-686");
  });
});

// Keep the test honest about its prerequisite: the fake modules must parse as ELF.
it("fake modules are well-formed for readelf when binutils is installed", () => {
  const dir = mkdtempSync(join(tmpdir(), "virtkit-elf-"));
  dirs.push(dir);
  const f = join(dir, "m.ko");
  writeFileSync(f, fakeModule(["depends=a"]));
  const r = spawnSync("readelf", ["-p", ".modinfo", f], { encoding: "utf8" });
  if (r.status === null || r.error !== undefined) return;
  expect(r.stdout).toContain("depends=a");
});
