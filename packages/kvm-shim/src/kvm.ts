/**
 * The KVM API as TypeScript objects: system (`Kvm`, /dev/kvm) → VM (`KvmVm`) → vCPU
 * (`KvmVcpu`), named after the ioctls of linux/kvm.h. Guests run through the VMX model of
 * @virtkit/hvm-extensions; CPUID, MSRs (kvm-clock among them), the in-kernel irqchip and PIT
 * are handled here as KVM does, and everything else returns to user space as a `kvm_run`
 * exit.
 */
import { Cpu, Ar, Msr } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { type Clock, VirtualClock } from "@virtkit/devices";
import {
  Vmx, type VmxVcpu, type Ept, type HvmExit, setupFlatProtectedGuest, GUEST_CR0, GUEST_CR3, GUEST_CR4,
  GUEST_RFLAGS, GUEST_RIP, GUEST_RSP, GUEST_GDTR_BASE, GUEST_GDTR_LIMIT, GUEST_IDTR_BASE, GUEST_IDTR_LIMIT,
  GUEST_IA32_EFER, CR0_GUEST_HOST_MASK, CR4_GUEST_HOST_MASK, CR0_READ_SHADOW, CR4_READ_SHADOW,
  SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC, GUEST_ACTIVITY_STATE, GUEST_INTERRUPTIBILITY_INFO,
  VM_ENTRY_INTR_INFO_FIELD, GUEST_SYSENTER_CS, GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP,
} from "@virtkit/hvm-extensions";
import {
  KvmMsr, KVM_SYSTEM_TIME_ENABLE, pvclockScale, writePvclockVcpuTimeInfo, writePvclockWallClock,
  PVCLOCK_TSC_STABLE_BIT, KvmHypercallStatus,
} from "@virtkit/hypercall-abi";
import {
  KVM_API_VERSION, KvmCap, KvmExit, KVM_EXIT_IO_IN, KVM_EXIT_IO_OUT, KvmInternalError, KvmSystemEvent,
  KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY,
} from "./uapi.js";
import { type KvmCpuidEntry2, lookupCpuid, supportedCpuid } from "./cpuid.js";
import { InKernelIrqchip, IOAPIC_BASE, LAPIC_BASE } from "./irqchip.js";

/** An error a real KVM ioctl would return (-EINVAL, -EEXIST…), with the ioctl's name. */
export class KvmError extends Error {
  constructor(readonly ioctl: string, readonly errno: string, message: string) {
    super(`${ioctl}: ${errno}: ${message}`);
    this.name = "KvmError";
  }
}

/** struct kvm_userspace_memory_region. `userspaceAddr` is an offset in the VM's host memory. */
export interface KvmUserspaceMemoryRegion {
  slot: number;
  flags: number;
  guestPhysAddr: number;
  memorySize: number;
  userspaceAddr: number;
}

/** struct kvm_regs (the 32-bit subset). */
export interface KvmRegs {
  eax: number; ebx: number; ecx: number; edx: number; esi: number; edi: number; esp: number; ebp: number;
  eip: number; eflags: number;
}

/** struct kvm_segment. */
export interface KvmSegment {
  base: number; limit: number; selector: number;
  type: number; present: number; dpl: number; db: number; s: number; l: number; g: number; avl: number;
  unusable: number;
}

/** struct kvm_dtable. */
export interface KvmDtable { base: number; limit: number }

/** struct kvm_sregs (the 32-bit subset). */
export interface KvmSregs {
  cs: KvmSegment; ds: KvmSegment; es: KvmSegment; fs: KvmSegment; gs: KvmSegment; ss: KvmSegment;
  tr: KvmSegment; ldt: KvmSegment; gdt: KvmDtable; idt: KvmDtable;
  cr0: number; cr2: number; cr3: number; cr4: number; efer: number; apicBase: number;
}

/** struct kvm_msr_entry. */
export interface KvmMsrEntry { index: number; data: bigint }

/** Options of a VM. */
export interface KvmVmOptions {
  /** Bytes of host memory the VMM can hand to memory slots (its "mmap"). */
  hostMemoryBytes: number;
  /**
   * Time source. Deterministic (default): a VirtualClock advanced by `nsPerInstruction` per
   * retired guest instruction, so a run is reproducible; or any Clock (real time).
   */
  clock?: Clock;
  /** Virtual nanoseconds per instruction for the deterministic clock (default 1: a 1 GHz TSC). */
  nsPerInstruction?: number;
  /** Wall-clock time (seconds since 1970) the guest sees at time 0 (kvm-clock wall clock). */
  epochSeconds?: number;
}

