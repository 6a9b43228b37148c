import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listGuests } from "@virtkit/guests";
import { formatDivergence, runLockstep } from "./lockstep.js";
import { qemuAvailable } from "./qemu.js";

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn("lockstep tests skipped: qemu-system-i386 is not installed (Debian: qemu-system-x86)");

/**
 * Guests the installed QEMU cannot run at all (x87-ferr: QEMU 7.2 aborts on FERR#, its
 * issue 1808) are left out: there is nothing to compare against.
 */
const guests = listGuests().filter((g) => g.quick && g.qemuPasses && existsSync(g.elfPath));

describe.skipIf(!haveQemu)("lockstep against qemu-system-i386 (insn mode)", () => {
  for (const g of guests) {
    it(`${g.name}: no divergence up to the debug exit`, { timeout: 120_000 }, async () => {
      // x87 guests need QEMU's FPU dumps: C0/C2/C3 are undefined after most x87 instructions
      // and are taken from QEMU, which is only possible when the log shows them.
      const r = await runLockstep({ elfPath: g.elfPath, mode: "insn", x87: g.name.startsWith("x87") });
      const report = r.divergences.map(formatDivergence).join("\n\n");
      expect(r.error, r.error).toBe("");
      expect(report).toBe("");
      expect(r.end).toBe("debug-exit");
      expect(r.exitValue).toBe(0);
      expect(r.qemuStatus).toBe(1);
      expect(r.output).toContain(`RESULT PASS ${g.name}`);
    });
  }
});
