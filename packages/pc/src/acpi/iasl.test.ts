/**
 * Cross-check with ACPICA's own tools (Debian package acpica-tools): every table must
 * disassemble without complaint, and the disassembled DSDT must compile again with no
 * errors or warnings. Skipped, with a message, when iasl is not installed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildAcpiTables } from "./build.js";

const iasl = spawnSync("iasl", ["-v"], { encoding: "utf8" });
const haveIasl = iasl.error === undefined && /ACPI/.test(iasl.stdout + iasl.stderr);
if (!haveIasl) console.log("skipping the iasl cross-check: iasl not installed (Debian: apt-get install acpica-tools)");

describe.skipIf(!haveIasl)("ACPI tables under iasl", () => {
  const dir = mkdtempSync(join(tmpdir(), "virtkit-acpi-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const tables = buildAcpiTables({ pm1aEvt: 0x600, pm1aCnt: 0x604, pmTmr: 0x608, gpe0: 0x620, cpus: 4 });

  for (const sig of ["DSDT", "FACP", "APIC", "HPET", "RSDT", "XSDT", "FACS"]) {
    it(`iasl -d disassembles ${sig} without errors`, () => {
      const bytes = tables.raw.get(sig);
      expect(bytes).toBeDefined();
      writeFileSync(join(dir, `${sig}.dat`), bytes ?? new Uint8Array(0));
      const r = spawnSync("iasl", ["-d", `${sig}.dat`], { cwd: dir, encoding: "utf8" });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const dsl = readFileSync(join(dir, `${sig}.dsl`), "utf8");
      expect(dsl).not.toMatch(/Incorrect checksum|Invalid|Error|\*\*\*\*/i);
      expect(r.stdout + r.stderr).not.toMatch(/Error|Warning/i);
      if (sig === "FACP") {
        expect(dsl).toMatch(/PM1A Control Block Address : 00000604/);
        expect(dsl).toMatch(/Reset Register Supported \(V2\) : 1/);
      }
    });
  }

  it("the disassembled DSDT compiles again with no errors or warnings and defines the expected objects", () => {
    const dsl = readFileSync(join(dir, "DSDT.dsl"), "utf8");
    for (const s of ["_S5", "PCI0", "PNP0A03", "PNP0303", "PNP0501", "PNP0B00", "_PRT", "WordBusNumber", "CP03"]) expect(dsl).toContain(s);
    const r = spawnSync("iasl", ["-p", "recompiled", "DSDT.dsl"], { cwd: dir, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/0 Errors, 0 Warnings/);
  });
});
