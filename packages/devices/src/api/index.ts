/** The device-plugin API: buses, IRQ lines, clocks, snapshots, errors. */
export * from "./errors.js";
export * from "./io.js";
export * from "./mmio.js";
export * from "./irq.js";
export * from "./clock.js";
export * from "./state.js";
export * from "./memory.js";
