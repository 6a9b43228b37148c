import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Cpu, Vec } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import * as F from "./fields.js";
import {
  CPU_BASED, EXIT_REASON_CPUID, EXIT_REASON_EPT_MISCONFIG, EXIT_REASON_EPT_VIOLATION, EXIT_REASON_EXCEPTION_NMI,
  EXIT_REASON_EXTERNAL_INTERRUPT, EXIT_REASON_HLT, EXIT_REASON_INTERRUPT_WINDOW, EXIT_REASON_INVLPG,
  EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_MONITOR_TRAP_FLAG, EXIT_REASON_MSR_READ, EXIT_REASON_MSR_WRITE,
  EXIT_REASON_PREEMPTION_TIMER, EXIT_REASON_TRIPLE_FAULT, EXIT_REASON_VMCALL, HOST_EXIT_GUEST_HALTED,
  HOST_EXIT_TIME_SLICE, PIN_BASED, VM_EXIT,
} from "./constants.js";
import { EPT_READ, EPT_WRITE, type Ept } from "./ept.js";
import { decodeIoQualification, ioQualification } from "./qualification.js";
import { setupFlatProtectedGuest, type GuestSetupOptions } from "./setup.js";
import type { HostIoBus, VmxVcpu } from "./vcpu.js";
import { Vmx } from "./vmx.js";

const EXITS_BIN = readFileSync(new URL("../test-guests/exits.bin", import.meta.url));

const RAM = 16 << 20;

interface Vm {
  mem: PhysicalMemory;
  cpu: Cpu;
  vmx: Vmx;
  ept: Ept;
  vcpu: VmxVcpu;
}

/** A VM with 16 MiB of identity-mapped EPT RAM, the exits guest at 0x1000, a VMCS in flat protected mode. */
function makeVm(o: Partial<GuestSetupOptions> = {}, hostIo?: HostIoBus): Vm {
  const mem = new PhysicalMemory({ ramSize: RAM });
  const vmx = new Vmx();
  const ept = vmx.createEpt(mem);
  ept.map(0, RAM);
  mem.writeBytes(0x1000, EXITS_BIN);
  const cpu = new Cpu(mem);
  const vcpu = vmx.createVcpu(cpu, hostIo !== undefined ? { hostIo } : {});
  const vmcs = vmx.createVmcs();
  vcpu.vmxon();
  vcpu.vmclear(vmcs);
  vcpu.vmptrld(vmcs);
  setupFlatProtectedGuest(vcpu, { ept, rip: 0x1000, rsp: 0x9000, ...o });
  vcpu.vmwrite(F.GUEST_IDTR_BASE, 0x2000);
  vcpu.vmwrite(F.GUEST_IDTR_LIMIT, 0x1ff);
  vcpu.vmwrite(F.GUEST_GDTR_BASE, 0x1f10);
  vcpu.vmwrite(F.GUEST_GDTR_LIMIT, 0x17);
  return { mem, cpu, vmx, ept, vcpu };
}

/** Set a bit in an MSR bitmap page (read-low / write-low / read-high / write-high quarters). */
function msrBitmapSet(page: Uint8Array, index: number, write: boolean): void {
  let base = index >= 0xc0000000 ? 0x400 : 0;
  if (write) base += 0x800;
  const bit = index & 0x1fff;
  page[base + (bit >> 3)] |= 1 << (bit & 7);
}

