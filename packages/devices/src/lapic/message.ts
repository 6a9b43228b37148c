/** APIC interrupt messages: what IOAPICs, MSIs and IPIs send to local APICs (Intel SDM vol. 3 ch. 11). */

/** Delivery mode: fixed. */
export const DELIVERY_FIXED = 0;
/** Delivery mode: lowest priority. */
export const DELIVERY_LOWEST = 1;
/** Delivery mode: SMI. */
export const DELIVERY_SMI = 2;
/** Delivery mode: NMI. */
export const DELIVERY_NMI = 4;
/** Delivery mode: INIT. */
export const DELIVERY_INIT = 5;
/** Delivery mode: start-up IPI. */
export const DELIVERY_STARTUP = 6;
/** Delivery mode: external interrupt (the 8259 supplies the vector). */
export const DELIVERY_EXTINT = 7;

/** Physical destination that addresses every APIC. */
export const APIC_BROADCAST = 0xff;

/**
 * Receiver of APIC interrupt messages: a local APIC, or a monitor's APIC bus fanning out
 * to several. Arguments, not an object, so delivery allocates nothing.
 */
export interface ApicMessageSink {
  /**
   * Deliver one interrupt message.
   * @param destination APIC ID (physical) or logical destination (8 bits)
   * @param logical logical destination mode
   * @param deliveryMode one of the DELIVERY_* values
   * @param vector interrupt vector
   * @param levelTriggered trigger mode (level = EOI is broadcast back)
   */
  deliverInterrupt(destination: number, logical: boolean, deliveryMode: number, vector: number, levelTriggered: boolean): void;
}

/** MSI address: the fixed 0xFEE in bits 31:20. */
export const MSI_ADDRESS_BASE = 0xfee00000;
/** MSI address: destination ID field shift (bits 19:12). */
export const MSI_ADDRESS_DEST_SHIFT = 12;
/** MSI address: destination mode (1 = logical). */
export const MSI_ADDRESS_DEST_LOGICAL = 0x4;
/** MSI data: trigger mode (1 = level). */
export const MSI_DATA_LEVEL_TRIGGER = 0x8000;

/**
 * Decode an x86 MSI (address/data pair, as a PCI function writes it) and deliver it.
 * Returns false, delivering nothing, when the address is not in the 0xFEExxxxx window.
 */
export function deliverMsi(sink: ApicMessageSink, address: number, data: number): boolean {
  if ((address & 0xfff00000) >>> 0 !== MSI_ADDRESS_BASE) return false;
  sink.deliverInterrupt(
    (address >>> MSI_ADDRESS_DEST_SHIFT) & 0xff,
    (address & MSI_ADDRESS_DEST_LOGICAL) !== 0,
    (data >> 8) & 7,
    data & 0xff,
    (data & MSI_DATA_LEVEL_TRIGGER) !== 0,
  );
  return true;
}
