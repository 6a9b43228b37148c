import { existsSync, readdirSync } from "node:fs";

/** MOO files of a 286-style suite directory, sorted. */
export function st286FileNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.MOO(\.gz)?$/i.test(f)).sort() : [];
}
