/** 16550A register offsets and bits (National Semiconductor PC16550D datasheet). */

/** Receiver buffer (read, DLAB=0). */
export const UART_RBR = 0;
/** Transmitter holding register (write, DLAB=0). */
export const UART_THR = 0;
/** Divisor latch low (DLAB=1). */
export const UART_DLL = 0;
/** Interrupt enable (DLAB=0). */
export const UART_IER = 1;
/** Divisor latch high (DLAB=1). */
export const UART_DLM = 1;
/** Interrupt identification (read). */
export const UART_IIR = 2;
/** FIFO control (write). */
export const UART_FCR = 2;
/** Line control. */
export const UART_LCR = 3;
/** Modem control. */
export const UART_MCR = 4;
/** Line status. */
export const UART_LSR = 5;
/** Modem status. */
export const UART_MSR = 6;
/** Scratch. */
export const UART_SCR = 7;
/** Number of ports the UART decodes. */
export const UART_PORTS = 8;

/** IER: received data available interrupt. */
export const IER_ERBFI = 0x01;
/** IER: transmitter holding register empty interrupt. */
export const IER_ETBEI = 0x02;
/** IER: receiver line status interrupt. */
export const IER_ELSI = 0x04;
/** IER: modem status interrupt. */
export const IER_EDSSI = 0x08;
/** IER: the bits a 16550A implements. */
export const IER_MASK = 0x0f;

/** IIR: no interrupt pending. */
export const IIR_NO_INT = 0x01;
/** IIR id: receiver line status (highest priority). */
export const IIR_RLS = 0x06;
/** IIR id: received data available (trigger level reached). */
export const IIR_RDA = 0x04;
/** IIR id: character timeout (data below the trigger level). */
export const IIR_CTI = 0x0c;
/** IIR id: transmitter holding register empty. */
export const IIR_THRE = 0x02;
/** IIR id: modem status (lowest priority). */
export const IIR_MS = 0x00;
/** IIR: both bits set when the FIFOs are enabled. */
export const IIR_FIFO_ENABLED = 0xc0;

/** FCR: enable FIFOs. */
export const FCR_ENABLE = 0x01;
/** FCR: clear the receive FIFO (self-clearing). */
export const FCR_CLEAR_RX = 0x02;
/** FCR: clear the transmit FIFO (self-clearing). */
export const FCR_CLEAR_TX = 0x04;
/** FCR: DMA mode select. */
export const FCR_DMA = 0x08;
/** FCR: receiver trigger level field (bits 7:6 → 1, 4, 8, 14 bytes). */
export const FCR_TRIGGER_MASK = 0xc0;
/** Receiver trigger levels indexed by FCR bits 7:6. */
export const RX_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];

/** LCR: word length field (5 + value bits). */
export const LCR_WORD_LENGTH = 0x03;
/** LCR: divisor latch access bit. */
export const LCR_DLAB = 0x80;
/** LCR: set break. */
export const LCR_BREAK = 0x40;

/** MCR: data terminal ready. */
export const MCR_DTR = 0x01;
/** MCR: request to send. */
export const MCR_RTS = 0x02;
/** MCR: OUT1. */
export const MCR_OUT1 = 0x04;
/** MCR: OUT2 (gates the IRQ on PCs). */
export const MCR_OUT2 = 0x08;
/** MCR: loopback. */
export const MCR_LOOP = 0x10;
/** MCR: the bits a 16550A implements. */
export const MCR_MASK = 0x1f;

/** LSR: data ready. */
export const LSR_DR = 0x01;
/** LSR: overrun error. */
export const LSR_OE = 0x02;
/** LSR: parity error. */
export const LSR_PE = 0x04;
/** LSR: framing error. */
export const LSR_FE = 0x08;
/** LSR: break interrupt. */
export const LSR_BI = 0x10;
/** LSR: transmitter holding register (or TX FIFO) empty. */
export const LSR_THRE = 0x20;
/** LSR: transmitter empty (THR and shift register). */
export const LSR_TEMT = 0x40;
/** LSR: at least one error in the RX FIFO. */
export const LSR_FIFO_ERROR = 0x80;
/** LSR: the error bits cleared by reading LSR. */
export const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

/** MSR: delta clear to send. */
export const MSR_DCTS = 0x01;
/** MSR: delta data set ready. */
export const MSR_DDSR = 0x02;
/** MSR: trailing edge ring indicator. */
export const MSR_TERI = 0x04;
/** MSR: delta data carrier detect. */
export const MSR_DDCD = 0x08;
/** MSR: clear to send. */
export const MSR_CTS = 0x10;
/** MSR: data set ready. */
export const MSR_DSR = 0x20;
/** MSR: ring indicator. */
export const MSR_RI = 0x40;
/** MSR: data carrier detect. */
export const MSR_DCD = 0x80;
/** MSR: the delta bits, cleared by reading MSR. */
export const MSR_DELTAS = 0x0f;

/** Depth of the receive and transmit FIFOs. */
export const UART_FIFO_DEPTH = 16;
/** Crystal of a PC UART (1.8432 MHz); baud = clock / (16 · divisor). */
export const UART_CLOCK_HZ = 1_843_200;
