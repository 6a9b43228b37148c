/**
 * @virtkit/hvm-extensions — hardware-assisted virtualization models behind one monitor-facing
 * interface ({@link HvmVcpu}): Intel VT-x today (VMCS, capability MSRs, VM-entry checks, SDM
 * exit reasons and qualifications, EPT), AMD SVM later.
 */
export type { HvmExit, HvmExitKind, HvmVcpu } from "./hvm.js";
export * from "./vmx/fields.js";
export * from "./vmx/constants.js";
export * from "./vmx/capabilities.js";
export {
  Vmcs, VmxInstructionError, VMCS_FIELDS, VMCS_FIELD_TYPE, VMCS_FIELD_WIDTH, VMCS_LAUNCH_STATE,
  fieldType, fieldWidth, isSupportedField, vmcsFieldName,
} from "./vmx/vmcs.js";
export type { VmcsState } from "./vmx/vmcs.js";
export { Ept, EptResult, EPT_EXEC, EPT_MT_SHIFT, EPT_READ, EPT_RWX, EPT_WRITE, EPTP_PWL_4, isMisconfigured, isValidEptp } from "./vmx/ept.js";
export { HostMemory, HOST_PAGE_SIZE } from "./vmx/host-memory.js";
export type { HostPage } from "./vmx/host-memory.js";
export { checkControls, checkGuest, checkHost, patValid } from "./vmx/entry-checks.js";
export type { EntryCheckEnv, GuestStateFailure } from "./vmx/entry-checks.js";
export {
  CR_ACCESS_TYPE, crAccessExits, crAccessQualification, crReadValue, decodeIoQualification, eptViolationQualification,
  ioQualification,
} from "./vmx/qualification.js";
export type { IoQualification } from "./vmx/qualification.js";
export { VmxExit, VmxUnsupportedError, VmxVcpu } from "./vmx/vcpu.js";
export type { HostIoBus, VmxVcpuOptions } from "./vmx/vcpu.js";
export { Vmx } from "./vmx/vmx.js";
export { setupFlatProtectedGuest, setupRealModeGuest, VMX_DEFAULT_CONTROLS } from "./vmx/setup.js";
export type { GuestSetupOptions } from "./vmx/setup.js";