/** The kvm_run shared structure: why KVM_RUN returned, and the exit's data. */
export class KvmRun {
  /** KVM_EXIT_*. */
  exitReason = 0;
  /** Set by user space to make the next KVM_RUN return at once with KVM_EXIT_INTR. */
  immediateExit = 0;
  /** 1 when the guest can take an interrupt now (IF=1, no shadow). */
  readyForInterruptInjection = 0;
  /** IF of the guest. */
  ifFlag = 0;
  /** KVM_EXIT_IO. */
  readonly io = { direction: 0, size: 0, port: 0, count: 0, data: new Uint8Array(8) };
  /** KVM_EXIT_MMIO. */
  readonly mmio = { physAddr: 0, data: new Uint8Array(8), len: 0, isWrite: 0 };
  /** KVM_EXIT_SYSTEM_EVENT. */
  readonly systemEvent = { type: 0, flags: 0 };
  /** KVM_EXIT_INTERNAL_ERROR. */
  readonly internal = { suberror: 0, data: [] as number[], message: "" };
  /** KVM_EXIT_FAIL_ENTRY. */
  readonly failEntry = { hardwareEntryFailureReason: 0, message: "" };
  /** KVM_EXIT_HYPERCALL (not used: hypercalls are answered in the kernel). */
  readonly hypercall = { nr: 0, args: [0, 0, 0, 0, 0, 0], ret: 0 };
  /**
   * virtkit extension, for KVM_EXIT_INTR returned while the vCPU is halted: the clock time of
   * the next timer deadline (Infinity: none), so a real-time VMM can sleep until then.
   */
  haltedUntilNs = 0;
}

/** The "/dev/kvm" system object. */
export class Kvm {
  /** KVM_GET_API_VERSION. */
  getApiVersion(): number {
    return KVM_API_VERSION;
  }

  /** KVM_CHECK_EXTENSION. */
  checkExtension(cap: number): number {
    switch (cap) {
      case KvmCap.KVM_CAP_IRQCHIP: case KvmCap.KVM_CAP_HLT: case KvmCap.KVM_CAP_USER_MEMORY:
      case KvmCap.KVM_CAP_SET_TSS_ADDR: case KvmCap.KVM_CAP_EXT_CPUID: case KvmCap.KVM_CAP_CLOCKSOURCE:
      case KvmCap.KVM_CAP_PIT2: case KvmCap.KVM_CAP_SYNC_MMU: case KvmCap.KVM_CAP_IMMEDIATE_EXIT:
        return 1;
      case KvmCap.KVM_CAP_NR_VCPUS: case KvmCap.KVM_CAP_MAX_VCPUS:
        return 1;
      case KvmCap.KVM_CAP_NR_MEMSLOTS:
        return 32;
      default:
        return 0;
    }
  }

  /** KVM_GET_SUPPORTED_CPUID. */
  getSupportedCpuid(): KvmCpuidEntry2[] {
    return supportedCpuid();
  }

  /** KVM_CREATE_VM. */
  createVm(opts: KvmVmOptions): KvmVm {
    return new KvmVm(opts);
  }
}

/** A VM: memory slots, the in-kernel irqchip and PIT, vCPUs. */
export class KvmVm {
  /** The VM's memory: guest-physical space and the host buffer behind the slots. */
  readonly mem: PhysicalMemory;
  /** The host memory the VMM uses for slots ("userspace_addr" is an offset in it). */
  readonly hostMemory: Uint8Array;
  /** Time. */
  readonly clock: Clock;
  /** Deterministic clock, when in use. */
  readonly virtualClock: VirtualClock | null;
  /** ns per retired instruction (deterministic clock). */
  readonly nsPerInstruction: number;
  /** Wall time at clock 0. */
  readonly epochSeconds: number;
  readonly vmx = new Vmx();
  readonly ept: Ept;
  irqchip: InKernelIrqchip | null = null;
  private readonly slots = new Map<number, KvmUserspaceMemoryRegion>();
  private readonly vcpus: KvmVcpu[] = [];

  constructor(opts: KvmVmOptions) {
    const bytes = Math.ceil(opts.hostMemoryBytes / 4096) * 4096;
    this.mem = new PhysicalMemory({ ramSize: bytes });
    this.hostMemory = this.mem.u8.subarray(0, bytes);
    this.ept = this.vmx.createEpt(this.mem);
    this.nsPerInstruction = opts.nsPerInstruction ?? 1;
    if (opts.clock !== undefined) {
      this.clock = opts.clock;
      this.virtualClock = null;
    } else {
      this.virtualClock = new VirtualClock(0);
      this.clock = this.virtualClock;
    }
    this.epochSeconds = opts.epochSeconds ?? 1_767_225_600; // 2026-01-01T00:00:00Z
  }

