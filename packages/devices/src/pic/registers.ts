/** 8259A command words and PIIX ELCR facts (Intel 8259A and 82371 datasheets). */

/** Command port offset (A0 = 0): ICW1, OCW2, OCW3; reads IRR/ISR/poll. */
export const PIC_COMMAND = 0;
/** Data port offset (A0 = 1): ICW2–4, OCW1 (IMR). */
export const PIC_DATA = 1;

/** ICW1 marker (bit 4 on a command-port write). */
export const ICW1_INIT = 0x10;
/** ICW1: ICW4 needed. */
export const ICW1_IC4 = 0x01;
/** ICW1: single (no cascade, no ICW3). */
export const ICW1_SNGL = 0x02;
/** ICW1: level-triggered mode for every input. */
export const ICW1_LTIM = 0x08;

/** ICW4: 8086 mode. */
export const ICW4_8086 = 0x01;
/** ICW4: automatic EOI. */
export const ICW4_AEOI = 0x02;
/** ICW4: special fully nested mode. */
export const ICW4_SFNM = 0x10;

/** OCW3 marker (bit 3 set, bit 4 clear, on a command-port write). */
export const OCW3_SELECT = 0x08;
/** OCW3: read register command (with RIS). */
export const OCW3_RR = 0x02;
/** OCW3: read ISR (1) or IRR (0) when RR is set. */
export const OCW3_RIS = 0x01;
/** OCW3: poll command. */
export const OCW3_POLL = 0x04;
/** OCW3: special mask mode value (with ESMM). */
export const OCW3_SMM = 0x20;
/** OCW3: enable special mask mode change. */
export const OCW3_ESMM = 0x40;

/** OCW2 R/SL/EOI field (bits 7:5). */
export const OCW2_OP_MASK = 0xe0;
/** OCW2: rotate in automatic EOI mode, clear. */
export const OCW2_CLEAR_ROTATE_AEOI = 0x00;
/** OCW2: non-specific EOI. */
export const OCW2_EOI = 0x20;
/** OCW2: specific EOI (L2–L0). */
export const OCW2_SPECIFIC_EOI = 0x60;
/** OCW2: rotate in automatic EOI mode, set. */
export const OCW2_SET_ROTATE_AEOI = 0x80;
/** OCW2: rotate on non-specific EOI. */
export const OCW2_ROTATE_EOI = 0xa0;
/** OCW2: set priority (lowest = L2–L0). */
export const OCW2_SET_PRIORITY = 0xc0;
/** OCW2: rotate on specific EOI. */
export const OCW2_ROTATE_SPECIFIC_EOI = 0xe0;

/** The slave's INT output drives this master input. */
export const PIC_CASCADE_IRQ = 2;
/** ELCR bits that must stay edge (IRQ0, 1, 2 on the master). */
export const ELCR_MASTER_WRITABLE = 0xf8;
/** ELCR bits that must stay edge (IRQ8 and IRQ13 on the slave). */
export const ELCR_SLAVE_WRITABLE = 0xde;
