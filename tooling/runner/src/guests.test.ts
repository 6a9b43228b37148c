import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listGuests } from "@virtkit/guests";
import { qemuAvailable, runUnderQemu } from "@virtkit/guests/qemu";
import { runMultiboot } from "./machine.js";

const guests = listGuests().filter((g) => g.quick);
const haveQemu = qemuAvailable();

describe("bare-metal guests on the virtkit CPU", () => {
  for (const g of guests) {
    it(`${g.name} prints RESULT PASS`, () => {
      const r = runMultiboot(readFileSync(g.elfPath), { memoryMiB: 32, maxInstructions: 50_000_000 });
      const lines = r.output.trimEnd().split("\n");
      expect(lines[lines.length - 1]).toBe(`RESULT PASS ${g.name}`);
      expect(r.reason).toBe("debug-exit");
      expect(r.status).toBe(1);
    });
  }
});

describe.skipIf(!haveQemu)("same output as qemu-system-i386", () => {
  // Guests that the installed QEMU cannot run (x87-ferr: QEMU 7.2 aborts on FERR#) are compared
  // only under virtkit above.
  for (const g of guests.filter((x) => x.qemuPasses)) {
    it(`${g.name}: byte-identical console output and exit status`, async () => {
      const ours = runMultiboot(readFileSync(g.elfPath), { memoryMiB: 32, maxInstructions: 50_000_000 });
      const theirs = await runUnderQemu(g.elfPath);
      expect(ours.output).toBe(theirs.output);
      expect(ours.status).toBe(theirs.status);
    });
  }
});

if (!haveQemu) console.warn("qemu-system-i386 not installed: the QEMU comparison is skipped");
