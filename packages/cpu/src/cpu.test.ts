import { describe, expect, it } from "vitest";
import { PhysicalMemory, type MmioHandler } from "@virtkit/mmu";
import { Cpu } from "./cpu.js";
import { ExitReason, Flag, Seg, Vec } from "./constants.js";

function machine(ramMiB = 4): { mem: PhysicalMemory; cpu: Cpu } {
  const mem = new PhysicalMemory({ ramSize: ramMiB << 20 });
  mem.mapRam(0, ramMiB << 20);
  return { mem, cpu: new Cpu(mem) };
}

/** Flat 32-bit ring-0 protected mode, paging off, code at `eip`. */
function flat32(cpu: Cpu, eip: number): void {
  cpu.setCr0(0x11);
  cpu.setSegment(Seg.CS, 0x08, 0, -1, 0xc09b);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) cpu.setSegment(s, 0x10, 0, -1, 0xc093);
  cpu.setEflags(2);
  cpu.eip = eip;
  cpu.regs[4] = 0x8000;
}

/** Real mode with CS=DS=SS=0 and code at `ip`. */
function real16(cpu: Cpu, ip: number): void {
  cpu.reset();
  cpu.setSegment(Seg.CS, 0, 0, 0xffff, 0x9b);
  cpu.eip = ip;
  cpu.regs[4] = 0x7000;
}

describe("lazy flags and ALU", () => {
  it("ADD/SUB/CMP flags match the architectural values", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    // mov eax,0x7fffffff; add eax,1; pushfd; mov ebx,5; cmp ebx,7; pushfd; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xb8, 0xff, 0xff, 0xff, 0x7f, 0x83, 0xc0, 0x01, 0x9c,
      0xbb, 5, 0, 0, 0, 0x83, 0xfb, 7, 0x9c, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    const f1 = mem.read32(0x8000 - 4);
    const f2 = mem.read32(0x8000 - 8);
    expect(f1 & (Flag.OF | Flag.SF | Flag.ZF | Flag.CF | Flag.AF | Flag.PF)).toBe(Flag.OF | Flag.SF | Flag.AF | Flag.PF);
    // 5 - 7 = -2: CF (borrow), SF, AF; not ZF/OF.
    expect(f2 & (Flag.OF | Flag.SF | Flag.ZF | Flag.CF | Flag.AF)).toBe(Flag.SF | Flag.CF | Flag.AF);
  });

  it("INC keeps CF; DIV by zero raises #DE with EIP on the instruction", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.exceptionExits = 1 << Vec.DE;
    // stc; inc eax; xor ecx,ecx; div ecx
    mem.writeBytes(0x1000, Uint8Array.from([0xf9, 0x40, 0x31, 0xc9, 0xf7, 0xf1]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.DE);
    expect(cpu.eip).toBe(0x1004);
    expect(cpu.getEflags() & Flag.CF).toBe(0); // XOR cleared it after INC kept it
    expect(cpu.icount).toBe(3);
  });
});

