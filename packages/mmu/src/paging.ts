/**
 * x86 linear → physical translation (paging off, 32-bit paging with 4 MiB pages, PAE with
 * 2 MiB pages and NX) filling a {@link SoftTlb}. One {@link AddressSpace} per vCPU.
 *
 * Physical address width: 36 bits under PAE (bits 36..62 of PAE entries are reserved);
 * 32 bits with 32-bit paging, so PSE-36 is not supported and bits 13..21 of a 4 MiB PDE
 * are reserved. CPUID should report MAXPHYADDR = 36 and no PSE-36.
 */

import { PAGE_SHIFT, type PhysicalMemory, type WriteProtectListener } from "./physical-memory.js";
import { SoftTlb, TlbFlag } from "./tlb.js";

/** Paging-structure entry bits (low dword; the same positions in 32-bit and PAE entries). */
export const Pte = {
  /** Present. */
  P: 1,
  /** Read/write: writes allowed when set. */
  RW: 2,
  /** User/supervisor: CPL3 access allowed when set. */
  US: 4,
  /** Page-level write-through. */
  PWT: 8,
  /** Page-level cache disable. */
  PCD: 16,
  /** Accessed. */
  A: 32,
  /** Dirty (final level only). */
  D: 64,
  /** Page size (in a PDE: maps a 4 MiB / 2 MiB page). PAT in a 4 KiB PTE. */
  PS: 128,
  /** Global (final level only; honored when CR4.PGE). */
  G: 256,
} as const;

/** Execute-disable: bit 63 of a PAE entry, i.e. bit 31 of its high dword. */
export const PTE_HI_XD = 0x80000000 | 0;

/** Page-fault error code bits (SDM vol. 3, "Page-Fault Exceptions"). */
export const PfError = {
  /** 0: page not present; 1: protection violation (or reserved bit). */
  P: 1,
  /** The access was a write. */
  W: 2,
  /** The access was a user-mode (CPL3) access. */
  U: 4,
  /** A reserved bit was set in a paging-structure entry. */
  RSVD: 8,
  /** The access was an instruction fetch (only reported with PAE and EFER.NXE). */
  ID: 16,
} as const;

/** Access kinds for {@link AddressSpace.translate}. */
export const Access = {
  /** Data read. */
  Read: 0,
  /** Data write. */
  Write: 1,
  /** Instruction fetch. */
  Fetch: 2,
} as const;

/** Physical address width under PAE (MAXPHYADDR). */
export const PAE_PHYS_ADDR_BITS = 36;
/** Whether 32-bit paging supports PSE-36 (it does not: 4 MiB PDE bits 13..21 are reserved). */
export const PSE36_SUPPORTED = false;

/** Reserved bits of a 4 MiB PDE without PSE-36: bits 13..21. */
const PDE4M_RSVD = 0x003fe000;
/** Reserved bits of a 2 MiB PAE PDE, low dword: bits 13..20. */
const PDE2M_RSVD_LO = 0x001fe000;
/** Reserved bits of a PAE PDE/PTE high dword with MAXPHYADDR 36: bits 36..62 (bit 63 is XD). */
const PAE_RSVD_HI = 0x7ffffff0;
/** Reserved bits of a PDPTE, low dword: bits 1, 2, 5..8. */
const PDPTE_RSVD_LO = 0x1e6;
/** Reserved bits of a PDPTE, high dword: bits 36..63. */
const PDPTE_RSVD_HI = 0xfffffff0 | 0;
/** Address bits 32..35 in a PAE entry's high dword. */
const PAE_ADDR_HI = 0xf;
/** Address bits 12..31 of an entry. */
const ADDR_LO = 0xfffff000 | 0;

const ALL_FLAGS = TlbFlag.Valid | TlbFlag.User | TlbFlag.WriteSuper | TlbFlag.WriteUser | TlbFlag.Exec;

/**
 * Per-vCPU paging state and software TLB. The CPU sets the control fields (pg, wp, pse,
 * pae, pge, nxe, cr3) and decides when to flush, per the SDM.
 */
