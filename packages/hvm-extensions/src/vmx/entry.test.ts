import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Cpu } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import * as F from "./fields.js";
import {
  CPU_BASED, ENTRY_FAIL_VMCS_LINK_PTR, EXIT_REASON_CPUID, EXIT_REASON_HLT, EXIT_REASON_INVALID_GUEST_STATE,
  EXIT_REASON_IO_INSTRUCTION, MSR_IA32_VMX, PIN_BASED, SECONDARY_EXEC, VMX_EXIT_REASONS_FAILED_VMENTRY, VMXERR,
} from "./constants.js";
import { readVmxCapabilityMsr } from "./capabilities.js";
import { setupFlatProtectedGuest, setupRealModeGuest } from "./setup.js";
import { VmxInstructionError } from "./vmcs.js";
import { VmxUnsupportedError, type VmxVcpu } from "./vcpu.js";
import { Vmx } from "./vmx.js";
import type { Ept } from "./ept.js";

const EXITS_BIN = readFileSync(new URL("../test-guests/exits.bin", import.meta.url));
const REAL_BIN = readFileSync(new URL("../test-guests/realmode.bin", import.meta.url));

function makeVm(realMode = false): { vcpu: VmxVcpu; vmx: Vmx; mem: PhysicalMemory; ept: Ept } {
  const mem = new PhysicalMemory({ ramSize: 1 << 20 });
  const vmx = new Vmx();
  const ept = vmx.createEpt(mem);
  ept.map(0, 1 << 20);
  mem.writeBytes(0x1000, EXITS_BIN);
  mem.writeBytes(0x7c00, REAL_BIN);
  const vcpu = vmx.createVcpu(new Cpu(mem));
  const vmcs = vmx.createVmcs();
  vcpu.vmxon();
  vcpu.vmclear(vmcs);
  vcpu.vmptrld(vmcs);
  if (realMode) setupRealModeGuest(vcpu, { ept, rip: 0x7c00, rsp: 0x7000 });
  else setupFlatProtectedGuest(vcpu, { ept, rip: 0x1075, rsp: 0x9000 });
  return { vcpu, vmx, mem, ept };
}

/** Enter expecting VMfailValid with `error`; the message must name `mentions`. */
function expectVmfail(vcpu: VmxVcpu, error: number, mentions: string, how: "enter" | "vmlaunch" | "vmresume" = "enter"): void {
  const x = vcpu[how]();
  expect(x.kind).toBe("entry-failed");
  expect(x.vmInstructionError).toBe(error);
  expect(x.message).toContain(mentions);
  expect(vcpu.vmread(F.VM_INSTRUCTION_ERROR)).toBe(error);
}

/** Enter expecting a VM-entry failure due to invalid guest state. */
function expectInvalidGuest(vcpu: VmxVcpu, mentions: string, qualification = 0): void {
  const x = vcpu.enter();
  expect(x.kind).toBe("entry-failed");
  expect(x.entryFailure).toBe(true);
  expect(x.reason).toBe(EXIT_REASON_INVALID_GUEST_STATE);
  expect(x.qualification).toBe(qualification);
  expect(x.message).toContain(mentions);
  expect(vcpu.vmread(F.VM_EXIT_REASON)).toBe((EXIT_REASON_INVALID_GUEST_STATE | VMX_EXIT_REASONS_FAILED_VMENTRY) >>> 0);
  expect(vcpu.vmread(F.EXIT_QUALIFICATION)).toBe(qualification);
}

describe("VMX instructions", () => {
  it("VMLAUNCH needs a clear VMCS, VMRESUME a launched one, both a current one", () => {
    const { vcpu, vmx } = makeVm();
    expectVmfail(vcpu, VMXERR.VMRESUME_NONLAUNCHED_VMCS, "VMRESUME", "vmresume");
    expect(vcpu.vmlaunch().reason).toBe(EXIT_REASON_HLT);
    expectVmfail(vcpu, VMXERR.VMLAUNCH_NONCLEAR_VMCS, "VMLAUNCH", "vmlaunch");
    // `enter` picks VMRESUME now.
    expect(vcpu.enter().reason).toBe(EXIT_REASON_HLT);
    const v = vcpu.vmptrst();
    expect(v).not.toBeNull();
    if (v !== null) vcpu.vmclear(v);
    const x = vcpu.enter();
    expect(x.kind).toBe("entry-failed");
    expect(x.vmInstructionError).toBe(0); // VMfailInvalid: no current VMCS
    // A VMCS with a foreign revision identifier cannot be made current.
    const other = vmx.createVmcs();
    other.revisionId = 7;
    expect(() => { vcpu.vmptrld(other); }).toThrow(VmxInstructionError);
    expect(() => { vcpu.vmxon(); }).toThrow(/VMXON in VMX root/);
  });
});

