/** @virtkit/kvm — the VMM as a library (tests and embedders). */
export { VirtualMachine } from "./vmm.js";
export type { VmResult, StopReason } from "./vmm.js";
export { parseOptions, OptionError, HELP } from "./options.js";
export type { VmConfig } from "./options.js";
export { EscapeFilter, attachTerminal } from "./console.js";
