/**
 * The consumer view of guest memory for DMA (vm-memory style): `@virtkit/mmu`'s
 * `GuestMemory`, which `PhysicalMemory` implements. Devices take this interface, never
 * the provider.
 */
export type { GuestMemory } from "@virtkit/mmu";