describe("VM-entry checks on control fields (VMfailValid 7)", () => {
  it("rejects controls outside the capability MSRs", () => {
    const { vcpu } = makeVm();
    vcpu.vmwrite(F.PIN_BASED_VM_EXEC_CONTROL, vcpu.vmread(F.PIN_BASED_VM_EXEC_CONTROL) | PIN_BASED.POSTED_INTR);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "PIN_BASED_VM_EXEC_CONTROL");
  });

  it("rejects a cleared default1 bit and an unsupported exiting control", () => {
    const { vcpu } = makeVm();
    const proc = vcpu.vmread(F.CPU_BASED_VM_EXEC_CONTROL);
    vcpu.vmwrite(F.CPU_BASED_VM_EXEC_CONTROL, proc & ~(1 << 1));
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "CPU_BASED_VM_EXEC_CONTROL");
    vcpu.vmwrite(F.CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED.RDPMC_EXITING);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "CPU_BASED_VM_EXEC_CONTROL");
  });

  it("requires EPT for unrestricted guest and a well-formed EPTP", () => {
    const { vcpu } = makeVm();
    vcpu.vmwrite(F.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.UNRESTRICTED_GUEST);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "unrestricted guest requires enable EPT");
    vcpu.vmwrite(F.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.UNRESTRICTED_GUEST | SECONDARY_EXEC.ENABLE_EPT);
    const eptp = vcpu.vmread(F.EPT_POINTER);
    vcpu.vmwrite(F.EPT_POINTER, (eptp & ~7) | 2); // memory type 2 is reserved
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "EPT_POINTER");
    vcpu.vmwrite(F.EPT_POINTER, (eptp + 0x100000) >>> 0); // no EPT there
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "does not point to an EPT");
  });

  it("checks I/O-bitmap addresses, the CR3-target count and event injection", () => {
    const { vcpu, vmx } = makeVm();
    const proc = vcpu.vmread(F.CPU_BASED_VM_EXEC_CONTROL);
    vcpu.vmwrite(F.CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED.USE_IO_BITMAPS);
    vcpu.vmwrite(F.IO_BITMAP_A, vmx.allocPage().hpa + 8);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "IO_BITMAP_A");
    vcpu.vmwrite(F.CPU_BASED_VM_EXEC_CONTROL, proc);
    vcpu.vmwrite(F.CR3_TARGET_COUNT, 5);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "CR3_TARGET_COUNT");
    vcpu.vmwrite(F.CR3_TARGET_COUNT, 0);
    vcpu.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000100 | 0x20); // type 1 is reserved
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "reserved interruption type");
    vcpu.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, 0x8000030d); // #GP without deliver-error-code
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "deliver-error-code");
    vcpu.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000430); // INT 30h with instruction length 0
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_CONTROL_FIELD, "VM_ENTRY_INSTRUCTION_LEN");
  });

  it("refuses controls the CPU cannot honour yet, loudly", () => {
    const { vcpu } = makeVm();
    vcpu.vmwrite(F.VM_EXIT_MSR_STORE_COUNT, 1);
    expect(() => vcpu.enter()).toThrow(VmxUnsupportedError);
  });
});

describe("VM-entry checks on host state (VMfailValid 8)", () => {
  it("checks HOST_CR0/CR4 fixed bits and the selectors", () => {
    const { vcpu } = makeVm();
    vcpu.vmwrite(F.HOST_CR4, 0);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_HOST_STATE_FIELD, "HOST_CR4");
    vcpu.vmwrite(F.HOST_CR4, 0x2000);
    vcpu.vmwrite(F.HOST_CR0, 0x31);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_HOST_STATE_FIELD, "HOST_CR0");
    vcpu.vmwrite(F.HOST_CR0, 0x80000031 | 0);
    vcpu.vmwrite(F.HOST_CS_SELECTOR, 0);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_HOST_STATE_FIELD, "HOST_CS_SELECTOR is 0");
    vcpu.vmwrite(F.HOST_CS_SELECTOR, 0x0b);
    expectVmfail(vcpu, VMXERR.ENTRY_INVALID_HOST_STATE_FIELD, "RPL or TI");
  });
});

