import type { Cpu } from "@virtkit/cpu";
import type { PhysicalMemory } from "@virtkit/mmu";
import { readVmxCapabilityMsr } from "./capabilities.js";
import { Ept } from "./ept.js";
import { HostMemory, type HostPage } from "./host-memory.js";
import { Vmcs } from "./vmcs.js";
import { VmxVcpu, type VmxVcpuOptions } from "./vcpu.js";

/**
 * The VMX feature of one (virtual) physical machine: its capability MSRs, the hypervisor's
 * host memory (bitmaps, VMCS regions, EPT roots) and the vCPUs ("logical processors") that
 * run guests. A monitor creates one `Vmx`, one `Ept` per VM, one `Vmcs` + `VmxVcpu` per
 * guest vCPU.
 *
 * ```ts
 * const vmx = new Vmx();
 * const mem = new PhysicalMemory({ ramSize: 64 << 20 });
 * const ept = vmx.createEpt(mem);
 * ept.map(0, 64 << 20);
 * const vcpu = vmx.createVcpu(new Cpu(mem));
 * const vmcs = vmx.createVmcs();
 * vcpu.vmxon(); vcpu.vmclear(vmcs); vcpu.vmptrld(vmcs);
 * setupVmcs(vcpu);                      // controls, host and guest state via vmwrite
 * for (;;) { const exit = vcpu.enter(); handle(exit); }
 * ```
 */
export class Vmx {
  /** Hypervisor memory that VMCS pointer fields refer to. */
  readonly host = new HostMemory();
  private readonly epts = new Map<number, Ept>();
  private readonly vmcsRegions = new Map<number, Vmcs>();

  /** Read an IA32_VMX_* capability MSR as [low, high] (undefined for other MSRs). */
  readCapabilityMsr(index: number): [number, number] | undefined {
    return readVmxCapabilityMsr(index);
  }

  /** Allocate a zeroed host page (an I/O bitmap, the MSR bitmap). */
  allocPage(): HostPage {
    return this.host.alloc();
  }

  /** Allocate a VMCS region (launch state clear, revision id of this model). */
  createVmcs(): Vmcs {
    const v = new Vmcs(this.host.reserve());
    this.vmcsRegions.set(v.address, v);
    return v;
  }

  /** The VMCS whose region is at `hpa`, if any. */
  vmcsAt(hpa: number): Vmcs | undefined {
    return this.vmcsRegions.get(hpa);
  }

  /** Create an EPT for the VM whose guest-physical memory is `mem`. */
  createEpt(mem: PhysicalMemory): Ept {
    const e = new Ept(mem, this.host.reserve());
    this.epts.set(e.root, e);
    return e;
  }

  /** The EPT whose PML4 is at `hpa`, if any. */
  eptAt(hpa: number): Ept | undefined {
    return this.epts.get(hpa);
  }

  /** Wrap a Cpu as a VMX logical processor running guests. */
  createVcpu(cpu: Cpu, opts: VmxVcpuOptions = {}): VmxVcpu {
    return new VmxVcpu(this, cpu, opts);
  }
}
