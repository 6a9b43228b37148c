/**
 * @virtkit/mmu: guest physical memory (RAM, ROM, MMIO, overlays, write-watch, dirty log)
 * and x86 paging with a software TLB.
 */
export * from "./physical-memory.js";
export * from "./tlb.js";
export * from "./paging.js";