describe("VM-entry checks on guest state (exit 33 | bit 31)", () => {
  const cases: [string, (v: VmxVcpu) => void, string, number?][] = [
    ["CR0.PE = 0 without unrestricted guest", (v) => {
      v.vmwrite(F.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.ENABLE_EPT);
      v.vmwrite(F.GUEST_CR0, 0x30);
    }, "GUEST_CR0"],
    ["CR0.PG without PE", (v) => { v.vmwrite(F.GUEST_CR0, 0x80000030 | 0); }, "PG = 1 with PE = 0"],
    ["CR4.VMXE clear", (v) => { v.vmwrite(F.GUEST_CR4, 0); }, "GUEST_CR4"],
    ["RFLAGS bit 1 clear", (v) => { v.vmwrite(F.GUEST_RFLAGS, 0); }, "GUEST_RFLAGS"],
    ["RFLAGS reserved bit 3", (v) => { v.vmwrite(F.GUEST_RFLAGS, 0xa); }, "GUEST_RFLAGS"],
    ["CS not an accessed code segment", (v) => { v.vmwrite(F.GUEST_CS_AR_BYTES, 0xc09a); }, "GUEST_CS_AR_BYTES type 10"],
    ["CS DPL != SS DPL", (v) => { v.vmwrite(F.GUEST_CS_AR_BYTES, 0xc0bb); }, "must equal SS.DPL"],
    ["SS not writable", (v) => { v.vmwrite(F.GUEST_SS_AR_BYTES, 0xc091); }, "GUEST_SS_AR_BYTES type 1"],
    ["DS not present", (v) => { v.vmwrite(F.GUEST_DS_AR_BYTES, 0xc013); }, "GUEST_DS_AR_BYTES.P"],
    ["DS limit and G disagree", (v) => { v.vmwrite(F.GUEST_DS_AR_BYTES, 0x4093); }, "GUEST_DS_LIMIT"],
    ["TR not busy", (v) => { v.vmwrite(F.GUEST_TR_AR_BYTES, 0x89); }, "busy TSS"],
    ["LDTR usable with a wrong type", (v) => { v.vmwrite(F.GUEST_LDTR_AR_BYTES, 0x83); }, "GUEST_LDTR_AR_BYTES type"],
    ["GDTR limit too wide", (v) => { v.vmwrite(F.GUEST_GDTR_LIMIT, 0x10000); }, "GUEST_GDTR_LIMIT"],
    ["activity state wait-for-SIPI", (v) => { v.vmwrite(F.GUEST_ACTIVITY_STATE, 3); }, "GUEST_ACTIVITY_STATE 3"],
    ["STI blocking with IF = 0", (v) => { v.vmwrite(F.GUEST_INTERRUPTIBILITY_INFO, 1); }, "blocking by STI needs RFLAGS.IF"],
    ["STI and MOV SS blocking", (v) => {
      v.vmwrite(F.GUEST_RFLAGS, 0x202);
      v.vmwrite(F.GUEST_INTERRUPTIBILITY_INFO, 3);
    }, "both STI and MOV SS"],
    ["external interrupt injected with IF = 0", (v) => { v.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000020 | 0); }, "RFLAGS.IF = 1"],
    ["VMCS link pointer", (v) => { v.vmwrite(F.VMCS_LINK_POINTER, 0x1000); }, "VMCS_LINK_POINTER", ENTRY_FAIL_VMCS_LINK_PTR],
    ["PAE PDPTE with reserved bits", (v) => {
      v.vmwrite(F.GUEST_CR0, 0x80000031 | 0);
      v.vmwrite(F.GUEST_CR4, 0x2020);
      v.vmwrite(F.GUEST_PDPTR0, 0x1007);
    }, "PDPTE 0", 2],
  ];
  for (const [name, mutate, mentions, qual] of cases) {
    it(name, () => {
      const { vcpu } = makeVm();
      mutate(vcpu);
      expectInvalidGuest(vcpu, mentions, qual ?? 0);
      // The launch state is unchanged by the failure: VMLAUNCH is still the right instruction.
      expect(vcpu.vmptrst()?.launchState).toBe(0);
    });
  }
});

