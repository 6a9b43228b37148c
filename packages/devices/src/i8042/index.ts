/** i8042 keyboard controller with an AT keyboard. */
export * from "./registers.js";
export * from "./state.js";
export * from "./i8042.js";
