/**
 * Streaming parser of QEMU's i386 CPU dumps: the `-d cpu` log (one dump per executed
 * translation block; one per instruction with `singlestep on`) and `info registers`.
 * With `-d int` the log also carries interrupt lines, which become events:
 *
 *     Servicing hardware INT=0x20
 *        12: v=0e e=0002 i=0 cpl=0 IP=0008:00102249 pc=00102249 SP=0010:00106fc4 CR2=...
 *     <a register dump of the state at the interrupt: not a translation block, skipped>
 *     check_exception old: 0xffffffff new 0xe
 *
 * Lines are parsed at fixed columns from the bytes, without building strings, because a
 * long run produces gigabytes of them.
 */
import { ArchState } from "./state.js";

/** An interrupt or exception QEMU logged between two dumps. */
export interface QemuInterrupt {
  kind: "int";
  vector: number;
  /** Error code (-1 when the line had none or for hardware interrupts). */
  errorCode: number;
  /** 1 for INT n / INT3 / INTO. */
  isInt: number;
  /** Linear address of the instruction the event happened at (-1 when unknown). */
  pc: number;
  /** An external interrupt ("Servicing hardware INT"). */
  hardware: boolean;
}

/** A dump: the state at the start of a translation block (or of `info registers`). */
export interface QemuDump {
  kind: "state";
  st: ArchState;
}

export type QemuLogEvent = QemuDump | QemuInterrupt;

const NL = 0x0a;

function hexAt(b: Uint8Array, pos: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = b[pos + k];
    const d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
    v = (v << 4) | d;
  }
  return v | 0;
}

/** Hex digits starting at pos (up to the first non-hex byte). */
function hexVar(b: Uint8Array, pos: number, end: number): number {
  let v = 0;
  for (let k = pos; k < end; k++) {
    const c = b[k];
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x57;
    else break;
    v = v * 16 + d;
  }
  return v | 0;
}

function startsWith(b: Uint8Array, pos: number, end: number, s: string): boolean {
  if (end - pos < s.length) return false;
  for (let k = 0; k < s.length; k++) if (b[pos + k] !== s.charCodeAt(k)) return false;
  return true;
}

function indexOfStr(b: Uint8Array, pos: number, end: number, s: string): number {
  const c0 = s.charCodeAt(0);
  for (let k = pos; k <= end - s.length; k++) {
    if (b[k] === c0 && startsWith(b, k, end, s)) return k;
  }
  return -1;
}

/** QEMU's descriptor flags (high dword of the descriptor) → VMX access rights. */
export function qemuFlagsToAr(flags: number): number {
  const ar = (flags >>> 8) & 0xf0ff;
  return (ar & 0x80) === 0 && ar === 0 ? 0x10000 : ar;
}

/** Incremental parser: feed chunks, collect events. */
export class QemuDumpParser {
  private rest: Buffer = Buffer.alloc(0);
  private cur: ArchState | null = null;
  /** Line index inside the current dump (segment lines are identified by prefix). */
  private skipDump = false;
  /** Events parsed so far and not yet taken. */
  readonly events: QemuLogEvent[] = [];
  /** Number of dumps parsed. */
  dumps = 0;

  /** Parse a chunk; complete lines are consumed, a trailing partial line is kept. */
  push(chunk: Buffer): void {
    const b = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    const n = b.length;
    for (;;) {
      const nl = b.indexOf(NL, pos);
      if (nl < 0) break;
      this.line(b, pos, nl);
      pos = nl + 1;
    }
    this.rest = pos < n ? Buffer.from(b.subarray(pos)) : Buffer.alloc(0);
  }

  /** Flush a dump that is still open at the end of the input. */
  end(): void {
    if (this.rest.length > 0) {
      const b = this.rest;
      this.rest = Buffer.alloc(0);
      this.line(b, 0, b.length);
    }
    this.finish();
  }

  private finish(): void {
    const st = this.cur;
    if (st === null) return;
    this.cur = null;
    if (this.skipDump) {
      this.skipDump = false;
      return;
    }
    this.dumps++;
    this.events.push({ kind: "state", st });
  }