describe("real mode", () => {
  it("INT n goes through the IVT and IRET returns", () => {
    const { mem, cpu } = machine();
    real16(cpu, 0x100);
    mem.write16(0x21 * 4, 0x200);
    mem.write16(0x21 * 4 + 2, 0);
    // int 0x21; hlt   |  handler at 0x200: mov ax,0x1234; iret
    mem.writeBytes(0x100, Uint8Array.from([0xcd, 0x21, 0xf4]));
    mem.writeBytes(0x200, Uint8Array.from([0xb8, 0x34, 0x12, 0xcf]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[0] & 0xffff).toBe(0x1234);
    expect(cpu.eip).toBe(0x103);
    expect(cpu.regs[4] & 0xffff).toBe(0x7000);
  });

  it("a word access at offset 0xFFFF through SS raises #SS, through DS #GP", () => {
    const { mem, cpu } = machine();
    real16(cpu, 0x100);
    cpu.exceptionExits = (1 << Vec.SS) | (1 << Vec.GP);
    // mov bp,0xffff; mov ax,[bp+0]
    mem.writeBytes(0x100, Uint8Array.from([0xbd, 0xff, 0xff, 0x8b, 0x46, 0x00]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.SS);
    real16(cpu, 0x100);
    // mov bx,0xffff; mov ax,[bx]
    mem.writeBytes(0x100, Uint8Array.from([0xbb, 0xff, 0xff, 0x8b, 0x07]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.GP);
  });
});

describe("protected-mode segment checks", () => {
  it("expand-down data segment: offsets at or below the limit fault", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.exceptionExits = 1 << Vec.GP;
    // DS: expand-down, limit 0xfff, 32-bit (valid offsets 0x1000..0xffffffff)
    cpu.setSegment(Seg.DS, 0x10, 0, 0xfff, 0xc097);
    // mov eax,[0x2000]; mov eax,[0x800]
    mem.writeBytes(0x1000, Uint8Array.from([0xa1, 0, 0x20, 0, 0, 0xa1, 0, 8, 0, 0]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.GP);
    expect(cpu.eip).toBe(0x1005);
  });

  it("writes through a read-only data segment raise #GP(0)", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.exceptionExits = 1 << Vec.GP;
    cpu.setSegment(Seg.DS, 0x10, 0, -1, 0xc091);
    mem.writeBytes(0x1000, Uint8Array.from([0xa3, 0, 0x20, 0, 0]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.errorCode).toBe(0);
  });
});

describe("decoded-code cache", () => {
  it("self-modifying code takes effect on the next execution", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    // loop: mov eax,1 ; mov byte [0x1001],2 ; dec ecx ; jnz loop ; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xb8, 1, 0, 0, 0, 0xc6, 0x05, 0x01, 0x10, 0, 0, 2, 0x49, 0x75, 0xf1, 0xf4]));
    cpu.regs[1] = 2;
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]).toBe(2);
  });

  it("a store into the current block stops it before the stale instruction runs", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    // mov byte [0x100b],0x40 (turns the NOP below into INC EAX) ; nop(@0x1007..) ; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xc6, 0x05, 0x0b, 0x10, 0, 0, 0x40, 0x90, 0x90, 0x90, 0x90, 0x90, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]).toBe(1);
  });
});

describe("exits", () => {
  it("IN exits before retiring; completeIo finishes it", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    mem.writeBytes(0x1000, Uint8Array.from([0xe4, 0x60, 0xf4])); // in al,0x60; hlt
    expect(cpu.run(100)).toBe(ExitReason.IoIn);
    expect(cpu.exit.port).toBe(0x60);
    expect(cpu.eip).toBe(0x1000);
    expect(cpu.icount).toBe(0);
    cpu.completeIo(0xab);
    expect(cpu.eip).toBe(0x1002);
    expect(cpu.regs[0] & 0xff).toBe(0xab);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
  });

  it("REP OUTSB exits once per element and resumes", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    mem.writeBytes(0x2000, Uint8Array.from([1, 2, 3]));
    mem.writeBytes(0x1000, Uint8Array.from([0xf3, 0x6e, 0xf4])); // rep outsb; hlt
    cpu.regs[1] = 3;
    cpu.regs[2] = 0x3f8;
    cpu.regs[6] = 0x2000;
    const seen: number[] = [];
    for (;;) {
      const r = cpu.run(100);
      if (r === ExitReason.Hlt) break;
      expect(r).toBe(ExitReason.IoOut);
      seen.push(cpu.exit.value);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(cpu.regs[1]).toBe(0);
  });

  it("MMIO exits on unclaimed pages are replayed when the instruction re-executes", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.mmioExits = true;
    // add eax,[0xfee00020]; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0x03, 0x05, 0x20, 0, 0xe0, 0xfe, 0xf4]));
    cpu.regs[0] = 1;
    expect(cpu.run(100)).toBe(ExitReason.Mmio);
    expect(cpu.exit.gpa).toBe(0xfee00020);
    expect(cpu.exit.isWrite).toBe(0);
    expect(cpu.regs[0]).toBe(1);
    cpu.completeMmio(41);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]).toBe(42);
  });

  it("MMIO handlers mapped in memory are called synchronously", () => {
    const { mem, cpu } = machine();
    const log: string[] = [];
    const dev: MmioHandler = {
      read: (a, s) => { log.push(`r${s}@${a.toString(16)}`); return 0x11223344; },
      write: (a, s, v) => { log.push(`w${s}@${a.toString(16)}=${v.toString(16)}`); },
    };
    mem.mapMmio(0xfec00000, 0x1000, dev, "test");
    flat32(cpu, 0x1000);
    // mov eax,[0xfec00010]; mov [0xfec00000],ax; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xa1, 0x10, 0, 0xc0, 0xfe, 0x66, 0xa3, 0, 0, 0xc0, 0xfe, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(log).toEqual(["r4@fec00010", "w2@fec00000=3344"]);
  });
});

