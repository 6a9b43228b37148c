/**
 * The in-kernel irqchip (KVM_CREATE_IRQCHIP) and PIT (KVM_CREATE_PIT2): an 8259 pair, an
 * IOAPIC and a local APIC per vCPU, wired as on a PC: the PIC's output feeds LINT0 (virtual
 * wire), the IOAPIC sends messages to the local APIC, and a GSI is routed to both the PIC
 * (GSI < 16) and the IOAPIC pin of the same number, with IRQ0 of the PIT on IOAPIC pin 2
 * (the MADT's interrupt source override).
 */
import { type Clock, IoBus, type IrqLine, LocalApic, PicPair, Pit8254 } from "@virtkit/devices";
import { IoApic } from "@virtkit/devices";

/** The xAPIC MMIO page. */
export const LAPIC_BASE = 0xfee00000;
/** The IOAPIC's registers. */
export const IOAPIC_BASE = 0xfec00000;

/** The devices behind KVM_CREATE_IRQCHIP. */
export class InKernelIrqchip {
  readonly pic: PicPair;
  readonly ioapic: IoApic;
  readonly lapic: LocalApic;
  /** In-kernel port devices (PIC, ELCR, and the PIT once created). */
  readonly io = new IoBus();
  /** Set when the local APIC (or the PIC through it) wants the CPU's attention. */
  intrPending = false;
  pit: Pit8254 | null = null;

  constructor(readonly clock: Clock, onIntr: () => void) {
    const intr: IrqLine = {
      setLevel: (level) => {
        this.intrPending = level;
        if (level) onIntr();
      },
      pulse: () => {
        onIntr();
      },
    };
    // The PIC and the IOAPIC are created after the LAPIC that needs them: forward lazily.
    this.lapic = new LocalApic({
      clock,
      intr,
      timerHz: 1e9,
      extInt: { acknowledge: () => this.pic.acknowledge() },
      onEoi: (vector) => {
        this.ioapic.endOfInterrupt(vector);
      },
    });
    this.pic = new PicPair({ intr: this.lapic.lint0 });
    this.ioapic = new IoApic({ sink: this.lapic });
    // As KVM resets the BSP's LAPIC: LINT0 in ExtINT mode, so the 8259 reaches the CPU
    // (virtual wire) before the guest programs its APIC.
    this.lapic.enableVirtualWire();
    this.io.register(0x20, 2, this.pic.master, "pic-master");
    this.io.register(0xa0, 2, this.pic.slave, "pic-slave");
    this.io.register(0x4d0, 2, this.pic.elcrPorts, "elcr");
  }

  /** KVM_CREATE_PIT2: the 8254 with channel 0 on IRQ0 (PIC) and GSI 2 (IOAPIC). */
  createPit(): Pit8254 {
    if (this.pit !== null) return this.pit;
    const irq0: IrqLine = {
      setLevel: (level) => {
        this.pic.setIrq(0, level);
        this.ioapic.irq(2).setLevel(level);
      },
      pulse: () => {
        this.pic.setIrq(0, true);
        this.ioapic.irq(2).setLevel(true);
        this.pic.setIrq(0, false);
        this.ioapic.irq(2).setLevel(false);
      },
    };
    this.pit = new Pit8254({ clock: this.clock, irq0 });
    this.io.register(0x40, 4, this.pit, "pit");
    this.io.register(0x61, 1, this.pit.speakerPort, "pit-speaker");
    return this.pit;
  }

  /** KVM_IRQ_LINE: drive GSI `gsi` (PIC IRQ for gsi < 16, IOAPIC pin gsi). */
  setGsi(gsi: number, level: boolean): void {
    if (gsi < 16 && gsi !== 2) this.pic.setIrq(gsi, level);
    if (gsi < 24) this.ioapic.irq(gsi === 0 ? 2 : gsi).setLevel(level);
  }

  /** True if the local APIC has an interrupt to deliver (fixed vector or ExtINT). */
  hasInterrupt(): boolean {
    return this.lapic.hasInterrupt();
  }

  /** INTA: the vector to inject. */
  acknowledge(): number {
    return this.lapic.acknowledge();
  }
}
