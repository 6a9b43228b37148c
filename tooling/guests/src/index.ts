import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Absolute path of the directory holding the built guest images (`bin/<name>.elf`). */
export const guestsDir: string = fileURLToPath(new URL("../bin/", import.meta.url));

/** A built test guest: its RESULT name, its multiboot ELF, and whether CI runs it. */
export interface GuestInfo {
  /** The name the guest prints in its `RESULT PASS <name>` line. */
  name: string;
  /** Absolute path of the multiboot v1 ELF image. */
  elfPath: string;
  /** True for guests quick enough for routine tests (all but the full benchmark). */
  quick: boolean;
  /**
   * False for guests that QEMU 7.2 TCG cannot run to their RESULT line, so there is no
   * QEMU reference for them: `x87-ferr` makes it abort (see README.md).
   */
  qemuPasses: boolean;
}

/** Guest names in build order; see README.md for what each one exercises. */
export const guestNames = [
  "hello",
  "pmode",
  "paging",
  "exceptions",
  "ring3",
  "v86",
  "x87-basic",
  "x87-rounding",
  "x87-exceptions",
  "x87-ferr",
  "bench-int-quick",
  "bench-int",
] as const;

/** Guests that are too slow for routine test runs. */
const slowGuests: ReadonlySet<string> = new Set(["bench-int"]);

/**
 * Guests QEMU 7.2 cannot run: x87-ferr's FERR# -> IRQ13 path trips an assertion in QEMU
 * (IRQ raised from the vCPU thread without the big lock; fixed upstream in 2023).
 */
const qemuFailing: ReadonlySet<string> = new Set(["x87-ferr"]);

/** Lists every guest with the path of its ELF (whether or not it has been built). */
export function listGuests(): GuestInfo[] {
  return guestNames.map((name) => ({
    name,
    elfPath: join(guestsDir, `${name}.elf`),
    quick: !slowGuests.has(name),
    qemuPasses: !qemuFailing.has(name),
  }));
}

/** True when the image of every listed guest exists. */
export function guestsBuilt(): boolean {
  return listGuests().every((g) => existsSync(g.elfPath));
}
