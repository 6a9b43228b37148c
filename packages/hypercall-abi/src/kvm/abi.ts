/**
 * KVM's paravirtual guest interface (arch/x86/include/uapi/asm/kvm_para.h facts): the CPUID
 * leaves, the feature bits of leaf 0x40000001, the MSRs and the hypercall numbers.
 */

/** CPUID leaf with the hypervisor signature and the highest KVM leaf. */
export const KVM_CPUID_SIGNATURE = 0x40000000;
/** CPUID leaf with the KVM feature bits (EAX) and hints (EDX). */
export const KVM_CPUID_FEATURES = 0x40000001;
/** The signature, in EBX ECX EDX order: "KVMKVMKVM\0\0\0". */
export const KVM_SIGNATURE = "KVMKVMKVM\0\0\0";

/** Feature bits of CPUID 0x40000001 EAX (bit numbers). */
export const KvmFeature = {
  KVM_FEATURE_CLOCKSOURCE: 0,
  KVM_FEATURE_NOP_IO_DELAY: 1,
  KVM_FEATURE_MMU_OP: 2,
  KVM_FEATURE_CLOCKSOURCE2: 3,
  KVM_FEATURE_ASYNC_PF: 4,
  KVM_FEATURE_STEAL_TIME: 5,
  KVM_FEATURE_PV_EOI: 6,
  KVM_FEATURE_PV_UNHALT: 7,
  KVM_FEATURE_PV_TLB_FLUSH: 9,
  KVM_FEATURE_ASYNC_PF_VMEXIT: 10,
  KVM_FEATURE_PV_SEND_IPI: 11,
  KVM_FEATURE_POLL_CONTROL: 12,
  KVM_FEATURE_PV_SCHED_YIELD: 13,
  /** The guest may rely on pvclock's PVCLOCK_TSC_STABLE_BIT. */
  KVM_FEATURE_CLOCKSOURCE_STABLE_BIT: 24,
} as const;

/** KVM paravirtual MSRs. */
export const KvmMsr = {
  MSR_KVM_WALL_CLOCK: 0x11,
  MSR_KVM_SYSTEM_TIME: 0x12,
  MSR_KVM_WALL_CLOCK_NEW: 0x4b564d00,
  MSR_KVM_SYSTEM_TIME_NEW: 0x4b564d01,
  MSR_KVM_ASYNC_PF_EN: 0x4b564d02,
  MSR_KVM_STEAL_TIME: 0x4b564d03,
  MSR_KVM_PV_EOI_EN: 0x4b564d04,
  MSR_KVM_POLL_CONTROL: 0x4b564d05,
} as const;

/** Hypercall numbers (EAX of VMCALL/VMMCALL). */
export const KvmHypercall = {
  KVM_HC_VAPIC_POLL_IRQ: 1,
  KVM_HC_MMU_OP: 2,
  KVM_HC_FEATURES: 3,
  KVM_HC_PPC_MAP_MAGIC_PAGE: 4,
  KVM_HC_KICK_CPU: 5,
  KVM_HC_MIPS_GET_CLOCK_FREQ: 6,
  KVM_HC_MIPS_EXIT_VM: 7,
  KVM_HC_MIPS_CONSOLE_OUTPUT: 8,
  KVM_HC_CLOCK_PAIRING: 9,
  KVM_HC_SEND_IPI: 10,
  KVM_HC_SCHED_YIELD: 11,
  KVM_HC_MAP_GPA_RANGE: 12,
} as const;

/** Hypercall return values (negated errno values, as KVM returns them). */
export const KvmHypercallStatus = {
  KVM_ENOSYS: -1000,
  KVM_EFAULT: -14,
  KVM_EINVAL: -22,
  KVM_E2BIG: -7,
  KVM_EPERM: -1,
  KVM_EOPNOTSUPP: -95,
} as const;

/** Bit 0 of MSR_KVM_SYSTEM_TIME(_NEW): the structure is enabled. */
export const KVM_SYSTEM_TIME_ENABLE = 1;

/** Encode the signature leaf: EAX = highest leaf, EBX/ECX/EDX = "KVMKVMKVM\0\0\0". */
export function kvmSignatureLeaf(maxLeaf: number, out: Int32Array): void {
  out[0] = maxLeaf;
  for (let r = 0; r < 3; r++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v |= KVM_SIGNATURE.charCodeAt(r * 4 + k) << (8 * k);
    out[r + 1] = v;
  }
}
