import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listGuests } from "@virtkit/guests";
import { formatDivergence, runLockstep } from "./lockstep.js";
import { qemuAvailable } from "./qemu.js";

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn("lockstep tests skipped: qemu-system-i386 is not installed (Debian: qemu-system-x86)");

const guests = listGuests().filter((g) => g.quick && existsSync(g.elfPath));

describe.skipIf(!haveQemu)("lockstep against qemu-system-i386 (insn mode)", () => {
  for (const g of guests) {
    it(`${g.name}: no divergence up to the debug exit`, { timeout: 120_000 }, async () => {
      const r = await runLockstep({ elfPath: g.elfPath, mode: "insn" });
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
