/**
 * Multiboot v1 for the bare-metal runner: the loader itself lives in @virtkit/pc (the board
 * package); this applies its entry state to a CPU.
 */
import type { Cpu } from "@virtkit/cpu";
import type { PhysicalMemory } from "@virtkit/mmu";
import { applyBootState, loadMultiboot as loadImage } from "@virtkit/pc";

export { findMultibootHeader, MultibootError, MULTIBOOT_BOOTLOADER_MAGIC } from "@virtkit/pc";

/** Where the image went and its entry point. */
export interface MultibootImage {
  entry: number;
  /** Lowest and highest+1 physical addresses loaded. */
  loadStart: number;
  loadEnd: number;
}

/** Load a multiboot v1 image (ELF32 or a.out kludge) into memory and put the CPU in its entry state. */
export function loadMultiboot(image: Uint8Array, mem: PhysicalMemory, cpu: Cpu, cmdline = ""): MultibootImage {
  const r = loadImage(image, mem, { cmdline });
  applyBootState(cpu, r.state);
  return { entry: r.entry, loadStart: r.loadStart, loadEnd: r.loadEnd };
}
