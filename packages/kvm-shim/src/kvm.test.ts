import { describe, expect, it } from "vitest";
import { Kvm, KvmError } from "./kvm.js";
import { Ioctl, KvmCap, KVM_API_VERSION } from "./uapi.js";
import { lookupCpuid, supportedCpuid, CPUID_1_ECX_HYPERVISOR } from "./cpuid.js";
import { KvmFeature } from "@virtkit/hypercall-abi";

describe("the KVM API surface", () => {
  it("reports API version 12 and the real ioctl encodings", () => {
    expect(new Kvm().getApiVersion()).toBe(12);
    expect(KVM_API_VERSION).toBe(12);
    expect(Ioctl.KVM_RUN).toBe(0xae80);
    expect(Ioctl.KVM_CREATE_VM).toBe(0xae01);
    expect(Ioctl.KVM_SET_USER_MEMORY_REGION).toBe(0x4020ae46);
    expect(Ioctl.KVM_GET_REGS).toBe(0x8090ae81);
  });
  it("capabilities", () => {
    const k = new Kvm();
    expect(k.checkExtension(KvmCap.KVM_CAP_IRQCHIP)).toBe(1);
    expect(k.checkExtension(KvmCap.KVM_CAP_PIT2)).toBe(1);
    expect(k.checkExtension(KvmCap.KVM_CAP_NR_MEMSLOTS)).toBe(32);
    expect(k.checkExtension(9999)).toBe(0);
  });
});

describe("CPUID", () => {
  const table = supportedCpuid();
  const out = new Int32Array(4);
  const str = (...r: number[]): string => r.map((x) => String.fromCharCode(x & 255, (x >> 8) & 255, (x >> 16) & 255, (x >>> 24) & 255)).join("");
  it("presents KVMKVMKVM with kvm-clock (CLOCKSOURCE2) and no invariant TSC", () => {
    lookupCpuid(table, 0x40000000, 0, out);
    expect(str(out[1], out[2], out[3])).toBe("KVMKVMKVM\0\0\0");
    lookupCpuid(table, 0x40000001, 0, out);
    expect((out[0] >> KvmFeature.KVM_FEATURE_CLOCKSOURCE2) & 1).toBe(1);
    lookupCpuid(table, 0x80000007, 0, out);
    expect(out[3] & (1 << 8)).toBe(0);
    lookupCpuid(table, 1, 0, out);
    expect(out[2] & CPUID_1_ECX_HYPERVISOR).toBe(CPUID_1_ECX_HYPERVISOR);
    expect((out[0] >> 8) & 0xf).toBe(6);
  });
  it("answers leaves above the maximum with the highest basic leaf (Intel rule)", () => {
    lookupCpuid(table, 7, 0, out);
    const high = new Int32Array(4);
    lookupCpuid(table, 2, 0, high);
    expect([...out]).toEqual([...high]);
    lookupCpuid(table, 0, 0, out);
    expect(str(out[1], out[3], out[2])).toBe("GenuineIntel");
  });
});

describe("VM objects", () => {
  it("validates memory regions like KVM_SET_USER_MEMORY_REGION", () => {
    const vm = new Kvm().createVm({ hostMemoryBytes: 4 << 20 });
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 1 << 20, userspaceAddr: 0 });
    expect(() => { vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x80000, memorySize: 0x1000, userspaceAddr: 0x200000 }); }).toThrow(/EEXIST/);
    expect(() => { vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x100001, memorySize: 0x1000, userspaceAddr: 0 }); }).toThrow(KvmError);
    expect(() => { vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x200000, memorySize: 8 << 20, userspaceAddr: 0 }); }).toThrow(/EFAULT/);
    // Host memory written through the slot is guest memory.
    vm.hostMemory[0x1234] = 0x5a;
    expect(vm.mem.read8(0x1234)).toBe(0x5a);
    expect(() => { vm.irqLine(4, 1); }).toThrow(/ENXIO/);
    vm.createIrqchip();
    expect(() => { vm.createIrqchip(); }).toThrow(/EEXIST/);
    vm.createPit2();
    vm.irqLine(4, 1);
    vm.irqLine(4, 0);
    expect(() => { vm.irqLine(99, 1); }).toThrow(/EINVAL/);
  });
  it("a new vCPU is in the RESET state (real mode at F000:FFF0)", () => {
    const vm = new Kvm().createVm({ hostMemoryBytes: 2 << 20 });
    const v = vm.createVcpu(0);
    expect(v.getRegs().eip).toBe(0xfff0);
    const s = v.getSregs();
    expect(s.cs.selector).toBe(0xf000);
    expect(s.cs.base).toBe(0xffff0000);
    expect(s.cr0 & 1).toBe(0);
    expect(() => vm.createVcpu(1)).toThrow(/one vCPU/);
  });
});
