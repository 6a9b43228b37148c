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
}

/** Guest names in build order; see README.md for what each one exercises. */
export const guestNames = [
  "hello",
  "pmode",
  "paging",
  "exceptions",
  "ring3",
  "v86",
  "bench-int-quick",
  "bench-int",
] as const;

/** Guests that are too slow for routine test runs. */
const slowGuests: ReadonlySet<string> = new Set(["bench-int"]);

/** Lists every guest with the path of its ELF (whether or not it has been built). */
export function listGuests(): GuestInfo[] {
  return guestNames.map((name) => ({
    name,
    elfPath: join(guestsDir, `${name}.elf`),
    quick: !slowGuests.has(name),
  }));
}

/** True when the image of every listed guest exists. */
export function guestsBuilt(): boolean {
  return listGuests().every((g) => existsSync(g.elfPath));
}
