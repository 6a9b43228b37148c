/**
 * @virtkit/hypercall-abi — each hypervisor's guest ABI as data and codecs; handling the calls
 * is each monitor's job. This release holds the KVM paravirtual interface (CPUID leaves,
 * features, MSRs, hypercall numbers, kvm-clock's pvclock structures).
 */
export * from "./kvm/index.js";
