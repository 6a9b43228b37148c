/** i8042 keyboard controller facts (IBM PC/AT technical reference, PS/2 controller). */

/** Data port offset in the data window (port 0x60). */
export const KBC_DATA = 0;
/** Status/command port offset in the command window (port 0x64). */
export const KBC_STATUS = 0;

/** Status: output buffer full. */
export const STR_OBF = 0x01;
/** Status: input buffer full (always 0: commands complete at once). */
export const STR_IBF = 0x02;
/** Status: system flag (config byte bit 2). */
export const STR_SYS = 0x04;
/** Status: last write was a command (port 0x64). */
export const STR_CMD = 0x08;
/** Status: keyboard not inhibited. */
export const STR_UNLOCKED = 0x10;
/** Status: output buffer holds AUX (mouse) data. */
export const STR_AUX_OBF = 0x20;
/** Status: transmit timeout (device absent). */
export const STR_TIMEOUT = 0x40;
/** Status: parity error. */
export const STR_PARITY = 0x80;

/** Config byte: keyboard interrupt (IRQ1) enable. */
export const CTR_KBD_INT = 0x01;
/** Config byte: AUX interrupt (IRQ12) enable. */
export const CTR_AUX_INT = 0x02;
/** Config byte: system flag. */
export const CTR_SYS = 0x04;
/** Config byte: keyboard interface disabled. */
export const CTR_KBD_DISABLE = 0x10;
/** Config byte: AUX interface disabled. */
export const CTR_AUX_DISABLE = 0x20;
/** Config byte: translate to scan code set 1. */
export const CTR_XLATE = 0x40;

/** Command: read controller RAM byte 0 (config); 0x20–0x3F read byte n. */
export const CMD_READ_RAM = 0x20;
/** Command: write controller RAM byte 0 (config); 0x60–0x7F write byte n. */
export const CMD_WRITE_RAM = 0x60;
/** Command: disable AUX interface. */
export const CMD_AUX_DISABLE = 0xa7;
/** Command: enable AUX interface. */
export const CMD_AUX_ENABLE = 0xa8;
/** Command: test AUX interface (0x00 = OK). */
export const CMD_AUX_TEST = 0xa9;
/** Command: controller self-test (0x55 = OK). */
export const CMD_SELF_TEST = 0xaa;
/** Command: test keyboard interface (0x00 = OK). */
export const CMD_KBD_TEST = 0xab;
/** Command: disable keyboard interface. */
export const CMD_KBD_DISABLE = 0xad;
/** Command: enable keyboard interface. */
export const CMD_KBD_ENABLE = 0xae;
/** Command: read input port. */
export const CMD_READ_INPUT = 0xc0;
/** Command: read output port. */
export const CMD_READ_OUTPUT = 0xd0;
/** Command: write output port (next data byte). */
export const CMD_WRITE_OUTPUT = 0xd1;
/** Command: write keyboard output buffer (next data byte appears as keyboard data). */
export const CMD_WRITE_KBD_OUT = 0xd2;
/** Command: write AUX output buffer (AUX loopback). */
export const CMD_WRITE_AUX_OUT = 0xd3;
/** Command: send next data byte to the AUX device. */
export const CMD_WRITE_AUX = 0xd4;
/** Command: disable A20 (HP Vectra style). */
export const CMD_A20_DISABLE = 0xdd;
/** Command: enable A20. */
export const CMD_A20_ENABLE = 0xdf;
/** Command: read test inputs. */
export const CMD_READ_TEST = 0xe0;
/** Commands 0xF0–0xFF pulse output port bits 3:0 that are 0 in the command. */
export const CMD_PULSE_BASE = 0xf0;
/** Command: pulse the reset line (bit 0). */
export const CMD_PULSE_RESET = 0xfe;

/** Output port: system reset line (0 = reset). */
export const OUT_RESET = 0x01;
/** Output port: A20 gate. */
export const OUT_A20 = 0x02;
/** Output port: keyboard output buffer full (IRQ1). */
export const OUT_KBD_OBF = 0x10;
/** Output port: AUX output buffer full (IRQ12). */
export const OUT_AUX_OBF = 0x20;

/** Keyboard command: set LEDs (one parameter). */
export const KBD_SET_LEDS = 0xed;
/** Keyboard command: echo. */
export const KBD_ECHO = 0xee;
/** Keyboard command: get/set scan code set (one parameter). */
export const KBD_SCANCODE_SET = 0xf0;
/** Keyboard command: identify. */
export const KBD_GET_ID = 0xf2;
/** Keyboard command: typematic rate (one parameter). */
export const KBD_SET_RATE = 0xf3;
/** Keyboard command: enable scanning. */
export const KBD_ENABLE = 0xf4;
/** Keyboard command: disable scanning (and set defaults). */
export const KBD_DISABLE = 0xf5;
/** Keyboard command: set defaults. */
export const KBD_SET_DEFAULT = 0xf6;
/** Keyboard command: resend. */
export const KBD_RESEND = 0xfe;
/** Keyboard command: reset and self-test. */
export const KBD_RESET = 0xff;
/** Keyboard reply: acknowledge. */
export const KBD_ACK = 0xfa;
/** Keyboard reply: self-test passed. */
export const KBD_BAT_OK = 0xaa;
/** Reply: resend / no device (with the status timeout bit). */
export const KBD_NAK = 0xfe;
