/**
 * The user-space VMM: builds a PC on the KVM API (memory slots, the in-kernel irqchip and
 * PIT, CPUID) and owns the board's other devices (16550 UART, RTC/CMOS, i8042, ACPI PM,
 * PCI host bridge, POST and debug ports, HPET, isa-debug-exit), as QEMU and kvmtool do.
 */
import { readFileSync } from "node:fs";
import {
  AcpiPm, DebugConsole, Hpet, I8042, IoBus, type IrqLine, PciHost, PostPort, RealTimeClock, Rtc, type SerialSink, Uart16550,
} from "@virtkit/devices";
import { Kvm, KvmExit, KVM_EXIT_IO_OUT, type KvmVcpu, type KvmVm, type KvmRun } from "@virtkit/kvm-shim";
import {
  buildAcpiTables, BzImageError, HPET_BASE, loadBzImage, loadMultiboot, MultibootError, parseBzImage, pcMemoryMap,
  type BootCpuState,
} from "@virtkit/pc";
import type { VmConfig } from "./options.js";

/** The PM block's ports (PM1a_EVT, PM1a_CNT = +4, PM_TMR = +8, GPE0 = +0xC). */
const PM_BASE = 0x600;
/** The reset value the FADT's RESET_REG (port 0xCF9) expects. */
const RESET_VALUE = 6;

/** Why the VM ended. */
export type StopReason = "poweroff" | "reset" | "debug-exit" | "shutdown" | "quit" | "error" | "halted";

/** Result of a VM run. */
export interface VmResult {
  reason: StopReason;
  /** Process exit status for the VMM (QEMU's rules). */
  status: number;
  instructions: number;
  exits: number;
  /** Guest time at the end (ns). */
  guestNs: number;
  message: string;
}

/** A loaded, ready-to-run virtual machine. */
export class VirtualMachine {
  readonly kvm = new Kvm();
  readonly vm: KvmVm;
  readonly vcpu: KvmVcpu;
  readonly io = new IoBus();
  readonly uart: Uart16550;
  readonly rtc: Rtc;
  readonly i8042: I8042;
  readonly pm: AcpiPm;
  readonly pci: PciHost;
  readonly hpet: Hpet;
  readonly post = new PostPort();
  private stop: { reason: StopReason; status: number; message: string } | null = null;
  exits = 0;
  /** Serial output goes here. */
  serialOut: (bytes: Uint8Array) => void;
  /** Debug console (0xE9) output goes here. */
  debugOut: (bytes: Uint8Array) => void;
  /** Trace sink for -d exits. */
  trace: ((line: string) => void) | null = null;

