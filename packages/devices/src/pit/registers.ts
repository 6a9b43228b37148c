/** 8254 programmable interval timer facts (Intel 82C54 datasheet) and PC port 0x61. */

/** Input clock of the PC's 8254: 1.193182 MHz. */
export const PIT_HZ = 1_193_182;
/** Offset of the control word register (port 0x43). */
export const PIT_CONTROL = 3;
/** Ports the PIT decodes (0x40–0x43). */
export const PIT_PORTS = 4;

/** Control word: counter select field (bits 7:6); 3 = read-back command. */
export const CW_SELECT_SHIFT = 6;
/** Control word: read/write field (bits 5:4); 0 = counter latch command. */
export const CW_RW_SHIFT = 4;
/** Control word: mode field (bits 3:1). */
export const CW_MODE_SHIFT = 1;
/** Control word: BCD counting. */
export const CW_BCD = 0x01;
/** Read/write mode: least significant byte only. */
export const RW_LSB = 1;
/** Read/write mode: most significant byte only. */
export const RW_MSB = 2;
/** Read/write mode: LSB then MSB. */
export const RW_WORD = 3;

/** Read-back command: do not latch the count (active low). */
export const READBACK_NO_COUNT = 0x20;
/** Read-back command: do not latch the status (active low). */
export const READBACK_NO_STATUS = 0x10;

/** Status byte: OUT pin. */
export const STATUS_OUT = 0x80;
/** Status byte: null count (a written count has not reached the counter yet). */
export const STATUS_NULL_COUNT = 0x40;

/** Port 0x61 (system control port B): timer 2 gate. */
export const PORTB_GATE2 = 0x01;
/** Port 0x61: speaker data enable. */
export const PORTB_SPEAKER = 0x02;
/** Port 0x61: parity check disable. */
export const PORTB_PARITY_DISABLE = 0x04;
/** Port 0x61: channel check disable. */
export const PORTB_IOCHK_DISABLE = 0x08;
/** Port 0x61: refresh request toggle (read-only, flips every 15.085 µs). */
export const PORTB_REFRESH = 0x10;
/** Port 0x61: timer 2 OUT (read-only). */
export const PORTB_OUT2 = 0x20;
/** Port 0x61: the writable bits. */
export const PORTB_WRITABLE = 0x0f;
/** Refresh toggle half-period in ns. */
export const REFRESH_TOGGLE_NS = 15_085;