describe("unrestricted guest: real mode", () => {
  it("runs a real-mode guest: IVT software interrupt, CPUID, segment arithmetic, I/O, HLT", () => {
    const { vcpu, mem } = makeVm(true);
    let x = vcpu.enter();
    expect(x.entryFailure).toBe(false);
    expect(x.reason).toBe(EXIT_REASON_CPUID);
    expect(mem.read8(0x600)).toBe(0x30); // INT 30h went through the IVT and returned
    expect(vcpu.vmread(F.GUEST_CR0) & 1).toBe(0);
    expect(vcpu.vmread(F.GUEST_CS_SELECTOR)).toBe(0);
    vcpu.completeCpuid(0, 0, 0, 0);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_IO_INSTRUCTION);
    expect(x.port).toBe(0x3f8);
    expect(x.value).toBe(0x5a);
    expect(vcpu.vmread(F.GUEST_ES_SELECTOR)).toBe(0x7c0);
    expect(vcpu.vmread(F.GUEST_ES_BASE)).toBe(0x7c00);
    vcpu.completeIo();
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    // Inject an external interrupt: delivered through the IVT (no error code in real mode).
    vcpu.skipInstruction();
    const ret = vcpu.rip;
    vcpu.vmwrite(F.GUEST_RFLAGS, 0x202);
    vcpu.injectEvent("external", 0x31);
    x = vcpu.enter();
    expect(x.reason).toBe(EXIT_REASON_HLT);
    expect(mem.read8(0x601)).toBe(0x31);
    const sp = vcpu.vmread(F.GUEST_RSP);
    expect([mem.read16(sp), mem.read16(sp + 2), mem.read16(sp + 4)]).toEqual([ret, 0, 0x202]); // IP, CS, FLAGS
  });

  it("refuses real mode without unrestricted guest", () => {
    const { vcpu } = makeVm(true);
    vcpu.vmwrite(F.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.ENABLE_EPT);
    expectInvalidGuest(vcpu, "GUEST_CR0");
  });
});

describe("capability MSRs", () => {
  it("report coherent allowed-0 / allowed-1 settings", () => {
    for (const msr of [MSR_IA32_VMX.PINBASED_CTLS, MSR_IA32_VMX.PROCBASED_CTLS, MSR_IA32_VMX.PROCBASED_CTLS2,
      MSR_IA32_VMX.EXIT_CTLS, MSR_IA32_VMX.ENTRY_CTLS, MSR_IA32_VMX.TRUE_PROCBASED_CTLS]) {
      const v = readVmxCapabilityMsr(msr);
      expect(v).toBeDefined();
      if (v === undefined) continue;
      // Every must-be-1 bit is also allowed to be 1.
      expect((v[0] & ~v[1]) >>> 0).toBe(0);
    }
    const basic = readVmxCapabilityMsr(MSR_IA32_VMX.BASIC) ?? [0, 0];
    expect(basic[0]).toBe(1);
    expect((basic[1] >>> 23) & 1).toBe(1); // TRUE controls
    const proc = readVmxCapabilityMsr(MSR_IA32_VMX.PROCBASED_CTLS) ?? [0, 0];
    const trueProc = readVmxCapabilityMsr(MSR_IA32_VMX.TRUE_PROCBASED_CTLS) ?? [0, 0];
    expect(proc[0] & CPU_BASED.CR3_LOAD_EXITING).not.toBe(0);
    expect(trueProc[0] & CPU_BASED.CR3_LOAD_EXITING).toBe(0);
    expect(proc[1] & CPU_BASED.HLT_EXITING).not.toBe(0);
    expect(proc[1] & CPU_BASED.RDTSC_EXITING).not.toBe(0);
    expect(proc[1] & CPU_BASED.RDPMC_EXITING).toBe(0);
    const sec = readVmxCapabilityMsr(MSR_IA32_VMX.PROCBASED_CTLS2) ?? [0, 0];
    expect(sec[1]).toBe(SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.UNRESTRICTED_GUEST);
    expect(readVmxCapabilityMsr(MSR_IA32_VMX.CR0_FIXED0)?.[0]).toBe(0x80000021);
    expect(readVmxCapabilityMsr(MSR_IA32_VMX.CR4_FIXED0)?.[0]).toBe(0x2000);
    expect(readVmxCapabilityMsr(0x10)).toBeUndefined();
  });
});
