/**
 * Reader for the MOO 1.0 test-vector format (SingleStepTests), gzip-compressed.
 *
 * A file is a sequence of chunks `char[4] type, u32 length, payload`; all integers
 * little-endian. Unknown chunk types are skipped at every level, as the format
 * requires.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** Register order of the `REGS` bit mask (bit 0 = ax … bit 13 = flags). */
export const MOO_REGS = ["ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags"] as const;
export type MooReg = (typeof MOO_REGS)[number];

export interface MooState {
  /** Registers present in the chunk (INIT: all 14; FINA: only the changed ones). */
  regs: Partial<Record<MooReg, number>>;
  /** `RAM ` entries: physical addresses and byte values, in file order. */
  ramAddr: Uint32Array;
  ramValue: Uint8Array;
}

export interface MooTest {
  /** Upstream index (`TEST` payload u32). */
  index: number;
  /** Disassembly from `NAME`. */
  name: string;
  /** Instruction bytes from `BYTS` (including the trailing HLT). */
  bytes: Uint8Array;
  init: MooState;
  final: MooState;
  /** From `EXCP`: interrupt vector taken and physical address of the pushed FLAGS. */
  exception: { vector: number; flagsAddress: number } | null;
  /** `HASH` as lowercase hex, or "" if absent. */
  hash: string;
}

export interface MooMeta {
  setMajor: number;
  setMinor: number;
  cpuType: number;
  opcode: number;
  mnemonic: string;
  testCt: number;
  cpuMode: number;
}

export interface MooFile {
  major: number;
  minor: number;
  /** Test count from the `MOO ` header. */
  testCount: number;
  cpu: string;
  meta: MooMeta | null;
  tests: MooTest[];
}

const td = new TextDecoder("latin1");

function fourcc(buf: Uint8Array, off: number): string {
  return String.fromCharCode(buf[off], buf[off + 1], buf[off + 2], buf[off + 3]);
}

/** Calls `visit(type, payloadOffset, payloadLength)` for each chunk in [start, end). */
function forEachChunk(buf: Uint8Array, dv: DataView, start: number, end: number, visit: (type: string, off: number, len: number) => void): void {
  let p = start;
  while (p + 8 <= end) {
    const type = fourcc(buf, p);
    const len = dv.getUint32(p + 4, true);
    const off = p + 8;
    if (off + len > end) throw new Error(`MOO: chunk '${type}' at ${p} overruns its container (${len} bytes)`);
    visit(type, off, len);
    p = off + len;
  }
  if (p !== end) throw new Error(`MOO: ${end - p} trailing bytes at ${p}`);
}

function emptyState(): MooState {
  return { regs: {}, ramAddr: new Uint32Array(0), ramValue: new Uint8Array(0) };
}

function parseState(buf: Uint8Array, dv: DataView, start: number, end: number): MooState {
  const st = emptyState();
  forEachChunk(buf, dv, start, end, (type, off, len) => {
    if (type === "REGS") {
      const mask = dv.getUint16(off, true);
      let q = off + 2;
      for (let bit = 0; bit < MOO_REGS.length; bit++) {
        if (mask & (1 << bit)) {
          st.regs[MOO_REGS[bit]] = dv.getUint16(q, true);
          q += 2;
        }
      }
      if (q > off + len) throw new Error("MOO: REGS chunk too short");
    } else if (type === "RAM ") {
      const n = dv.getUint32(off, true);
      if (4 + n * 5 > len) throw new Error("MOO: RAM chunk too short");
      st.ramAddr = new Uint32Array(n);
      st.ramValue = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        st.ramAddr[i] = dv.getUint32(off + 4 + i * 5, true);
        st.ramValue[i] = buf[off + 8 + i * 5];
      }
    }
    // RMSK, RM32, RG32, QUEU, EA32 …: not used by these files; skipped.
  });
  return st;
}

function parseTest(buf: Uint8Array, dv: DataView, start: number, end: number): MooTest {
  const t: MooTest = {
    index: dv.getUint32(start, true),
    name: "",
    bytes: new Uint8Array(0),
    init: emptyState(),
    final: emptyState(),
    exception: null,
    hash: "",
  };
  forEachChunk(buf, dv, start + 4, end, (type, off, len) => {
    switch (type) {
      case "NAME": {
        const n = dv.getUint32(off, true);
        t.name = td.decode(buf.subarray(off + 4, off + 4 + Math.min(n, len - 4)));
        break;
      }
      case "BYTS": {
        const n = dv.getUint32(off, true);
        t.bytes = buf.slice(off + 4, off + 4 + Math.min(n, len - 4));
        break;
      }
      case "INIT":
        t.init = parseState(buf, dv, off, off + len);
        break;
      case "FINA":
        t.final = parseState(buf, dv, off, off + len);
        break;
      case "EXCP":
        t.exception = { vector: buf[off], flagsAddress: dv.getUint32(off + 1, true) };
        break;
      case "HASH":
        t.hash = Buffer.from(buf.subarray(off, off + len)).toString("hex");
        break;
      default:
        break; // GMET, CYCL and anything unknown
    }
  });
  return t;
}

/** Parses an uncompressed MOO image. */
export function parseMoo(buf: Uint8Array): MooFile {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const file: MooFile = { major: 0, minor: 0, testCount: 0, cpu: "", meta: null, tests: [] };
  let sawHeader = false;
  forEachChunk(buf, dv, 0, buf.length, (type, off, len) => {
    if (type === "MOO ") {
      if (len < 12) throw new Error("MOO: header chunk too short");
      sawHeader = true;
      file.major = buf[off];
      file.minor = buf[off + 1];
      file.testCount = dv.getUint32(off + 4, true);
      file.cpu = fourcc(buf, off + 8).trimEnd();
      if (file.major !== 1) throw new Error(`MOO: unsupported major version ${file.major}`);
    } else if (type === "META") {
      file.meta = {
        setMajor: buf[off],
        setMinor: buf[off + 1],
        cpuType: buf[off + 2],
        opcode: dv.getUint32(off + 3, true),
        mnemonic: td.decode(buf.subarray(off + 7, off + 15)).trimEnd(),
        testCt: dv.getUint32(off + 15, true),
        cpuMode: len > 27 ? buf[off + 27] : 0,
      };
    } else if (type === "TEST") {
      file.tests.push(parseTest(buf, dv, off, off + len));
    }
  });
  if (!sawHeader) throw new Error("MOO: missing 'MOO ' header chunk");
  return file;
}

/** Reads a `.MOO.gz` (or an uncompressed `.MOO`) file. */
export function readMooFile(path: string): MooFile {
  const raw = readFileSync(path);
  const data = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return parseMoo(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
