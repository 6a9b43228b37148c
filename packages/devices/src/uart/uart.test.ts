import { describe, expect, it } from "vitest";
import { checkConformance, type ConformanceSpec } from "../testing/conformance.js";
import { RecordingIrqLine } from "../testing/irq-recorder.js";
import {
  FCR_ENABLE,
  IER_EDSSI,
  IER_ELSI,
  IER_ERBFI,
  IER_ETBEI,
  IIR_CTI,
  IIR_FIFO_ENABLED,
  IIR_MS,
  IIR_NO_INT,
  IIR_RDA,
  IIR_RLS,
  IIR_THRE,
  LCR_DLAB,
  LSR_DR,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT1,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DCD,
  MSR_DDCD,
  MSR_DCTS,
  MSR_DSR,
  MSR_RI,
  MSR_TERI,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_SCR,
  UART_THR,
} from "./registers.js";
import { Uart16550 } from "./uart.js";

function make(): { uart: Uart16550; irq: RecordingIrqLine; out: number[] } {
  const irq = new RecordingIrqLine();
  const out: number[] = [];
  const uart = new Uart16550({ irq, sink: { write: (b) => out.push(b) } });
  uart.reset();
  return { uart, irq, out };
}

const rd = (u: Uart16550, off: number): number => u.ioRead(off, 1);
const wr = (u: Uart16550, off: number, v: number): void => {
  u.ioWrite(off, 1, v);
};

const uartSpec: ConformanceSpec = {
  name: "uart16550",
  create(env) {
    const uart = new Uart16550({ irq: env.irq("irq4"), sink: { write: () => undefined } });
    uart.receive([0x41, 0x42, 0x43]);
    return {
      device: uart,
      windows: [
        {
          kind: "io",
          name: "uart",
          size: 8,
          handler: uart,
          registers: [
            { name: "RBR/THR", offset: UART_RBR, widths: [1] },
            { name: "IER", offset: UART_IER, widths: [1], reset: 0, writeMask: 0x0f },
            { name: "IIR/FCR", offset: UART_IIR, widths: [1], reset: IIR_NO_INT },
            { name: "LCR", offset: UART_LCR, widths: [1], reset: 0, writeMask: 0x7f },
            { name: "MCR", offset: UART_MCR, widths: [1], reset: 0, writeMask: 0x1f },
            { name: "LSR", offset: UART_LSR, widths: [1], reset: LSR_THRE | LSR_TEMT, resetMask: 0xfe },
            { name: "MSR", offset: UART_MSR, widths: [1], reset: MSR_DCD | MSR_DSR | MSR_CTS },
            { name: "SCR", offset: UART_SCR, widths: [1], writeMask: 0xff },
          ],
        },
      ],
    };
  },
};

