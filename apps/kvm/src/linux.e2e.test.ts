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
import { VirtualMachine } from "./vmm.js";
import { parseOptions } from "./options.js";

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

/** Strip terminal escapes (busybox asks for the cursor position before each prompt). */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

describe.skipIf(guest === null && !required)("Debian 12 i386 under virtkit-kvm", () => {
  it("boots to a busybox shell, answers commands, powers off with status 0", () => {
    expect(guest, "Linux guest images missing: run npm run guests:linux").not.toBeNull();
    if (guest === null) return;
    const cfg = parseOptions([
      "-kernel", guest.kernel, "-initrd", guest.initramfs, "-append", "console=ttyS0", "-m", "256",
      "-icount", "shift=0", "-nographic", "-no-reboot",
    ]);
    let out = "";
    const vm = new VirtualMachine(cfg, {
      serial: (b) => { out += Buffer.from(b).toString("latin1"); },
      debug: () => undefined,
    });
    vm.load();
    const commands = [
      "uname -a",
      "cat /proc/cpuinfo",
      "cat /proc/interrupts",
      "echo $((6*7))",
      "awk 'BEGIN{print 1/3}'",
      "poweroff -f",
    ];
    let next = 0;
    let shellAt = -1;
    let waitFrom = 0;
    let bootInstructions = 0;
    let bootNs = 0;
    const t0 = performance.now();
    let bootWall = 0;
    const result = vm.runSync(40e9, () => {
      if (next >= commands.length) return;
      const text = clean(out);
      if (shellAt < 0) {
        const r = text.indexOf("VIRTKIT-INIT-READY");
        if (r < 0) return;
        shellAt = r;
        waitFrom = r;
        bootInstructions = vm.vcpu.cpu.icount;
        bootNs = vm.vm.clock.now();
        bootWall = (performance.now() - t0) / 1000;
      }
      // The shell's prompt ("/ # ") after everything the previous command printed.
      if (text.indexOf("# ", waitFrom) >= 0) {
        vm.serialInput(Buffer.from(commands[next++] + "\n", "latin1"));
        waitFrom = text.length;
      }
    });
    const log = clean(out);
    const shell = log.slice(Math.max(0, shellAt));
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
      expect(shellAt).toBeGreaterThan(0);
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
    console.log(`LINUX-BOOT kvm ok boot_s=${(bootNs / 1e9).toFixed(2)} instructions=${bootInstructions} exits=${result.exits}`);
    console.log(`  (guest boot to shell: ${(bootNs / 1e9).toFixed(2)} virtual s; host ${bootWall.toFixed(1)} s; whole run ${result.instructions} instructions)`);
  }, 1_500_000);
});