export class AddressSpace extends SoftTlb implements WriteProtectListener {
  /** The VM's physical memory. */
  readonly mem: PhysicalMemory;
  /** CR0.PG. */
  pg = false;
  /** CR0.WP: supervisor writes honor R/W. */
  wp = false;
  /** CR4.PSE: 4 MiB pages in 32-bit paging. */
  pse = false;
  /** CR4.PAE. */
  pae = false;
  /** CR4.PGE: honor the G bit. */
  pge = false;
  /** EFER.NXE: honor XD (bit 63) in PAE entries; otherwise it is reserved. */
  nxe = false;
  /** CR3 (page directory / PDPT base). */
  cr3 = 0;
  /** Error code of the last page fault reported by {@link translate} (see {@link PfError}). */
  faultErrorCode = 0;

  /** Cached PDPTEs as lo/hi dword pairs (entry i at [2i], [2i+1]). */
  private readonly pdpte = new Int32Array(8);
  private readonly pdpteScratch = new Int32Array(8);
  private readonly pageHost: Int32Array;
  private readonly writeSlow: Uint8Array;
  private readonly i32: Int32Array;

  /** Create the address space and register it as a write-protect listener of `mem`. */
  constructor(mem: PhysicalMemory) {
    super(mem.hostPages);
    this.mem = mem;
    this.pageHost = mem.pageHost;
    this.writeSlow = mem.writeSlow;
    this.i32 = mem.i32;
    mem.addWriteProtectListener(this);
  }

  /** Unregister from the memory's write-protect listeners (when the vCPU goes away). */
  dispose(): void {
    this.mem.removeWriteProtectListener(this);
  }

  /**
   * Translate a linear address (int32 or uint32 number). access: 0 read, 1 write,
   * 2 instruction fetch; user: CPL3 access. Returns the guest-physical address as a
   * non-negative number (may reach 2^36 under PAE; such addresses are unmapped), or -1 on
   * a page fault with {@link faultErrorCode} set. Accessed bits (every level) and the
   * dirty bit (final level, writes) are set only when the translation succeeds. On success
   * fills the TLB entry when the guest page has a host page. No allocation.
   */
  translate(linear: number, access: 0 | 1 | 2, user: boolean): number {
    if (!this.pg) {
      const lpage = linear >>> PAGE_SHIFT;
      this.fill(lpage, lpage, ALL_FLAGS);
      return linear >>> 0;
    }
    return this.pae ? this.walkPae(linear, access, user) : this.walk32(linear, access, user);
  }

  /** PAE: load the 4 PDPTEs from cr3 (as MOV CR3 does); returns false, keeping the old ones, if one is present with reserved bits set. */
  loadPdptes(): boolean {
    const base = (this.cr3 & 0xffffffe0) >>> 0;
    const s = this.pdpteScratch;
    for (let i = 0; i < 4; i++) {
      const lo = this.readPhys(base + i * 8);
      const hi = this.readPhys(base + i * 8 + 4);
      if ((lo & Pte.P) !== 0 && ((lo & PDPTE_RSVD_LO) !== 0 || (hi & PDPTE_RSVD_HI) !== 0)) return false;
      s[i * 2] = lo;
      s[i * 2 + 1] = hi;
    }
    this.pdpte.set(s);
    return true;
  }

  /** PDPTE `i` (0..3) as cached by {@link loadPdptes}: low dword. */
  pdpteLo(i: number): number {
    return this.pdpte[i * 2];
  }

  /** PDPTE `i` (0..3) as cached by {@link loadPdptes}: high dword. */
  pdpteHi(i: number): number {
    return this.pdpte[i * 2 + 1];
  }

  // ---------------------------------------------------------------- walks

