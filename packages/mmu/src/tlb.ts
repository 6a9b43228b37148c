/**
 * Software TLB: a flat Int32Array indexed by linear page number, plus the bookkeeping
 * that makes flushes and write revocation cheap.
 *
 * Entry layout: `(hostPage << 12) | flags`, 0 = invalid. Host page indices are below
 * 2^19 (the backing store is at most 2 GiB), so entries are non-negative int32.
 */

/**
 * TLB entry flag bits (low 12 bits of an entry; the high 20 bits are the host page index,
 * so entry = (hostPage << 12) | flags; 0 = invalid).
 */
export const TlbFlag = {
  /** Entry valid; supervisor may read. */
  Valid: 1,
  /** CPL3 may read (and fetch, if Exec). */
  User: 2,
  /** Supervisor may write through the fast path. */
  WriteSuper: 4,
  /** CPL3 may write through the fast path. */
  WriteUser: 8,
  /** Instruction fetch allowed (not NX). */
  Exec: 16,
  /** Entry came from a global page (PTE.G with CR4.PGE); survives flushNonGlobal. */
  Global: 32,
  /** Entry is a 4 KiB piece of a 4 MiB / 2 MiB page; invlpg drops the whole large page. */
  Large: 64,
} as const;

/** Both fast-path write permission bits. */
export const TLB_WRITE_BITS = TlbFlag.WriteSuper | TlbFlag.WriteUser;
/** Mask of the flag bits of a TLB entry. */
export const TLB_FLAGS_MASK = 0xfff;
/** Number of TLB entries (one per 4 KiB linear page of the 4 GiB linear space). */
export const TLB_ENTRIES = 1 << 20;
/** Default capacity of the filled-entry list; more fills make the next flush clear everything. */
export const DEFAULT_FILL_LIST_CAPACITY = 16384;

/**
 * TLB storage and bookkeeping shared by {@link AddressSpace}: remembers which entries were
 * filled so flushes touch only those, and keeps a small reverse map (host page → up to two
 * linear pages holding write permission, or "many") so revoking write permission is O(1)
 * in the common case.
 */
export class SoftTlb {
  /** 1<<20 entries indexed by linear page number; see {@link TlbFlag}. */
  readonly tlb = new Int32Array(TLB_ENTRIES);

  /** 1 when the linear page is in `filled`. */
  private readonly listed = new Uint8Array(TLB_ENTRIES);
  private readonly filled: Int32Array;
  private filledCount = 0;
  /** More entries were filled than `filled` holds: flushes must scan everything. */
  private overflow = false;

  /** Reverse map, valid for host page h only when rmapGen[h] === gen. */
  private readonly rmap0: Int32Array;
  private readonly rmap1: Int32Array;
  private readonly rmapGen: Int32Array;
  private gen = 1;
  /** Whether entries with {@link TlbFlag.Large} may exist (since the last flushAll). */
  private hasLarge = false;

  /** `hostPages`: size of the host page space entries point into. */
  constructor(hostPages: number, capacity: number = DEFAULT_FILL_LIST_CAPACITY) {
    this.filled = new Int32Array(capacity);
    this.rmap0 = new Int32Array(hostPages);
    this.rmap1 = new Int32Array(hostPages);
    this.rmapGen = new Int32Array(hostPages);
  }

  /** Number of entries currently remembered in the filled list (for tests and statistics). */
  get filledEntries(): number {
    return this.filledCount;
  }

  /** Whether the filled list overflowed since the last full flush. */
  get overflowed(): boolean {
    return this.overflow;
  }

  /** Store `entry` (non-zero) for linear page `lpage` and record it for flushes and revocation. */
  fillEntry(lpage: number, entry: number): void {
    this.tlb[lpage] = entry;
    if ((entry & TlbFlag.Large) !== 0) this.hasLarge = true;
    if (this.listed[lpage] === 0) {
      if (this.filledCount < this.filled.length) {
        this.filled[this.filledCount++] = lpage;
        this.listed[lpage] = 1;
      } else {
        this.overflow = true;
      }
    }
    if ((entry & TLB_WRITE_BITS) !== 0) this.rmapAdd(lpage, entry >>> 12);
  }

  /** Invalidate every entry. */
  flushAll(): void {
    if (this.overflow) {
      this.tlb.fill(0);
      this.listed.fill(0);
      this.overflow = false;
    } else {
      const tlb = this.tlb;
      const listed = this.listed;
      const filled = this.filled;
      for (let i = 0; i < this.filledCount; i++) {
        const l = filled[i];
        tlb[l] = 0;
        listed[l] = 0;
      }
    }
    this.filledCount = 0;
    this.hasLarge = false;
    this.gen = (this.gen + 1) | 0;
  }

