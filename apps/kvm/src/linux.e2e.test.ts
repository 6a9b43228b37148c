/**
 * Linux end-to-end: the Debian 12 i386 kernel (686-pae) and a busybox initramfs boot under
 * virtkit-kvm with the deterministic clock; commands typed into the serial shell must answer
 * correctly and `poweroff -f` must end the VM with status 0.
 *
 * The guest images come from `npm run guests:linux` (cached under the user's cache
 * directory). Without them the test is skipped with a message, unless VIRTKIT_REQUIRE_LINUX=1
 * (CI sets it), in which case their absence is a failure.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SessionResult, SessionSpec } from "./scripted-session.js";

const sessionScript = fileURLToPath(new URL("./scripted-session.ts", import.meta.url));

interface Manifest { kernel: string; flavours: Record<string, { initramfs: string } | undefined> }

function findGuest(): { kernel: string; initramfs: string } | null {
  const base = process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? "/root", ".cache");
  const manifest = join(base, "virtkit", "linux", "manifest.json");
  if (!existsSync(manifest)) return null;
  const m = JSON.parse(readFileSync(manifest, "utf8")) as Manifest;
  const f = m.flavours.kvm;
  if (f === undefined || !existsSync(m.kernel) || !existsSync(f.initramfs)) return null;
  return { kernel: m.kernel, initramfs: f.initramfs };
}

const guest = findGuest();
const required = process.env.VIRTKIT_REQUIRE_LINUX === "1";
if (guest === null && !required) console.warn("Linux guest images not cached (npm run guests:linux): the Linux boot test is skipped");

describe.skipIf(guest === null && !required)("Debian 12 i386 under virtkit-kvm", () => {
  it("boots to a busybox shell, answers commands, powers off with status 0", () => {
    expect(guest, "Linux guest images missing: run npm run guests:linux").not.toBeNull();
    if (guest === null) return;
    const spec: SessionSpec = {
      args: [
        "-kernel", guest.kernel, "-initrd", guest.initramfs, "-append", "console=ttyS0", "-m", "256",
        "-icount", "shift=0", "-nographic", "-no-reboot",
      ],
      ready: "VIRTKIT-INIT-READY",
      commands: ["uname -a", "cat /proc/cpuinfo", "cat /proc/interrupts", "echo $((6*7))", "awk 'BEGIN{print 1/3}'", "poweroff -f"],
    };
    // A child process runs the VM at full speed (vitest's module transform slows the CPU).
    const child = spawnSync(process.execPath, ["--conditions=@virtkit/source", "--import", "tsx", sessionScript, JSON.stringify(spec)], {
      encoding: "utf8", maxBuffer: 64 << 20, timeout: 1_400_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as SessionResult;
    const log = result.log;
    const shell = log.slice(Math.max(0, log.indexOf(spec.ready)));
    const outputOf = (cmd: string): string => {
      const start = shell.indexOf(cmd + "\n");
      if (start < 0) return "";
      const rest = shell.slice(start + cmd.length + 1);
      const end = rest.search(/\n[^\n]*# /);
      return end < 0 ? rest : rest.slice(0, end);
    };
    try {
      expect(log).toContain("Hypervisor detected: KVM");
      expect(log).toContain("clocksource: Switched to clocksource kvm-clock");
      expect(log).toContain("kvm-clock: Using msrs 4b564d01 and 4b564d00");
      for (const bad of ["Oops", "BUG:", "Kernel panic", "unchecked MSR access", "Call Trace"]) expect(log).not.toContain(bad);
      expect(result.readyInstructions).toBeGreaterThan(0);
      expect(outputOf("uname -a")).toMatch(/^Linux \S+ 6\.1\.0-\d+-686-pae #1 SMP .* i686 GNU\/Linux/m);
      const cpuinfo = outputOf("cat /proc/cpuinfo");
      expect(cpuinfo).toMatch(/vendor_id\s*: GenuineIntel/);
      expect(cpuinfo).toMatch(/cpu family\s*: 6/);
      expect(cpuinfo).toMatch(/^fpu\s*: yes/m);
      expect(cpuinfo).toMatch(/flags\s*:.*\bhypervisor\b/);
      const irqs = outputOf("cat /proc/interrupts");
      expect(irqs).toMatch(/ttyS0/);
      expect(irqs).toMatch(/LOC:\s+[1-9]\d*/);
      expect(outputOf("echo $((6*7))").trim()).toBe("42");
      expect(outputOf("awk 'BEGIN{print 1/3}'").trim()).toBe("0.333333");
      expect(result.reason).toBe("poweroff");
      expect(result.status).toBe(0);
    } catch (e) {
      console.error(log.slice(-6000));
      throw e;
    }
    console.log(`LINUX-BOOT kvm ok boot_s=${(result.readyNs / 1e9).toFixed(2)} instructions=${result.readyInstructions} exits=${result.exits}`);
    console.log(`  (boot to the shell: ${(result.readyNs / 1e9).toFixed(2)} s of virtual time, ${result.readyHostSeconds.toFixed(1)} s on this host; whole session ${result.instructions} instructions, ${result.hostSeconds.toFixed(1)} s)`);
  }, 1_500_000);
});
