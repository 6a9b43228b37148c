/**
 * Which kernel modules each monitor's initramfs carries and loads (GUESTS.md, "What each
 * monitor must get out of this same kernel"). Dependencies are added from `.modinfo`.
 */

/** A monitor the Linux guest is built for. */
export type LinuxFlavour = "kvm" | "xen" | "hyperv" | "esx";

/** What the initramfs of one flavour holds beyond busybox and /init. */
export interface FlavourSpec {
  /** Modules /init loads, in this order (their dependencies are loaded before them). */
  modules: readonly string[];
  /** The hypervisor CPUID signature (leaf 0x40000000) this flavour's monitor presents. */
  cpuidSignature: string;
  /** One kernel log line the end-to-end tests expect, as a reminder of what it is for. */
  expectLog: string;
}

/** The flavour table. Module names may use '-' or '_' (the kernel treats them alike). */
export const LINUX_FLAVOURS: Readonly<Record<LinuxFlavour, FlavourSpec>> = {
  kvm: {
    modules: ["virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "virtio_rng", "virtio_balloon"],
    cpuidSignature: "KVMKVMKVM\0\0\0",
    expectLog: "Hypervisor detected: KVM",
  },
  xen: {
    modules: ["xen-blkfront", "xen-netfront"],
    cpuidSignature: "XenVMMXenVMM",
    expectLog: "Hypervisor detected: Xen HVM",
  },
  hyperv: {
    modules: ["hv_vmbus", "hv_utils", "hv_netvsc", "hv_storvsc", "hv_balloon"],
    cpuidSignature: "Microsoft Hv",
    expectLog: "Hypervisor detected: Microsoft Hyper-V",
  },
  esx: {
    modules: ["vmw_balloon", "vmxnet3", "vmw_pvscsi"],
    cpuidSignature: "VMwareVMware",
    expectLog: "Hypervisor detected: VMware",
  },
};

/** Whether `s` names a flavour of {@link LINUX_FLAVOURS}. */
export function isLinuxFlavour(s: string): s is LinuxFlavour {
  return Object.hasOwn(LINUX_FLAVOURS, s);
}
