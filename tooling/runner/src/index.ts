/** @virtkit/runner — run bare-metal multiboot guests on the virtkit CPU. */
export { runMultiboot } from "./machine.js";
export type { RunOptions, RunResult } from "./machine.js";
export { loadMultiboot, findMultibootHeader, MultibootError, MULTIBOOT_BOOTLOADER_MAGIC } from "./multiboot.js";
export type { MultibootImage } from "./multiboot.js";