  constructor(readonly config: VmConfig, sinks: { serial: (b: Uint8Array) => void; debug: (b: Uint8Array) => void }) {
    this.serialOut = sinks.serial;
    this.debugOut = sinks.debug;
    const ram = config.memoryMiB << 20;
    const map = pcMemoryMap(ram);
    // -icount: deterministic virtual time (2^shift ns per instruction); otherwise real time.
    this.vm = this.kvm.createVm({
      hostMemoryBytes: ram + 0x20000,
      nsPerInstruction: config.icount !== null ? 2 ** config.icount.shift : 1,
      ...(config.icount === null ? { clock: new RealTimeClock() } : {}),
    });
    const vm = this.vm;
    // Memory slots: low RAM, the BIOS area (ACPI tables live there), RAM above 1 MiB.
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0xa0000, userspaceAddr: 0 });
    vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0xe0000, memorySize: 0x20000, userspaceAddr: ram });
    vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0x100000, memorySize: map.ramTopBelow4G - 0x100000, userspaceAddr: 0x100000 });
    vm.createIrqchip();
    vm.createPit2();
    this.vcpu = vm.createVcpu(0);
    this.vcpu.setCpuid2(this.kvm.getSupportedCpuid());

    const irq = (gsi: number): IrqLine => ({
      setLevel: (level) => {
        vm.irqLine(gsi, level ? 1 : 0);
      },
      pulse: () => {
        vm.irqLine(gsi, 1);
        vm.irqLine(gsi, 0);
      },
    });
    const sink = (out: () => (b: Uint8Array) => void): SerialSink => ({
      write: (b) => {
        out()(Uint8Array.of(b));
      },
    });
    this.uart = new Uart16550({ irq: irq(4), sink: sink(() => this.serialOut) });
    this.rtc = new Rtc({ clock: vm.clock, irq: irq(8), startSeconds: vm.epochSeconds });
    this.i8042 = new I8042({ onReset: () => { this.requestStop("reset", 0, "reset by the keyboard controller"); } });
    this.pm = new AcpiPm({
      clock: vm.clock,
      sci: irq(9),
      onPowerOff: () => { this.requestStop("poweroff", 0, "ACPI power off"); },
      onReset: () => { this.requestStop("reset", 0, "ACPI reset"); },
      resetValue: RESET_VALUE,
      sciEnabled: true,
    });
    this.pci = new PciHost({ resetControl: this.pm.resetRegister });
    this.hpet = new Hpet({ clock: vm.clock, ioapicIrq: (pin) => irq(pin) });
    const io = this.io;
    io.register(0x3f8, 8, this.uart, "com1");
    io.register(0x70, 2, this.rtc, "rtc");
    io.register(0x60, 1, this.i8042.dataPort, "i8042-data");
    io.register(0x64, 1, this.i8042.commandPort, "i8042-cmd");
    io.register(PM_BASE, 16, this.pm, "acpi-pm");
    io.register(0xcf8, 8, this.pci, "pci-host");
    io.register(0x80, 1, this.post, "post");
    io.register(0xe9, 1, new DebugConsole(sink(() => this.debugOut)), "debugcon");
    if (config.debugExit !== null) {
      const { iobase, iosize } = config.debugExit;
      io.register(iobase, iosize, {
        ioRead: () => 0xffffffff,
        ioWrite: (_off, _size, value) => {
          this.requestStop("debug-exit", (((value & 0xff) << 1) | 1) & 0xff, `isa-debug-exit wrote ${value}`);
        },
      }, "isa-debug-exit");
    }
    // ACPI tables in the BIOS area.
    const acpi = buildAcpiTables({ pm1aEvt: PM_BASE, pm1aCnt: PM_BASE + 4, pmTmr: PM_BASE + 8, gpe0: PM_BASE + 0xc });
    vm.mem.writeBytes(acpi.base, acpi.bytes);
    this.rsdp = acpi.rsdpAddr;
    this.vcpu.onExit = (x) => {
      this.exits++;
      if (this.trace !== null) this.trace(`exit ${x.kind} code=${x.code} port=0x${x.port.toString(16)} gpa=0x${x.gpa.toString(16)} rip=0x${this.vcpu.hvm.rip.toString(16)}`);
    };
  }

  private readonly rsdp: number;

  /** Load the kernel (bzImage or multiboot ELF) and initrd; set the vCPU's boot state. */
  load(): void {
    const c = this.config;
    if (c.kernel === null) throw new Error("no kernel");
    const image = readFileChecked(c.kernel, "-kernel");
    const initrd = c.initrd !== null ? readFileChecked(c.initrd, "-initrd") : undefined;
    const mem = { ramSize: c.memoryMiB << 20, writeBytes: (gpa: number, src: Uint8Array) => { this.vm.mem.writeBytes(gpa, src); } };
    let state: BootCpuState;
    if (isBzImage(image)) {
      const r = loadBzImage(mem, image, { cmdline: c.append, ...(initrd !== undefined ? { initrd } : {}), rsdpAddr: this.rsdp });
      state = r.state;
    } else {
      if (initrd !== undefined) throw new MultibootError("-initrd is for bzImage kernels; a multiboot kernel takes modules");
      state = loadMultiboot(image, mem, { cmdline: c.append }).state;
    }
    this.applyState(state);
  }

  private applyState(s: BootCpuState): void {
    const seg = (v: { selector: number; base: number; limit: number; ar: number }) => ({
      selector: v.selector, base: v.base, limit: v.limit, type: v.ar & 0xf, s: (v.ar >> 4) & 1, dpl: (v.ar >> 5) & 3,
      present: (v.ar >> 7) & 1, avl: (v.ar >> 12) & 1, l: 0, db: (v.ar >> 14) & 1, g: (v.ar >> 15) & 1,
      unusable: (v.ar >> 16) & 1,
    });
    const sregs = this.vcpu.getSregs();
    this.vcpu.setSregs({
      ...sregs,
      cs: seg(s.segments.cs), ds: seg(s.segments.ds), es: seg(s.segments.es), fs: seg(s.segments.fs),
      gs: seg(s.segments.gs), ss: seg(s.segments.ss),
      gdt: s.gdtr ?? sregs.gdt, idt: s.idtr ?? sregs.idt, cr0: s.cr0,
    });
    this.vcpu.setRegs({ ...s.regs, eip: s.eip, eflags: s.eflags });
  }

  /** Ask the run loop to end the VM. */
  requestStop(reason: StopReason, status: number, message: string): void {
    this.stop ??= { reason, status, message };
  }

  /** Type bytes into the serial port. */
  serialInput(bytes: ArrayLike<number>): void {
    this.uart.receive(bytes);
  }

  /** Handle one KVM exit; returns false when the VM must stop. */
  private handleExit(run: KvmRun): boolean {
    switch (run.exitReason) {
      case KvmExit.KVM_EXIT_IO: {
        const { port, size, direction, data } = run.io;
        if (direction === KVM_EXIT_IO_OUT) {
          let v = 0;
          for (let k = 0; k < size; k++) v |= data[k] << (8 * k);
          this.io.write(port, size as 1 | 2 | 4, v);
        } else {
          const v = this.io.read(port, size as 1 | 2 | 4);
          for (let k = 0; k < size; k++) data[k] = (v >>> (8 * k)) & 0xff;
        }
        return true;
      }
      case KvmExit.KVM_EXIT_MMIO: {
        const { physAddr, len, isWrite, data } = run.mmio;
        const inHpet = physAddr >= HPET_BASE && physAddr < HPET_BASE + 0x1000;
        const size = (len >= 4 ? 4 : len) as 1 | 2 | 4;
        if (isWrite !== 0) {
          let v = 0;
          for (let k = 0; k < size; k++) v |= data[k] << (8 * k);
          if (inHpet) this.hpet.mmioWrite(physAddr - HPET_BASE, size, v);
        } else {
          const v = inHpet ? this.hpet.mmioRead(physAddr - HPET_BASE, size) : -1;
          for (let k = 0; k < len; k++) data[k] = k < 4 ? (v >>> (8 * k)) & 0xff : 0xff;
        }
        return true;
      }
      case KvmExit.KVM_EXIT_SHUTDOWN:
        this.requestStop(this.config.noReboot ? "shutdown" : "reset", 0, "triple fault (shutdown)");
        return false;
      case KvmExit.KVM_EXIT_HLT:
        this.requestStop("halted", 0, "the guest halted with no interrupt source");
        return false;
      case KvmExit.KVM_EXIT_INTR:
        return true;
      case KvmExit.KVM_EXIT_FAIL_ENTRY:
        this.requestStop("error", 1, `VM entry failed: ${run.failEntry.message} (reason ${run.failEntry.hardwareEntryFailureReason})`);
        return false;
      case KvmExit.KVM_EXIT_INTERNAL_ERROR:
        this.requestStop("error", 1, `KVM internal error: ${run.internal.message}`);
        return false;
      default:
        this.requestStop("error", 1, `unexpected KVM exit ${run.exitReason}`);
        return false;
    }
  }

  /**
   * Run synchronously until the VM stops or `maxInstructions` retire (deterministic mode; the
   * result then has reason "quit"). `onSlice` runs between exits (tests type into the console).
   */
  runSync(maxInstructions = Infinity, onSlice?: () => void): VmResult {
    const cpu = this.vcpu.cpu;
    while (this.stop === null) {
      const run = this.vcpu.run();
      if (!this.handleExit(run)) break;
      onSlice?.();
      if (cpu.icount >= maxInstructions) this.requestStop("quit", 0, "instruction limit reached");
    }
    return this.result();
  }

  /** Run in real time: returns when the VM stops; yields to the event loop so input arrives. */
  async runAsync(): Promise<VmResult> {
    const run = this.vcpu.kvmRun;
    let lastYield = performance.now();
    while (this.stop === null) {
      const r = this.vcpu.run();
      if (!this.handleExit(r)) break;
      const now = performance.now();
      if (r.exitReason === KvmExit.KVM_EXIT_INTR && Number.isFinite(run.haltedUntilNs)) {
        const waitMs = Math.max(0, (run.haltedUntilNs - this.vm.clock.now()) / 1e6);
        await sleep(Math.min(waitMs, 10));
        lastYield = performance.now();
      } else if (now - lastYield > 15) {
        await sleep(0);
        lastYield = performance.now();
      }
    }
    return this.result();
  }

  private result(): VmResult {
    const s = this.stop ?? { reason: "error" as StopReason, status: 1, message: "stopped" };
    return {
      reason: s.reason,
      status: s.status,
      message: s.message,
      instructions: this.vcpu.cpu.icount,
      exits: this.exits,
      guestNs: this.vm.clock.now(),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A file the user named on the command line, with a clear error if it cannot be read. */
function readFileChecked(path: string, opt: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${opt} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`, { cause: e });
  }
}

/** A bzImage has the "HdrS" magic at 0x202; anything else is treated as multiboot. */
function isBzImage(image: Uint8Array): boolean {
  if (image.length < 0x206) return false;
  const magic = image[0x202] | (image[0x203] << 8) | (image[0x204] << 16) | (image[0x205] << 24);
  if (magic !== 0x53726448) return false;
  parseBzImage(image);
  return true;
}

export { BzImageError, MultibootError };
