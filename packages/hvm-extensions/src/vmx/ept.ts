import { PAGE_SIZE, type PhysicalMemory } from "@virtkit/mmu";
import { MEMORY_TYPE_UC, MEMORY_TYPE_WB } from "./capabilities.js";

/** EPT entry bit: reads allowed. */
export const EPT_READ = 1;
/** EPT entry bit: writes allowed. */
export const EPT_WRITE = 2;
/** EPT entry bit: instruction fetches allowed. */
export const EPT_EXEC = 4;
/** Read, write and execute. */
export const EPT_RWX = 7;
/** Shift of the memory-type field (bits 5:3) of a leaf entry. */
export const EPT_MT_SHIFT = 3;
/** Page-walk length - 1 (= 3) in EPTP bits 5:3. */
export const EPTP_PWL_4 = 3 << 3;

/** What an access to a guest-physical page finds in the EPT. */
export const EptResult = {
  /** Allowed. */
  OK: 0,
  /** EXIT_REASON_EPT_VIOLATION. */
  VIOLATION: 1,
  /** EXIT_REASON_EPT_MISCONFIG. */
  MISCONFIG: 2,
} as const;

const PAGES = 1 << 20;

/** Which {@link Ept} currently drives each PhysicalMemory. */
const active = new WeakMap<PhysicalMemory, Ept>();

/**
 * Extended page tables of one VM: guest-physical page → (host page, R/W/X, memory type),
 * held as one SDM-format leaf entry (bits 31:0 of an EPT PTE) per 4 KiB guest page.
 *
 * What is modelled, and how, on top of `@virtkit/mmu` (which has no second-level tables):
 *  - The EPT is realised in the VM's PhysicalMemory: a page whose entry is R+W+X with a valid
 *    memory type is mapped as RAM at its host page (`mapRam`), so the CPU's fast paths run at
 *    full speed; every other page the EPT has been told about is unmapped, and the vCPU runs
 *    with `mmioExits`, so any access to it reaches the VMX model, which decides: allowed by
 *    the entry (a read-only or write-only-by-permission page) → the model performs the access
 *    on the host page itself and the guest continues; not present or not permitted →
 *    EXIT_REASON_EPT_VIOLATION; malformed (W without R, X-only, reserved memory type) →
 *    EXIT_REASON_EPT_MISCONFIG.
 *  - Execute permission is recorded but not enforced: the CPU reports no "instruction fetch"
 *    flag on its MMIO exits, so a fetch looks like a read (listed as a CPU requirement).
 *  - The guest's own page-table walks read guest-physical memory directly: an EPT violation
 *    during a guest paging-structure access is not detected.
 *  - Pages the EPT was never told about keep whatever the monitor mapped there (for example
 *    an in-model device's `mapMmio`): a model shortcut, documented as such.
 *  - Changes take effect immediately (no stale EPT TLB; INVEPT is a no-op).
 *  - Large pages (2 MiB / 1 GiB) are not modelled: map ranges instead.
 */
export class Ept {
  /** The VM's guest-physical memory that this EPT drives. */
  readonly mem: PhysicalMemory;
  /** Host-physical address of the EPT PML4 table (what EPT_POINTER names). */
  readonly root: number;
  /** Leaf entry per guest page: bits 2:0 R/W/X, 5:3 memory type, 31:12 host page; 0 = not present. */
  readonly entries = new Int32Array(PAGES);
  /** 1 for every guest page this EPT controls (mapped, unmapped or protected through it). */
  private readonly owned = new Uint8Array(PAGES);

  /** The first EPT created for a PhysicalMemory is realised in it at once (so the monitor can load the guest image). */
  constructor(mem: PhysicalMemory, root: number) {
    this.mem = mem;
    this.root = root;
    if (!active.has(mem)) active.set(mem, this);
  }

  /** EPTP value for EPT_POINTER: write-back paging structures, 4-level walk, this root. */
  eptp(memoryType: number = MEMORY_TYPE_WB): number {
    return (this.root | EPTP_PWL_4 | memoryType) >>> 0;
  }

