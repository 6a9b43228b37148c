/** POST code port (0x80) and the debug console port (0xE9). */
export * from "./debug-ports.js";
