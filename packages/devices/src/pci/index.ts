/** PCI: configuration space, MSI, and the host bridge (mechanism #1). */
export * from "./registers.js";
export * from "./config-space.js";
export * from "./host.js";
