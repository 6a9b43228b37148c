/** 16550A UART. */
export * from "./registers.js";
export * from "./state.js";
export * from "./uart.js";
