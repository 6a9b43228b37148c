import { describe, expect, it } from "vitest";
import { Cpu } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import * as F from "./fields.js";
import { CPU_BASED, EXIT_REASON_CR_ACCESS, EXIT_REASON_HLT, EXIT_REASON_RDTSC } from "./constants.js";
import { CR_ACCESS_TYPE, crAccessQualification } from "./qualification.js";
import { setupFlatProtectedGuest } from "./setup.js";
import type { VmxVcpu } from "./vcpu.js";
import { Vmx } from "./vmx.js";

const RAM = 4 << 20;

/** A flat protected-mode guest (paging off, EPT identity) running `code` at 0x1000. */
function makeVm(code: number[], proc = 0): { vcpu: VmxVcpu; cpu: Cpu } {
  const mem = new PhysicalMemory({ ramSize: RAM });
  const vmx = new Vmx();
  const ept = vmx.createEpt(mem);
  ept.map(0, RAM);
  mem.writeBytes(0x1000, Uint8Array.from(code));
  const cpu = new Cpu(mem);
  const vcpu = vmx.createVcpu(cpu);
  const vmcs = vmx.createVmcs();
  vcpu.vmxon();
  vcpu.vmclear(vmcs);
  vcpu.vmptrld(vmcs);
  setupFlatProtectedGuest(vcpu, { ept, rip: 0x1000, rsp: 0x9000, proc });
  return { vcpu, cpu };
}

const HLT = 0xf4;
const MOV_EAX_IMM = (v: number): number[] => [0xb8, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const MOV_CR3_EAX = [0x0f, 0x22, 0xd8];
const MOV_ECX_CR3 = [0x0f, 0x20, 0xd9];
const MOV_EAX_CR0 = [0x0f, 0x20, 0xc0];
const MOV_CR0_EAX = [0x0f, 0x22, 0xc0];
const OR_EAX_8 = [0x83, 0xc8, 0x08];
const SMSW_EBX = [0x0f, 0x01, 0xe3];
const CLTS = [0x0f, 0x06];
const LMSW_AX = [0x0f, 0x01, 0xf0];
const RDTSC = [0x0f, 0x31];

describe("CR-access exits", () => {
  it("MOV CR3, EAX exits with CR3-load exiting; the monitor emulates it and skips", () => {
    const { vcpu, cpu } = makeVm([...MOV_EAX_IMM(0x5000), ...MOV_CR3_EAX, HLT], CPU_BASED.CR3_LOAD_EXITING);
    let x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_CR_ACCESS);
    expect(x.kind).toBe("cr-access");
    expect(x.qualification).toBe(crAccessQualification(3, CR_ACCESS_TYPE.MOV_TO_CR, 0));
    expect(x.qualification & 15).toBe(3);
    expect((x.qualification >> 4) & 3).toBe(0);
    expect((x.qualification >> 8) & 15).toBe(0);
    expect(vcpu.vmread(F.EXIT_QUALIFICATION)).toBe(3);
    expect(vcpu.vmread(F.VM_EXIT_REASON)).toBe(EXIT_REASON_CR_ACCESS);
    expect(vcpu.vmread(F.VM_EXIT_INSTRUCTION_LEN)).toBe(3);
    expect(vcpu.rip).toBe(0x1005);
    expect(vcpu.vmread(F.GUEST_CR3)).toBe(0);
    expect(cpu.cr3).toBe(0);
    // The VMX way: emulate, then skip. The CPU must not retire the MOV a second time.
    vcpu.vmwrite(F.GUEST_CR3, vcpu.regs[0]);
    vcpu.skipInstruction();
    const before = cpu.icount;
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.rip).toBe(0x1008);
    expect(cpu.icount - before).toBe(1);
    expect(cpu.cr3).toBe(0x5000);
  });

  it("a CR3-target value does not exit", () => {
    const { vcpu, cpu } = makeVm([...MOV_EAX_IMM(0x5000), ...MOV_CR3_EAX, HLT], CPU_BASED.CR3_LOAD_EXITING);
    vcpu.vmwrite(F.CR3_TARGET_COUNT, 1);
    vcpu.vmwrite(F.CR3_TARGET_VALUE0, 0x5000);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(cpu.cr3).toBe(0x5000);
  });

  it("MOV ECX, CR3 exits with CR3-store exiting; completeCrAccess supplies the value", () => {
    const { vcpu } = makeVm([...MOV_ECX_CR3, HLT], CPU_BASED.CR3_STORE_EXITING);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_CR_ACCESS);
    expect(x.qualification).toBe(3 | (1 << 4) | (1 << 8));
    vcpu.completeCrAccess(0x7000);
    expect(vcpu.rip).toBe(0x1003);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.regs[1]).toBe(0x7000);
    expect(vcpu.rip).toBe(0x1003);
  });

  it("a MOV to CR0 that changes a host-owned bit (TS) exits; one that keeps it does not", () => {
    const { vcpu, cpu } = makeVm([...MOV_EAX_CR0, ...MOV_CR0_EAX, ...OR_EAX_8, ...MOV_CR0_EAX, HLT]);
    vcpu.vmwrite(F.CR0_GUEST_HOST_MASK, 8);
    vcpu.vmwrite(F.CR0_READ_SHADOW, 0);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_CR_ACCESS);
    expect(vcpu.rip).toBe(0x1009);
    expect(x.qualification).toBe(crAccessQualification(0, CR_ACCESS_TYPE.MOV_TO_CR, 0));
    expect(x.value & 8).toBe(8);
    expect(cpu.cr0 & 8).toBe(0);
    // Emulate: the guest now believes TS is set; the monitor keeps the real bit.
    vcpu.vmwrite(F.CR0_READ_SHADOW, 8);
    vcpu.skipInstruction();
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.rip).toBe(0x100c);
  });

  it("MOV EAX, CR0 and SMSW read host-owned bits from the read shadow", () => {
    const { vcpu, cpu } = makeVm([...MOV_EAX_CR0, ...SMSW_EBX, HLT]);
    vcpu.vmwrite(F.CR0_GUEST_HOST_MASK, 8);
    vcpu.vmwrite(F.CR0_READ_SHADOW, 8);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(cpu.cr0 & 8).toBe(0);
    expect(vcpu.vmread(F.GUEST_CR0) & 8).toBe(0);
    expect(vcpu.regs[0]).toBe(cpu.cr0 | 8);
    expect(vcpu.regs[3]).toBe(cpu.cr0 | 8);
  });

  it("CLTS exits when TS is host-owned and the shadow has TS=1, and runs when the shadow has TS=0", () => {
    let vm = makeVm([...CLTS, HLT]);
    vm.vcpu.vmwrite(F.GUEST_CR0, vm.vcpu.vmread(F.GUEST_CR0) | 8);
    vm.vcpu.vmwrite(F.CR0_GUEST_HOST_MASK, 8);
    vm.vcpu.vmwrite(F.CR0_READ_SHADOW, 8);
    const x = vm.vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_CR_ACCESS);
    expect(x.qualification).toBe(CR_ACCESS_TYPE.CLTS << 4);
    expect(x.instructionLength).toBe(2);
    expect(vm.cpu.cr0 & 8).toBe(8);
    vm.vcpu.vmwrite(F.CR0_READ_SHADOW, 0);
    vm.vcpu.completeCrAccess();
    expect(vm.vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vm.vcpu.rip).toBe(0x1002);
    expect(vm.cpu.cr0 & 8).toBe(8); // the monitor kept the real TS

    vm = makeVm([...CLTS, HLT]);
    vm.vcpu.vmwrite(F.GUEST_CR0, vm.vcpu.vmread(F.GUEST_CR0) | 8);
    vm.vcpu.vmwrite(F.CR0_GUEST_HOST_MASK, 8);
    vm.vcpu.vmwrite(F.CR0_READ_SHADOW, 0);
    expect(vm.vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vm.cpu.cr0 & 8).toBe(0);
  });

  it("LMSW that changes a host-owned bit exits with the source data in the qualification", () => {
    const { vcpu } = makeVm([...MOV_EAX_IMM(0x9), ...LMSW_AX, HLT]);
    vcpu.vmwrite(F.CR0_GUEST_HOST_MASK, 8);
    vcpu.vmwrite(F.CR0_READ_SHADOW, 0);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_CR_ACCESS);
    expect(x.qualification).toBe(crAccessQualification(0, CR_ACCESS_TYPE.LMSW, 0, false, 9));
    expect(x.qualification >>> 16).toBe(9);
    expect(vcpu.rip).toBe(0x1005);
  });
});

