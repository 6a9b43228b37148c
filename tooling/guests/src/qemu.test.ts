import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listGuests } from "./index.js";
import { lastLine, qemuAvailable, runUnderQemu } from "./qemu.js";

const haveQemu = qemuAvailable();
if (!haveQemu) {
  console.warn("qemu-system-i386 is not on PATH: skipping the QEMU runs of the test guests");
}

describe("test guests under QEMU TCG", () => {
  for (const guest of listGuests().filter((g) => g.quick)) {
    // Guests with qemuPasses = false make QEMU 7.2 abort (README.md): no reference there.
    it.skipIf(!haveQemu || !guest.qemuPasses)(`${guest.name} prints RESULT PASS and exits with status 1`, async () => {
      expect(existsSync(guest.elfPath), `${guest.elfPath} missing: run build.sh`).toBe(true);
      const run = await runUnderQemu(guest.elfPath, { timeoutMs: 20_000 });
      expect(lastLine(run.output), run.output).toBe(`RESULT PASS ${guest.name}`);
      expect(run.status).toBe(1);
    }, 30_000);
  }
});

describe("listGuests", () => {
  it("marks only the full benchmark as slow", () => {
    const slow = listGuests().filter((g) => !g.quick).map((g) => g.name);
    expect(slow).toEqual(["bench-int"]);
  });

  it("marks only x87-ferr as failing under QEMU", () => {
    const failing = listGuests().filter((g) => !g.qemuPasses).map((g) => g.name);
    expect(failing).toEqual(["x87-ferr"]);
  });
});