  /** KVM_SET_USER_MEMORY_REGION: map [guestPhysAddr, +memorySize) to host memory (size 0 deletes). */
  setUserMemoryRegion(r: KvmUserspaceMemoryRegion): void {
    const name = "KVM_SET_USER_MEMORY_REGION";
    if ((r.guestPhysAddr | r.memorySize | r.userspaceAddr) % 4096 !== 0) throw new KvmError(name, "EINVAL", "addresses and size must be page aligned");
    if ((r.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) !== 0) throw new KvmError(name, "EINVAL", `unknown flags 0x${r.flags.toString(16)}`);
    const old = this.slots.get(r.slot);
    if (old !== undefined) {
      this.ept.unmap(old.guestPhysAddr, old.memorySize);
      this.slots.delete(r.slot);
    }
    if (r.memorySize === 0) return;
    if (r.userspaceAddr + r.memorySize > this.hostMemory.length) throw new KvmError(name, "EFAULT", "userspace_addr range lies outside the VM's host memory");
    for (const s of this.slots.values()) {
      if (r.guestPhysAddr < s.guestPhysAddr + s.memorySize && s.guestPhysAddr < r.guestPhysAddr + r.memorySize) {
        throw new KvmError(name, "EEXIST", `slot ${r.slot} overlaps slot ${s.slot}`);
      }
    }
    this.slots.set(r.slot, { ...r });
    this.ept.map(r.guestPhysAddr, r.memorySize, r.userspaceAddr, (r.flags & KVM_MEM_READONLY) !== 0 ? 5 : 7);
    if ((r.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0) this.mem.enableDirtyLog(true);
  }

  /** KVM_GET_DIRTY_LOG for `slot`: a bitmap of the slot's pages written since the last call. */
  getDirtyLog(slot: number): Uint8Array {
    const s = this.slots.get(slot);
    if (s === undefined) throw new KvmError("KVM_GET_DIRTY_LOG", "ENOENT", `no slot ${slot}`);
    const all = this.mem.getAndClearDirtyLog();
    const first = s.guestPhysAddr / 4096;
    const n = s.memorySize / 4096;
    const out = new Uint8Array(Math.ceil(n / 8));
    for (let k = 0; k < n; k++) {
      const g = first + k;
      if (((all[g >> 3] >> (g & 7)) & 1) !== 0) out[k >> 3] |= 1 << (k & 7);
    }
    return out;
  }

  /** KVM_CREATE_IRQCHIP. */
  createIrqchip(): void {
    if (this.irqchip !== null) throw new KvmError("KVM_CREATE_IRQCHIP", "EEXIST", "the irqchip already exists");
    if (this.vcpus.length > 0) throw new KvmError("KVM_CREATE_IRQCHIP", "EINVAL", "create the irqchip before the vCPUs");
    this.irqchip = new InKernelIrqchip(this.clock, () => {
      /* the vCPU polls the irqchip at each entry */
    });
  }

  /** KVM_CREATE_PIT2. */
  createPit2(): void {
    if (this.irqchip === null) throw new KvmError("KVM_CREATE_PIT2", "ENOENT", "needs KVM_CREATE_IRQCHIP first");
    this.irqchip.createPit();
  }

  /** KVM_IRQ_LINE: set the level of GSI `irq`. */
  irqLine(irq: number, level: number): void {
    if (this.irqchip === null) throw new KvmError("KVM_IRQ_LINE", "ENXIO", "no in-kernel irqchip");
    if (irq < 0 || irq >= 24) throw new KvmError("KVM_IRQ_LINE", "EINVAL", `GSI ${irq} out of range`);
    this.irqchip.setGsi(irq, level !== 0);
  }

  /** KVM_CREATE_VCPU. */
  createVcpu(id: number): KvmVcpu {
    if (this.vcpus.length > 0) throw new KvmError("KVM_CREATE_VCPU", "EINVAL", "this VM supports one vCPU");
    const v = new KvmVcpu(this, id);
    this.vcpus.push(v);
    return v;
  }
}

/** Guest-physical address of a RAM byte, for kvm-clock structures (host-side writes). */
interface ClockArea { gpa: number; version: number }

/** A vCPU: KVM_RUN and the register ioctls. */
export class KvmVcpu {
  /** The vCPU's kvm_run structure. */
  readonly kvmRun = new KvmRun();
  readonly cpu: Cpu;
  readonly hvm: VmxVcpu;
  private cpuid: KvmCpuidEntry2[] = [];
  private readonly cpuidOut = new Int32Array(4);
  /** Pending completion of a user-space exit: 0 none, else the exit reason. */
  private pendingUser = 0;
  /** HLT executed; waiting for an interrupt. */
  private halted = false;
  /** This halt was already reported to user space (KVM_EXIT_INTR). */
  private haltReported = false;
  /** TSC ticks (virtual time) skipped while halted, deterministic mode. */
  private haltTicks = 0;
  private systemTime: ClockArea | null = null;
  private wallClockVersion = 0;
  private lastIcount = 0;
  private readonly tscHz: number;
  /** Trace hook (apps/kvm -d exits). */
  onExit: ((x: HvmExit) => void) | null = null;

