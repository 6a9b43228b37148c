/**
 * The SVR4 "newc" cpio format (magic 070701), the one the Linux initramfs unpacker reads.
 *
 * Each member is a 110-byte ASCII header (the magic and thirteen 8-digit hex fields), the
 * NUL-terminated path padded so that header + name end on a 4-byte boundary, then the data
 * padded to 4 bytes. A member named `TRAILER!!!` ends the archive. Symbolic links carry
 * their target as data; device nodes carry their number in rdevmajor/rdevminor.
 */

/** File type bits of `st_mode` (the values cpio stores). */
export const S_IFMT = 0o170000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Directory. */
export const S_IFDIR = 0o040000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** Block device. */
export const S_IFBLK = 0o060000;

/** Magic of a newc header without CRC. */
export const NEWC_MAGIC = "070701";
/** Name of the member that ends an archive. */
export const CPIO_TRAILER = "TRAILER!!!";
/** Size of a newc header in bytes. */
export const NEWC_HEADER_SIZE = 110;

/** Kind of a cpio member. */
export type CpioKind = "file" | "dir" | "symlink" | "char" | "block";

/** One member of an archive (what {@link writeCpio} takes and {@link parseCpio} returns). */
export interface CpioEntry {
  /** Path inside the archive, without a leading slash ("bin/busybox", "." for the root). */
  path: string;
  /** What the member is. */
  kind: CpioKind;
  /** Permission bits (default 0o755 for directories, 0o644 for files, 0o777 for links, 0o600 for devices). */
  perm?: number;
  /** Contents of a regular file. */
  data?: Uint8Array;
  /** Target of a symbolic link. */
  target?: string;
  /** Device number of a char/block node. */
  major?: number;
  /** Device number of a char/block node. */
  minor?: number;
  /** Owner (default 0). */
  uid?: number;
  /** Group (default 0). */
  gid?: number;
  /** Modification time in seconds since the epoch (default: the archive's). */
  mtime?: number;
}

/** Options of {@link writeCpio}. */
export interface CpioWriteOptions {
  /** mtime of members that have none; 0 (the default) keeps archives reproducible. */
  mtime?: number;
}

/** A malformed archive or member; the message names the member and the field. */
export class CpioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CpioError";
  }
}

const TYPE_BITS: Record<CpioKind, number> = {
  file: S_IFREG,
  dir: S_IFDIR,
  symlink: S_IFLNK,
  char: S_IFCHR,
  block: S_IFBLK,
};

const DEFAULT_PERM: Record<CpioKind, number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  char: 0o600,
  block: 0o600,
};

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function hex8(v: number, what: string, path: string): string {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CpioError(`cpio member "${path}": ${what} ${v} does not fit a newc field (0..0xffffffff)`);
  }
  return v.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}

/**
 * Serialise members into a newc archive, in the given order (put directories before what
 * they contain: the kernel does not create missing parents). Appends the trailer.
 */
export function writeCpio(entries: Iterable<CpioEntry>, opts: CpioWriteOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    total += b.length;
  };
  const zeros = new Uint8Array(4);
  let ino = 1;
  const member = (path: string, mode: number, nlink: number, data: Uint8Array, e: CpioEntry | null): void => {
    const name = utf8.encode(path + "\0");
    const fields = [
      ino++,
      mode,
      e?.uid ?? 0,
      e?.gid ?? 0,
      nlink,
      e?.mtime ?? opts.mtime ?? 0,
      data.length,
      0, // devmajor
      0, // devminor
      e?.major ?? 0,
      e?.minor ?? 0,
      name.length,
      0, // check (only for 070702)
    ];
    const names = ["ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"];
    const header = NEWC_MAGIC + fields.map((v, i) => hex8(v, names[i], path)).join("");
    push(utf8.encode(header));
    push(name);
    push(zeros.subarray(0, pad4(NEWC_HEADER_SIZE + name.length)));
    push(data);
    push(zeros.subarray(0, pad4(data.length)));
  };
  const seen = new Set<string>();
  for (const e of entries) {
    const path = e.path;
    if (path === "" || path.startsWith("/") || path === CPIO_TRAILER) {
      throw new CpioError(`cpio member "${path}": path must be relative, non-empty and not the trailer name`);
    }
    if (seen.has(path)) throw new CpioError(`cpio member "${path}" appears twice`);
    seen.add(path);
    const perm = e.perm ?? DEFAULT_PERM[e.kind];
    if ((perm & ~0o7777) !== 0) throw new CpioError(`cpio member "${path}": perm 0o${perm.toString(8)} has bits outside 0o7777`);
    let data: Uint8Array;
    switch (e.kind) {
      case "file":
        data = e.data ?? new Uint8Array(0);
        break;
      case "symlink":
        if (e.target === undefined || e.target === "") throw new CpioError(`cpio member "${path}": symlink without a target`);
        data = utf8.encode(e.target);
        break;
      case "char":
      case "block":
        if (e.major === undefined || e.minor === undefined) throw new CpioError(`cpio member "${path}": ${e.kind} device without major/minor`);
        data = new Uint8Array(0);
        break;
      case "dir":
        data = new Uint8Array(0);
        break;
    }
    member(path, TYPE_BITS[e.kind] | perm, e.kind === "dir" ? 2 : 1, data, e);
  }
  member(CPIO_TRAILER, 0, 1, new Uint8Array(0), null);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Parse a newc archive (uncompressed) back into members, stopping at the trailer.
 * Hard links are returned as separate members. Throws {@link CpioError} on malformed input.
 */
