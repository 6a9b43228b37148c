/**
 * End-to-end check of the cached kvm guest under QEMU (TCG): the kernel boots the
 * initramfs, /init loads the virtio modules, prints the ready marker and runs a shell on
 * ttyS0 that answers a command. Skipped when QEMU or the cached guest is missing.
 */
import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ensureLinuxGuest, type LinuxGuest } from "./guest.js";
import { INIT_READY_MARKER, INIT_SHELL_EXIT_MARKER } from "./initramfs.js";

function cachedGuest(): LinuxGuest | null {
  try {
    return ensureLinuxGuest({ flavour: "kvm", offline: true });
  } catch {
    return null;
  }
}

const guest = cachedGuest();
const qemu = spawnSync("qemu-system-i386", ["--version"]).status === 0;
if (guest === null) console.log("skipping the QEMU boot: no cached Linux guest (npm run guests:linux)");
else if (!qemu) console.log("skipping the QEMU boot: qemu-system-i386 is not installed");

describe.skipIf(guest === null || !qemu)("kvm initramfs under QEMU", () => {
  it("boots to the ready marker, loads the virtio modules and runs shell commands", async () => {
    if (guest === null) return;
    const child = spawn("qemu-system-i386", [
      "-cpu", "pentium3", "-m", "256", "-display", "none", "-serial", "stdio", "-no-reboot", "-net", "none",
      "-kernel", guest.kernel, "-initrd", guest.initramfs, "-append", "console=ttyS0 quiet",
      "-device", "virtio-rng-pci", "-device", "virtio-balloon-pci",
    ]);
    let out = "";
    const waiters: { text: string; resolve: () => void }[] = [];
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("latin1");
      for (const w of waiters.splice(0)) {
        if (out.includes(w.text)) w.resolve();
        else waiters.push(w);
      }
    });
    const waitFor = (text: string): Promise<void> =>
      new Promise((resolve) => {
        if (out.includes(text)) resolve();
        else waiters.push({ text, resolve });
      });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const timer = setTimeout(() => child.kill(), 110_000);
    try {
      await waitFor(INIT_READY_MARKER);
      child.stdin.write("echo virtkit-$((6*7))\n");
      await waitFor("virtkit-42");
      child.stdin.write("grep -c virtio /proc/modules\nexit\n");
      await waitFor(INIT_SHELL_EXIT_MARKER);
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(timer);
      child.kill();
    }
    expect(out).toContain("virtkit-init: flavour kvm");
    expect(out).not.toContain("FAILED to load");
    for (const m of guest.modules) expect(out, m).toContain(`loaded ${m}`);
  }, 120_000);
});
