import { beforeEach, describe, expect, it } from "vitest";
import { AddressSpace, PfError, Pte } from "./paging.js";
import { PhysicalMemory } from "./physical-memory.js";
import { SoftTlb, TlbFlag } from "./tlb.js";

const { P, RW, US, A, D, PS, G } = Pte;
const R = 0 as const;
const W = 1 as const;
const X = 2 as const;
const XD_HI = 0x80000000 | 0;

const FULL = TlbFlag.Valid | TlbFlag.User | TlbFlag.WriteSuper | TlbFlag.WriteUser | TlbFlag.Exec;

function flagsOf(e: number): number {
  return e & 0xfff;
}

function setup(): { mem: PhysicalMemory; as: AddressSpace } {
  const mem = new PhysicalMemory({ ramSize: 8 << 20, reservePages: 8 });
  mem.mapRam(0, 8 << 20);
  return { mem, as: new AddressSpace(mem) };
}

describe("paging off", () => {
  it("maps linear = physical and fills full-permission entries for RAM", () => {
    const { as } = setup();
    expect(as.translate(0x123456, R, false)).toBe(0x123456);
    expect(as.tlb[0x123]).toBe((0x123 << 12) | FULL);
    expect(as.translate(-4096, W, true)).toBe(0xfffff000);
    expect(as.tlb[0xfffff]).toBe(0); // unmapped: never entered
  });

  it("keeps slow pages out of the fast write path", () => {
    const { mem, as } = setup();
    mem.mapRom(0x900000, new Uint8Array(4));
    mem.mapMmio(0xa00000, 0x1000, { read: () => 0, write: () => undefined }, "dev");
    mem.watch(5);
    as.translate(0x900000, R, false);
    as.translate(0xa00000, R, false);
    as.translate(0x5000, R, false);
    expect(flagsOf(as.tlb[0x900])).toBe(TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec);
    expect(as.tlb[0x900] >>> 12).toBe(mem.pageHost[0x900]);
    expect(as.tlb[0xa00]).toBe(0);
    expect(flagsOf(as.tlb[5])).toBe(TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec);
  });
});

