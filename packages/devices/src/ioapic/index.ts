/** I/O APIC. */
export * from "./registers.js";
export * from "./state.js";
export * from "./ioapic.js";