  /**
   * Map guest-physical [gpa, gpa+size) to host RAM at `hostOffset` (a byte offset into the
   * PhysicalMemory's backing store) with permissions `perms` (EPT_READ|EPT_WRITE|EPT_EXEC)
   * and memory type `memoryType` (write-back by default). Page aligned.
   */
  map(gpa: number, size: number, hostOffset: number = gpa, perms: number = EPT_RWX, memoryType: number = MEMORY_TYPE_WB): void {
    checkRange("map", gpa, size);
    if ((hostOffset & 0xfff) !== 0 || hostOffset < 0 || hostOffset + size > this.mem.ramSize) {
      throw new RangeError(`Ept.map: host range 0x${hostOffset.toString(16)}+0x${size.toString(16)} is not page aligned within RAM`);
    }
    const first = gpa / PAGE_SIZE;
    const host = hostOffset / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) {
      this.entries[first + i] = (((host + i) << 12) | ((memoryType & 7) << EPT_MT_SHIFT) | (perms & 7)) | 0;
      this.owned[first + i] = 1;
    }
    this.apply(first, n);
  }

  /** Make [gpa, gpa+size) not present: every access to it is an EPT violation. */
  unmap(gpa: number, size: number): void {
    checkRange("unmap", gpa, size);
    const first = gpa / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) {
      this.entries[first + i] = 0;
      this.owned[first + i] = 1;
    }
    this.apply(first, n);
  }

  /** Change the R/W/X permissions of mapped pages in [gpa, gpa+size) (the host pages stay). */
  protect(gpa: number, size: number, perms: number): void {
    checkRange("protect", gpa, size);
    const first = gpa / PAGE_SIZE;
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) {
      this.entries[first + i] = (this.entries[first + i] & ~7) | (perms & 7);
      this.owned[first + i] = 1;
    }
    this.apply(first, n);
  }

  /**
   * Store a raw leaf entry (bits 31:0 of the SDM's EPT PTE format) for the page holding
   * `gpa`: for tools and for tests of EPT misconfigurations.
   */
  setEntry(gpa: number, entry: number): void {
    const p = Math.floor(gpa / PAGE_SIZE);
    this.entries[p] = entry | 0;
    this.owned[p] = 1;
    this.apply(p, 1);
  }

  /** The leaf entry of the page holding `gpa`. */
  entry(gpa: number): number {
    return this.entries[Math.floor(gpa / PAGE_SIZE)];
  }

  /** True if this EPT controls the page holding `gpa`. */
  controls(gpa: number): boolean {
    return this.owned[Math.floor(gpa / PAGE_SIZE)] === 1;
  }

  /** Classify an access (`write` true for stores) to `gpa` as an {@link EptResult}. */
  check(gpa: number, write: boolean): number {
    const e = this.entries[Math.floor(gpa / PAGE_SIZE)];
    if ((e & 7) === 0) return EptResult.VIOLATION;
    if (isMisconfigured(e)) return EptResult.MISCONFIG;
    const need = write ? EPT_WRITE : EPT_READ;
    return (e & need) !== 0 ? EptResult.OK : EptResult.VIOLATION;
  }

  /** Byte offset into the PhysicalMemory backing store of guest-physical `gpa` (entry must be present). */
  hostOffset(gpa: number): number {
    const e = this.entries[Math.floor(gpa / PAGE_SIZE)];
    return (e & -4096) >>> 0 | (gpa & 0xfff);
  }

  /** Make this EPT the one realised in its PhysicalMemory (VM entry with this EPTP). Returns true if it changed. */
  activate(): boolean {
    if (active.get(this.mem) === this) return false;
    active.set(this.mem, this);
    this.apply(0, PAGES);
    return true;
  }

  /** True if this EPT is the one realised in its PhysicalMemory. */
  get isActive(): boolean {
    return active.get(this.mem) === this;
  }

  /** Realise pages [first, first+n) in the PhysicalMemory (coalescing runs of plain RAM). */
  private apply(first: number, n: number): void {
    if (active.get(this.mem) !== this) return;
    const mem = this.mem;
    let p = first;
    const end = first + n;
    while (p < end) {
      if (this.owned[p] === 0) {
        p++;
        continue;
      }
      const e = this.entries[p];
      if (isDirectRam(e)) {
        // Extend the run while both guest and host pages stay contiguous.
        let q = p + 1;
        while (q < end && this.owned[q] === 1 && isDirectRam(this.entries[q]) &&
          (this.entries[q] >>> 12) === (e >>> 12) + (q - p)) q++;
        mem.mapRam(p * PAGE_SIZE, (q - p) * PAGE_SIZE, (e >>> 12) * PAGE_SIZE);
        p = q;
      } else {
        let q = p + 1;
        while (q < end && this.owned[q] === 1 && !isDirectRam(this.entries[q])) q++;
        mem.unmap(p * PAGE_SIZE, (q - p) * PAGE_SIZE);
        p = q;
      }
    }
  }
}

/** An entry the CPU may use directly: R+W+X with a valid memory type. */
function isDirectRam(e: number): boolean {
  return (e & 7) === EPT_RWX && !isMisconfigured(e);
}

/**
 * EPT misconfiguration of a present leaf entry (SDM vol. 3 §28.3.3.1): write without read,
 * execute-only without IA32_VMX_EPT_VPID_CAP bit 0, or a reserved memory type (2, 3, 7).
 */
export function isMisconfigured(e: number): boolean {
  const perms = e & 7;
  if (perms === 0) return false;
  if ((perms & EPT_READ) === 0) return true;
  const mt = (e >> EPT_MT_SHIFT) & 7;
  return mt === 2 || mt === 3 || mt === 7;
}

/** True if `eptp` is a well-formed EPT pointer for this model (memory type, walk length, reserved bits). */
export function isValidEptp(eptpLo: number, eptpHi: number): boolean {
  const mt = eptpLo & 7;
  if (mt !== MEMORY_TYPE_WB && mt !== MEMORY_TYPE_UC) return false;
  if ((eptpLo & (7 << 3)) !== EPTP_PWL_4) return false;
  // Bit 6 (accessed/dirty flags) is not supported; bits 11:7 are reserved.
  if ((eptpLo & 0xfc0) !== 0) return false;
  // Physical-address width 32 (IA32_VMX_BASIC bit 48): the high half must be zero.
  return eptpHi === 0;
}

function checkRange(what: string, gpa: number, size: number): void {
  if (!Number.isInteger(gpa) || !Number.isInteger(size) || gpa < 0 || size <= 0 ||
    (gpa & 0xfff) !== 0 || (size & 0xfff) !== 0 || gpa + size > 0x100000000) {
    throw new RangeError(`Ept.${what}: range 0x${gpa.toString(16)}+0x${size.toString(16)} is not page aligned within 4 GiB`);
  }
}
