/** KVM paravirtual ABI. */
export * from "./abi.js";
export * from "./pvclock.js";