  /** Invalidate every entry except those of global pages ({@link TlbFlag.Global}). */
  flushNonGlobal(): void {
    this.gen = (this.gen + 1) | 0;
    const tlb = this.tlb;
    const listed = this.listed;
    const filled = this.filled;
    if (this.overflow) {
      listed.fill(0);
      this.filledCount = 0;
      this.overflow = false;
      for (let l = 0; l < TLB_ENTRIES; l++) {
        const e = tlb[l];
        if (e === 0) continue;
        if ((e & TlbFlag.Global) === 0) tlb[l] = 0;
        else this.fillEntry(l, e);
      }
      return;
    }
    let j = 0;
    for (let i = 0; i < this.filledCount; i++) {
      const l = filled[i];
      const e = tlb[l];
      if ((e & TlbFlag.Global) !== 0) {
        filled[j++] = l;
        if ((e & TLB_WRITE_BITS) !== 0) this.rmapAdd(l, e >>> 12);
      } else {
        tlb[l] = 0;
        listed[l] = 0;
      }
    }
    this.filledCount = j;
  }

  /**
   * Invalidate the entry of the page containing `linear`, global or not. If it may lie in
   * a large page, the Large entries of the surrounding aligned 4 MiB are dropped too.
   */
  invlpg(linear: number): void {
    const tlb = this.tlb;
    const lpage = linear >>> 12;
    tlb[lpage] = 0;
    if (!this.hasLarge) return;
    const first = lpage & ~0x3ff;
    for (let l = first; l < first + 0x400; l++) {
      if ((tlb[l] & TlbFlag.Large) !== 0) tlb[l] = 0;
    }
  }

  /** Drop the WriteSuper/WriteUser bits of every entry pointing at `hostPage`. */
  revokeWrite(hostPage: number): void {
    if (hostPage < 0 || hostPage >= this.rmapGen.length || this.rmapGen[hostPage] !== this.gen) return;
    this.rmapGen[hostPage] = (this.gen - 1) | 0;
    const tlb = this.tlb;
    const r0 = this.rmap0[hostPage];
    if (r0 === -2) {
      this.scan(hostPage, ~TLB_WRITE_BITS);
      return;
    }
    const r1 = this.rmap1[hostPage];
    if (r0 >= 0 && this.writableTo(r0, hostPage)) tlb[r0] &= ~TLB_WRITE_BITS;
    if (r1 >= 0 && this.writableTo(r1, hostPage)) tlb[r1] &= ~TLB_WRITE_BITS;
  }

  /** Drop every entry pointing at `hostPage` (its guest page was remapped). */
  invalidateHostPage(hostPage: number): void {
    this.scan(hostPage, 0);
  }

  /** AND `keepMask` into every entry pointing at hostPage (0 clears the entry). */
  private scan(hostPage: number, keepMask: number): void {
    const tlb = this.tlb;
    if (this.overflow) {
      for (let l = 0; l < TLB_ENTRIES; l++) {
        const e = tlb[l];
        if (e !== 0 && e >>> 12 === hostPage) tlb[l] = e & keepMask;
      }
      return;
    }
    const filled = this.filled;
    for (let i = 0; i < this.filledCount; i++) {
      const l = filled[i];
      const e = tlb[l];
      if (e !== 0 && e >>> 12 === hostPage) tlb[l] = e & keepMask;
    }
  }

  private writableTo(lpage: number, hostPage: number): boolean {
    const e = this.tlb[lpage];
    return (e & TLB_WRITE_BITS) !== 0 && e >>> 12 === hostPage;
  }

  /**
   * Record that linear page `lpage` holds write permission to host page `h`. Slots whose
   * entries are no longer writable to h are reused; with more than two live ones the
   * host page is marked "many" (-2) and revocation scans the filled list.
   */
  private rmapAdd(lpage: number, h: number): void {
    if (this.rmapGen[h] !== this.gen) {
      this.rmapGen[h] = this.gen;
      this.rmap0[h] = lpage;
      this.rmap1[h] = -1;
      return;
    }
    const r0 = this.rmap0[h];
    if (r0 === -2 || r0 === lpage) return;
    if (r0 < 0 || !this.writableTo(r0, h)) {
      this.rmap0[h] = lpage;
      return;
    }
    const r1 = this.rmap1[h];
    if (r1 === lpage) return;
    if (r1 < 0 || !this.writableTo(r1, h)) {
      this.rmap1[h] = lpage;
      return;
    }
    this.rmap0[h] = -2;
  }
}
