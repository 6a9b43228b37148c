import { describe, expect, it } from "vitest";
import { Cpu } from "@virtkit/cpu";
import { PageKind, PhysicalMemory } from "@virtkit/mmu";
import * as F from "./fields.js";
import { CPU_BASED, VMXERR } from "./constants.js";
import { EPT_READ, EPT_RWX, EPT_WRITE, EptResult, isMisconfigured, isValidEptp } from "./ept.js";
import { CR_ACCESS_TYPE, crAccessExits, crAccessQualification, crReadValue, eptViolationQualification } from "./qualification.js";
import { fieldType, fieldWidth, isSupportedField, Vmcs, VMCS_FIELD_TYPE, VMCS_FIELD_WIDTH, VMCS_FIELDS, vmcsFieldName, VmxInstructionError } from "./vmcs.js";
import { Vmx } from "./vmx.js";

describe("VMCS field encodings", () => {
  it("follow the SDM's width/type/index layout", () => {
    expect(fieldWidth(F.GUEST_ES_SELECTOR)).toBe(VMCS_FIELD_WIDTH.U16);
    expect(fieldType(F.GUEST_ES_SELECTOR)).toBe(VMCS_FIELD_TYPE.GUEST);
    expect(fieldWidth(F.EPT_POINTER)).toBe(VMCS_FIELD_WIDTH.U64);
    expect(fieldType(F.EPT_POINTER)).toBe(VMCS_FIELD_TYPE.CONTROL);
    expect(fieldWidth(F.VM_EXIT_REASON)).toBe(VMCS_FIELD_WIDTH.U32);
    expect(fieldType(F.VM_EXIT_REASON)).toBe(VMCS_FIELD_TYPE.EXIT_INFO);
    expect(fieldWidth(F.GUEST_RIP)).toBe(VMCS_FIELD_WIDTH.NATURAL);
    expect(fieldType(F.HOST_RIP)).toBe(VMCS_FIELD_TYPE.HOST);
    // A few well-known encodings.
    expect([F.GUEST_CR0, F.CPU_BASED_VM_EXEC_CONTROL, F.EXCEPTION_BITMAP, F.VM_ENTRY_INTR_INFO_FIELD, F.EXIT_QUALIFICATION])
      .toEqual([0x6800, 0x4002, 0x4004, 0x4016, 0x6400]);
    // Encodings are unique.
    expect(new Set(VMCS_FIELDS.map(([, e]) => e)).size).toBe(VMCS_FIELDS.length);
    expect(vmcsFieldName(F.IO_BITMAP_A | 1)).toBe("IO_BITMAP_A_HIGH");
  });

  it("VMREAD/VMWRITE check support, read-only fields and width", () => {
    const v = new Vmcs(0x1000);
    v.vmwrite(F.GUEST_ES_SELECTOR, 0x12345);
    expect(v.vmread(F.GUEST_ES_SELECTOR)).toBe(0x2345);
    v.vmwrite(F.GUEST_RIP, -1);
    expect(v.vmread(F.GUEST_RIP)).toBe(0xffffffff);
    v.vmwrite(F.TSC_OFFSET, 0x89abcdef | 0);
    v.vmwrite(F.TSC_OFFSET | 1, 0x00123456);
    expect(v.get64(F.TSC_OFFSET)).toBe(0x0012345689abcdef);
    expect(v.vmread(F.TSC_OFFSET | 1)).toBe(0x00123456);
    // High half of a non-64-bit field, a VPID (unsupported), garbage.
    for (const bad of [F.GUEST_CR0 | 1, 0x0000, 0x7fff, -1]) {
      expect(isSupportedField(bad)).toBe(false);
      let err: unknown = null;
      try {
        v.vmread(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VmxInstructionError);
      expect((err as VmxInstructionError).error).toBe(VMXERR.UNSUPPORTED_VMCS_COMPONENT);
      expect(v.vmread(F.VM_INSTRUCTION_ERROR)).toBe(12);
    }
    expect(() => { v.vmwrite(F.VM_EXIT_REASON, 1); }).toThrow(/read-only/);
    expect(v.vmread(F.VM_INSTRUCTION_ERROR)).toBe(VMXERR.VMWRITE_READ_ONLY_VMCS_COMPONENT);
    expect(v.vmread(F.VMCS_LINK_POINTER)).toBe(0xffffffff);
  });

  it("round-trips through a serialisable state", () => {
    const a = new Vmcs(0x1000);
    a.vmwrite(F.GUEST_CR3, 0x5000);
    a.vmwrite(F.EPT_POINTER, 0x1e);
    a.set(F.VM_EXIT_REASON, 30);
    a.launchState = 1;
    const s = JSON.parse(JSON.stringify(a.state())) as ReturnType<Vmcs["state"]>;
    const b = new Vmcs(0x2000);
    b.restore(s);
    expect(b.vmread(F.GUEST_CR3)).toBe(0x5000);
    expect(b.vmread(F.EPT_POINTER)).toBe(0x1e);
    expect(b.vmread(F.VM_EXIT_REASON)).toBe(30);
    expect(b.launchState).toBe(1);
  });
});

describe("exit qualifications and CR-access rules", () => {
  it("encodes CR-access and EPT-violation qualifications", () => {
    expect(crAccessQualification(4, CR_ACCESS_TYPE.MOV_TO_CR, 3)).toBe(0x304);
    expect(crAccessQualification(0, CR_ACCESS_TYPE.LMSW, 0, true, 0x1)).toBe(0x10070);
    expect(eptViolationQualification(true, false, EPT_READ)).toBe(0xa);
    expect(eptViolationQualification(false, true, 0)).toBe(4);
  });

  it("decides CR accesses from the guest/host masks, read shadows and CR3 targets", () => {
    const v = new Vmcs(0x1000);
    v.set(F.CR0_GUEST_HOST_MASK, 0x80000021 | 0);
    v.set(F.CR0_READ_SHADOW, 0x80000011 | 0);
    expect(crAccessExits(v, 0, CR_ACCESS_TYPE.MOV_TO_CR, 0x80000011 | 0)).toBe(false);
    expect(crAccessExits(v, 0, CR_ACCESS_TYPE.MOV_TO_CR, 0x80000031 | 0)).toBe(true); // NE differs
    expect(crReadValue(v, 0, 0x80000031 | 0) >>> 0).toBe(0x80000011);
    expect(crAccessExits(v, 0, CR_ACCESS_TYPE.CLTS, 0)).toBe(false);
    v.set(F.CR0_GUEST_HOST_MASK, 8);
    v.set(F.CR0_READ_SHADOW, 8);
    expect(crAccessExits(v, 0, CR_ACCESS_TYPE.CLTS, 0)).toBe(true);
    expect(crAccessExits(v, 0, CR_ACCESS_TYPE.LMSW, 0)).toBe(true); // clears TS: differs from shadow
    v.set(F.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.CR3_LOAD_EXITING);
    v.set(F.CR3_TARGET_COUNT, 1);
    v.set(F.CR3_TARGET_VALUE0, 0x3000);
    expect(crAccessExits(v, 3, CR_ACCESS_TYPE.MOV_TO_CR, 0x3000)).toBe(false);
    expect(crAccessExits(v, 3, CR_ACCESS_TYPE.MOV_TO_CR, 0x4000)).toBe(true);
    expect(crAccessExits(v, 3, CR_ACCESS_TYPE.MOV_FROM_CR, 0)).toBe(false);
  });
});

describe("EPT", () => {
  it("validates EPT pointers and classifies entries", () => {
    expect(isValidEptp(0x1000 | 0x1e, 0)).toBe(true); // WB, walk length 4
    expect(isValidEptp(0x1000 | 0x18, 0)).toBe(true); // UC
    expect(isValidEptp(0x1000 | 0x16, 0)).toBe(false); // walk length 3
    expect(isValidEptp(0x1000 | 0x5e, 0)).toBe(false); // A/D flags not supported
    expect(isMisconfigured(EPT_WRITE)).toBe(true);
    expect(isMisconfigured(4)).toBe(true); // execute-only is not supported
    expect(isMisconfigured(EPT_READ | (2 << 3))).toBe(true); // reserved memory type
    expect(isMisconfigured(EPT_RWX | (6 << 3))).toBe(false);
  });

  it("realises its mapping in PhysicalMemory (host pages, holes, permissions)", () => {
    const mem = new PhysicalMemory({ ramSize: 1 << 20 });
    const vmx = new Vmx();
    const ept = vmx.createEpt(mem);
    ept.map(0x100000, 0x2000, 0x4000); // GPA 1 MiB -> host offset 16 KiB
    mem.u8[0x4000] = 0x42;
    expect(mem.read8(0x100000)).toBe(0x42);
    expect(ept.check(0x100000, true)).toBe(EptResult.OK);
    ept.protect(0x101000, 0x1000, EPT_READ);
    expect(mem.pageKind[0x101]).toBe(PageKind.Unmapped); // accesses go through the model
    expect(ept.check(0x101000, false)).toBe(EptResult.OK);
    expect(ept.check(0x101000, true)).toBe(EptResult.VIOLATION);
    expect(ept.hostOffset(0x101234)).toBe(0x5234);
    ept.unmap(0x100000, 0x1000);
    expect(mem.pageKind[0x100]).toBe(PageKind.Unmapped);
    expect(ept.check(0x100000, false)).toBe(EptResult.VIOLATION);
    expect(ept.check(0x200000, false)).toBe(EptResult.VIOLATION); // never mapped
    // A second EPT of the same memory takes over when activated (VM entry with its EPTP).
    const other = vmx.createEpt(mem);
    other.map(0x100000, 0x1000, 0x8000);
    expect(mem.pageKind[0x100]).toBe(PageKind.Unmapped);
    expect(other.activate()).toBe(true);
    mem.u8[0x8000] = 0x77;
    expect(mem.read8(0x100000)).toBe(0x77);
    expect(ept.isActive).toBe(false);
    expect(() => { ept.map(0x123, 0x1000); }).toThrow(RangeError);
    // Unused import guard: a Cpu can be built on this memory.
    expect(new Cpu(mem).mem).toBe(mem);
  });
});