describe("interrupts and events", () => {
  it("STI shadow: the interrupt is taken after the instruction following STI", () => {
    const { mem, cpu } = machine();
    real16(cpu, 0x100);
    mem.write16(0x20 * 4, 0x300);
    mem.write16(0x20 * 4 + 2, 0);
    // sti; inc bx; inc bx; hlt      handler: mov cx,bx; iret
    mem.writeBytes(0x100, Uint8Array.from([0xfb, 0x43, 0x43, 0xf4]));
    mem.writeBytes(0x300, Uint8Array.from([0x89, 0xd9, 0xcf]));
    cpu.pic = { acknowledge: () => { cpu.setIntr(false); return 0x20; } };
    cpu.setIntr(true);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[1] & 0xffff).toBe(1);
    expect(cpu.regs[3] & 0xffff).toBe(2);
  });

  it("HLT with IF=1 wakes on INTR", () => {
    const { mem, cpu } = machine();
    real16(cpu, 0x100);
    mem.write16(0x20 * 4, 0x300);
    mem.writeBytes(0x100, Uint8Array.from([0xfb, 0xf4, 0x43, 0xfa, 0xf4]));
    mem.writeBytes(0x300, Uint8Array.from([0xcf]));
    cpu.pic = { acknowledge: () => { cpu.setIntr(false); return 0x20; } };
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.run(100)).toBe(ExitReason.Hlt); // still halted
    cpu.setIntr(true);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[3] & 0xffff).toBe(1);
  });

  it("TF single-steps with #DB traps", () => {
    const { mem, cpu } = machine();
    real16(cpu, 0x100);
    mem.write16(1 * 4, 0x300);
    // handler: inc dx; iret
    mem.writeBytes(0x300, Uint8Array.from([0x42, 0xcf]));
    // nop; nop; nop; hlt
    mem.writeBytes(0x100, Uint8Array.from([0x90, 0x90, 0x90, 0xf4]));
    cpu.regs[2] = 0;
    cpu.setEflags(2 | Flag.TF);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.regs[2] & 0xffff).toBe(3);
  });

  it("a fault during #DF delivery is a triple fault exit, never a host exception", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.setIdtr(0x5000, 0); // IDT too small for anything
    mem.writeBytes(0x1000, Uint8Array.from([0x0f, 0x0b])); // ud2
    expect(cpu.run(100)).toBe(ExitReason.TripleFault);
    expect(cpu.hostError).toBeNull();
  });
});

describe("paging", () => {
  it("#PF reports CR2 and the error code; the faulting instruction is retried", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.exceptionExits = 1 << Vec.PF;
    for (let k = 0; k < 1024; k++) mem.write32(0x10000 + 4 * k, 0);
    mem.write32(0x10000, 0x11000 | 3);
    for (let k = 0; k < 1024; k++) mem.write32(0x11000 + 4 * k, (k << 12) | 3);
    mem.write32(0x11000 + 0x200 * 4, 0); // 0x200000 not present
    cpu.setCr3(0x10000);
    cpu.setCr0(0x80000011);
    mem.writeBytes(0x1000, Uint8Array.from([0xc7, 0x05, 0x04, 0, 0x20, 0, 0x78, 0x56, 0x34, 0x12, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Exception);
    expect(cpu.exit.vector).toBe(Vec.PF);
    expect(cpu.exit.errorCode).toBe(2);
    expect(cpu.cr2).toBe(0x200004);
    mem.write32(0x11000 + 0x200 * 4, 0x200000 | 3);
    cpu.space.invlpg(0x200000);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(mem.read32(0x200004)).toBe(0x12345678);
    expect(mem.read32(0x11000 + 0x200 * 4) & 0x60).toBe(0x60); // accessed + dirty
  });
});

describe("budget", () => {
  it("run() returns Budget within the requested count; step() runs one instruction", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    mem.writeBytes(0x1000, Uint8Array.from([0xeb, 0xfe])); // jmp $
    expect(cpu.run(1000)).toBe(ExitReason.Budget);
    expect(cpu.icount).toBe(1000);
    expect(cpu.step()).toBe(ExitReason.None);
    expect(cpu.icount).toBe(1001);
  });
});

