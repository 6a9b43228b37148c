import * as F from "./fields.js";
import { VMXERR } from "./constants.js";
import { VMCS_REVISION_ID } from "./capabilities.js";

/** Field widths (encoding bits 14:13). */
export const VMCS_FIELD_WIDTH = { U16: 0, U64: 1, U32: 2, NATURAL: 3 } as const;
/** Field types (encoding bits 11:10). */
export const VMCS_FIELD_TYPE = { CONTROL: 0, EXIT_INFO: 1, GUEST: 2, HOST: 3 } as const;

/** Width of a field encoding (a {@link VMCS_FIELD_WIDTH} value). */
export function fieldWidth(encoding: number): number {
  return (encoding >> 13) & 3;
}

/** Type of a field encoding (a {@link VMCS_FIELD_TYPE} value). */
export function fieldType(encoding: number): number {
  return (encoding >> 10) & 3;
}

const SLOTS = 1 << 15;

/** Storage slot of an encoding: its low 15 bits (width, type, index, high-half bit). */
function slotOf(encoding: number): number {
  return (encoding & 0x7fff) | 0;
}

/** Name of each supported full encoding, by encoding. */
const NAMES = new Map<number, string>();
/** 1 for every supported encoding (including the `| 1` high halves of 64-bit fields). */
const SUPPORTED = new Uint8Array(SLOTS);
for (const [name, enc] of Object.entries(F)) {
  NAMES.set(enc, name);
  SUPPORTED[slotOf(enc)] = 1;
  if (fieldWidth(enc) === VMCS_FIELD_WIDTH.U64) SUPPORTED[slotOf(enc | 1)] = 1;
}

/** Every supported field as `[name, encoding]` (full encodings only). */
export const VMCS_FIELDS: readonly (readonly [string, number])[] = [...NAMES].map(([e, n]) => [n, e] as const);

/** SDM name of a field encoding ("GUEST_CR0", "IO_BITMAP_A_HIGH"), or a hex string. */
export function vmcsFieldName(encoding: number): string {
  const n = NAMES.get(encoding & ~1);
  if (n === undefined) return `0x${encoding.toString(16)}`;
  return (encoding & 1) !== 0 ? `${n}_HIGH` : n;
}

/** True if this model supports VMREAD/VMWRITE of `encoding`. */
export function isSupportedField(encoding: number): boolean {
  return encoding >= 0 && encoding < 0x8000 && SUPPORTED[slotOf(encoding)] === 1;
}

/**
 * A VMREAD/VMWRITE (or VMLAUNCH/VMRESUME/VMPTRLD…) that ended in VMfailValid or
 * VMfailInvalid. `error` is the VM-instruction error number (also stored in the current
 * VMCS's VM_INSTRUCTION_ERROR), or 0 for VMfailInvalid.
 */
export class VmxInstructionError extends Error {
  /** VM-instruction error number (VMXERR), 0 for VMfailInvalid. */
  readonly error: number;
  constructor(error: number, message: string) {
    super(message);
    this.name = "VmxInstructionError";
    this.error = error;
  }
}

/** Launch state of a VMCS (SDM vol. 3 §24.1). */
export const VMCS_LAUNCH_STATE = { CLEAR: 0, LAUNCHED: 1 } as const;

/** A serialisable copy of a VMCS: field values by SDM name plus the launch state. */
export interface VmcsState {
  /** VMCS revision identifier. */
  revisionId: number;
  /** 0 = clear, 1 = launched. */
  launchState: number;
  /** Field values by name; 64-bit fields as `[low, high]`. */
  fields: Record<string, number | [number, number]>;
}

/**
 * A virtual-machine control structure. Fields live in one Int32Array indexed by the low 15
 * bits of their encoding, so the model's own accesses (`get`/`set`) are a typed-array
 * read/write with no lookup. VMREAD/VMWRITE semantics (supported-field and read-only checks,
 * width truncation, VM-instruction errors) are in {@link vmread}/{@link vmwrite}.
 */
export class Vmcs {
  /** Host-physical address of the VMCS region (what VMPTRLD/VMCLEAR name). */
  readonly address: number;
  /** Revision identifier in the first dword of the region (VMPTRLD checks it). */
  revisionId = VMCS_REVISION_ID;
  /** Launch state: VMLAUNCH needs CLEAR, VMRESUME needs LAUNCHED. */
  launchState: number = VMCS_LAUNCH_STATE.CLEAR;
  /** Field storage (int32 per 32-bit half). */
  private readonly f = new Int32Array(SLOTS);