  constructor(readonly vm: KvmVm, readonly id: number) {
    this.cpu = new Cpu(vm.mem);
    this.tscHz = 1e9 / vm.nsPerInstruction;
    if (vm.virtualClock === null) {
      // Real time: the TSC follows the clock (1 tick per ns at 1 GHz), like kvm-clock's time.
      const clock = vm.clock;
      this.cpu.tscSource = () => Math.floor(clock.now() / vm.nsPerInstruction);
    } else {
      // Deterministic: one tick per retired instruction, plus the time skipped while halted.
      const cpu = this.cpu;
      this.cpu.tscSource = () => cpu.icount + this.haltTicks;
    }
    this.hvm = vm.vmx.createVcpu(this.cpu, { timeSlice: 200_000 });
    const h = this.hvm;
    h.vmxon();
    const vmcs = vm.vmx.createVmcs();
    h.vmclear(vmcs);
    h.vmptrld(vmcs);
    setupFlatProtectedGuest(h, { ept: vm.ept, rip: 0 });
    // Unrestricted guest: the guest runs real mode and its own paging; CR0/CR4 belong to it.
    h.vmwrite(SECONDARY_VM_EXEC_CONTROL, h.vmread(SECONDARY_VM_EXEC_CONTROL) | SECONDARY_EXEC.UNRESTRICTED_GUEST | SECONDARY_EXEC.ENABLE_EPT);
    h.vmwrite(CR0_GUEST_HOST_MASK, 0);
    h.vmwrite(CR4_GUEST_HOST_MASK, 0);
    h.vmwrite(CR0_READ_SHADOW, 0);
    h.vmwrite(CR4_READ_SHADOW, 0);
    this.resetArchitecturalState();
    this.cpuid = supportedCpuid();
    this.lastIcount = this.cpu.icount;
  }

  /** The x86 RESET state (real mode at F000:FFF0), as KVM creates a vCPU. */
  private resetArchitecturalState(): void {
    const real = (sel: number, code: boolean): KvmSegment => ({
      base: sel << 4, limit: 0xffff, selector: sel, type: code ? 0xb : 3, present: 1, dpl: 0, db: 0, s: 1, l: 0, g: 0,
      avl: 0, unusable: 0,
    });
    this.setSregs({
      cs: { ...real(0xf000, true), base: 0xffff0000 }, ds: real(0, false), es: real(0, false), fs: real(0, false),
      gs: real(0, false), ss: real(0, false),
      tr: { base: 0, limit: 0xffff, selector: 0, type: 0xb, present: 1, dpl: 0, db: 0, s: 0, l: 0, g: 0, avl: 0, unusable: 0 },
      ldt: { base: 0, limit: 0xffff, selector: 0, type: 2, present: 1, dpl: 0, db: 0, s: 0, l: 0, g: 0, avl: 0, unusable: 0 },
      gdt: { base: 0, limit: 0xffff }, idt: { base: 0, limit: 0xffff },
      cr0: 0x60000010, cr2: 0, cr3: 0, cr4: 0, efer: 0, apicBase: 0xfee00900,
    });
    this.setRegs({ eax: 0, ebx: 0, ecx: 0, edx: 0x600, esi: 0, edi: 0, esp: 0, ebp: 0, eip: 0xfff0, eflags: 2 });
  }

  /** KVM_SET_CPUID2. */
  setCpuid2(entries: readonly KvmCpuidEntry2[]): void {
    this.cpuid = entries.map((e) => ({ ...e }));
  }

  /** KVM_GET_REGS. */
  getRegs(): KvmRegs {
    const r = this.cpu.regs;
    const h = this.hvm;
    return {
      eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0, esp: h.vmread(GUEST_RSP) >>> 0,
      ebp: r[5] >>> 0, esi: r[6] >>> 0, edi: r[7] >>> 0, eip: h.vmread(GUEST_RIP) >>> 0, eflags: h.vmread(GUEST_RFLAGS) >>> 0,
    };
  }

  /** KVM_SET_REGS. */
  setRegs(v: KvmRegs): void {
    const r = this.cpu.regs;
    r[0] = v.eax; r[1] = v.ecx; r[2] = v.edx; r[3] = v.ebx; r[4] = v.esp; r[5] = v.ebp; r[6] = v.esi; r[7] = v.edi;
    this.hvm.vmwrite(GUEST_RSP, v.esp);
    this.hvm.vmwrite(GUEST_RIP, v.eip);
    this.hvm.vmwrite(GUEST_RFLAGS, (v.eflags | 2) & 0x3f7fd7);
  }

