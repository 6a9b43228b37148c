/** Local APIC (xAPIC) and APIC interrupt messages. */
export * from "./registers.js";
export * from "./message.js";
export * from "./state.js";
export * from "./lapic.js";