describe("VMX exits from the exits guest", () => {
  it("produces each exit of the main sequence with its qualification, then completes it", () => {
    const vm = makeVm({ proc: CPU_BASED.USE_MSR_BITMAPS | CPU_BASED.INVLPG_EXITING, exceptionBitmap: 1 << Vec.BP });
    const { vcpu, mem } = vm;
    const msr = vm.vmx.allocPage();
    msrBitmapSet(msr.bytes, 0x1b, false);
    vcpu.vmwrite(F.MSR_BITMAP, msr.hpa);
    const r = vcpu.regs;

    // CPUID
    let x = vcpu.enter();
    expect(x.entryFailure).toBe(false);
    expect(x.message).toBe("");
    expect(x.reason).toBe(EXIT_REASON_CPUID);
    expect(x.kind).toBe("cpuid");
    expect(vcpu.rip).toBe(0x1007);
    expect(x.instructionLength).toBe(2);
    expect(vcpu.vmread(F.VM_EXIT_INSTRUCTION_LEN)).toBe(2);
    expect(vcpu.vmread(F.VM_EXIT_REASON)).toBe(EXIT_REASON_CPUID);
    vcpu.completeCpuid(1, 2, 3, 4);
    expect(vcpu.rip).toBe(0x1009);

    // IN AL, 60h
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
    expect(x.qualification).toBe(ioQualification(0x60, 1, true, false, false, true));
    expect(decodeIoQualification(x.qualification)).toEqual({ port: 0x60, size: 1, isIn: true, string: false, rep: false, immediate: true });
    expect(vcpu.vmread(F.EXIT_QUALIFICATION)).toBe(x.qualification);
    expect(vcpu.rip).toBe(0x1009);
    expect(x.instructionLength).toBe(2);
    expect(r[3]).toBe(2); // EBX from CPUID
    vcpu.completeIo(0xab);
    expect(r[0] & 0xff).toBe(0xab);

    // OUT 80h, AL (the CPU retired it; the model rewinds RIP onto it)
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
    expect(x.qualification).toBe(((0x80 << 16) | 64) >>> 0);
    expect(x.value).toBe(0xab);
    expect(vcpu.rip).toBe(0x100b);
    expect(x.instructionLength).toBe(2);
    vcpu.completeIo();

    // OUT DX, EAX
    x = vcpu.enter();
    expect(x.qualification).toBe(((0x3f8 << 16) | 3) >>> 0);
    expect(x.size).toBe(4);
    expect(x.value).toBe(0xab);
    expect(vcpu.rip).toBe(0x1011);
    expect(x.instructionLength).toBe(1);
    vcpu.skipInstruction(); // the architectural way

    // IN AX, DX (66 ED)
    x = vcpu.enter();
    expect(x.qualification).toBe(((0x3f8 << 16) | 8 | 1) >>> 0);
    expect(vcpu.rip).toBe(0x1012);
    expect(x.instructionLength).toBe(2);
    vcpu.completeIo(0xbeef);
    expect(r[0] & 0xffff).toBe(0xbeef);

    // REP OUTSB: one exit per element, before the element is transferred
    for (const [ch, esi, ecx] of [[0x41, 0x5000, 2], [0x42, 0x5001, 1]]) {
      x = vcpu.enter();
      expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
      expect(x.qualification).toBe(((0x3f8 << 16) | 16 | 32) >>> 0);
      expect(x.value).toBe(ch);
      expect(x.string).toBe(1);
      expect(x.rep).toBe(1);
      expect(vcpu.rip).toBe(0x101e);
      expect(x.instructionLength).toBe(2);
      expect(r[6]).toBe(esi);
      expect(r[1]).toBe(ecx);
      expect(x.guestLinearAddress).toBe(esi);
      expect(vcpu.vmread(F.VMX_INSTRUCTION_INFO)).toBe((1 << 7) | (3 << 15)); // 32-bit address, DS
      vcpu.completeIo();
    }
    expect(vcpu.rip).toBe(0x1020);
    expect(r[6]).toBe(0x5002);

    // REP INSB
    for (const [v, edi] of [[0x11, 0x5100], [0x22, 0x5101]]) {
      x = vcpu.enter();
      expect(x.qualification).toBe(((0x3f8 << 16) | 8 | 16 | 32) >>> 0);
      expect(vcpu.rip).toBe(0x102a);
      expect(r[7]).toBe(edi);
      expect(x.guestLinearAddress).toBe(edi);
      vcpu.completeIo(v);
    }

    // RDMSR 1Bh (intercepted in the bitmap)
    x = vcpu.enter();
    expect(mem.read8(0x5100)).toBe(0x11);
    expect(mem.read8(0x5101)).toBe(0x22);
    expect(x.reason).toBe(EXIT_REASON_MSR_READ);
    expect(x.index).toBe(0x1b);
    expect(vcpu.rip).toBe(0x1031);
    expect(x.instructionLength).toBe(2);
    vcpu.completeMsrRead(true, 0xfee00900 | 0, 0);
    expect(r[0] >>> 0).toBe(0xfee00900);

    // WRMSR 40000000h (outside the bitmap's ranges: always exits)
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_MSR_WRITE);
    expect(x.kind).toBe("msr-write");
    expect([x.index, x.value, x.value2]).toEqual([0x40000000, 0x11, 0x22]);
    vcpu.completeMsrWrite(true);

    // RDMSR 174h is not intercepted: the CPU answers. Then the MMIO read.
    x = vcpu.enter();
    expect(mem.read32(0x5200)).toBe(0);
    expect(x.reason).toBe(EXIT_REASON_EPT_VIOLATION);
    expect(x.kind).toBe("mmio");
    expect(x.qualification).toBe(1); // data read, page not present
    expect(vcpu.vmread(F.GUEST_PHYSICAL_ADDRESS)).toBe(0xfee00000);
    expect(vcpu.vmread(F.GUEST_PHYSICAL_ADDRESS | 1)).toBe(0);
    expect(x.size).toBe(4);
    expect(vcpu.rip).toBe(0x1050);
    vcpu.completeMmio(0xcafef00d | 0);

    // MMIO write
    x = vcpu.enter();
    expect(mem.read32(0x5204) >>> 0).toBe(0xcafef00d);
    expect(x.reason).toBe(EXIT_REASON_EPT_VIOLATION);
    expect(x.qualification).toBe(2);
    expect(x.gpa).toBe(0xfee00010);
    expect(x.value).toBe(0x12345678);
    expect(x.isWrite).toBe(1);
    vcpu.completeMmio();

    // INVLPG [2000h + EBX*4]
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_INVLPG);
    expect(x.qualification).toBe(0x2010);
    expect(vcpu.rip).toBe(0x1069);
    expect(x.instructionLength).toBe(8);
    vcpu.skipInstruction();

    // VMCALL (the CPU raises #UD; the model recognises 0F 01 C1)
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_VMCALL);
    expect(x.kind).toBe("hypercall");
    expect(vcpu.rip).toBe(0x1071);
    expect(x.instructionLength).toBe(3);
    vcpu.skipInstruction();

    // INT3 with #BP in the exception bitmap: a software exception, RIP on the INT3
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EXCEPTION_NMI);
    expect(x.kind).toBe("exception");
    expect(x.intrInfo >>> 0).toBe(0x80000603);
    expect(vcpu.vmread(F.VM_EXIT_INTR_INFO)).toBe(0x80000603);
    expect(vcpu.rip).toBe(0x1074);
    expect(x.instructionLength).toBe(1);
    // Reflect it into the guest, as a hypervisor does: soft exception with length 1.
    vcpu.vmwrite(F.VM_ENTRY_INSTRUCTION_LEN, 1);
    vcpu.injectEvent("exception", Vec.BP);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(Vec.BP);
    expect(vcpu.rip).toBe(0x3000 + 16 * 3 + 7);
    const esp = vcpu.vmread(F.GUEST_RSP);
    expect(mem.read32(esp)).toBe(0x1075); // return address past the INT3

    // HLT
    vcpu.rip = 0x1075;
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(x.kind).toBe("hlt");
    expect(vcpu.rip).toBe(0x1075);
    expect(x.instructionLength).toBe(1);
    expect(vcpu.vmread(F.GUEST_ACTIVITY_STATE)).toBe(0);
  });

  it("reports OUTSW's operand size and rewinds ESI", () => {
    const { vcpu } = makeVm({ rip: 0x14c0 });
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
    expect(decodeIoQualification(x.qualification)).toMatchObject({ size: 2, string: true, rep: false, isIn: false });
    expect(x.value).toBe(0x4241);
    expect(vcpu.rip).toBe(0x14c5);
    expect(x.instructionLength).toBe(2);
    expect(vcpu.regs[6]).toBe(0x5000);
    vcpu.completeIo();
    expect(vcpu.regs[6]).toBe(0x5002);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
  });

  it("sends non-intercepted ports to the host bus (I/O bitmaps)", () => {
    const seen: string[] = [];
    const bus: HostIoBus = {
      in: (port, size) => {
        seen.push(`in ${port.toString(16)}/${size}`);
        return 0x77;
      },
      out: (port, size, value) => {
        seen.push(`out ${port.toString(16)}/${size}=${value.toString(16)}`);
      },
    };
    const vm = makeVm({ rip: 0x1460, proc: CPU_BASED.USE_IO_BITMAPS }, bus);
    const a = vm.vmx.allocPage();
    const b = vm.vmx.allocPage();
    a.bytes[0x80 >> 3] |= 1 << (0x80 & 7);
    vm.vcpu.vmwrite(F.IO_BITMAP_A, a.hpa);
    vm.vcpu.vmwrite(F.IO_BITMAP_B, b.hpa);
    const x = vm.vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
    expect(x.port).toBe(0x80);
    expect(seen).toEqual(["out ed/1=55", "in ed/1"]);
    expect(vm.mem.read8(0x5208)).toBe(0x77);
  });

  it("delivers a non-intercepted #UD through the guest IDT", () => {
    const { vcpu, mem } = makeVm({ rip: 0x1400 });
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(Vec.UD);
    expect(mem.read32(vcpu.vmread(F.GUEST_RSP))).toBe(0x1400);
  });

  it("exits on an intercepted #DE with a hardware-exception interruption info", () => {
    const { vcpu } = makeVm({ rip: 0x1410, exceptionBitmap: 1 << Vec.DE });
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EXCEPTION_NMI);
    expect(x.intrInfo >>> 0).toBe(0x80000300);
    expect(x.vector).toBe(0);
    expect(vcpu.rip).toBe(0x1414);
  });

  it("exits on #PF with CR2 as the qualification and honours the error-code mask/match", () => {
    for (const filtered of [false, true]) {
      const { vcpu, mem } = makeVm({ rip: 0x1420, exceptionBitmap: 1 << Vec.PF });
      // Page directory at 0x10000: PDE 0 -> page table at 0x11000 identity-mapping 0..4 MiB; 0x500000 unmapped.
      mem.write32(0x10000, 0x11003);
      for (let p = 0; p < 1024; p++) mem.write32(0x11000 + 4 * p, (p << 12) | 3);
      vcpu.vmwrite(F.GUEST_CR3, 0x10000);
      vcpu.vmwrite(F.GUEST_CR0, 0x80000031 | 0);
      if (filtered) {
        // Only protection violations (P = 1) exit: this not-present fault goes to the guest.
        vcpu.vmwrite(F.PAGE_FAULT_ERROR_CODE_MASK, 1);
        vcpu.vmwrite(F.PAGE_FAULT_ERROR_CODE_MATCH, 1);
      }
      const x = vcpu.enter();
      if (!filtered) {
        expect(x.reason).toBe(EXIT_REASON_EXCEPTION_NMI);
        expect(x.qualification).toBe(0x500000);
        expect(x.intrInfo >>> 0).toBe(0x80000b0e); // vector 14, hardware exception, error code valid
        expect(x.intrErrorCode).toBe(0);
        expect(vcpu.rip).toBe(0x1420);
      } else {
        expect(x.reason).toBe(EXIT_REASON_HLT);
        expect(mem.read8(0x6000)).toBe(Vec.PF);
      }
    }
  });

  it("reports a triple fault", () => {
    const { vcpu } = makeVm({ rip: 0x1430 });
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_TRIPLE_FAULT);
    expect(x.kind).toBe("shutdown");
  });

  it("exits when the interrupt window opens (after STI's shadow)", () => {
    const { vcpu } = makeVm({ rip: 0x1440 });
    vcpu.requestInterruptWindow(true);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_INTERRUPT_WINDOW);
    expect(vcpu.rip).toBe(0x1442);
    expect(vcpu.interruptible).toBe(true);
  });

  it("injects an external interrupt, an exception with error code and INT n through the guest IDT", () => {
    const { vcpu, mem } = makeVm({ rip: 0x1450 });
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    vcpu.injectEvent("external", 0x20);
    let x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(0x20);
    let esp = vcpu.vmread(F.GUEST_RSP);
    expect([mem.read32(esp), mem.read32(esp + 4), mem.read32(esp + 8)]).toEqual([0x1450, 8, 0x202]);
    expect(vcpu.vmread(F.VM_ENTRY_INTR_INFO_FIELD) >>> 31).toBe(0); // cleared by the exit

    vcpu.rip = 0x1450;
    vcpu.vmwrite(F.GUEST_RSP, 0x9000);
    vcpu.injectEvent("exception", Vec.GP, 0x18);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(Vec.GP);
    esp = vcpu.vmread(F.GUEST_RSP);
    expect([mem.read32(esp), mem.read32(esp + 4)]).toEqual([0x18, 0x1450]);

    vcpu.rip = 0x1450;
    vcpu.vmwrite(F.GUEST_RSP, 0x9000);
    vcpu.vmwrite(F.VM_ENTRY_INSTRUCTION_LEN, 2);
    vcpu.injectEvent("soft", 0x30);
    vcpu.enter();
    expect(mem.read8(0x6000)).toBe(0x30);
    expect(mem.read32(vcpu.vmread(F.GUEST_RSP))).toBe(0x1452);
  });

  it("reports an exit during injected-event delivery in IDT-vectoring information", () => {
    const { vcpu } = makeVm({ rip: 0x1450, exceptionBitmap: 1 << Vec.GP });
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    vcpu.injectEvent("external", 0x50); // beyond the IDT limit: #GP(0x50 * 8 + 2 + EXT)
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EXCEPTION_NMI);
    expect(x.vector).toBe(Vec.GP);
    expect(x.intrErrorCode).toBe(0x50 * 8 + 2 + 1);
    expect(x.idtVectoringInfo >>> 0).toBe(0x80000050);
    expect(vcpu.vmread(F.IDT_VECTORING_INFO_FIELD)).toBe(0x80000050);
  });

  it("re-injects an event whose delivery touched MMIO (IDT outside RAM) from IDT-vectoring info", () => {
    const { vcpu, mem } = makeVm({ rip: 0x1450 });
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    vcpu.vmwrite(F.GUEST_IDTR_BASE, 0xfee10000);
    vcpu.injectEvent("external", 0x20);
    const gate = [(0x08 << 16) | (0x3000 + 16 * 0x20), 0x8e00];
    let x = vcpu.enter();
    let reads = 0;
    while (x.reason === EXIT_REASON_EPT_VIOLATION) {
      expect(x.idtVectoringInfo >>> 0).toBe(0x80000020);
      expect(vcpu.rip).toBe(0x1450); // the guest state is the pre-injection one
      expect(x.gpa - 0xfee10000).toBe(0x20 * 8 + 4 * reads);
      vcpu.completeMmio(gate[reads++]);
      // As a hypervisor does: copy IDT-vectoring information into the entry field.
      vcpu.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, x.idtVectoringInfo);
      x = vcpu.enter();
    }
    expect(reads).toBe(2);
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(0x20);
  });

  it("reports the HLT activity state without HLT exiting and wakes on injection", () => {
    const { vcpu, mem } = makeVm({ rip: 0x1075 });
    vcpu.vmwrite(F.CPU_BASED_VM_EXEC_CONTROL, vcpu.vmread(F.CPU_BASED_VM_EXEC_CONTROL) & ~CPU_BASED.HLT_EXITING);
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    let x = vcpu.enter();
    expect(x.reason).toBe(HOST_EXIT_GUEST_HALTED);
    expect(x.kind).toBe("halted");
    expect(vcpu.vmread(F.GUEST_ACTIVITY_STATE)).toBe(1);
    expect(vcpu.rip).toBe(0x1076);
    x = vcpu.enter();
    expect(x.reason).toBe(HOST_EXIT_GUEST_HALTED);
    vcpu.injectEvent("external", 0x21);
    x = vcpu.enter();
    expect(mem.read8(0x6000)).toBe(0x21);
    expect(x.reason).toBe(HOST_EXIT_GUEST_HALTED); // the handler halts too
  });

  it("emulates permitted accesses to a read-only EPT page and exits on the write", () => {
    const { vcpu, mem, ept } = makeVm({ rip: 0x1490 });
    mem.write32(0x7000, 0x13579bdf);
    ept.protect(0x7000, 0x1000, EPT_READ);
    const x = vcpu.enter();
    expect(mem.read32(0x520c)).toBe(0x13579bdf);
    expect(x.reason).toBe(EXIT_REASON_EPT_VIOLATION);
    expect(x.kind).toBe("npf");
    expect(x.qualification).toBe(2 | (EPT_READ << 3));
    expect(x.gpa).toBe(0x7000);
    expect(vcpu.rip).toBe(0x149a);
    // The monitor lifts the protection and resumes: the write re-executes natively.
    ept.protect(0x7000, 0x1000, 7);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
  });

  it("reports an EPT misconfiguration for a write-only entry", () => {
    const { vcpu, ept } = makeVm({ rip: 0x14b0 });
    ept.setEntry(0x8000, (0x8 << 12) | (6 << 3) | EPT_WRITE);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EPT_MISCONFIG);
    expect(vcpu.vmread(F.GUEST_PHYSICAL_ADDRESS)).toBe(0x8000);
    vcpu.completeMmio(0x99);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.regs[0]).toBe(0x99);
  });

  it("ends the host time slice and resumes where it stopped", () => {
    const { vcpu } = makeVm({ rip: 0x14d0 });
    vcpu.timeSlice = 1000;
    vcpu.regs[0] = 0;
    const x = vcpu.enter();
    expect(x.reason).toBe(HOST_EXIT_TIME_SLICE);
    expect(x.kind).toBe("time-slice");
    const first = vcpu.regs[0];
    expect(first).toBeGreaterThan(400);
    vcpu.enter();
    expect(vcpu.regs[0]).toBeGreaterThan(first + 400);
  });

  it("counts the VMX-preemption timer in retired instructions and saves it", () => {
    const { vcpu } = makeVm({
      rip: 0x14d0,
      pin: PIN_BASED.VMX_PREEMPTION_TIMER,
      exit: VM_EXIT.SAVE_VMX_PREEMPTION_TIMER,
    });
    vcpu.regs[0] = 0;
    vcpu.vmwrite(F.VMX_PREEMPTION_TIMER_VALUE, 100);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_PREEMPTION_TIMER);
    expect(vcpu.regs[0]).toBe(50); // INC + JMP per iteration
    expect(vcpu.vmread(F.VMX_PREEMPTION_TIMER_VALUE)).toBe(0);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_PREEMPTION_TIMER); // expired timer fires at once
  });

  it("single-steps with the monitor trap flag", () => {
    const { vcpu } = makeVm({ rip: 0x1460, proc: CPU_BASED.MONITOR_TRAP_FLAG });
    let x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_MONITOR_TRAP_FLAG);
    expect(vcpu.rip).toBe(0x1462);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
  });

  it("applies TSC offsetting to RDTSC", () => {
    const { vcpu, cpu } = makeVm({ rip: 0x14e0, proc: CPU_BASED.USE_TSC_OFFSETTING });
    vcpu.vmwrite(F.TSC_OFFSET, 0);
    vcpu.vmwrite(F.TSC_OFFSET | 1, 1); // +2^32
    vcpu.enter();
    expect(vcpu.regs[2]).toBe(1);
    expect(cpu.tscOffset).toBe(0); // the host's view is restored on exit
  });

  it("turns host NMIs and external interrupts into exits (acknowledge on exit)", () => {
    const { vcpu } = makeVm({ rip: 0x1450, exit: VM_EXIT.ACK_INTR_ON_EXIT });
    vcpu.postNmi();
    let x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EXCEPTION_NMI);
    expect(x.kind).toBe("nmi");
    expect(x.intrInfo >>> 0).toBe(0x80000202);
    vcpu.postExternalInterrupt(0x40);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_EXTERNAL_INTERRUPT);
    expect(x.intrInfo >>> 0).toBe(0x80000040);
    expect(vcpu.vmread(F.VM_EXIT_INTR_INFO)).toBe(0x80000040);
  });

  it("delivers a host interrupt through the guest IDT without external-interrupt exiting", () => {
    const { vcpu, mem } = makeVm({ rip: 0x1450 });
    vcpu.vmwrite(F.PIN_BASED_VM_EXEC_CONTROL, vcpu.vmread(F.PIN_BASED_VM_EXEC_CONTROL) & ~PIN_BASED.EXT_INTR_MASK);
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    vcpu.postExternalInterrupt(0x22);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x6000)).toBe(0x22);
    expect(vcpu.cpu.intr).toBe(0);
  });

  it("reads the guest halted state back and keeps MSR accesses of core MSRs working", () => {
    const { vcpu } = makeVm({ rip: 0x1075 });
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.vmread(F.GUEST_CR4) & 0x2000).toBe(0x2000);
    expect(vcpu.vmread(F.GUEST_CS_AR_BYTES)).toBe(0xc09b);
  });
});