  private line(b: Buffer, p: number, e: number): void {
    const c0 = b[p];
    // Register lines start with an upper-case name and '=' within 4 columns.
    if (c0 === 0x45 && b[p + 1] === 0x41 && b[p + 2] === 0x58 && b[p + 3] === 0x3d) {
      // "EAX=" starts a new dump.
      this.finish();
      const st = new ArchState();
      st.hasCaches = true;
      st.hasCr = true;
      st.hasTables = true;
      this.cur = st;
      st.gpr[0] = hexAt(b, p + 4, 8);
      st.gpr[3] = hexAt(b, p + 17, 8);
      st.gpr[1] = hexAt(b, p + 30, 8);
      st.gpr[2] = hexAt(b, p + 43, 8);
      return;
    }
    const st = this.cur;
    if (st !== null && e - p >= 4) {
      const c1 = b[p + 1];
      const c2 = b[p + 2];
      if (c0 === 0x45 && c1 === 0x53 && c2 === 0x49) {
        // ESI= EDI= EBP= ESP=
        st.gpr[6] = hexAt(b, p + 4, 8);
        st.gpr[7] = hexAt(b, p + 17, 8);
        st.gpr[5] = hexAt(b, p + 30, 8);
        st.gpr[4] = hexAt(b, p + 43, 8);
        return;
      }
      if (c0 === 0x45 && c1 === 0x49 && c2 === 0x50) {
        // EIP=xxxxxxxx EFL=xxxxxxxx
        st.eip = hexAt(b, p + 4, 8);
        st.eflags = hexAt(b, p + 17, 8);
        return;
      }
      if (b[p + 3] === 0x3d && c2 === 0x20) {
        // "ES =", "CS =", …, "TR =": selector base limit flags
        const sel = hexAt(b, p + 4, 4);
        const base = hexAt(b, p + 9, 8);
        const limit = hexAt(b, p + 18, 8);
        const flags = hexAt(b, p + 27, 8);
        let s = -1;
        if (c1 === 0x53) {
          s = c0 === 0x45 ? 0 : c0 === 0x43 ? 1 : c0 === 0x53 ? 2 : c0 === 0x44 ? 3 : c0 === 0x46 ? 4 : c0 === 0x47 ? 5 : -1;
        } else if (c0 === 0x54 && c1 === 0x52) {
          st.trSel = sel;
          st.trBase = base;
          st.trLimit = limit;
          return;
        }
        if (s >= 0) {
          st.sel[s] = sel;
          st.base[s] = base;
          st.limit[s] = limit;
          st.ar[s] = qemuFlagsToAr(flags);
        }
        return;
      }
      if (c0 === 0x4c && c1 === 0x44 && c2 === 0x54) {
        st.ldtSel = hexAt(b, p + 4, 4);
        st.ldtBase = hexAt(b, p + 9, 8);
        st.ldtLimit = hexAt(b, p + 18, 8);
        return;
      }
      if (c0 === 0x47 && c1 === 0x44 && c2 === 0x54) {
        st.gdtBase = hexAt(b, p + 9, 8);
        st.gdtLimit = hexAt(b, p + 18, 8);
        return;
      }
      if (c0 === 0x49 && c1 === 0x44 && c2 === 0x54) {
        st.idtBase = hexAt(b, p + 9, 8);
        st.idtLimit = hexAt(b, p + 18, 8);
        return;
      }
      if (c0 === 0x43 && c1 === 0x52 && c2 === 0x30) {
        st.cr0 = hexAt(b, p + 4, 8);
        st.cr2 = hexAt(b, p + 17, 8);
        st.cr3 = hexAt(b, p + 30, 8);
        st.cr4 = hexAt(b, p + 43, 8);
        return;
      }
      if (c0 === 0x45 && c1 === 0x46 && c2 === 0x45) {
        // EFER=0000000000000000: the low dword is the last 8 digits.
        st.efer = hexAt(b, p + 13, 8);
        return;
      }
      if (c0 === 0x46 && c1 === 0x43 && c2 === 0x57) {
        // FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=...
        st.fcw = hexAt(b, p + 4, 4);
        st.fsw = hexAt(b, p + 13, 4);
        const t = indexOfStr(b, p, e, "FTW=");
        if (t >= 0) st.ftw = hexAt(b, t + 4, 2);
        st.hasX87 = true;
        return;
      }
      if (c0 === 0x46 && c1 === 0x50 && c2 === 0x52) {
        // FPR0=mmmmmmmmmmmmmmmm eeee FPR1=...
        for (let at = p; at >= 0 && at < e; ) {
          const i = b[at + 3] - 0x30;
          const mant = at + 5;
          const exp = at + 22;
          for (let k = 0; k < 8; k++) st.st[i * 10 + k] = hexAt(b, mant + 14 - 2 * k, 2);
          st.st[i * 10 + 8] = hexAt(b, exp + 2, 2);
          st.st[i * 10 + 9] = hexAt(b, exp, 2);
          at = indexOfStr(b, exp, e, "FPR");
        }
        return;
      }
      if (c0 === 0x43 || c0 === 0x44 || c0 === 0x58) return; // CCS=, DR*, XMM: not compared
    }
    // Non-register lines: interrupts.
    const v = indexOfStr(b, p, Math.min(e, p + 16), ": v=");
    if (v >= 0) {
      this.finish();
      this.skipDump = true; // the dump that follows is the state at the interrupt
      const vector = hexAt(b, v + 4, 2);
      const errorCode = hexVar(b, v + 9, e);
      const iAt = indexOfStr(b, v, e, " i=");
      const isInt = iAt >= 0 ? b[iAt + 3] - 0x30 : 0;
      const pcAt = indexOfStr(b, v, e, " pc=");
      const pc = pcAt >= 0 ? hexVar(b, pcAt + 4, e) : -1;
      // A hardware interrupt was announced by the "Servicing" line just before.
      const last = this.events[this.events.length - 1] as QemuLogEvent | undefined;
      if (last !== undefined && last.kind === "int" && last.hardware && last.pc === -1 && last.vector === vector) {
        last.pc = pc;
        return;
      }
      this.events.push({ kind: "int", vector, errorCode, isInt, pc, hardware: false });
      return;
    }
    if (startsWith(b, p, e, "Servicing hardware INT=0x")) {
      this.finish();
      this.events.push({ kind: "int", vector: hexVar(b, p + 25, e), errorCode: -1, isInt: 0, pc: -1, hardware: true });
      return;
    }
    // Anything else (check_exception, blank lines, warnings) ends nothing and is ignored.
  }
}

/** Parse one complete dump from text (`info registers` output). */
export function parseDump(text: string): ArchState | null {
  const p = new QemuDumpParser();
  p.push(Buffer.from(text.endsWith("\n") ? text : text + "\n", "latin1"));
  p.end();
  const ev = p.events.find((x): x is QemuDump => x.kind === "state");
  return ev?.st ?? null;
}
