/** PCI configuration space (type 0 header) and configuration mechanism #1 (PCI Local Bus 3.0). */

/** Vendor ID (16 bit). */
export const PCI_VENDOR_ID = 0x00;
/** Device ID (16 bit). */
export const PCI_DEVICE_ID = 0x02;
/** Command (16 bit). */
export const PCI_COMMAND = 0x04;
/** Status (16 bit). */
export const PCI_STATUS = 0x06;
/** Revision ID. */
export const PCI_REVISION_ID = 0x08;
/** Class code (3 bytes: prog-if, subclass, class). */
export const PCI_CLASS_PROG = 0x09;
/** Cache line size. */
export const PCI_CACHE_LINE_SIZE = 0x0c;
/** Latency timer. */
export const PCI_LATENCY_TIMER = 0x0d;
/** Header type (bit 7: multi-function). */
export const PCI_HEADER_TYPE = 0x0e;
/** First base address register; six at 0x10–0x24. */
export const PCI_BAR0 = 0x10;
/** Subsystem vendor ID. */
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
/** Subsystem ID. */
export const PCI_SUBSYSTEM_ID = 0x2e;
/** Expansion ROM base address. */
export const PCI_ROM_ADDRESS = 0x30;
/** Capabilities pointer. */
export const PCI_CAPABILITY_LIST = 0x34;
/** Interrupt line (r/w scratch for the OS). */
export const PCI_INTERRUPT_LINE = 0x3c;
/** Interrupt pin (1 = INTA#, … 4 = INTD#; 0 = none). */
export const PCI_INTERRUPT_PIN = 0x3d;
/** Bytes of configuration space. */
export const PCI_CONFIG_SIZE = 256;
/** First byte available for capabilities. */
export const PCI_CAP_START = 0x40;

/** Command: I/O space decoding. */
export const PCI_COMMAND_IO = 0x0001;
/** Command: memory space decoding. */
export const PCI_COMMAND_MEMORY = 0x0002;
/** Command: bus master. */
export const PCI_COMMAND_MASTER = 0x0004;
/** Command: parity error response. */
export const PCI_COMMAND_PARITY = 0x0040;
/** Command: SERR# enable. */
export const PCI_COMMAND_SERR = 0x0100;
/** Command: INTx emulation disable. */
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
/** Command: the writable bits. */
export const PCI_COMMAND_WRITABLE = 0x0547;

/** Status: INTx asserted (read-only). */
export const PCI_STATUS_INTERRUPT = 0x0008;
/** Status: capability list present (read-only). */
export const PCI_STATUS_CAP_LIST = 0x0010;
/** Status: the write-1-to-clear error bits. */
export const PCI_STATUS_W1C = 0xf900;

/** BAR: I/O space indicator (bit 0). */
export const PCI_BAR_IO = 0x1;
/** BAR: 64-bit memory type (bits 2:1 = 10). */
export const PCI_BAR_MEM64 = 0x4;
/** BAR: prefetchable memory. */
export const PCI_BAR_PREFETCH = 0x8;

/** Capability ID: MSI. */
export const PCI_CAP_ID_MSI = 0x05;
/** MSI control: enable. */
export const MSI_CTRL_ENABLE = 0x0001;
/** MSI control: multiple message capable field shift (bits 3:1). */
export const MSI_CTRL_MMC_SHIFT = 1;
/** MSI control: multiple message enable field shift (bits 6:4). */
export const MSI_CTRL_MME_SHIFT = 4;
/** MSI control: 64-bit address capable. */
export const MSI_CTRL_64BIT = 0x0080;
/** MSI control: per-vector masking capable. */
export const MSI_CTRL_PVM = 0x0100;

/** Mechanism #1: CONFIG_ADDRESS offset in the 0xCF8 window. */
export const PCI_CONFIG_ADDRESS = 0;
/** Mechanism #1: CONFIG_DATA offset in the 0xCF8 window (0xCFC–0xCFF). */
export const PCI_CONFIG_DATA = 4;
/** CONFIG_ADDRESS: enable bit. */
export const CONFIG_ADDRESS_ENABLE = 0x80000000;
/** CONFIG_ADDRESS: writable bits (enable, bus, device, function, dword register). */
export const CONFIG_ADDRESS_MASK = 0x80fffffc;
