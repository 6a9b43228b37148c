/**
 * @virtkit/devices: the device-plugin API (port I/O, MMIO, IRQ lines, clocks, snapshots,
 * PCI) and the PC's common device models. The conformance kit is in
 * `@virtkit/devices/testing`.
 */
export * from "./api/index.js";
export * from "./uart/index.js";
export * from "./pic/index.js";
export * from "./pit/index.js";
export * from "./rtc/index.js";
export * from "./i8042/index.js";
export * from "./acpi-pm/index.js";
export * from "./debug-ports/index.js";
export * from "./lapic/index.js";
export * from "./ioapic/index.js";
export * from "./hpet/index.js";
export * from "./pci/index.js";
