/**
 * The hypervisor's own memory: the 4 KiB pages that VMCS fields point to by host-physical
 * address (I/O bitmaps A/B, the MSR bitmap, VMCS regions, EPT roots). It is separate from
 * the guest's {@link PhysicalMemory}: a guest can never reach these pages, as on hardware.
 */

/** Size of a host page. */
export const HOST_PAGE_SIZE = 4096;

/** A page of hypervisor memory. */
export interface HostPage {
  /** Host-physical address (4 KiB aligned, below 4 GiB: IA32_VMX_BASIC bit 48 is set). */
  readonly hpa: number;
  /** The page's bytes. */
  readonly bytes: Uint8Array;
}

/** First host-physical address handed out (arbitrary; 0 stays invalid). */
const HOST_BASE = 0x10000000;

/** Allocator and lookup of host pages by host-physical address. */
export class HostMemory {
  private readonly pages = new Map<number, HostPage>();
  private next = HOST_BASE;

  /** Allocate a zero-filled page. */
  alloc(): HostPage {
    if (this.next >= 0xfffff000) throw new RangeError("HostMemory: out of host-physical address space");
    const page: HostPage = { hpa: this.next, bytes: new Uint8Array(HOST_PAGE_SIZE) };
    this.pages.set(page.hpa, page);
    this.next += HOST_PAGE_SIZE;
    return page;
  }

  /** Reserve an address without backing bytes (VMCS regions, EPT roots: modelled as objects). */
  reserve(): number {
    return this.alloc().hpa;
  }

  /** The page starting at `hpa`, or undefined if none was allocated there. */
  page(hpa: number): HostPage | undefined {
    return this.pages.get(hpa);
  }

  /** Free a page (later VMCS pointers to it fail their checks). */
  free(hpa: number): void {
    this.pages.delete(hpa);
  }
}
