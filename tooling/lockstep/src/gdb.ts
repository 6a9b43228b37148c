/**
 * A small client for the GDB remote serial protocol (RSP), enough to drive QEMU's gdbstub:
 * packet framing `$data#cs`, checksums, `+`/`-` acknowledgements until QStartNoAckMode,
 * run-length decoding of replies, and one outstanding request at a time.
 */
import { connect, type Socket } from "node:net";

/** A failure of the remote protocol or of the connection (message names the packet). */
export class GdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GdbError";
  }
}

/** Checksum of an RSP packet body: sum of the bytes modulo 256, two hex digits. */
export function rspChecksum(body: string): string {
  let s = 0;
  for (let k = 0; k < body.length; k++) s = (s + body.charCodeAt(k)) & 0xff;
  return s.toString(16).padStart(2, "0");
}

/** Frame an RSP packet: `$` body `#` checksum, with `$ # } *` escaped as `}` + (c ^ 0x20). */
export function rspFrame(body: string): string {
  let esc = "";
  for (let k = 0; k < body.length; k++) {
    const c = body.charCodeAt(k);
    esc += c === 0x24 || c === 0x23 || c === 0x7d || c === 0x2a ? "}" + String.fromCharCode(c ^ 0x20) : body[k];
  }
  return `$${esc}#${rspChecksum(esc)}`;
}

/** Undo `}` escapes and `*` run-length encoding of a received packet body. */
export function rspDecode(raw: string): string {
  if (!raw.includes("}") && !raw.includes("*")) return raw;
  let out = "";
  for (let k = 0; k < raw.length; k++) {
    const ch = raw[k];
    if (ch === "}") {
      out += String.fromCharCode(raw.charCodeAt(++k) ^ 0x20);
    } else if (ch === "*") {
      // The previous character repeats (count - 29) more times.
      const n = raw.charCodeAt(++k) - 29;
      out += out[out.length - 1].repeat(n);
    } else {
      out += ch;
    }
  }
  return out;
}

/** Encode a string as hex (qRcmd arguments). */
export function toHex(s: string): string {
  return Buffer.from(s, "latin1").toString("hex");
}

/** Decode hex to a latin1 string (qRcmd `O` output). */
export function fromHex(h: string): string {
  return Buffer.from(h, "hex").toString("latin1");
}

