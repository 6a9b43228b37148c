/**
 * One-line disassembly for divergence reports, through binutils `objdump` on the raw bytes
 * (Debian's objdump is assumed; without it the bytes alone are printed).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** Disassemble the first instruction in `bytes` at address `addr` (16- or 32-bit code). */
export function disassemble(bytes: Uint8Array, addr: number, code32: boolean): { text: string; length: number } {
  if (bytes.length === 0) return { text: "(no bytes: code page not present)", length: 0 };
  const dir = mkdtempSync(join(tmpdir(), "lockstep-dis-"));
  try {
    const f = join(dir, "insn.bin");
    writeFileSync(f, bytes);
    const r = spawnSync("objdump", ["-D", "-b", "binary", code32 ? "-mi386" : "-mi8086", `--adjust-vma=0x${(addr >>> 0).toString(16)}`, f], { encoding: "utf8" });
    if (r.status !== 0) return { text: `${hex(bytes)} (objdump unavailable)`, length: bytes.length };
    // Lines look like "  100047:\tf3 ab                \trep stos %eax,%es:(%edi)".
    for (const line of r.stdout.split("\n")) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$/.exec(line);
      if (m === null) continue;
      const n = m[2].trim().split(/\s+/).length;
      return { text: `${m[2].trim().padEnd(24)} ${m[3].trim()}`, length: n };
    }
    return { text: hex(bytes), length: bytes.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