  constructor(address: number) {
    this.address = address;
    // Architecturally the VMCS link pointer of a fresh hypervisor setup is all ones.
    this.f[slotOf(F.VMCS_LINK_POINTER)] = -1;
    this.f[slotOf(F.VMCS_LINK_POINTER | 1)] = -1;
  }

  /** Model access: a field (or 64-bit half) as int32, no checks. */
  get(encoding: number): number {
    return this.f[encoding & 0x7fff];
  }

  /** Model access: store a field (or 64-bit half), truncated to 16 bits for 16-bit fields. */
  set(encoding: number, value: number): void {
    this.f[encoding & 0x7fff] = fieldWidth(encoding) === VMCS_FIELD_WIDTH.U16 ? value & 0xffff : value | 0;
  }

  /** Model access: a 64-bit field as a number (exact below 2^53). */
  get64(encoding: number): number {
    return (this.f[(encoding & 0x7fff) | 1] >>> 0) * 0x100000000 + (this.f[encoding & 0x7ffe] >>> 0);
  }

  /** Model access: store a 64-bit field from a number (or bigint for full-range values). */
  set64(encoding: number, value: number | bigint): void {
    const v = BigInt.asUintN(64, BigInt(value));
    this.f[encoding & 0x7ffe] = Number(v & 0xffffffffn) | 0;
    this.f[(encoding & 0x7ffe) | 1] = Number(v >> 32n) | 0;
  }

  /**
   * VMREAD: the value of `encoding` (unsigned). Throws VmxInstructionError(12) for an
   * unsupported component, after recording it in VM_INSTRUCTION_ERROR.
   */
  vmread(encoding: number): number {
    if (!isSupportedField(encoding)) {
      return this.fail(VMXERR.UNSUPPORTED_VMCS_COMPONENT, `VMREAD of unsupported VMCS component ${vmcsFieldName(encoding)}`);
    }
    return this.f[slotOf(encoding)] >>> 0;
  }

  /**
   * VMWRITE: store `value` into `encoding` (truncated to the field width). Throws
   * VmxInstructionError 12 (unsupported component) or 13 (read-only VM-exit information
   * field: IA32_VMX_MISC bit 29 is 0), after recording it in VM_INSTRUCTION_ERROR.
   */
  vmwrite(encoding: number, value: number): void {
    if (!isSupportedField(encoding)) {
      this.fail(VMXERR.UNSUPPORTED_VMCS_COMPONENT, `VMWRITE of unsupported VMCS component ${vmcsFieldName(encoding)}`);
    }
    if (fieldType(encoding) === VMCS_FIELD_TYPE.EXIT_INFO) {
      this.fail(VMXERR.VMWRITE_READ_ONLY_VMCS_COMPONENT, `VMWRITE of read-only VMCS component ${vmcsFieldName(encoding)}`);
    }
    this.set(encoding, value);
  }

  /** Record a VMfailValid error number and throw it. */
  fail(error: number, message: string): never {
    this.f[slotOf(F.VM_INSTRUCTION_ERROR)] = error;
    throw new VmxInstructionError(error, message);
  }

  /** VMCLEAR's effect on the region: launch state becomes clear. */
  clear(): void {
    this.launchState = VMCS_LAUNCH_STATE.CLEAR;
  }

  /** A serialisable copy of every supported field. */
  state(): VmcsState {
    const fields: Record<string, number | [number, number]> = {};
    for (const [name, enc] of VMCS_FIELDS) {
      fields[name] = fieldWidth(enc) === VMCS_FIELD_WIDTH.U64
        ? [this.f[slotOf(enc)] >>> 0, this.f[slotOf(enc | 1)] >>> 0]
        : this.f[slotOf(enc)] >>> 0;
    }
    return { revisionId: this.revisionId, launchState: this.launchState, fields };
  }

  /** Restore fields saved by {@link state} (unknown names are rejected). */
  restore(s: VmcsState): void {
    this.revisionId = s.revisionId;
    this.launchState = s.launchState;
    for (const [name, v] of Object.entries(s.fields)) {
      const enc = (F as Record<string, number | undefined>)[name];
      if (enc === undefined) throw new Error(`Vmcs.restore: unknown VMCS field ${name}`);
      if (Array.isArray(v)) {
        this.f[slotOf(enc)] = v[0] | 0;
        this.f[slotOf(enc | 1)] = v[1] | 0;
      } else {
        this.set(enc, v);
      }
    }
  }
}
