/** 8254 programmable interval timer and port 0x61. */
export * from "./registers.js";
export * from "./state.js";
export * from "./pit.js";
