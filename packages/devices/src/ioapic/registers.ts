/** I/O APIC registers (Intel 82093AA datasheet; version 0x20 adds the EOI register). */

/** Default physical base. */
export const IOAPIC_DEFAULT_BASE = 0xfec00000;
/** Bytes of MMIO the IOAPIC decodes. */
export const IOAPIC_MMIO_SIZE = 0x100;
/** IOREGSEL offset. */
export const IOREGSEL = 0x00;
/** IOWIN offset. */
export const IOWIN = 0x10;
/** EOI register offset (version ≥ 0x20). */
export const IOAPIC_EOI = 0x40;

/** Indirect register: ID (bits 27:24). */
export const IOAPICID = 0x00;
/** Indirect register: version (bits 7:0) and max redirection entry (bits 23:16). */
export const IOAPICVER = 0x01;
/** Indirect register: arbitration ID. */
export const IOAPICARB = 0x02;
/** Indirect register: first redirection entry (low dword; 2 per pin). */
export const IOREDTBL = 0x10;
/** Version reported. */
export const IOAPIC_VERSION = 0x20;
/** Number of input pins. */
export const IOAPIC_PINS = 24;

/** Redirection entry: vector. */
export const REDIR_VECTOR = 0xff;
/** Redirection entry: delivery mode field shift (bits 10:8). */
export const REDIR_DELIVERY_SHIFT = 8;
/** Redirection entry: logical destination mode. */
export const REDIR_DEST_LOGICAL = 0x800;
/** Redirection entry: delivery status (read-only, idle here). */
export const REDIR_DELIVERY_STATUS = 0x1000;
/** Redirection entry: active-low polarity (stored; lines carry the asserted state). */
export const REDIR_ACTIVE_LOW = 0x2000;
/** Redirection entry: remote IRR (read-only). */
export const REDIR_REMOTE_IRR = 0x4000;
/** Redirection entry: level-triggered. */
export const REDIR_LEVEL = 0x8000;
/** Redirection entry: masked. */
export const REDIR_MASKED = 0x10000;
/** Redirection entry: the writable low-dword bits. */
export const REDIR_WRITABLE_LO = 0x1afff;
/** Redirection entry: destination field of the high dword. */
export const REDIR_DEST_HI = 0xff000000;
