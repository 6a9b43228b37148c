/** 8259A programmable interrupt controller pair with ELCR. */
export * from "./registers.js";
export * from "./state.js";
export * from "./pic.js";
