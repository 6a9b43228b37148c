import { Cpu, Seg } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { describe, expect, it } from "vitest";
import { applyBootState, AR_CODE32, AR_DATA32, BOOT_CS, BOOT_DS, bootGdt, encodeDescriptor, flatProtectedModeState } from "./boot-state.js";

describe("descriptors", () => {
  it("encodes the classic flat code and data descriptors", () => {
    const hex = (b: Uint8Array): string => new DataView(b.buffer).getBigUint64(0, true).toString(16);
    expect(hex(encodeDescriptor(0, 0xffffffff, AR_CODE32))).toBe("cf9b000000ffff");
    expect(hex(encodeDescriptor(0, 0xffffffff, AR_DATA32))).toBe("cf93000000ffff");
    expect(hex(encodeDescriptor(0x12345678, 0xfffff, 0x93))).toBe("120f93345678ffff");
    expect(() => encodeDescriptor(0, 0x100000, 0x93)).toThrow(/needs G=1/);
  });

  it("puts __BOOT_CS at 0x10 and __BOOT_DS at 0x18 with null entries below", () => {
    const g = bootGdt();
    expect([...g.subarray(0, 16)].every((b) => b === 0)).toBe(true);
    expect(g[BOOT_CS + 5]).toBe(0x9b);
    expect(g[BOOT_DS + 5]).toBe(0x93);
  });
});

describe("applyBootState", () => {
  it("loads registers, segments, CR0, EFLAGS and GDTR into a vCPU", () => {
    const mem = new PhysicalMemory({ ramSize: 4 << 20 });
    mem.mapRam(0, 4 << 20);
    const cpu = new Cpu(mem);
    const st = flatProtectedModeState(0x100000, { esi: 0x7000, esp: 0x6ff0 }, { base: 0x6000, limit: 31 });
    cpu.regs[3] = 1234; // EBX must come out zero
    applyBootState(cpu, st);
    expect(cpu.eip).toBe(0x100000);
    expect(cpu.regs[6]).toBe(0x7000);
    expect(cpu.regs[4]).toBe(0x6ff0);
    for (const r of [0, 1, 2, 3, 5, 7]) expect(cpu.regs[r], `reg ${r}`).toBe(0);
    expect(cpu.getSegment(Seg.CS)).toEqual({ selector: 0x10, base: 0, limit: 0xffffffff, ar: AR_CODE32 });
    for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) expect(cpu.getSegment(s)).toEqual({ selector: 0x18, base: 0, limit: 0xffffffff, ar: AR_DATA32 });
    expect(cpu.getCr(0) & 0x80000001).toBe(1);
    expect(cpu.getEflags() & 0x200).toBe(0);
    expect([cpu.gdtrBase, cpu.gdtrLimit]).toEqual([0x6000, 31]);
  });

  it("runs 32-bit code at the entry point and reloads DS from the GDT it points at", () => {
    const mem = new PhysicalMemory({ ramSize: 4 << 20 });
    mem.mapRam(0, 4 << 20);
    mem.writeBytes(0x6000, bootGdt());
    // mov eax, 0x18; mov ds, eax; mov dword [0x2000], 0x12345678; hlt
    mem.writeBytes(0x100000, new Uint8Array([0xb8, 0x18, 0, 0, 0, 0x8e, 0xd8, 0xc7, 0x05, 0x00, 0x20, 0, 0, 0x78, 0x56, 0x34, 0x12, 0xf4]));
    const cpu = new Cpu(mem);
    applyBootState(cpu, flatProtectedModeState(0x100000, {}, { base: 0x6000, limit: 31 }));
    cpu.run(100);
    expect(mem.read32(0x2000)).toBe(0x12345678);
    expect(cpu.getSegment(Seg.DS).limit).toBe(0xffffffff);
  });
});
