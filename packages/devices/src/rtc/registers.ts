/** MC146818 RTC registers and PC CMOS layout (Motorola MC146818A datasheet, IBM AT CMOS map). */

/** Seconds. */
export const RTC_SECONDS = 0x00;
/** Seconds alarm. */
export const RTC_SECONDS_ALARM = 0x01;
/** Minutes. */
export const RTC_MINUTES = 0x02;
/** Minutes alarm. */
export const RTC_MINUTES_ALARM = 0x03;
/** Hours. */
export const RTC_HOURS = 0x04;
/** Hours alarm. */
export const RTC_HOURS_ALARM = 0x05;
/** Day of week (1 = Sunday). */
export const RTC_DAY_OF_WEEK = 0x06;
/** Day of month. */
export const RTC_DAY_OF_MONTH = 0x07;
/** Month. */
export const RTC_MONTH = 0x08;
/** Year within the century. */
export const RTC_YEAR = 0x09;
/** Register A. */
export const RTC_REG_A = 0x0a;
/** Register B. */
export const RTC_REG_B = 0x0b;
/** Register C. */
export const RTC_REG_C = 0x0c;
/** Register D. */
export const RTC_REG_D = 0x0d;

/** Register A: update in progress. */
export const REG_A_UIP = 0x80;
/** Register A: divider field (bits 6:4). */
export const REG_A_DV_MASK = 0x70;
/** Register A: divider value for a running 32.768 kHz time base. */
export const REG_A_DV_NORMAL = 0x20;
/** Register A: rate select field (bits 3:0). */
export const REG_A_RS_MASK = 0x0f;

/** Register B: SET (halt updates to set the time). */
export const REG_B_SET = 0x80;
/** Register B: periodic interrupt enable. */
export const REG_B_PIE = 0x40;
/** Register B: alarm interrupt enable. */
export const REG_B_AIE = 0x20;
/** Register B: update-ended interrupt enable. */
export const REG_B_UIE = 0x10;
/** Register B: square-wave enable. */
export const REG_B_SQWE = 0x08;
/** Register B: data mode, 1 = binary, 0 = BCD. */
export const REG_B_DM = 0x04;
/** Register B: 24-hour mode. */
export const REG_B_24H = 0x02;
/** Register B: daylight saving enable. */
export const REG_B_DSE = 0x01;

/** Register C: interrupt request flag. */
export const REG_C_IRQF = 0x80;
/** Register C: periodic interrupt flag. */
export const REG_C_PF = 0x40;
/** Register C: alarm flag. */
export const REG_C_AF = 0x20;
/** Register C: update-ended flag. */
export const REG_C_UF = 0x10;

/** Register D: valid RAM and time. */
export const REG_D_VRT = 0x80;

/** Hours register PM bit in 12-hour mode. */
export const HOURS_PM = 0x80;
/** Alarm "don't care" values have both top bits set. */
export const ALARM_DONT_CARE = 0xc0;

/** Port 0x70 bit 7: NMI disable. */
export const RTC_INDEX_NMI_DISABLE = 0x80;

/** CMOS: base memory in KiB, low/high byte. */
export const CMOS_BASE_MEM_LO = 0x15;
/** CMOS: base memory in KiB, high byte. */
export const CMOS_BASE_MEM_HI = 0x16;
/** CMOS: extended memory above 1 MiB in KiB, low byte. */
export const CMOS_EXT_MEM_LO = 0x17;
/** CMOS: extended memory above 1 MiB in KiB, high byte. */
export const CMOS_EXT_MEM_HI = 0x18;
/** CMOS: checksum over 0x10–0x2D, high byte. */
export const CMOS_CHECKSUM_HI = 0x2e;
/** CMOS: checksum, low byte. */
export const CMOS_CHECKSUM_LO = 0x2f;
/** CMOS: extended memory (POST copy), low byte. */
export const CMOS_EXT_MEM2_LO = 0x30;
/** CMOS: extended memory (POST copy), high byte. */
export const CMOS_EXT_MEM2_HI = 0x31;
/** CMOS: century (IBM PS/2 location). */
export const CMOS_CENTURY = 0x32;
/** CMOS: memory above 16 MiB in 64 KiB units, low byte. */
export const CMOS_MEM_ABOVE_16M_LO = 0x34;
/** CMOS: memory above 16 MiB in 64 KiB units, high byte. */
export const CMOS_MEM_ABOVE_16M_HI = 0x35;
/** CMOS: memory above 4 GiB in 64 KiB units, bytes 0x5B–0x5D (QEMU/SeaBIOS convention). */
export const CMOS_MEM_ABOVE_4G = 0x5b;

/** Length of the update-in-progress window before each update, ns. */
export const RTC_UIP_NS = 244_000;
