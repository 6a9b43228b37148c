/**
 * @virtkit/pc — the PC board's firmware side: memory map and e820, ACPI tables (with a
 * generated DSDT), and the loaders (Linux bzImage, multiboot v1) with the CPU state they
 * hand over. The device wiring of the board builds on these.
 */
export * from "./memory-map.js";
export * from "./boot-state.js";
export * from "./loaders/bzimage.js";
export * from "./loaders/multiboot.js";
export * from "./acpi/tables.js";
export * from "./acpi/dsdt.js";
export * from "./acpi/build.js";
export * as aml from "./acpi/aml.js";
export { AmlError } from "./acpi/aml.js";