export function parseCpio(bytes: Uint8Array): CpioEntry[] {
  const out: CpioEntry[] = [];
  const ascii = new TextDecoder("latin1");
  let off = 0;
  for (;;) {
    if (off + NEWC_HEADER_SIZE > bytes.length) throw new CpioError(`cpio: truncated header at offset ${off} (no trailer)`);
    const header = ascii.decode(bytes.subarray(off, off + NEWC_HEADER_SIZE));
    const magic = header.slice(0, 6);
    if (magic !== NEWC_MAGIC && magic !== "070702") throw new CpioError(`cpio: bad magic "${magic}" at offset ${off}`);
    const field = (i: number): number => {
      const s = header.slice(6 + 8 * i, 14 + 8 * i);
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new CpioError(`cpio: field ${i} "${s}" of the header at offset ${off} is not hex`);
      return parseInt(s, 16);
    };
    const mode = field(1);
    const uid = field(2);
    const gid = field(3);
    const mtime = field(5);
    const filesize = field(6);
    const rmajor = field(9);
    const rminor = field(10);
    const namesize = field(11);
    const nameStart = off + NEWC_HEADER_SIZE;
    if (namesize < 1 || nameStart + namesize > bytes.length) throw new CpioError(`cpio: namesize ${namesize} at offset ${off} runs past the end`);
    if (bytes[nameStart + namesize - 1] !== 0) throw new CpioError(`cpio: name at offset ${nameStart} is not NUL-terminated`);
    const path = utf8Decoder.decode(bytes.subarray(nameStart, nameStart + namesize - 1));
    const dataStart = nameStart + namesize + pad4(NEWC_HEADER_SIZE + namesize);
    if (dataStart + filesize > bytes.length) throw new CpioError(`cpio member "${path}": filesize ${filesize} runs past the end`);
    const data = bytes.slice(dataStart, dataStart + filesize);
    off = dataStart + filesize + pad4(filesize);
    if (path === CPIO_TRAILER) return out;
    const perm = mode & 0o7777;
    const base = { path, perm, uid, gid, mtime };
    switch (mode & S_IFMT) {
      case S_IFREG:
        out.push({ ...base, kind: "file", data });
        break;
      case S_IFDIR:
        out.push({ ...base, kind: "dir" });
        break;
      case S_IFLNK:
        out.push({ ...base, kind: "symlink", target: utf8Decoder.decode(data) });
        break;
      case S_IFCHR:
        out.push({ ...base, kind: "char", major: rmajor, minor: rminor });
        break;
      case S_IFBLK:
        out.push({ ...base, kind: "block", major: rmajor, minor: rminor });
        break;
      default:
        throw new CpioError(`cpio member "${path}": unsupported file type in mode 0o${mode.toString(8)}`);
    }
  }
}

/**
 * An ordered set of members that adds missing parent directories itself, so that the
 * kernel's unpacker always finds a member's directory before the member.
 */
export class CpioTree {
  private readonly members = new Map<string, CpioEntry>();

  /** Add a member (parents are added as 0755 directories first). Replaces nothing: a duplicate path throws. */
  add(entry: CpioEntry): this {
    const path = entry.path.replace(/^\/+/, "").replace(/\/+$/, "");
    if (path === "") throw new CpioError("cpio tree: empty path");
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const have = this.members.get(dir);
      if (have === undefined) this.members.set(dir, { path: dir, kind: "dir" });
      else if (have.kind !== "dir") throw new CpioError(`cpio tree: "${dir}" is a ${have.kind}, cannot hold "${path}"`);
    }
    const existing = this.members.get(path);
    if (existing !== undefined) {
      if (existing.kind === "dir" && entry.kind === "dir") {
        this.members.set(path, { ...existing, ...entry, path });
        return this;
      }
      throw new CpioError(`cpio tree: "${path}" added twice`);
    }
    this.members.set(path, { ...entry, path });
    return this;
  }

  /** Whether a path is present. */
  has(path: string): boolean {
    return this.members.has(path.replace(/^\/+/, ""));
  }

  /** Members in insertion order (parents first). */
  entries(): CpioEntry[] {
    return [...this.members.values()];
  }

  /** The archive bytes (uncompressed). */
  toBytes(opts: CpioWriteOptions = {}): Uint8Array {
    return writeCpio(this.members.values(), opts);
  }
}