describe("RDTSC exiting", () => {
  it("RDTSC exits with reason 16; completion sets EDX:EAX and RIP advances by 2", () => {
    const { vcpu, cpu } = makeVm([...RDTSC, HLT], CPU_BASED.RDTSC_EXITING);
    const x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_RDTSC);
    expect(x.reason).toBe(16);
    expect(x.kind).toBe("rdtsc");
    expect(x.instructionLength).toBe(2);
    expect(vcpu.vmread(F.VM_EXIT_INSTRUCTION_LEN)).toBe(2);
    expect(vcpu.rip).toBe(0x1000);
    vcpu.completeRdtsc(0x89abcdef | 0, 0x1234);
    expect(vcpu.rip).toBe(0x1002);
    const before = cpu.icount;
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(cpu.icount - before).toBe(1);
    expect(vcpu.regs[0]).toBe(0x89abcdef | 0);
    expect(vcpu.regs[2]).toBe(0x1234);
  });

  it("the VMX way (write EAX/EDX, skipInstruction) works too", () => {
    const { vcpu } = makeVm([...RDTSC, HLT], CPU_BASED.RDTSC_EXITING);
    expect(vcpu.enter().reason).toBe(EXIT_REASON_RDTSC);
    vcpu.regs[0] = 7;
    vcpu.regs[2] = 8;
    vcpu.skipInstruction();
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    expect(vcpu.rip).toBe(0x1002);
    expect(vcpu.regs[0]).toBe(7);
    expect(vcpu.regs[2]).toBe(8);
  });
});