describe("CR-access hook, CR read shadows and RDTSC exits", () => {
  it("MOV CR3 claimed by the hook exits before executing; completeCrAccess retires it", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    const calls: number[][] = [];
    cpu.crAccessHook = (cr, type, gpr, value) => {
      calls.push([cr, type, gpr, value]);
      return true;
    };
    // mov eax,0x5000; nop; mov cr3,eax; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xb8, 0x00, 0x50, 0, 0, 0x90, 0x0f, 0x22, 0xd8, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.CrAccess);
    expect(calls).toEqual([[3, 0, 0, 0x5000]]);
    expect(cpu.exit.index).toBe(3);
    expect(cpu.exit.value).toBe(0x5000);
    expect(cpu.exit.value2).toBe(0);
    expect(cpu.eip).toBe(0x1006);
    expect(cpu.icount).toBe(2);
    expect(cpu.cr3).toBe(0);
    expect(cpu.pendingInsn?.eip).toBe(0x1006);
    cpu.completeCrAccess();
    expect(cpu.eip).toBe(0x1009);
    expect(cpu.icount).toBe(3);
    expect(cpu.pendingInsn).toBeNull();
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.cr3).toBe(0);
  });

  it("MOV from CR3 exits with the GPR; completion writes the value", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.crAccessHook = (cr) => cr === 3;
    // mov ecx,cr3; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0x0f, 0x20, 0xd9, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.CrAccess);
    expect(cpu.exit.value2).toBe(1 | (1 << 8));
    cpu.completeCrAccess(0x1234);
    expect(cpu.regs[1]).toBe(0x1234);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.eip).toBe(0x1004);
  });

  it("a hook returning false lets the access execute; CLTS and LMSW are offered too", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.setCr0(cpu.cr0 | 8);
    const calls: number[][] = [];
    cpu.crAccessHook = (cr, type, gpr, value) => {
      calls.push([cr, type, gpr, value]);
      return false;
    };
    // mov eax,0x5000; mov cr3,eax; clts; mov ax,0xb; lmsw ax; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0xb8, 0x00, 0x50, 0, 0, 0x0f, 0x22, 0xd8, 0x0f, 0x06,
      0x66, 0xb8, 0x0b, 0x00, 0x0f, 0x01, 0xf0, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.cr3).toBe(0x5000);
    expect(cpu.cr0 & 0xf).toBe(0xb);
    expect(calls).toEqual([[3, 0, 0, 0x5000], [0, 2, 0, 0], [0, 3, 0, 0xb]]);
  });

  it("LMSW and CLTS exits carry their access types", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.crAccessHook = () => true;
    // clts; lmsw cx; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0x0f, 0x06, 0x0f, 0x01, 0xf1, 0xf4]));
    cpu.regs[1] = 0x9;
    expect(cpu.run(100)).toBe(ExitReason.CrAccess);
    expect(cpu.exit.value2).toBe(2);
    cpu.completeCrAccess();
    expect(cpu.run(100)).toBe(ExitReason.CrAccess);
    expect(cpu.exit.value2).toBe(3 | (1 << 8));
    expect(cpu.exit.value).toBe(9);
    expect(cpu.eip).toBe(0x1002);
  });

  it("reads of CR0/CR4 (MOV from CR, SMSW) return the read shadow for masked bits", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.cr0ReadMask = 0x8; // TS
    cpu.cr0ReadShadow = 0x8;
    cpu.cr4ReadMask = 0x10; // PSE
    cpu.cr4ReadShadow = 0x10;
    // mov eax,cr0; smsw ebx; mov ecx,cr4; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0x0f, 0x20, 0xc0, 0x0f, 0x01, 0xe3, 0x0f, 0x20, 0xe1, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.cr0 & 8).toBe(0);
    expect(cpu.regs[0]).toBe(cpu.cr0 | 8);
    expect(cpu.regs[3]).toBe(cpu.cr0 | 8);
    expect(cpu.cr4 & 0x10).toBe(0);
    expect(cpu.regs[1]).toBe(cpu.cr4 | 0x10);
    expect(cpu.getCr(0) & 8).toBe(0);
  });

  it("RDTSC exits before retirement with rdtscExits; completeRdtsc writes EDX:EAX", () => {
    const { mem, cpu } = machine();
    flat32(cpu, 0x1000);
    cpu.rdtscExits = true;
    // nop; rdtsc; nop; hlt
    mem.writeBytes(0x1000, Uint8Array.from([0x90, 0x0f, 0x31, 0x90, 0xf4]));
    expect(cpu.run(100)).toBe(ExitReason.Rdtsc);
    expect(cpu.eip).toBe(0x1001);
    expect(cpu.icount).toBe(1);
    expect(cpu.pendingInsn?.len).toBe(2);
    cpu.completeRdtsc(0x11223344, 0x55);
    expect(cpu.regs[0]).toBe(0x11223344);
    expect(cpu.regs[2]).toBe(0x55);
    expect(cpu.eip).toBe(0x1003);
    expect(cpu.icount).toBe(2);
    expect(cpu.run(100)).toBe(ExitReason.Hlt);
    expect(cpu.icount).toBe(4);
  });
});
