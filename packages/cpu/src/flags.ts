/**
 * Lazy arithmetic flags. An ALU instruction records its operation, operands and result; the
 * six status flags are computed only when something reads them.
 */

/** Lazy operation kinds. */
export const LazyOp = {
  /** result = a + b (also INC with b = 1). */
  ADD: 0,
  /** result = a - b (also CMP, NEG with a = 0, DEC with b = 1). */
  SUB: 1,
  /** AND/OR/XOR/TEST and shifts: CF = OF = 0 unless materialised separately. */
  LOGIC: 2,
} as const;

/** Parity flag lookup: PARITY[b] is 4 (PF) when byte b has an even number of set bits. */
export const PARITY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let n = 0;
  for (let k = 0; k < 8; k++) n += (b >> k) & 1;
  PARITY[b] = (n & 1) === 0 ? 4 : 0;
}

/** Size mask for an operand width in bytes. */
export function sizeMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
}

/** Sign bit for an operand width in bytes. */
export function signBit(size: number): number {
  return size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x80000000 | 0;
}
