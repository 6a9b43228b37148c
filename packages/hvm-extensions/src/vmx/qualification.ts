/**
 * Exit-qualification layouts (SDM vol. 3 §27.2.1) and the CR-access interception rules
 * (§25.1.3) in pure functions, so that monitors and tests can build and decode them.
 */
import * as F from "./fields.js";
import { CPU_BASED } from "./constants.js";
import type { Vmcs } from "./vmcs.js";

/**
 * I/O-instruction qualification: bits 2:0 size - 1, bit 3 direction (1 = IN), bit 4 string,
 * bit 5 REP, bit 6 operand encoding (1 = immediate port), bits 31:16 port.
 */
export function ioQualification(port: number, size: number, isIn: boolean, string: boolean, rep: boolean, immediate: boolean): number {
  return (((port & 0xffff) << 16) | ((size - 1) & 7) | (isIn ? 8 : 0) | (string ? 16 : 0) | (rep ? 32 : 0) | (immediate ? 64 : 0)) >>> 0;
}

/** Decoded I/O-instruction qualification. */
export interface IoQualification {
  /** Port. */
  port: number;
  /** Access size in bytes. */
  size: number;
  /** IN/INS. */
  isIn: boolean;
  /** INS/OUTS. */
  string: boolean;
  /** REP prefix. */
  rep: boolean;
  /** Port given as an immediate. */
  immediate: boolean;
}

/** Decode an I/O-instruction qualification. */
export function decodeIoQualification(q: number): IoQualification {
  return {
    port: q >>> 16,
    size: (q & 7) + 1,
    isIn: (q & 8) !== 0,
    string: (q & 16) !== 0,
    rep: (q & 32) !== 0,
    immediate: (q & 64) !== 0,
  };
}

/** CR-access types (qualification bits 5:4). */
export const CR_ACCESS_TYPE = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

/**
 * Control-register-access qualification: bits 3:0 CR number, 5:4 access type, bit 6 LMSW
 * operand type (1 = memory), bits 11:8 general-purpose register (MOV CR), bits 31:16 LMSW
 * source data.
 */
export function crAccessQualification(cr: number, type: number, gpr: number, lmswMemory = false, lmswData = 0): number {
  return ((cr & 15) | ((type & 3) << 4) | (lmswMemory ? 64 : 0) | ((gpr & 15) << 8) | ((lmswData & 0xffff) << 16)) >>> 0;
}

/**
 * EPT-violation qualification: bit 0 read, 1 write, 2 instruction fetch, bits 5:3 the
 * entry's R/W/X permissions, bit 7 guest linear address valid (never here: the CPU does not
 * report the linear address of a physical access).
 */
export function eptViolationQualification(write: boolean, fetch: boolean, entryPerms: number): number {
  return (fetch ? 4 : write ? 2 : 1) | ((entryPerms & 7) << 3);
}

/**
 * Would this CR access exit under the current VMCS (§25.1.3)? `value` is the value written
 * (MOV to CR), the LMSW source operand, ignored otherwise. This is the rule a MOV-CR hook in
 * the CPU needs (see README "CPU requirements").
 */
export function crAccessExits(vmcs: Vmcs, cr: number, type: number, value: number): boolean {
  const proc = vmcs.get(F.CPU_BASED_VM_EXEC_CONTROL);
  switch (type) {
    case CR_ACCESS_TYPE.MOV_TO_CR:
      if (cr === 0) return ((value ^ vmcs.get(F.CR0_READ_SHADOW)) & vmcs.get(F.CR0_GUEST_HOST_MASK)) !== 0;
      if (cr === 4) return ((value ^ vmcs.get(F.CR4_READ_SHADOW)) & vmcs.get(F.CR4_GUEST_HOST_MASK)) !== 0;
      if (cr === 3) {
        if ((proc & CPU_BASED.CR3_LOAD_EXITING) === 0) return false;
        const n = vmcs.get(F.CR3_TARGET_COUNT);
        const targets = [F.CR3_TARGET_VALUE0, F.CR3_TARGET_VALUE1, F.CR3_TARGET_VALUE2, F.CR3_TARGET_VALUE3];
        for (let k = 0; k < n && k < 4; k++) if (vmcs.get(targets[k]) === (value | 0)) return false;
        return true;
      }
      return false;
    case CR_ACCESS_TYPE.MOV_FROM_CR:
      return cr === 3 && (proc & CPU_BASED.CR3_STORE_EXITING) !== 0;
    case CR_ACCESS_TYPE.CLTS: {
      const ts = 8;
      return (vmcs.get(F.CR0_GUEST_HOST_MASK) & ts) !== 0 && (vmcs.get(F.CR0_READ_SHADOW) & ts) !== 0;
    }
    case CR_ACCESS_TYPE.LMSW: {
      const mask = vmcs.get(F.CR0_GUEST_HOST_MASK);
      const shadow = vmcs.get(F.CR0_READ_SHADOW);
      // PE can only be set by LMSW: it exits if owned, shadow clear and source set.
      if ((mask & 1) !== 0 && (shadow & 1) === 0 && (value & 1) !== 0) return true;
      return ((value ^ shadow) & mask & 0xe) !== 0;
    }
    default:
      return false;
  }
}

/** What a guest reads from CR0/CR4 (MOV from CR, SMSW): host-owned bits come from the read shadow. */
export function crReadValue(vmcs: Vmcs, cr: 0 | 4, actual: number): number {
  const mask = vmcs.get(cr === 0 ? F.CR0_GUEST_HOST_MASK : F.CR4_GUEST_HOST_MASK);
  const shadow = vmcs.get(cr === 0 ? F.CR0_READ_SHADOW : F.CR4_READ_SHADOW);
  return (actual & ~mask) | (shadow & mask);
}
