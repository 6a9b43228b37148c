/**
 * Known QEMU 7.2 deviation: QEMU sets bit 5 ("accessed") in PAE PDPTEs when it walks them.
 * Bit 5 is reserved in a PAE PDPTE (SDM Vol. 3A, 4.4.1: the PDPTEs are loaded by MOV CR3,
 * not walked, and have no accessed bit), so virtkit leaves it clear. A guest that reads its
 * PDPTE back (Linux PAE does, early in setup_arch) then holds V in virtkit and V | 0x20 in
 * QEMU. Taking QEMU's value would make a later MOV CR3 of a table holding it #GP in virtkit
 * (reserved bit set), as it would on hardware.
 *
 * The rule: virtkit keeps its value. A GPR is "tainted" when, after an instruction that
 * reads memory, it differs from QEMU's by exactly 0x20 (set in QEMU, clear in virtkit) and
 * virtkit's value is a present PDPTE low dword: one virtkit's address space loaded
 * (`cpu.space.pdpteLo`), or one in the PDPT at the current or an earlier PAE CR3 in
 * virtkit's memory. The value is remembered; afterwards a register whose virtkit value is
 * a remembered value and differs from QEMU's by exactly that bit (a copy: MOV, PUSH/POP,
 * a store and a reload) is tolerated too. A register stops being tainted when both sides
 * agree again (overwritten, or the bit masked off). Any other difference, in any register
 * or field, is still a divergence.
 *
 * Tolerated registers are patched in the captured comparison state only (never in the CPU).
 */
import type { Cpu } from "@virtkit/cpu";
import type { PhysicalMemory } from "@virtkit/mmu";
import type { InsnInfo } from "./insn-info.js";
import type { ArchState } from "./state.js";

const BIT = 0x20;
const CR4_PAE = 0x20;
const MAX_REMEMBERED = 64;

/** True when the instruction reads a memory operand (ModRM memory form, moffs, POP, LODS). */
export function readsMemory(i: InsnInfo): boolean {
  const op = i.op;
  if (op === 0x8d) return false; // LEA computes an address only
  if (i.modrm >= 0 && i.modrm < 0xc0) return true;
  return (op >= 0xa0 && op <= 0xa3) || op === 0xac || op === 0xad || (op >= 0x58 && op <= 0x5f) || op === 0x61 || op === 0x9d;
}

export class PdpteAccessedQuirk {
  /** Registers (0-7) currently tolerated: virtkit value = QEMU value with bit 5 cleared. */
  private readonly tainted = new Uint8Array(8);
  /** virtkit values admitted as PDPTEs read back (QEMU has them with bit 5 set). */
  private readonly values = new Set<number>();
  /** PDPT bases (CR3 & ~0x1f) seen with CR4.PAE set. */
  private readonly pdpts = new Set<number>();
  private readonly buf = new Uint8Array(4);
  private readonly dv = new DataView(this.buf.buffer);
  /** Registers newly tainted by a PDPTE read (the QEMU quirk hits). */
  admissions = 0;
  /** Instructions after which at least one tainted register was tolerated. */
  tolerated = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly mem: PhysicalMemory,
  ) {}

  /** Any register tainted now (for reports). */
  taintedNames(): string {
    const names = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"];
    return names.filter((_, k) => this.tainted[k] !== 0).join(" ");
  }

  /**
   * After one instruction: update the taint from virtkit's state `v` and QEMU's `q`, and
   * patch `v.gpr` (the captured comparison state) for the tolerated registers. `i` is the
   * instruction that ran. Returns true when something was patched.
   */
  apply(v: ArchState, q: ArchState, i: InsnInfo): boolean {
    if ((v.cr4 & CR4_PAE) !== 0 && this.pdpts.size < MAX_REMEMBERED) this.pdpts.add((v.cr3 & ~0x1f) >>> 0);
    let patched = false;
    for (let k = 0; k < 8; k++) {
      const a = v.gpr[k];
      const b = q.gpr[k];
      if (a === b) {
        this.tainted[k] = 0;
        continue;
      }
      if ((a ^ b) !== BIT || (b & BIT) === 0) {
        this.tainted[k] = 0;
        continue;
      }
      if (!this.values.has(a)) {
        if (!readsMemory(i) || !this.isPdpte(a)) {
          this.tainted[k] = 0;
          continue;
        }
        if (this.values.size < MAX_REMEMBERED) this.values.add(a);
        this.admissions++;
      } else if (this.tainted[k] === 0 && readsMemory(i)) {
        // A remembered value read again (from the PDPT or a copy QEMU also holds with the bit).
        this.admissions++;
      }
      this.tainted[k] = 1;
      v.gpr[k] = b;
      patched = true;
    }
    if (patched) this.tolerated++;
    return patched;
  }

  /** Forget all taint (after virtkit's registers were reloaded from QEMU). */
  reset(): void {
    this.tainted.fill(0);
  }

  /** `x` is the low dword of a present PDPTE virtkit loaded or holds in a PAE PDPT. */
  private isPdpte(x: number): boolean {
    if ((x & 1) === 0) return false;
    const s = this.cpu.space;
    if (s.pae) for (let n = 0; n < 4; n++) if (s.pdpteLo(n) === x) return true;
    for (const base of this.pdpts) {
      for (let n = 0; n < 4; n++) {
        const a = base + n * 8;
        if (a + 4 > this.mem.ramSize) break;
        this.mem.readBytes(a, this.buf);
        if (this.dv.getInt32(0, true) === x) return true;
      }
    }
    return false;
  }
}