  /** KVM_GET_SREGS. */
  getSregs(): KvmSregs {
    const h = this.hvm;
    const seg = (s: number): KvmSegment => {
      const ar = h.vmread(0x4814 + 2 * s);
      return {
        selector: h.vmread(0x800 + 2 * s), base: h.vmread(0x6806 + 2 * s) >>> 0, limit: h.vmread(0x4800 + 2 * s) >>> 0,
        ...arToSegment(ar),
      };
    };
    const sys = (selF: number, baseF: number, limF: number, arF: number): KvmSegment => ({
      selector: h.vmread(selF), base: h.vmread(baseF) >>> 0, limit: h.vmread(limF) >>> 0, ...arToSegment(h.vmread(arF)),
    });
    return {
      es: seg(0), cs: seg(1), ss: seg(2), ds: seg(3), fs: seg(4), gs: seg(5),
      ldt: sys(0x80c, 0x6812, 0x480c, 0x4820), tr: sys(0x80e, 0x6814, 0x480e, 0x4822),
      gdt: { base: h.vmread(GUEST_GDTR_BASE) >>> 0, limit: h.vmread(GUEST_GDTR_LIMIT) },
      idt: { base: h.vmread(GUEST_IDTR_BASE) >>> 0, limit: h.vmread(GUEST_IDTR_LIMIT) },
      cr0: h.vmread(GUEST_CR0) >>> 0, cr2: this.cpu.cr2 >>> 0, cr3: h.vmread(GUEST_CR3) >>> 0, cr4: h.vmread(GUEST_CR4) >>> 0,
      efer: h.vmread(GUEST_IA32_EFER) >>> 0, apicBase: this.vm.irqchip?.lapic.readApicBase() ?? this.cpu.apicBase >>> 0,
    };
  }

  /** KVM_SET_SREGS. */
  setSregs(s: KvmSregs): void {
    const h = this.hvm;
    const segs = [s.es, s.cs, s.ss, s.ds, s.fs, s.gs];
    for (let k = 0; k < 6; k++) {
      const g = segs[k];
      h.vmwrite(0x800 + 2 * k, g.selector);
      h.vmwrite(0x6806 + 2 * k, g.base);
      h.vmwrite(0x4800 + 2 * k, g.limit);
      h.vmwrite(0x4814 + 2 * k, segmentToAr(g));
    }
    h.vmwrite(0x80c, s.ldt.selector); h.vmwrite(0x6812, s.ldt.base); h.vmwrite(0x480c, s.ldt.limit); h.vmwrite(0x4820, segmentToAr(s.ldt));
    h.vmwrite(0x80e, s.tr.selector); h.vmwrite(0x6814, s.tr.base); h.vmwrite(0x480e, s.tr.limit); h.vmwrite(0x4822, segmentToAr(s.tr));
    h.vmwrite(GUEST_GDTR_BASE, s.gdt.base); h.vmwrite(GUEST_GDTR_LIMIT, s.gdt.limit);
    h.vmwrite(GUEST_IDTR_BASE, s.idt.base); h.vmwrite(GUEST_IDTR_LIMIT, s.idt.limit);
    h.vmwrite(GUEST_CR0, s.cr0 | 0x20);
    h.vmwrite(CR0_READ_SHADOW, s.cr0);
    h.vmwrite(GUEST_CR3, s.cr3);
    h.vmwrite(GUEST_CR4, s.cr4 | 0x2000);
    h.vmwrite(CR4_READ_SHADOW, s.cr4);
    h.vmwrite(GUEST_IA32_EFER, s.efer);
    this.cpu.cr2 = s.cr2;
    this.vm.irqchip?.lapic.writeApicBase(s.apicBase);
  }

  /** KVM_GET_MSRS. */
  getMsrs(indices: readonly number[]): KvmMsrEntry[] {
    return indices.map((index) => {
      const v = this.readMsr(index);
      if (v === null) throw new KvmError("KVM_GET_MSRS", "EINVAL", `MSR 0x${index.toString(16)} is not supported`);
      return { index, data: v };
    });
  }

  /** KVM_SET_MSRS. */
  setMsrs(entries: readonly KvmMsrEntry[]): void {
    for (const e of entries) {
      if (!this.writeMsr(e.index, Number(e.data & 0xffffffffn) | 0, Number(e.data >> 32n) | 0)) {
        throw new KvmError("KVM_SET_MSRS", "EINVAL", `MSR 0x${e.index.toString(16)} is not supported`);
      }
    }
  }

  /** KVM_INTERRUPT (without an in-kernel irqchip): queue an external interrupt. */
  interrupt(irq: number): void {
    if (this.vm.irqchip !== null) throw new KvmError("KVM_INTERRUPT", "ENXIO", "the in-kernel irqchip delivers interrupts");
    this.hvm.injectEvent("external", irq & 0xff);
  }

