/** High Precision Event Timer. */
export * from "./registers.js";
export * from "./state.js";
export * from "./hpet.js";
