/**
 * @virtkit/kvm-shim — the KVM API, named and numbered as linux/kvm.h, as TypeScript objects:
 * `Kvm` (the system) → `KvmVm` → `KvmVcpu`, whose `run()` returns a kvm_run-shaped record.
 */
export * from "./uapi.js";
export { Kvm, KvmVm, KvmVcpu, KvmRun, KvmError } from "./kvm.js";
export type { KvmRegs, KvmSregs, KvmSegment, KvmDtable, KvmMsrEntry, KvmUserspaceMemoryRegion, KvmVmOptions } from "./kvm.js";
export { supportedCpuid, lookupCpuid, SUPPORTED_1_EDX, SUPPORTED_KVM_FEATURES, CPUID_1_ECX_HYPERVISOR } from "./cpuid.js";
export type { KvmCpuidEntry2 } from "./cpuid.js";
export { InKernelIrqchip, LAPIC_BASE, IOAPIC_BASE } from "./irqchip.js";
