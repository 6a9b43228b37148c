/** ACPI fixed-hardware PM registers (ACPI 6.x §4.8) and this block's layout. */

/** Offset of PM1a_STS (16 bit) in the block; PM1a_EVT_BLK = base + 0, length 4. */
export const PM1_STS = 0x00;
/** Offset of PM1a_EN (16 bit). */
export const PM1_EN = 0x02;
/** Offset of PM1a_CNT (16 bit); PM1a_CNT_BLK = base + 4, length 2. */
export const PM1_CNT = 0x04;
/** Offset of PM_TMR (32 bit, 24 significant); PM_TMR_BLK = base + 8, length 4. */
export const PM_TMR = 0x08;
/** Offset of GPE0_STS (16 bit); GPE0_BLK = base + 0x0C, length 4. */
export const GPE0_STS = 0x0c;
/** Offset of GPE0_EN (16 bit). */
export const GPE0_EN = 0x0e;
/** Bytes of I/O space the block decodes. */
export const PM_BLOCK_SIZE = 0x10;

/** PM1_STS/EN: timer carry (bit 23 of PM_TMR toggled). */
export const PM1_TMR = 0x0001;
/** PM1_STS: bus master status. */
export const PM1_BM_STS = 0x0010;
/** PM1_STS/EN: global lock release. */
export const PM1_GBL = 0x0020;
/** PM1_STS/EN: power button. */
export const PM1_PWRBTN = 0x0100;
/** PM1_STS/EN: sleep button. */
export const PM1_SLPBTN = 0x0200;
/** PM1_STS/EN: RTC alarm. */
export const PM1_RTC = 0x0400;
/** PM1_STS: wake status. */
export const PM1_WAK_STS = 0x8000;
/** PM1_EN: the implemented enable bits. */
export const PM1_EN_MASK = PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC;
/** PM1_STS: the write-1-to-clear bits. */
export const PM1_STS_MASK = PM1_EN_MASK | PM1_BM_STS | PM1_WAK_STS;

/** PM1_CNT: SCI enable (events raise SCI rather than SMI). */
export const PM1_CNT_SCI_EN = 0x0001;
/** PM1_CNT: bus master reload. */
export const PM1_CNT_BM_RLD = 0x0002;
/** PM1_CNT: global lock release (write-only). */
export const PM1_CNT_GBL_RLS = 0x0004;
/** PM1_CNT: sleep type field shift (bits 12:10). */
export const PM1_CNT_SLP_TYP_SHIFT = 10;
/** PM1_CNT: sleep type field. */
export const PM1_CNT_SLP_TYP = 0x1c00;
/** PM1_CNT: sleep enable (write-only, reads 0). */
export const PM1_CNT_SLP_EN = 0x2000;

/** PM timer frequency: 3.579545 MHz. */
export const PM_TIMER_HZ = 3_579_545;
/** PM timer width mask (24 bits; FADT TMR_VAL_EXT = 0). */
export const PM_TIMER_MASK = 0xffffff;