  // ======================================================================================
  // KVM_RUN
  // ======================================================================================

  /** KVM_RUN: run the guest until an exit user space must handle. */
  run(): KvmRun {
    const run = this.kvmRun;
    this.completeUserExit();
    const chip = this.vm.irqchip;
    for (;;) {
      if (run.immediateExit !== 0) return this.exit(KvmExit.KVM_EXIT_INTR);
      this.syncTime();
      // Interrupts from the in-kernel irqchip.
      if (chip !== null && chip.hasInterrupt()) {
        if (this.hvm.interruptible) {
          const v = chip.acknowledge();
          this.halted = false;
          this.haltReported = false;
          this.hvm.injectEvent("external", v);
          this.hvm.requestInterruptWindow(false);
        } else {
          this.hvm.requestInterruptWindow(true);
          // A pending interrupt ends HLT when IF=1; entering lets the queued event or the
          // interrupt window come first.
          if ((this.hvm.vmread(GUEST_RFLAGS) & 0x200) !== 0) {
            this.halted = false;
            this.haltReported = false;
          }
        }
      }
      if (this.halted) {
        // Nothing to run until a timer fires or user space raises an interrupt. Give user
        // space the chance first (as a signal interrupts a KVM_RUN blocked in HLT): it may
        // have input to deliver. In deterministic mode the next call jumps virtual time to
        // the next timer deadline.
        const vc = this.vm.virtualClock;
        const next = nextDeadline(this.vm.clock);
        run.haltedUntilNs = next;
        if (vc === null || !this.haltReported) {
          this.haltReported = true;
          return this.exit(KvmExit.KVM_EXIT_INTR);
        }
        if (!Number.isFinite(next)) return this.exit(KvmExit.KVM_EXIT_HLT);
        this.haltReported = false;
        // Halted time passes on the TSC too (the TSC source counts it).
        this.haltTicks += Math.max(0, Math.ceil((next - this.timeOf()) / this.vm.nsPerInstruction));
        vc.advanceTo(this.timeOf());
        continue;
      }
      this.setSlice();
      const x = this.hvm.enter();
      this.onExit?.(x);
      const r = this.handle(x);
      if (r >= 0) return this.exit(r);
    }
  }

  /** Virtual time of the vCPU: retired instructions plus halted time, in ns. */
  private timeOf(): number {
    return (this.cpu.icount + this.haltTicks) * this.vm.nsPerInstruction;
  }

  /** Advance the deterministic clock to the vCPU's time, or fire the real-time clock's due timers. */
  private syncTime(): void {
    const vc = this.vm.virtualClock;
    if (vc === null) {
      (this.vm.clock as { runDue?: () => void }).runDue?.();
      return;
    }
    vc.advanceTo(this.timeOf());
  }

  /** Limit the time slice so the next timer fires at its exact instruction (deterministic mode). */
  private setSlice(): void {
    const vc = this.vm.virtualClock;
    let slice = 200_000;
    if (vc !== null) {
      const next = nextDeadline(vc);
      if (Number.isFinite(next)) {
        const left = Math.ceil((next - vc.now()) / this.vm.nsPerInstruction);
        slice = Math.max(1, Math.min(slice, left));
      }
    }
    this.hvm.timeSlice = slice;
  }

  private exit(reason: number): KvmRun {
    const run = this.kvmRun;
    run.exitReason = reason;
    run.ifFlag = (this.hvm.vmread(GUEST_RFLAGS) >> 9) & 1;
    run.readyForInterruptInjection = this.hvm.interruptible ? 1 : 0;
    this.pendingUser = reason === KvmExit.KVM_EXIT_IO || reason === KvmExit.KVM_EXIT_MMIO ? reason : 0;
    return run;
  }

  /** Finish the instruction whose exit user space just handled. */
  private completeUserExit(): void {
    const run = this.kvmRun;
    const p = this.pendingUser;
    this.pendingUser = 0;
    if (p === KvmExit.KVM_EXIT_IO) {
      if (run.io.direction === KVM_EXIT_IO_IN) this.hvm.completeIo(readLe(run.io.data, run.io.size));
      else this.hvm.completeIo();
    } else if (p === KvmExit.KVM_EXIT_MMIO) {
      this.hvm.completeMmio(run.mmio.isWrite !== 0 ? 0 : readLe(run.mmio.data, run.mmio.len));
    }
  }