/** One RSP connection. Requests are serialised; each resolves with the next reply packet. */
export class GdbClient {
  private readonly sock: Socket;
  private buf = "";
  private ackMode = true;
  private waiter: { resolve: (p: string) => void; reject: (e: Error) => void } | null = null;
  private readonly queued: string[] = [];
  private closedError: Error | null = null;
  /** Called for `O` console-output packets that arrive while waiting (qRcmd output). */
  onConsole: ((text: string) => void) | null = null;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.buf += d;
      this.drain();
    });
    const fail = (e: Error): void => {
      this.closedError ??= e;
      const w = this.waiter;
      this.waiter = null;
      w?.reject(e);
    };
    sock.on("error", fail);
    sock.on("close", () => {
      fail(new GdbError("gdbstub connection closed"));
    });
  }

  /** Connect to a gdbstub at host:port, retrying while it is not yet listening. */
  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<GdbClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port }, () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
        return new GdbClient(sock);
      } catch (e) {
        if (Date.now() > deadline) throw new GdbError(`cannot connect to gdbstub at ${host}:${port}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Parse complete packets out of the receive buffer. */
  private drain(): void {
    for (;;) {
      // Skip acks and anything before a packet start.
      const start = this.buf.indexOf("$");
      if (start < 0) {
        this.buf = "";
        return;
      }
      const hash = this.buf.indexOf("#", start);
      if (hash < 0 || hash + 3 > this.buf.length) {
        if (start > 0) this.buf = this.buf.slice(start);
        return;
      }
      const raw = this.buf.slice(start + 1, hash);
      const cs = this.buf.slice(hash + 1, hash + 3);
      this.buf = this.buf.slice(hash + 3);
      if (this.ackMode) {
        if (rspChecksum(raw) !== cs.toLowerCase()) {
          this.sock.write("-");
          continue;
        }
        this.sock.write("+");
      }
      const body = rspDecode(raw);
      // Console output from monitor commands ("O" + hex) is not a reply ("OK" is).
      if (body.length > 1 && body[0] === "O" && body !== "OK" && /^O[0-9a-fA-F]+$/.test(body)) {
        this.onConsole?.(fromHex(body.slice(1)));
        continue;
      }
      const w = this.waiter;
      if (w !== null) {
        this.waiter = null;
        w.resolve(body);
      } else {
        this.queued.push(body);
      }
    }
  }

  /** Wait for the next reply packet. */
  private next(): Promise<string> {
    const q = this.queued.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Send a packet without waiting for a reply (e.g. `k`). */
  send(body: string): void {
    this.sock.write(rspFrame(body));
  }

  /** Send a packet and return the reply body. */
  request(body: string): Promise<string> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const p = this.next();
    this.sock.write(rspFrame(body));
    return p;
  }

  /** Send a request whose reply must be "OK"; throws with the packet name otherwise. */
  async requestOk(body: string): Promise<void> {
    const r = await this.request(body);
    if (r !== "OK") throw new GdbError(`gdbstub rejected ${body.slice(0, 40)}: ${r === "" ? "unsupported" : r}`);
  }

  /** Negotiate features and switch off acknowledgements (QStartNoAckMode) when offered. */
  async handshake(): Promise<string> {
    const features = await this.request("qSupported:multiprocess-;swbreak+;hwbreak+;xmlRegisters=i386");
    if (features.includes("QStartNoAckMode+")) {
      const r = await this.request("QStartNoAckMode");
      if (r === "OK") this.ackMode = false;
    }
    return features;
  }

  /** Read a whole qXfer object (e.g. `features`, `target.xml`) in chunks. */
  async qXfer(object: string, annex: string): Promise<string> {
    let out = "";
    for (;;) {
      const r = await this.request(`qXfer:${object}:read:${annex}:${out.length.toString(16)},ffb`);
      if (r.startsWith("E") || r === "") throw new GdbError(`qXfer:${object}:read:${annex} failed: ${r || "unsupported"}`);
      out += r.slice(1);
      if (r[0] === "l") return out;
    }
  }

  /** Run a monitor command (qRcmd) and return its console output. */
  async monitor(cmd: string): Promise<string> {
    let text = "";
    const prev = this.onConsole;
    this.onConsole = (t) => {
      text += t;
    };
    try {
      const r = await this.request(`qRcmd,${toHex(cmd)}`);
      if (r !== "OK" && r !== "") {
        if (r.startsWith("E")) throw new GdbError(`monitor command "${cmd}" failed: ${r}`);
        text += fromHex(r);
      }
    } finally {
      this.onConsole = prev;
    }
    return text;
  }

  /** Read guest memory (virtual addresses as the gdbstub sees them) into `out`. */
  async readMemory(addr: number, out: Uint8Array, chunk = 0x7f0): Promise<void> {
    for (let off = 0; off < out.length; off += chunk) {
      const n = Math.min(chunk, out.length - off);
      const r = await this.request(`m${((addr + off) >>> 0).toString(16)},${n.toString(16)}`);
      if (r.startsWith("E") || r.length !== 2 * n) throw new GdbError(`cannot read ${n} bytes at 0x${((addr + off) >>> 0).toString(16)}: ${r.slice(0, 8)}`);
      out.set(Buffer.from(r, "hex"), off);
    }
  }

  /** Send the out-of-band interrupt byte (0x03): stops a running target. */
  interrupt(): void {
    this.sock.write("\x03");
  }

  /** Close the connection. */
  close(): void {
    this.sock.destroy();
  }
}
