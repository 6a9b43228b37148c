/** ACPI PM register block (PM1a event/control, PM timer, GPE0, reset register). */
export * from "./registers.js";
export * from "./state.js";
export * from "./acpi-pm.js";
