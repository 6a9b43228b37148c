/**
 * @virtkit/cpu — an IA-32 vCPU of the P6 family.
 *
 * ```ts
 * const mem = new PhysicalMemory({ ramSize: 16 << 20 });
 * mem.mapRam(0, 16 << 20);
 * const cpu = new Cpu(mem);
 * const reason = cpu.run(1_000_000);
 * ```
 */
export { Cpu, CpuExit, GUEST_FAULT, GUEST_EXIT } from "./cpu.js";
export type { CpuOptions, MsrHandler, InterruptController } from "./cpu.js";
export { Ar, Cr0, Cr4, ExitReason, Flag, Msr, Reg, Seg, STATUS_FLAGS, Vec } from "./constants.js";
export type { ExitReasonCode } from "./constants.js";
export { defaultCpuid, CpuidEdx, DEFAULT_FEATURES_EDX, fourCC } from "./cpuid.js";
export type { CpuidFunction } from "./cpuid.js";
export { Insn, Block, NO_REG } from "./insn.js";
export type { Handler } from "./insn.js";