describe("Uart16550", () => {
  it("passes the device conformance kit", () => {
    checkConformance(uartSpec);
  });

  it("transmits THR writes to the sink, masked to the word length", () => {
    const { uart, out } = make();
    wr(uart, UART_LCR, 0x03);
    wr(uart, UART_THR, 0x48);
    wr(uart, UART_THR, 0xe9);
    wr(uart, UART_LCR, 0x02); // 7 bits
    wr(uart, UART_THR, 0xe9);
    expect(out).toEqual([0x48, 0xe9, 0x69]);
  });

  it("DLAB switches offsets 0 and 1 to the divisor latch", () => {
    const { uart, out } = make();
    wr(uart, UART_IER, 0x05);
    wr(uart, UART_LCR, LCR_DLAB | 3);
    wr(uart, UART_DLL, 0x01);
    wr(uart, UART_DLM, 0x02);
    expect(rd(uart, UART_DLL)).toBe(0x01);
    expect(rd(uart, UART_DLM)).toBe(0x02);
    expect(uart.baudRate).toBeCloseTo(1_843_200 / (16 * 0x201));
    expect(out).toEqual([]); // the DLL write did not transmit
    wr(uart, UART_LCR, 3);
    expect(rd(uart, UART_IER)).toBe(0x05);
  });

  it("receives through the FIFO with trigger levels and character timeout", () => {
    const { uart, irq } = make();
    wr(uart, UART_MCR, MCR_OUT2);
    wr(uart, UART_FCR, FCR_ENABLE | 0x80); // trigger 8
    wr(uart, UART_IER, IER_ERBFI);
    expect(irq.level).toBe(false);
    uart.receive([1, 2, 3]);
    expect(rd(uart, UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_CTI);
    uart.receive([4, 5, 6, 7, 8]);
    expect(rd(uart, UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_RDA);
    expect(irq.level).toBe(true);
    uart.receive(Array.from({ length: 30 }, (_, i) => 9 + i));
    const got: number[] = [];
    while ((rd(uart, UART_LSR) & LSR_DR) !== 0) got.push(rd(uart, UART_RBR));
    expect(got).toEqual(Array.from({ length: 38 }, (_, i) => i + 1));
    expect(irq.level).toBe(false);
    expect(rd(uart, UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_NO_INT);
  });

  it("holds one character without FIFOs and never overruns from host input", () => {
    const { uart } = make();
    uart.receive([7, 8]);
    expect(uart.pendingInput).toBe(1);
    expect(rd(uart, UART_RBR)).toBe(7);
    expect(rd(uart, UART_LSR) & (LSR_DR | LSR_OE)).toBe(LSR_DR);
    expect(rd(uart, UART_RBR)).toBe(8);
    expect(rd(uart, UART_LSR) & LSR_DR).toBe(0);
  });

  it("THRE: raised on enabling ETBEI, cleared by the IIR read that reports it, re-armed by THR writes", () => {
    const { uart, irq } = make();
    wr(uart, UART_MCR, MCR_OUT2);
    wr(uart, UART_IER, IER_ETBEI);
    expect(irq.level).toBe(true);
    expect(rd(uart, UART_IIR)).toBe(IIR_THRE);
    expect(irq.level).toBe(false);
    expect(rd(uart, UART_IIR)).toBe(IIR_NO_INT);
    // Linux's THRE test: disable and enable again → raised again.
    wr(uart, UART_IER, 0);
    wr(uart, UART_IER, IER_ETBEI);
    expect(rd(uart, UART_IIR)).toBe(IIR_THRE);
    wr(uart, UART_THR, 0x41);
    expect(irq.level).toBe(true);
    expect(rd(uart, UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
  });

  it("reports interrupts by priority: line status > data > THRE > modem status", () => {
    const { uart } = make();
    wr(uart, UART_MCR, MCR_LOOP);
    wr(uart, UART_IER, IER_ELSI | IER_ERBFI | IER_ETBEI | IER_EDSSI);
    wr(uart, UART_MCR, MCR_LOOP | MCR_RTS); // modem status change
    wr(uart, UART_THR, 1); // looped back, fills the 1-byte holder
    wr(uart, UART_THR, 2); // overrun
    expect(rd(uart, UART_IIR)).toBe(IIR_RLS);
    expect(rd(uart, UART_LSR) & LSR_OE).toBe(LSR_OE);
    expect(rd(uart, UART_LSR) & LSR_OE).toBe(0);
    expect(rd(uart, UART_IIR)).toBe(IIR_RDA);
    expect(rd(uart, UART_RBR)).toBe(1);
    expect(rd(uart, UART_IIR)).toBe(IIR_THRE);
    expect(rd(uart, UART_IIR)).toBe(IIR_MS);
    expect(rd(uart, UART_MSR) & MSR_DCTS).toBe(MSR_DCTS);
    expect(rd(uart, UART_IIR)).toBe(IIR_NO_INT);
  });

  it("loopback maps MCR to MSR (Linux's 0x1A → 0x90 probe) and keeps data off the sink", () => {
    const { uart, out } = make();
    wr(uart, UART_MCR, MCR_LOOP | 0x0a);
    expect(rd(uart, UART_MSR) & 0xf0).toBe(0x90);
    wr(uart, UART_MCR, MCR_LOOP | MCR_DTR | MCR_OUT1);
    expect(rd(uart, UART_MSR) & 0xf0).toBe(MSR_DSR | MSR_RI);
    wr(uart, UART_MCR, MCR_LOOP);
    expect(rd(uart, UART_MSR) & 0x0f & MSR_TERI).toBe(MSR_TERI);
    wr(uart, UART_LCR, 3);
    wr(uart, UART_THR, 0x5a);
    expect(rd(uart, UART_RBR)).toBe(0x5a);
    expect(out).toEqual([]);
  });

  it("modem line changes from the host set delta bits and the MS interrupt", () => {
    const { uart, irq } = make();
    wr(uart, UART_MCR, MCR_OUT2);
    wr(uart, UART_IER, IER_EDSSI);
    uart.setModemLines(MSR_CTS | MSR_DSR);
    expect(irq.level).toBe(true);
    expect(rd(uart, UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DDCD);
    expect(irq.level).toBe(false);
  });

  it("gates the IRQ with OUT2", () => {
    const { uart, irq } = make();
    wr(uart, UART_IER, IER_ETBEI);
    expect(irq.level).toBe(false);
    wr(uart, UART_MCR, MCR_OUT2);
    expect(irq.level).toBe(true);
  });

  it("FCR clear and FIFO disable flush the receiver", () => {
    const { uart } = make();
    wr(uart, UART_FCR, FCR_ENABLE);
    uart.receive([1, 2, 3]);
    wr(uart, UART_FCR, FCR_ENABLE | 0x02);
    expect(rd(uart, UART_LSR) & LSR_DR).toBe(0);
    uart.receive([4]);
    wr(uart, UART_FCR, 0);
    expect(rd(uart, UART_LSR) & LSR_DR).toBe(0);
    expect(rd(uart, UART_IIR) & IIR_FIFO_ENABLED).toBe(0);
  });

  it("snapshots keep the FIFO, the input queue and the pending THRE", () => {
    const { uart } = make();
    wr(uart, UART_FCR, FCR_ENABLE);
    wr(uart, UART_IER, IER_ETBEI);
    uart.receive(Array.from({ length: 20 }, (_, i) => i));
    const copy = new Uart16550();
    copy.restore(JSON.parse(JSON.stringify(uart.save())) as ReturnType<Uart16550["save"]>);
    expect(rd(copy, UART_IIR) & 0x0f).toBe(IIR_THRE);
    const got: number[] = [];
    while ((rd(copy, UART_LSR) & LSR_DR) !== 0) got.push(rd(copy, UART_RBR));
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(() => {
      copy.restore({ version: 2 });
    }).toThrow(/version 2/);
  });
});
