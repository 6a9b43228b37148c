/**
 * CPUID: the core only dispatches; which leaves exist is the embedder's choice. This default
 * describes a P6-class processor ("GenuineIntel", family 6) without SSE.
 */

/** Answer CPUID(leaf, subleaf) into out = [EAX, EBX, ECX, EDX]. */
export type CpuidFunction = (leaf: number, subleaf: number, out: Int32Array) => void;

/** CPUID.1:EDX feature bits. */
export const CpuidEdx = {
  FPU: 1 << 0, VME: 1 << 1, DE: 1 << 2, PSE: 1 << 3, TSC: 1 << 4, MSR: 1 << 5, PAE: 1 << 6,
  MCE: 1 << 7, CX8: 1 << 8, APIC: 1 << 9, SEP: 1 << 11, MTRR: 1 << 12, PGE: 1 << 13,
  MCA: 1 << 14, CMOV: 1 << 15, PAT: 1 << 16, PSE36: 1 << 17, CLFSH: 1 << 19, MMX: 1 << 23,
  FXSR: 1 << 24, SSE: 1 << 25, SSE2: 1 << 26,
} as const;

/** Pack four ASCII characters little-endian into an int32 (CPUID vendor strings). */
export function fourCC(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) | 0;
}

/** Features of the default P6 model: x87 FPU with FXSAVE/FXRSTOR, PAE/PGE/PSE, SEP, CMOV, CX8. */
export const DEFAULT_FEATURES_EDX =
  CpuidEdx.FPU | CpuidEdx.FXSR | CpuidEdx.DE | CpuidEdx.PSE | CpuidEdx.TSC | CpuidEdx.MSR |
  CpuidEdx.PAE | CpuidEdx.CX8 | CpuidEdx.SEP | CpuidEdx.PGE | CpuidEdx.CMOV | CpuidEdx.PAT;

/** The default CPUID: GenuineIntel, family 6 model 8 stepping 3, leaves 0, 1, 0x80000000-4. */
export const defaultCpuid: CpuidFunction = (leaf, _subleaf, out) => {
  out[0] = out[1] = out[2] = out[3] = 0;
  switch (leaf >>> 0) {
    case 0:
      out[0] = 1;
      out[1] = fourCC("Genu");
      out[3] = fourCC("ineI");
      out[2] = fourCC("ntel");
      break;
    case 1:
      out[0] = 0x683;
      out[1] = 0;
      out[3] = DEFAULT_FEATURES_EDX;
      break;
    case 0x80000000:
      out[0] = 0x80000004 | 0;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const name = "virtkit P6 virtual CPU".padEnd(48, "\0");
      const base = ((leaf >>> 0) - 0x80000002) * 16;
      for (let k = 0; k < 4; k++) out[k] = fourCC(name.slice(base + 4 * k, base + 4 * k + 4));
      break;
    }
    default:
      break;
  }
};
