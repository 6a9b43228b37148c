/**
 * A bare-metal test machine: RAM, one CPU, a debug console on port 0xE9 (QEMU's debugcon),
 * isa-debug-exit on port 0xF4, a 16550-style transmit-only view of COM1 so guests that
 * print on the serial port also work, and the 8259 pair with the PC's FERR# wiring (x87
 * FERR# → IRQ13; a write to port 0xF0 clears the latch and asserts IGNNE#). Unclaimed ports
 * read as all ones.
 */
import { Cpu, ExitReason } from "@virtkit/cpu";
import { PhysicalMemory } from "@virtkit/mmu";
import { PicPair } from "@virtkit/devices";
import { loadMultiboot } from "./multiboot.js";

/** Options for a bare-metal run. */
export interface RunOptions {
  /** Guest RAM in MiB (default 32). */
  memoryMiB?: number;
  /** Stop after this many instructions (default 2e9). */
  maxInstructions?: number;
  /** Called with console output as it appears. */
  onOutput?: (text: string) => void;
}

/** The outcome of a run. */
export interface RunResult {
  /** Everything written to port 0xE9 and COM1. */
  output: string;
  /** isa-debug-exit status ((v << 1) | 1), or -1 if the guest never wrote port 0xF4. */
  status: number;
  /** Why the run ended. */
  reason: "debug-exit" | "halted" | "triple-fault" | "limit";
  /** Retired instructions. */
  instructions: number;
  /** Wall time in seconds. */
  seconds: number;
}

/** Run a multiboot ELF to completion. */
export function runMultiboot(image: Uint8Array, opts: RunOptions = {}): RunResult {
  const ramSize = (opts.memoryMiB ?? 32) << 20;
  const mem = new PhysicalMemory({ ramSize });
  mem.mapRam(0, ramSize);
  const cpu = new Cpu(mem);
  const pic = new PicPair({
    intr: {
      setLevel: (level) => {
        cpu.setIntr(level);
      },
      pulse: () => {
        cpu.setIntr(true);
        cpu.setIntr(false);
      },
    },
  });
  cpu.pic = pic;
  // The PC's FERR# latch: IRQ13 while asserted; OUT 0xF0 clears it and asserts IGNNE#.
  cpu.fpu.onFerr = (asserted) => {
    pic.setIrq(13, asserted);
    if (!asserted) cpu.fpu.ignne = false;
  };
  loadMultiboot(image, mem, cpu);
  const max = opts.maxInstructions ?? 2e9;
  let output = "";
  const emit = (ch: number): void => {
    const s = String.fromCharCode(ch);
    output += s;
    opts.onOutput?.(s);
  };
  let status = -1;
  let reason: RunResult["reason"] = "limit";
  const t0 = performance.now();
  const x = cpu.exit;
  outer: while (cpu.icount < max) {
    const r = cpu.run(Math.min(10_000_000, max - cpu.icount));
    switch (r) {
      case ExitReason.IoOut:
        if (x.port === 0xe9 || x.port === 0x3f8) emit(x.value & 0xff);
        else if (x.port === 0x20 || x.port === 0x21) pic.master.ioWrite(x.port - 0x20, 1, x.value);
        else if (x.port === 0xa0 || x.port === 0xa1) pic.slave.ioWrite(x.port - 0xa0, 1, x.value);
        else if (x.port === 0xf0) {
          pic.setIrq(13, false);
          cpu.fpu.ignne = true;
        } else if (x.port === 0xf4) {
          status = ((x.value & 0xff) << 1) | 1;
          reason = "debug-exit";
          break outer;
        }
        break;
      case ExitReason.IoIn:
        // COM1 line status: transmitter empty; debugcon reads 0xE9 (QEMU's readback value).
        if (x.port === 0x20 || x.port === 0x21) cpu.completeIo(pic.master.ioRead(x.port - 0x20, 1));
        else if (x.port === 0xa0 || x.port === 0xa1) cpu.completeIo(pic.slave.ioRead(x.port - 0xa0, 1));
        else cpu.completeIo(x.port === 0x3fd ? 0x60 : x.port === 0xe9 ? 0xe9 : x.size === 4 ? -1 : (1 << (8 * x.size)) - 1);
        break;
      case ExitReason.Hlt:
        // HLT with interrupts enabled waits for one; with none that can come, the guest is done.
        if ((cpu.getEflags() & 0x200) !== 0 && pic.hasInterrupt()) break;
        reason = "halted";
        break outer;
      case ExitReason.TripleFault:
        reason = "triple-fault";
        break outer;
      default:
        break;
    }
  }
  return { output, status, reason, instructions: cpu.icount, seconds: (performance.now() - t0) / 1000 };
}