  private walk32(linear: number, access: 0 | 1 | 2, user: boolean): number {
    const pdeAddr = ((this.cr3 & ADDR_LO) | ((linear >>> 22) << 2)) >>> 0;
    const pde = this.readPhys(pdeAddr);
    if ((pde & Pte.P) === 0) return this.fault(0, access, user);
    if ((pde & Pte.PS) !== 0 && this.pse) {
      if ((pde & PDE4M_RSVD) !== 0) return this.fault(PfError.P | PfError.RSVD, access, user);
      if (!this.allowed(pde, false, access, user)) return this.fault(PfError.P, access, user);
      const bits = access === 1 ? Pte.A | Pte.D : Pte.A;
      if ((pde & bits) !== bits) this.setBits(pdeAddr, bits);
      const gpa = ((pde & 0xffc00000) | (linear & 0x3fffff)) >>> 0;
      this.fillFinal(linear, gpa, pde | (access === 1 ? Pte.D : 0), pde, false, true);
      return gpa;
    }
    const pteAddr = ((pde & ADDR_LO) | (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
    const pte = this.readPhys(pteAddr);
    if ((pte & Pte.P) === 0) return this.fault(0, access, user);
    const perm = pde & pte;
    if (!this.allowed(perm, false, access, user)) return this.fault(PfError.P, access, user);
    if ((pde & Pte.A) === 0) this.setBits(pdeAddr, Pte.A);
    const bits = access === 1 ? Pte.A | Pte.D : Pte.A;
    if ((pte & bits) !== bits) this.setBits(pteAddr, bits);
    const gpa = ((pte & ADDR_LO) | (linear & 0xfff)) >>> 0;
    this.fillFinal(linear, gpa, pte | (access === 1 ? Pte.D : 0), perm, false, false);
    return gpa;
  }

  private walkPae(linear: number, access: 0 | 1 | 2, user: boolean): number {
    const i = (linear >>> 30) * 2;
    const pdptLo = this.pdpte[i];
    if ((pdptLo & Pte.P) === 0) return this.fault(0, access, user);
    const rsvdHi = this.nxe ? PAE_RSVD_HI : PAE_RSVD_HI | PTE_HI_XD;

    // Page directory entry.
    const pdHi = this.pdpte[i + 1] & PAE_ADDR_HI;
    const pdeAddr = ((pdptLo & ADDR_LO) | (((linear >>> 21) & 0x1ff) << 3)) >>> 0;
    let pdeLo: number;
    let pdeHi: number;
    if (pdHi === 0) {
      pdeLo = this.readPhys(pdeAddr);
      pdeHi = this.readPhys(pdeAddr + 4);
    } else {
      pdeLo = pdeHi = this.readAbove4G(pdHi, pdeAddr);
    }
    if ((pdeLo & Pte.P) === 0) return this.fault(0, access, user);
    if ((pdeHi & rsvdHi) !== 0) return this.fault(PfError.P | PfError.RSVD, access, user);

    if ((pdeLo & Pte.PS) !== 0) {
      if ((pdeLo & PDE2M_RSVD_LO) !== 0) return this.fault(PfError.P | PfError.RSVD, access, user);
      const nx = this.nxe && pdeHi < 0;
      if (!this.allowed(pdeLo, nx, access, user)) return this.fault(PfError.P, access, user);
      const bits = access === 1 ? Pte.A | Pte.D : Pte.A;
      if ((pdeLo & bits) !== bits) this.setBitsPae(pdHi, pdeAddr, bits);
      const hi = pdeHi & PAE_ADDR_HI;
      const lo = ((pdeLo & 0xffe00000) | (linear & 0x1fffff)) >>> 0;
      if (hi !== 0) return hi * 0x100000000 + lo;
      this.fillFinal(linear, lo, pdeLo | (access === 1 ? Pte.D : 0), pdeLo, nx, true);
      return lo;
    }

    // Page table entry.
    const ptHi = pdeHi & PAE_ADDR_HI;
    const pteAddr = ((pdeLo & ADDR_LO) | (((linear >>> 12) & 0x1ff) << 3)) >>> 0;
    let pteLo: number;
    let pteHi: number;
    if (ptHi === 0) {
      pteLo = this.readPhys(pteAddr);
      pteHi = this.readPhys(pteAddr + 4);
    } else {
      pteLo = pteHi = this.readAbove4G(ptHi, pteAddr);
    }
    if ((pteLo & Pte.P) === 0) return this.fault(0, access, user);
    if ((pteHi & rsvdHi) !== 0) return this.fault(PfError.P | PfError.RSVD, access, user);
    const nx = this.nxe && (pdeHi | pteHi) < 0;
    const perm = pdeLo & pteLo;
    if (!this.allowed(perm, nx, access, user)) return this.fault(PfError.P, access, user);
    if ((pdeLo & Pte.A) === 0) this.setBitsPae(pdHi, pdeAddr, Pte.A);
    const bits = access === 1 ? Pte.A | Pte.D : Pte.A;
    if ((pteLo & bits) !== bits) this.setBitsPae(ptHi, pteAddr, bits);
    const hi = pteHi & PAE_ADDR_HI;
    const lo = ((pteLo & ADDR_LO) | (linear & 0xfff)) >>> 0;
    if (hi !== 0) return hi * 0x100000000 + lo;
    this.fillFinal(linear, lo, pteLo | (access === 1 ? Pte.D : 0), perm, nx, false);
    return lo;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Permission check on the combined entry bits (`perm`: AND of R/W and U/S over all
   * levels). User accesses need U/S; user writes need R/W; supervisor writes need R/W
   * only with CR0.WP; fetches need !nx.
   */
  private allowed(perm: number, nx: boolean, access: 0 | 1 | 2, user: boolean): boolean {
    if (user && (perm & Pte.US) === 0) return false;
    if (access === 1) {
      if ((perm & Pte.RW) === 0 && (user || this.wp)) return false;
    } else if (access === 2 && nx) {
      return false;
    }
    return true;
  }

  private fault(bits: number, access: 0 | 1 | 2, user: boolean): number {
    let code = bits;
    if (access === 1) code |= PfError.W;
    if (user) code |= PfError.U;
    if (access === 2 && this.nxe && this.pae) code |= PfError.ID;
    this.faultErrorCode = code;
    return -1;
  }

  /**
   * Fill the TLB entry for `linear` → guest-physical `gpa` (< 2^32). `last`: final-level
   * entry (D and G looked at, D already including this access), `perm`: AND of R/W, U/S;
   * `large`: part of a 4 MiB / 2 MiB page.
   */
  private fillFinal(linear: number, gpa: number, last: number, perm: number, nx: boolean, large: boolean): void {
    let flags = TlbFlag.Valid;
    if (!nx) flags |= TlbFlag.Exec;
    if ((perm & Pte.US) !== 0) flags |= TlbFlag.User;
    if ((last & Pte.D) !== 0) {
      if ((perm & Pte.RW) !== 0) {
        flags |= TlbFlag.WriteSuper;
        if ((perm & Pte.US) !== 0) flags |= TlbFlag.WriteUser;
      } else if (!this.wp) {
        flags |= TlbFlag.WriteSuper;
      }
    }
    if (this.pge && (last & Pte.G) !== 0) flags |= TlbFlag.Global;
    if (large) flags |= TlbFlag.Large;
    this.fill(linear >>> PAGE_SHIFT, gpa >>> PAGE_SHIFT, flags);
  }

  private fill(lpage: number, gpage: number, flags: number): void {
    const h = this.pageHost[gpage];
    if (h < 0) return;
    if (this.writeSlow[gpage] !== 0) flags &= ~(TlbFlag.WriteSuper | TlbFlag.WriteUser);
    this.fillEntry(lpage, (h << PAGE_SHIFT) | flags);
  }

  /** Read an aligned dword of a paging structure at a physical address below 4 GiB. */
  private readPhys(gpa: number): number {
    const h = this.pageHost[gpa >>> PAGE_SHIFT];
    if (h >= 0) return this.i32[((h << PAGE_SHIFT) | (gpa & 0xfff)) >> 2];
    return this.mem.read32(gpa);
  }

  /** A paging-structure read at or above 4 GiB: nothing is mapped there. */
  private readAbove4G(hi: number, lo: number): number {
    return this.mem.unassigned.read(hi * 0x100000000 + lo, 4) | 0;
  }

  /** OR `bits` into the dword at `gpa` (< 4 GiB), honoring write-watch and the dirty log. */
  private setBits(gpa: number, bits: number): void {
    const p = gpa >>> PAGE_SHIFT;
    const h = this.pageHost[p];
    if (h >= 0 && this.writeSlow[p] === 0) {
      this.i32[((h << PAGE_SHIFT) | (gpa & 0xfff)) >> 2] |= bits;
    } else {
      this.mem.write32(gpa, this.mem.read32(gpa) | bits);
    }
  }

  private setBitsPae(hi: number, lo: number, bits: number): void {
    if (hi === 0) this.setBits(lo, bits);
  }
}
