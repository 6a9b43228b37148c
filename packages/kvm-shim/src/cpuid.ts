/**
 * CPUID as KVM presents it: KVM_GET_SUPPORTED_CPUID's table (a P6-class processor plus the
 * KVM paravirtual leaves) and the per-vCPU table set with KVM_SET_CPUID2.
 */
import { CpuidEdx, fourCC } from "@virtkit/cpu";
import { KVM_CPUID_FEATURES, KVM_CPUID_SIGNATURE, KvmFeature, kvmSignatureLeaf } from "@virtkit/hypercall-abi";

/** struct kvm_cpuid_entry2 (flags/padding omitted). */
export interface KvmCpuidEntry2 {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** kvm_cpuid_entry2.flags: the leaf depends on ECX (subleaf). */
export const KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

/** CPUID.1:ECX bit 31: running under a hypervisor. */
export const CPUID_1_ECX_HYPERVISOR = 1 << 31;

/** The P6 features this CPU implements, as KVM reports them in leaf 1 EDX. */
export const SUPPORTED_1_EDX =
  CpuidEdx.FPU | CpuidEdx.DE | CpuidEdx.PSE | CpuidEdx.TSC | CpuidEdx.MSR | CpuidEdx.PAE |
  CpuidEdx.CX8 | CpuidEdx.APIC | CpuidEdx.SEP | CpuidEdx.PGE | CpuidEdx.CMOV | CpuidEdx.PAT |
  CpuidEdx.FXSR;

/** KVM paravirtual features offered (leaf 0x40000001 EAX): kvm-clock (both MSR sets) and NOP I/O delay. */
export const SUPPORTED_KVM_FEATURES =
  (1 << KvmFeature.KVM_FEATURE_CLOCKSOURCE) | (1 << KvmFeature.KVM_FEATURE_NOP_IO_DELAY) |
  (1 << KvmFeature.KVM_FEATURE_CLOCKSOURCE2) | (1 << KvmFeature.KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);

function entry(fn: number, eax: number, ebx: number, ecx: number, edx: number): KvmCpuidEntry2 {
  return { function: fn, index: 0, flags: 0, eax, ebx, ecx, edx };
}

/** KVM_GET_SUPPORTED_CPUID: what this host can present to a guest. */
export function supportedCpuid(): KvmCpuidEntry2[] {
  const sig = new Int32Array(4);
  kvmSignatureLeaf(KVM_CPUID_FEATURES, sig);
  const brand = "virtkit KVM virtual CPU (P6 family)".padEnd(48, "\0");
  const brandLeaf = (k: number): KvmCpuidEntry2 => {
    const s = brand.slice(k * 16, k * 16 + 16);
    return entry(0x80000002 + k, fourCC(s.slice(0, 4)), fourCC(s.slice(4, 8)), fourCC(s.slice(8, 12)), fourCC(s.slice(12, 16)));
  };
  return [
    entry(0, 2, fourCC("Genu"), fourCC("ntel"), fourCC("ineI")),
    // Family 6, model 8 (a Pentium III-class P6), stepping 3; APIC ID 0; CLFLUSH size 8.
    entry(1, 0x683, 0x00000800, CPUID_1_ECX_HYPERVISOR, SUPPORTED_1_EDX),
    // Leaf 2: cache and TLB descriptors of a P6 (16 KiB L1 I and D, 512 KiB L2).
    entry(2, 0x03020101, 0, 0, 0x0c040843),
    entry(KVM_CPUID_SIGNATURE, sig[0], sig[1], sig[2], sig[3]),
    entry(KVM_CPUID_FEATURES, SUPPORTED_KVM_FEATURES, 0, 0, 0),
    entry(0x80000000, 0x80000004, 0, 0, 0),
    entry(0x80000001, 0, 0, 0, 0),
    brandLeaf(0),
    brandLeaf(1),
    brandLeaf(2),
  ];
}

/**
 * Look a leaf up in a KVM_SET_CPUID2 table as KVM does: an exact match, or for leaves above
 * the highest basic/extended leaf the highest basic leaf's values (Intel's rule).
 */
export function lookupCpuid(table: readonly KvmCpuidEntry2[], leaf: number, subleaf: number, out: Int32Array): void {
  const find = (fn: number): KvmCpuidEntry2 | undefined =>
    table.find((e) => e.function === fn && ((e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) === 0 || e.index === subleaf));
  let e = find(leaf >>> 0);
  if (e === undefined) {
    const inRange = (base: number): boolean => {
      const max = find(base);
      return max !== undefined && (leaf >>> 0) >= base && (leaf >>> 0) <= (max.eax >>> 0);
    };
    const isHyper = (leaf >>> 0) >= 0x40000000 && (leaf >>> 0) < 0x50000000;
    if (!isHyper && !inRange(0) && !inRange(0x80000000)) {
      const basicMax = find(0);
      if (basicMax !== undefined) e = find(basicMax.eax >>> 0);
    }
  }
  out[0] = e?.eax ?? 0;
  out[1] = e?.ebx ?? 0;
  out[2] = e?.ecx ?? 0;
  out[3] = e?.edx ?? 0;
}