  /** Handle an exit in the "kernel"; returns a KVM_EXIT_* for user space, or -1 to re-enter. */
  private handle(x: HvmExit): number {
    const run = this.kvmRun;
    const chip = this.vm.irqchip;
    switch (x.kind) {
      case "io": {
        if (chip !== null && chip.io.owner(x.port) !== undefined) {
          if (x.isWrite !== 0) {
            chip.io.write(x.port, x.size as 1 | 2 | 4, x.value);
            this.hvm.completeIo();
          } else this.hvm.completeIo(chip.io.read(x.port, x.size as 1 | 2 | 4));
          return -1;
        }
        run.io.direction = x.isWrite !== 0 ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
        run.io.size = x.size;
        run.io.port = x.port;
        run.io.count = 1;
        if (x.isWrite !== 0) writeLe(run.io.data, x.size, x.value);
        return KvmExit.KVM_EXIT_IO;
      }
      case "mmio": {
        if (chip !== null) {
          const page = Math.floor(x.gpa / 4096) * 4096;
          if (page === LAPIC_BASE || page === IOAPIC_BASE) {
            const dev = page === LAPIC_BASE ? chip.lapic : chip.ioapic;
            const off = x.gpa - page;
            if (x.isWrite !== 0) {
              dev.mmioWrite(off, x.size as 1 | 2 | 4, x.value);
              this.hvm.completeMmio();
            } else this.hvm.completeMmio(dev.mmioRead(off, x.size as 1 | 2 | 4));
            return -1;
          }
        }
        run.mmio.physAddr = x.gpa;
        run.mmio.len = x.size;
        run.mmio.isWrite = x.isWrite;
        if (x.isWrite !== 0) writeLe(run.mmio.data, x.size, x.value);
        return KvmExit.KVM_EXIT_MMIO;
      }
      case "cpuid":
        lookupCpuid(this.cpuid, x.index, x.value2, this.cpuidOut);
        this.hvm.completeCpuid(this.cpuidOut[0], this.cpuidOut[1], this.cpuidOut[2], this.cpuidOut[3]);
        return -1;
      case "msr-read": {
        const v = this.readMsr(x.index >>> 0);
        if (v === null) this.hvm.completeMsrRead(false, 0, 0);
        else this.hvm.completeMsrRead(true, Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
        return -1;
      }
      case "msr-write":
        this.hvm.completeMsrWrite(this.writeMsr(x.index >>> 0, x.value, x.value2));
        return -1;
      case "hlt":
        this.hvm.skipInstruction();
        if (chip === null) return KvmExit.KVM_EXIT_HLT;
        if (!chip.hasInterrupt()) this.halted = true;
        return -1;
      case "halted":
        this.halted = true;
        return -1;
      case "hypercall":
        // No KVM_HC_* is advertised: answer -KVM_ENOSYS as KVM does for unknown calls.
        this.cpu.regs[0] = KvmHypercallStatus.KVM_ENOSYS;
        this.hvm.skipInstruction();
        return -1;
      case "interrupt-window":
        this.hvm.requestInterruptWindow(false);
        return -1;
      case "time-slice": case "external-interrupt": case "preempted":
        return -1;
      case "shutdown":
        return KvmExit.KVM_EXIT_SHUTDOWN;
      case "entry-failed":
        run.failEntry.hardwareEntryFailureReason = x.code;
        run.failEntry.message = (x as { message?: string }).message ?? "";
        return KvmExit.KVM_EXIT_FAIL_ENTRY;
      default:
        run.internal.suberror = KvmInternalError.KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
        run.internal.data = [x.code, x.vector, x.errorCode];
        run.internal.message = `unexpected ${x.kind} exit (code ${x.code}, vector ${x.vector})`;
        return KvmExit.KVM_EXIT_INTERNAL_ERROR;
    }
  }

  // ---- MSRs handled in the kernel

  private readMsr(index: number): bigint | null {
    const cpu = this.cpu;
    switch (index) {
      case Msr.IA32_TIME_STAMP_COUNTER:
        return BigInt(Math.floor(cpu.readTsc()));
      case Msr.IA32_APIC_BASE:
        return BigInt((this.vm.irqchip?.lapic.readApicBase() ?? cpu.apicBase) >>> 0);
      case Msr.IA32_SYSENTER_CS: return BigInt(this.hvm.vmread(GUEST_SYSENTER_CS) >>> 0);
      case Msr.IA32_SYSENTER_ESP: return BigInt(this.hvm.vmread(GUEST_SYSENTER_ESP) >>> 0);
      case Msr.IA32_SYSENTER_EIP: return BigInt(this.hvm.vmread(GUEST_SYSENTER_EIP) >>> 0);
      case Msr.IA32_MISC_ENABLE: return 1n;
      case Msr.IA32_PAT: return (BigInt(cpu.patHi >>> 0) << 32n) | BigInt(cpu.patLo >>> 0);
      case KvmMsr.MSR_KVM_SYSTEM_TIME: case KvmMsr.MSR_KVM_SYSTEM_TIME_NEW:
        return BigInt(this.systemTime === null ? 0 : this.systemTime.gpa | KVM_SYSTEM_TIME_ENABLE);
      case KvmMsr.MSR_KVM_WALL_CLOCK: case KvmMsr.MSR_KVM_WALL_CLOCK_NEW:
        return 0n;
      case 0x8b: // IA32_BIOS_SIGN_ID (microcode revision)
        return 0n;
      case 0x17: // IA32_PLATFORM_ID
        return 0n;
      default:
        return null;
    }
  }

  private writeMsr(index: number, lo: number, hi: number): boolean {
    const cpu = this.cpu;
    switch (index) {
      case Msr.IA32_TIME_STAMP_COUNTER:
        cpu.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - cpu.icount;
        return true;
      case Msr.IA32_APIC_BASE:
        if (this.vm.irqchip !== null) this.vm.irqchip.lapic.writeApicBase(lo);
        else cpu.apicBase = lo;
        return true;
      case Msr.IA32_SYSENTER_CS: this.hvm.vmwrite(GUEST_SYSENTER_CS, lo); return true;
      case Msr.IA32_SYSENTER_ESP: this.hvm.vmwrite(GUEST_SYSENTER_ESP, lo); return true;
      case Msr.IA32_SYSENTER_EIP: this.hvm.vmwrite(GUEST_SYSENTER_EIP, lo); return true;
      case Msr.IA32_MISC_ENABLE: return true;
      case Msr.IA32_PAT: cpu.patLo = lo; cpu.patHi = hi; return true;
      case 0x8b: return true;
      case KvmMsr.MSR_KVM_SYSTEM_TIME: case KvmMsr.MSR_KVM_SYSTEM_TIME_NEW:
        if ((lo & KVM_SYSTEM_TIME_ENABLE) === 0) {
          this.systemTime = null;
          return true;
        }
        this.systemTime = { gpa: (lo & ~1) >>> 0, version: 0 };
        this.publishSystemTime();
        return true;
      case KvmMsr.MSR_KVM_WALL_CLOCK: case KvmMsr.MSR_KVM_WALL_CLOCK_NEW:
        this.wallClockVersion = writePvclockWallClock(this.vm.mem, lo >>> 0, this.wallClockVersion, this.vm.epochSeconds, 0);
        return true;
      default:
        return false;
    }
  }

  /** Write pvclock_vcpu_time_info: TSC and system time are linked exactly (ns = tsc * ns-per-tick). */
  private publishSystemTime(): void {
    const st = this.systemTime;
    if (st === null) return;
    const tsc = Math.floor(this.cpu.readTsc());
    const scale = pvclockScale(this.tscHz);
    st.version = writePvclockVcpuTimeInfo(this.vm.mem, st.gpa, st.version, {
      tscTimestamp: BigInt(tsc),
      systemTime: BigInt(Math.round(this.vm.clock.now())),
      mul: scale.mul,
      shift: scale.shift,
      flags: PVCLOCK_TSC_STABLE_BIT,
    });
  }
}

/** The earliest armed timer of a clock (Infinity if none). */
function nextDeadline(clock: Clock): number {
  const c = clock as { nextDeadline?: () => number };
  return typeof c.nextDeadline === "function" ? c.nextDeadline() : Infinity;
}

function readLe(b: Uint8Array, size: number): number {
  let v = 0;
  for (let k = 0; k < size && k < 4; k++) v |= b[k] << (8 * k);
  return size === 4 ? v | 0 : v;
}

function writeLe(b: Uint8Array, size: number, v: number): void {
  for (let k = 0; k < size && k < 8; k++) b[k] = k < 4 ? (v >>> (8 * k)) & 0xff : 0;
}

/** VMX access rights → struct kvm_segment fields. */
function arToSegment(ar: number): Omit<KvmSegment, "base" | "limit" | "selector"> {
  return {
    type: ar & 0xf, s: (ar >> 4) & 1, dpl: (ar >> 5) & 3, present: (ar >> 7) & 1, avl: (ar >> 12) & 1, l: (ar >> 13) & 1,
    db: (ar >> 14) & 1, g: (ar >> 15) & 1, unusable: (ar >> 16) & 1,
  };
}

/** struct kvm_segment → VMX access rights. */
function segmentToAr(s: KvmSegment): number {
  return (s.type & 0xf) | (s.s << 4) | (s.dpl << 5) | (s.present << 7) | (s.avl << 12) | (s.l << 13) | (s.db << 14) |
    (s.g << 15) | (s.unusable !== 0 ? Ar.UNUSABLE : 0);
}

export { KvmSystemEvent, GUEST_ACTIVITY_STATE, GUEST_INTERRUPTIBILITY_INFO, VM_ENTRY_INTR_INFO_FIELD };
