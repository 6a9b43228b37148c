/**
 * The KVM API's names and numbers, as `linux/kvm.h` defines them (facts only). Ioctl numbers
 * are the real encodings, so code and logs read like a real VMM's.
 */

/** KVM_GET_API_VERSION returns this. */
export const KVM_API_VERSION = 12;

/** The ioctl "type" byte of KVM. */
export const KVMIO = 0xae;

const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (KVMIO << 8) | nr) >>> 0;
}

/** Ioctl request numbers (x86, with the real structure sizes). */
export const Ioctl = {
  KVM_GET_API_VERSION: ioc(IOC_NONE, 0x00, 0),
  KVM_CREATE_VM: ioc(IOC_NONE, 0x01, 0),
  KVM_CHECK_EXTENSION: ioc(IOC_NONE, 0x03, 0),
  KVM_GET_VCPU_MMAP_SIZE: ioc(IOC_NONE, 0x04, 0),
  KVM_GET_SUPPORTED_CPUID: ioc(IOC_READ | IOC_WRITE, 0x05, 8),
  KVM_CREATE_VCPU: ioc(IOC_NONE, 0x41, 0),
  KVM_GET_DIRTY_LOG: ioc(IOC_WRITE, 0x42, 16),
  KVM_SET_USER_MEMORY_REGION: ioc(IOC_WRITE, 0x46, 32),
  KVM_SET_TSS_ADDR: ioc(IOC_NONE, 0x47, 0),
  KVM_CREATE_IRQCHIP: ioc(IOC_NONE, 0x60, 0),
  KVM_IRQ_LINE: ioc(IOC_WRITE, 0x61, 8),
  KVM_CREATE_PIT2: ioc(IOC_WRITE, 0x77, 64),
  KVM_RUN: ioc(IOC_NONE, 0x80, 0),
  KVM_GET_REGS: ioc(IOC_READ, 0x81, 144),
  KVM_SET_REGS: ioc(IOC_WRITE, 0x82, 144),
  KVM_GET_SREGS: ioc(IOC_READ, 0x83, 312),
  KVM_SET_SREGS: ioc(IOC_WRITE, 0x84, 312),
  KVM_INTERRUPT: ioc(IOC_WRITE, 0x86, 4),
  KVM_GET_MSRS: ioc(IOC_READ | IOC_WRITE, 0x88, 8),
  KVM_SET_MSRS: ioc(IOC_WRITE, 0x89, 8),
  KVM_SET_CPUID2: ioc(IOC_WRITE, 0x90, 8),
} as const;

/** kvm_run.exit_reason values. */
export const KvmExit = {
  KVM_EXIT_UNKNOWN: 0,
  KVM_EXIT_EXCEPTION: 1,
  KVM_EXIT_IO: 2,
  KVM_EXIT_HYPERCALL: 3,
  KVM_EXIT_DEBUG: 4,
  KVM_EXIT_HLT: 5,
  KVM_EXIT_MMIO: 6,
  KVM_EXIT_IRQ_WINDOW_OPEN: 7,
  KVM_EXIT_SHUTDOWN: 8,
  KVM_EXIT_FAIL_ENTRY: 9,
  KVM_EXIT_INTR: 10,
  KVM_EXIT_SET_TPR: 11,
  KVM_EXIT_TPR_ACCESS: 12,
  KVM_EXIT_NMI: 16,
  KVM_EXIT_INTERNAL_ERROR: 17,
  KVM_EXIT_SYSTEM_EVENT: 24,
} as const;

/** kvm_run.io.direction. */
export const KVM_EXIT_IO_IN = 0;
export const KVM_EXIT_IO_OUT = 1;

/** kvm_run.system_event.type. */
export const KvmSystemEvent = {
  KVM_SYSTEM_EVENT_SHUTDOWN: 1,
  KVM_SYSTEM_EVENT_RESET: 2,
  KVM_SYSTEM_EVENT_CRASH: 3,
} as const;

/** kvm_run.internal.suberror. */
export const KvmInternalError = {
  KVM_INTERNAL_ERROR_EMULATION: 1,
  KVM_INTERNAL_ERROR_SIMUL_EX: 2,
  KVM_INTERNAL_ERROR_DELIVERY_EV: 3,
  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: 4,
} as const;

/** Capabilities for KVM_CHECK_EXTENSION. */
export const KvmCap = {
  KVM_CAP_IRQCHIP: 0,
  KVM_CAP_HLT: 1,
  KVM_CAP_USER_MEMORY: 3,
  KVM_CAP_SET_TSS_ADDR: 4,
  KVM_CAP_EXT_CPUID: 7,
  KVM_CAP_CLOCKSOURCE: 8,
  KVM_CAP_NR_VCPUS: 9,
  KVM_CAP_NR_MEMSLOTS: 10,
  KVM_CAP_PIT: 11,
  KVM_CAP_SYNC_MMU: 16,
  KVM_CAP_SET_IDENTITY_MAP_ADDR: 37,
  KVM_CAP_PIT2: 33,
  KVM_CAP_PIT_STATE2: 35,
  KVM_CAP_MAX_VCPUS: 66,
  KVM_CAP_IMMEDIATE_EXIT: 136,
} as const;

/** KVM_IRQ_LINE targets in the in-kernel irqchip (the PIC/IOAPIC GSI numbering). */
export const KVM_IRQCHIP_PIC_MASTER = 0;
export const KVM_IRQCHIP_PIC_SLAVE = 1;
export const KVM_IRQCHIP_IOAPIC = 2;

/** kvm_userspace_memory_region.flags. */
export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_MEM_READONLY = 1 << 1;

/** kvm_pit_config.flags. */
export const KVM_PIT_SPEAKER_DUMMY = 1;
