/** Reader for the native-ia32 JSON-lines vectors (one gzip file per instruction group). */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export const NATIVE_GPRS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export type NativeGpr = (typeof NATIVE_GPRS)[number];
export type NativeRegs = Record<NativeGpr | "eflags", number>;

/** `[linearAddress, hexBytes]` */
export type MemWindow = [number, string];

export interface NativeVector {
  id: string;
  group: string;
  form: string;
  asm: string;
  bytes: string;
  init: { regs: NativeRegs; mem: MemWindow[]; fpu?: string };
  final: {
    regs: NativeRegs;
    eip_offset: number;
    mem_diff: MemWindow[];
    exception: number | null;
    error_code?: number;
    fault_addr?: number;
    fpu?: string | null;
  };
  undef_flags_mask: number;
  undef_regs?: Partial<Record<NativeGpr, number>>;
  undef_fsw_mask?: number;
}

export interface NativeManifest {
  format_version: number;
  set: string;
  total_vectors: number;
  groups: Record<string, { file: string; vectors: number; sha256: string; exceptions: Record<string, number>; forms: Record<string, number> }>;
}

/** Parses JSON lines (blank lines ignored). */
export function parseNativeJsonl(text: string): NativeVector[] {
  const out: NativeVector[] = [];
  let start = 0;
  let line = 1;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const s = text.slice(start, end).trim();
    if (s.length > 0) {
      try {
        out.push(JSON.parse(s) as NativeVector);
      } catch (e) {
        throw new Error(`native-ia32: line ${line}: ${(e as Error).message}`, { cause: e });
      }
    }
    start = end + 1;
    line++;
  }
  return out;
}

/** Reads one `<group>.jsonl.gz` (or uncompressed `.jsonl`) file. */
export function readNativeGroup(path: string): NativeVector[] {
  const raw = readFileSync(path);
  const data = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return parseNativeJsonl(data.toString("utf8"));
}

export function readNativeManifest(path: string): NativeManifest {
  return JSON.parse(readFileSync(path, "utf8")) as NativeManifest;
}

/** Decodes a lowercase hex string. */
export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
