/**
 * @virtkit/devices: the device-plugin API (port I/O, MMIO, IRQ lines, clocks, snapshots,
 * PCI) and the PC's common device models. The conformance kit is in
 * `@virtkit/devices/testing`.
 */
export * from "./api/index.js";