describe("32-bit paging", () => {
  let mem: PhysicalMemory;
  let as: AddressSpace;
  const PD = 0x10000;
  const PT = 0x11000;
  const pde = (lin: number) => PD + (lin >>> 22) * 4;
  const pte = (lin: number) => PT + ((lin >>> 12) & 0x3ff) * 4;

  beforeEach(() => {
    ({ mem, as } = setup());
    as.pg = true;
    as.cr3 = PD;
    mem.write32(pde(0x400000), PT | P | RW | US);
    mem.write32(pte(0x400000), 0x200000 | P | RW | US);
    mem.write32(pte(0x401000), 0x201000 | P | US); // read-only user
    mem.write32(pte(0x402000), 0x202000 | P | RW); // supervisor
  });

  it("translates 4 KiB pages, sets A on both levels and D only on writes", () => {
    expect(as.translate(0x400abc, R, true)).toBe(0x200abc);
    expect(mem.read32(pde(0x400000)) & (A | D)).toBe(A);
    expect(mem.read32(pte(0x400000)) & (A | D)).toBe(A);
    // read fill: no fast write until the PTE is dirty
    expect(as.tlb[0x400]).toBe((0x200 << 12) | TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec);
    expect(as.translate(0x400abc, W, true)).toBe(0x200abc);
    expect(mem.read32(pte(0x400000)) & (A | D)).toBe(A | D);
    expect(mem.read32(pde(0x400000)) & D).toBe(0);
    expect(as.tlb[0x400]).toBe((0x200 << 12) | FULL);
  });

  it("reports not-present faults with W/U bits and no I/D", () => {
    expect(as.translate(0x800000, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(0);
    expect(as.translate(0x403000, W, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.W | PfError.U);
    as.nxe = true; // no I/D without PAE
    expect(as.translate(0x403000, X, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(0);
    expect(as.tlb[0x403]).toBe(0);
  });

  it("write to a read-only user page: user faults, supervisor depends on WP", () => {
    expect(as.translate(0x401000, W, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.W | PfError.U);
    expect(mem.read32(pte(0x401000)) & (A | D)).toBe(0); // nothing set on a fault
    expect(as.translate(0x401000, W, false)).toBe(0x201000); // WP=0
    expect(mem.read32(pte(0x401000)) & D).toBe(D);
    expect(flagsOf(as.tlb[0x401])).toBe(TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec | TlbFlag.WriteSuper);
    as.flushAll();
    as.wp = true;
    expect(as.translate(0x401000, W, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.W);
    expect(as.translate(0x401000, R, false)).toBe(0x201000);
    expect(flagsOf(as.tlb[0x401])).toBe(TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec);
  });

  it("read-only at the directory level applies to the whole table", () => {
    mem.write32(pde(0x400000), PT | P | US);
    as.wp = true;
    expect(as.translate(0x400000, W, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.W);
  });

  it("user access to a supervisor page faults; supervisor access works", () => {
    expect(as.translate(0x402000, R, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.U);
    expect(as.translate(0x402000, X, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.U);
    expect(as.translate(0x402000, W, false)).toBe(0x202000);
    expect(flagsOf(as.tlb[0x402])).toBe(TlbFlag.Valid | TlbFlag.WriteSuper | TlbFlag.Exec);
    // U/S clear in the PDE only
    mem.write32(pde(0x400000), PT | P | RW);
    as.flushAll();
    expect(as.translate(0x400000, R, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.U);
  });

  it("maps 4 MiB pages with PSE, ignores PS without it, and checks bits 13..21", () => {
    mem.write32(pde(0xc0000000), 0x400000 | P | RW | PS);
    as.pse = true;
    expect(as.translate(0xc0123456, W, false)).toBe(0x523456);
    expect(mem.read32(pde(0xc0000000)) & (A | D)).toBe(A | D);
    expect(flagsOf(as.tlb[0xc0123])).toBe(TlbFlag.Valid | TlbFlag.WriteSuper | TlbFlag.Exec | TlbFlag.Large);
    // without PSE the PDE points at a page table at 0x400000 (all zero: not present)
    as.pse = false;
    as.flushAll();
    expect(as.translate(0xc0123456, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(0);
    // PSE-36 bits are reserved
    as.pse = true;
    mem.write32(pde(0xc0000000), 0x400000 | P | RW | PS | (1 << 13));
    expect(as.translate(0xc0000000, R, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD | PfError.U);
    mem.write32(pde(0xc0000000), 0x400000 | P | RW | PS | (1 << 21));
    expect(as.translate(0xc0000000, W, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD | PfError.W);
  });

  it("invlpg of an address in a 4 MiB page drops its other 4 KiB pieces", () => {
    mem.write32(pde(0xc0000000), 0x400000 | P | RW | PS);
    as.pse = true;
    as.translate(0xc0000000, R, false);
    as.translate(0xc0001000, R, false);
    as.translate(0x400000, R, true);
    as.invlpg(0xc0200000);
    expect(as.tlb[0xc0000]).toBe(0);
    expect(as.tlb[0xc0001]).toBe(0);
    expect(as.tlb[0x400]).not.toBe(0);
  });

  it("honors G only with PGE; flushNonGlobal keeps globals, flushAll and invlpg do not", () => {
    mem.write32(pte(0x400000), 0x200000 | P | RW | US | G);
    as.translate(0x400000, R, false);
    as.translate(0x402000, R, false);
    expect(as.tlb[0x400] & TlbFlag.Global).toBe(0);
    as.flushNonGlobal();
    expect(as.tlb[0x400]).toBe(0);

    as.pge = true;
    as.translate(0x400000, R, false);
    as.translate(0x402000, R, false);
    expect(as.tlb[0x400] & TlbFlag.Global).toBe(TlbFlag.Global);
    as.flushNonGlobal();
    expect(as.tlb[0x400]).not.toBe(0);
    expect(as.tlb[0x402]).toBe(0);
    expect(as.filledEntries).toBe(1);
    as.invlpg(0x400123);
    expect(as.tlb[0x400]).toBe(0);
    as.translate(0x400000, R, false);
    as.flushAll();
    expect(as.tlb[0x400]).toBe(0);
    expect(as.filledEntries).toBe(0);
  });

  it("does not fill entries for MMIO-backed translations and returns the gpa", () => {
    mem.mapMmio(0xfee00000, 0x1000, { read: () => 0, write: () => undefined }, "lapic");
    mem.write32(pte(0x405000), 0xfee00000 | P | RW);
    expect(as.translate(0x405010, W, false)).toBe(0xfee00010);
    expect(as.tlb[0x405]).toBe(0);
  });

  it("A/D updates go through the slow path (dirty log sees page-table writes)", () => {
    mem.enableDirtyLog(true);
    mem.getAndClearDirtyLog();
    as.translate(0x400000, W, false);
    const bm = mem.getAndClearDirtyLog();
    expect(bm[PD >>> 15] & (1 << ((PD >>> 12) & 7))).not.toBe(0);
    expect(bm[PT >>> 15] & (1 << ((PT >>> 12) & 7))).not.toBe(0);
    // no writes at all when A/D are already set
    as.flushAll();
    as.translate(0x400000, W, false);
    expect(Array.from(mem.getAndClearDirtyLog()).every((b) => b === 0)).toBe(true);
  });
});

describe("PAE paging", () => {
  let mem: PhysicalMemory;
  let as: AddressSpace;
  const PDPT = 0x20020; // 32-byte aligned
  const PD = 0x21000;
  const PT = 0x22000;
  const pde = (lin: number) => PD + ((lin >>> 21) & 0x1ff) * 8;
  const pte = (lin: number) => PT + ((lin >>> 12) & 0x1ff) * 8;
  function set64(gpa: number, lo: number, hi = 0): void {
    mem.write32(gpa, lo);
    mem.write32(gpa + 4, hi);
  }

  beforeEach(() => {
    ({ mem, as } = setup());
    as.pg = true;
    as.pae = true;
    as.cr3 = PDPT;
    set64(PDPT, PD | P); // 0..1 GiB
    set64(pde(0x400000), PT | P | RW | US);
    set64(pte(0x400000), 0x300000 | P | RW | US);
    set64(pte(0x401000), 0x301000 | P | RW | US, XD_HI);
    set64(pde(0x600000), 0x600000 | P | RW | US | PS); // 2 MiB page at 6 MiB
    expect(as.loadPdptes()).toBe(true);
  });

  it("translates 4 KiB pages with A/D bits", () => {
    expect(as.translate(0x400123, R, true)).toBe(0x300123);
    expect(mem.read32(pde(0x400000)) & (A | D)).toBe(A);
    expect(mem.read32(pte(0x400000)) & (A | D)).toBe(A);
    expect(as.translate(0x400123, W, true)).toBe(0x300123);
    expect(mem.read32(pte(0x400000)) & (A | D)).toBe(A | D);
    expect(as.tlb[0x400]).toBe((0x300 << 12) | FULL);
    expect(as.pdpteLo(0)).toBe(PD | P);
  });

  it("maps 2 MiB pages regardless of CR4.PSE, and checks bits 13..20", () => {
    expect(as.translate(0x7fffff, W, false)).toBe(0x7fffff);
    expect(mem.read32(pde(0x600000)) & (A | D)).toBe(A | D);
    expect(flagsOf(as.tlb[0x7ff])).toBe(FULL | TlbFlag.Large);
    set64(pde(0x600000), 0x600000 | P | RW | US | PS | (1 << 20));
    as.flushAll();
    expect(as.translate(0x600000, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD);
  });

  it("treats bits 36..62 as reserved at PDE and PTE level", () => {
    set64(pte(0x400000), 0x300000 | P | RW | US, 1 << 8); // bit 40
    expect(as.translate(0x400000, W, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD | PfError.W | PfError.U);
    set64(pde(0x400000), PT | P | RW | US, 0x40000000); // bit 62
    expect(as.translate(0x400000, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD);
  });

  it("XD is reserved without NXE", () => {
    expect(as.translate(0x401000, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD);
    expect(as.translate(0x401000, X, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD); // no I/D without NXE
  });

  it("NX forbids fetches with I/D in the error code; data access still works", () => {
    as.nxe = true;
    expect(as.translate(0x401000, X, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.ID);
    expect(as.translate(0x401000, X, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.ID | PfError.U);
    expect(as.translate(0x401000, R, true)).toBe(0x301000);
    expect(as.tlb[0x401] & TlbFlag.Exec).toBe(0);
    expect(as.translate(0x400000, X, true)).toBe(0x300000);
    expect(as.tlb[0x400] & TlbFlag.Exec).toBe(TlbFlag.Exec);
    // NX in the PDE covers the whole table
    set64(pde(0x400000), PT | P | RW | US, XD_HI);
    as.flushAll();
    expect(as.translate(0x400000, X, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.ID);
    // not-present fetch carries I/D too
    expect(as.translate(0x800000, X, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.ID);
  });

  it("not-present PDPTE faults; loadPdptes rejects reserved bits and keeps the old entries", () => {
    expect(as.translate(0x40000000, W, true)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.W | PfError.U);
    set64(PDPT + 8, PD | P | RW); // bit 1 reserved in a PDPTE
    expect(as.loadPdptes()).toBe(false);
    expect(as.pdpteLo(1)).toBe(0);
    set64(PDPT + 8, PD | P, 0x10); // bit 36
    expect(as.loadPdptes()).toBe(false);
    set64(PDPT + 8, PD | P, 0x1); // bit 32: address bit, fine
    set64(PDPT + 16, RW | 0x1e0, -1); // not present: reserved bits do not matter
    expect(as.loadPdptes()).toBe(true);
    expect(as.pdpteHi(1)).toBe(1);
  });

  it("returns addresses above 4 GiB without filling the TLB", () => {
    set64(pte(0x402000), 0x5000 | P | RW, 0x3);
    expect(as.translate(0x402010, R, false)).toBe(0x300005010);
    expect(as.tlb[0x402]).toBe(0);
    // tables above 4 GiB read as all ones: reserved bits set
    set64(pde(0x800000), 0x1000 | P | RW, 0x1);
    expect(as.translate(0x800000, R, false)).toBe(-1);
    expect(as.faultErrorCode).toBe(PfError.P | PfError.RSVD);
  });
});

describe("write revocation", () => {
  function mapped(): { mem: PhysicalMemory; as: AddressSpace; pte: (lin: number, phys: number) => void } {
    const { mem, as } = setup();
    as.pg = true;
    as.cr3 = 0x10000;
    mem.write32(0x10000, 0x11000 | P | RW | US);
    const pte = (lin: number, phys: number): void => {
      mem.write32(0x11000 + ((lin >>> 12) & 0x3ff) * 4, phys | P | RW | US | A | D);
    };
    return { mem, as, pte };
  }

  it("watch drops write bits of the entry but keeps it readable", () => {
    const { mem, as, pte } = mapped();
    pte(0x1000, 0x200000);
    as.translate(0x1000, R, false);
    expect(as.tlb[1]).toBe((0x200 << 12) | FULL);
    mem.watch(0x200);
    expect(as.tlb[1]).toBe((0x200 << 12) | TlbFlag.Valid | TlbFlag.User | TlbFlag.Exec);
    // refill while watched: still no write permission
    as.translate(0x1000, W, false);
    expect(as.tlb[1] & (TlbFlag.WriteSuper | TlbFlag.WriteUser)).toBe(0);
    mem.unwatch(0x200);
    as.translate(0x1000, W, false);
    expect(as.tlb[1]).toBe((0x200 << 12) | FULL);
  });

  it("revokes every alias (one, two, or many linear pages per host page)", () => {
    const { mem, as, pte } = mapped();
    for (let i = 0; i < 5; i++) pte(0x1000 * (i + 1), 0x200000);
    pte(0x10000, 0x201000);
    for (let n = 1; n <= 5; n++) {
      for (let i = 0; i < n; i++) as.translate(0x1000 * (i + 1), R, false);
      as.translate(0x10000, R, false);
      mem.watch(0x200);
      for (let i = 0; i < n; i++) expect(as.tlb[i + 1] & (TlbFlag.WriteSuper | TlbFlag.WriteUser)).toBe(0);
      expect(as.tlb[0x10] & TlbFlag.WriteSuper).toBe(TlbFlag.WriteSuper);
      mem.unwatch(0x200);
      as.flushAll();
    }
  });

  it("revokes globals kept across flushNonGlobal", () => {
    const { mem, as } = mapped();
    mem.write32(0x11000 + 4, 0x200000 | P | RW | A | D | G);
    as.pge = true;
    as.translate(0x1000, R, false);
    as.flushNonGlobal();
    mem.watch(0x200);
    expect(as.tlb[1] & TlbFlag.WriteSuper).toBe(0);
    expect(as.tlb[1] & TlbFlag.Valid).toBe(TlbFlag.Valid);
  });

  it("dirty-log re-arm revokes fast writes", () => {
    const { mem, as, pte } = mapped();
    pte(0x1000, 0x200000);
    mem.enableDirtyLog(true);
    as.translate(0x1000, W, false);
    expect(as.tlb[1] & TlbFlag.WriteSuper).toBe(0); // armed: slow path first
    mem.write8(0x200000, 1); // the CPU's slow path
    as.translate(0x1000, W, false);
    expect(as.tlb[1] & TlbFlag.WriteSuper).toBe(TlbFlag.WriteSuper);
    const bm = mem.getAndClearDirtyLog();
    expect(bm[0x200 >> 3] & 1).toBe(1);
    expect(as.tlb[1] & TlbFlag.WriteSuper).toBe(0);
    expect(as.tlb[1] & TlbFlag.Valid).toBe(TlbFlag.Valid);
  });

  it("remapping the guest page drops the entry entirely", () => {
    const { mem, as, pte } = mapped();
    pte(0x1000, 0x200000);
    as.translate(0x1000, R, false);
    mem.addOverlay(0x200000);
    expect(as.tlb[1]).toBe(0);
    as.translate(0x1000, R, false);
    expect(as.tlb[1] >>> 12).toBe(mem.pageHost[0x200]);
    mem.removeOverlay(0x200000);
    expect(as.tlb[1]).toBe(0);
  });

  it("dispose unregisters the address space", () => {
    const { mem, as, pte } = mapped();
    pte(0x1000, 0x200000);
    as.translate(0x1000, R, false);
    as.dispose();
    mem.watch(0x200);
    expect(as.tlb[1] & TlbFlag.WriteSuper).toBe(TlbFlag.WriteSuper);
  });
});

describe("SoftTlb bookkeeping", () => {
  it("clears only filled entries, and everything after overflow", () => {
    const t = new SoftTlb(16, 4);
    for (let i = 0; i < 4; i++) t.fillEntry(i * 1000, (1 << 12) | TlbFlag.Valid);
    t.fillEntry(0, (2 << 12) | TlbFlag.Valid); // refill: not listed twice
    expect(t.filledEntries).toBe(4);
    expect(t.overflowed).toBe(false);
    t.flushAll();
    for (let i = 0; i < 4; i++) expect(t.tlb[i * 1000]).toBe(0);
    for (let i = 0; i < 6; i++) t.fillEntry(i * 1000, (1 << 12) | TlbFlag.Valid | (i === 5 ? TlbFlag.Global : 0));
    expect(t.overflowed).toBe(true);
    t.flushNonGlobal();
    expect(t.overflowed).toBe(false);
    expect(t.filledEntries).toBe(1);
    for (let i = 0; i < 5; i++) expect(t.tlb[i * 1000]).toBe(0);
    expect(t.tlb[5000]).not.toBe(0);
    for (let i = 0; i < 6; i++) t.fillEntry(i * 1000 + 1, (1 << 12) | TlbFlag.Valid);
    t.flushAll();
    expect(t.tlb.every((e) => e === 0)).toBe(true);
  });

  it("revokes writes in the many-aliases case after overflow", () => {
    const t = new SoftTlb(16, 2);
    const e = (3 << 12) | TlbFlag.Valid | TlbFlag.WriteSuper;
    for (let i = 0; i < 5; i++) t.fillEntry(100 + i, e);
    t.fillEntry(200, (4 << 12) | TlbFlag.Valid | TlbFlag.WriteSuper);
    t.revokeWrite(3);
    for (let i = 0; i < 5; i++) expect(t.tlb[100 + i]).toBe((3 << 12) | TlbFlag.Valid);
    expect(t.tlb[200] & TlbFlag.WriteSuper).toBe(TlbFlag.WriteSuper);
    t.invalidateHostPage(4);
    expect(t.tlb[200]).toBe(0);
  });

  it("invlpg keeps the filled list consistent", () => {
    const t = new SoftTlb(16, 8);
    t.fillEntry(7, (1 << 12) | TlbFlag.Valid);
    t.invlpg(7 << 12);
    t.fillEntry(7, (1 << 12) | TlbFlag.Valid);
    expect(t.filledEntries).toBe(1);
    t.flushAll();
    expect(t.tlb[7]).toBe(0);
  });
});
