/**
 * The CPU state a loader hands over, as plain data (serialisable, comparable in tests,
 * usable by a VMX/SVM model as much as by the interpreter), and the helper that loads it
 * into a @virtkit/cpu vCPU. Segment access rights use the VMX layout (Ar in @virtkit/cpu).
 */
import { Ar, Cr0, Flag, Seg } from "@virtkit/cpu";

/** GDT selector of the flat 32-bit code segment (Linux's __BOOT_CS). */
export const BOOT_CS = 0x10;
/** GDT selector of the flat 32-bit data segment (Linux's __BOOT_DS). */
export const BOOT_DS = 0x18;
/** Access rights of a flat 32-bit code segment: present, DPL 0, execute/read, accessed, D, G. */
export const AR_CODE32 = Ar.G | Ar.DB | Ar.P | Ar.S | Ar.TYPE_CODE | Ar.TYPE_RW | Ar.ACCESSED;
/** Access rights of a flat 32-bit data segment: present, DPL 0, read/write, accessed, B, G. */
export const AR_DATA32 = Ar.G | Ar.DB | Ar.P | Ar.S | Ar.TYPE_RW | Ar.ACCESSED;

/** A segment register's selector and descriptor cache. */
export interface SegmentState {
  /** Selector. */
  selector: number;
  /** Base (unsigned). */
  base: number;
  /** Limit in bytes (unsigned; 0xffffffff for 4 GiB). */
  limit: number;
  /** Access rights, VMX layout. */
  ar: number;
}

/** A descriptor-table register. */
export interface TableRegister {
  /** Linear base. */
  base: number;
  /** Limit in bytes. */
  limit: number;
}

/** General-purpose registers by name. */
export interface GeneralRegisters {
  eax: number;
  ecx: number;
  edx: number;
  ebx: number;
  esp: number;
  ebp: number;
  esi: number;
  edi: number;
}

/** The state a loader requires at the guest's first instruction. */
export interface BootCpuState {
  /** General-purpose registers. */
  regs: GeneralRegisters;
  /** Instruction pointer. */
  eip: number;
  /** EFLAGS (bit 1 set; IF clear for every protocol here). */
  eflags: number;
  /** CR0 (CR3/CR4 stay at their reset values: paging is off). */
  cr0: number;
  /** Segment registers. */
  segments: { es: SegmentState; cs: SegmentState; ss: SegmentState; ds: SegmentState; fs: SegmentState; gs: SegmentState };
  /** GDTR, or null to leave the reset value (multiboot: the OS must not rely on it). */
  gdtr: TableRegister | null;
  /** IDTR, or null to leave the reset value. */
  idtr: TableRegister | null;
}

/** The part of the @virtkit/cpu `Cpu` that {@link applyBootState} uses. */
export interface BootableCpu {
  /** General-purpose registers in x86 encoding order. */
  readonly regs: Int32Array;
  /** Instruction pointer. */
  eip: number;
  /** Back to the power-on state. */
  reset(): void;
  /** Load CR0. */
  setCr0(v: number): void;
  /** Load EFLAGS. */
  setEflags(v: number): void;
  /** Load a segment register's cache. */
  setSegment(seg: number, selector: number, base: number, limit: number, ar: number): void;
  /** Load GDTR. */
  setGdtr(base: number, limit: number): void;
  /** Load IDTR. */
  setIdtr(base: number, limit: number): void;
}

/** A flat segment with the given selector and access rights. */
export function flatSegment(selector: number, ar: number): SegmentState {
  return { selector, base: 0, limit: 0xffffffff, ar };
}

/**
 * 32-bit protected mode, paging off, interrupts off, flat 4 GiB CS = `cs` and every data
 * segment = `ds`; registers zero except those in `regs`. Both boot protocols start here.
 */
export function flatProtectedModeState(eip: number, regs: Partial<GeneralRegisters>, gdtr: TableRegister | null, cs = BOOT_CS, ds = BOOT_DS): BootCpuState {
  const data = (): SegmentState => flatSegment(ds, AR_DATA32);
  return {
    regs: { eax: 0, ecx: 0, edx: 0, ebx: 0, esp: 0, ebp: 0, esi: 0, edi: 0, ...regs },
    eip,
    eflags: Flag.FIXED,
    cr0: Cr0.PE | Cr0.ET,
    segments: { es: data(), cs: flatSegment(cs, AR_CODE32), ss: data(), ds: data(), fs: data(), gs: data() },
    gdtr,
    idtr: null,
  };
}

/** Bytes of the boot GDT: null, unused, code (0x10), data (0x18). */
export const BOOT_GDT_SIZE = 32;

/** One 8-byte descriptor from base, byte limit and VMX access rights. */
export function encodeDescriptor(base: number, limit: number, ar: number): Uint8Array {
  const g = (ar & Ar.G) !== 0;
  const lim = g ? limit >>> 12 : limit;
  if (!g && limit > 0xfffff) throw new RangeError(`descriptor limit 0x${limit.toString(16)} needs G=1`);
  const out = new Uint8Array(8);
  out[0] = lim & 0xff;
  out[1] = (lim >>> 8) & 0xff;
  out[2] = base & 0xff;
  out[3] = (base >>> 8) & 0xff;
  out[4] = (base >>> 16) & 0xff;
  out[5] = ar & 0xff; // type, S, DPL, P
  out[6] = ((lim >>> 16) & 0x0f) | ((ar >>> 8) & 0xf0); // limit 19:16, AVL, L, D/B, G
  out[7] = (base >>> 24) & 0xff;
  return out;
}

/** The boot GDT: selectors {@link BOOT_CS} and {@link BOOT_DS} as flat 4 GiB segments. */
export function bootGdt(): Uint8Array {
  const gdt = new Uint8Array(BOOT_GDT_SIZE);
  gdt.set(encodeDescriptor(0, 0xffffffff, AR_CODE32), BOOT_CS);
  gdt.set(encodeDescriptor(0, 0xffffffff, AR_DATA32), BOOT_DS);
  return gdt;
}

/**
 * Reset `cpu` and load `state` into it. (The loader has already written memory: the GDT
 * that `state.gdtr` points at, the kernel, its parameters.)
 */
export function applyBootState(cpu: BootableCpu, state: BootCpuState): void {
  cpu.reset();
  if (state.gdtr !== null) cpu.setGdtr(state.gdtr.base, state.gdtr.limit);
  if (state.idtr !== null) cpu.setIdtr(state.idtr.base, state.idtr.limit);
  cpu.setCr0(state.cr0);
  const s = state.segments;
  const load = (seg: number, v: SegmentState): void => {
    cpu.setSegment(seg, v.selector, v.base, v.limit, v.ar);
  };
  load(Seg.CS, s.cs);
  load(Seg.SS, s.ss);
  load(Seg.DS, s.ds);
  load(Seg.ES, s.es);
  load(Seg.FS, s.fs);
  load(Seg.GS, s.gs);
  cpu.setEflags(state.eflags);
  const r = state.regs;
  const order = [r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi];
  for (let i = 0; i < 8; i++) cpu.regs[i] = order[i] | 0;
  cpu.eip = state.eip | 0;
}
