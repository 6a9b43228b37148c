/**
 * Exact 80-bit extended-precision arithmetic (x87 double-extended format: sign, 15-bit
 * biased exponent, 64-bit significand with an explicit integer bit J).
 *
 * A value is passed around as three int32: `se` (sign << 15 | exponent), `hi` (significand
 * bits 63..32) and `lo` (bits 31..0). Results land in the shared `res` record, so that no
 * operation allocates. Internally a value being rounded is held in a 96-bit working
 * significand (three 32-bit limbs, the lowest carrying a sticky bit) with an unbounded
 * exponent, and `roundPack` rounds it to 24, 53 or 64 bits in one of the four rounding
 * modes, in the exponent range of the destination format, and reports the IEEE flags.
 *
 * The interpretation of a working value: (H·2^64 + L·2^32 + X) / 2^95 · 2^(E − 16383).
 */

/** x87 status-word exception flags (the same bit positions as the control-word masks). */
export const Ex = {
  /** Invalid operation. */
  IE: 0x01,
  /** Denormal operand. */
  DE: 0x02,
  /** Zero divide. */
  ZE: 0x04,
  /** Overflow. */
  OE: 0x08,
  /** Underflow. */
  UE: 0x10,
  /** Precision (inexact result). */
  PE: 0x20,
  /** Stack fault (with IE; C1 tells overflow from underflow). */
  SF: 0x40,
  /** Error summary. */
  ES: 0x80,
} as const;

/** Rounding-control values (FCW bits 11:10). */
export const Rc = { NEAREST: 0, DOWN: 1, UP: 2, ZERO: 3 } as const;

/** Operand classes returned by `classify`. */
export const Cls = {
  ZERO: 0,
  /** Normal finite (J set, exponent 1..0x7ffe). */
  NORMAL: 1,
  /** Denormal or pseudo-denormal (exponent 0, significand non-zero). */
  DENORMAL: 2,
  INF: 3,
  QNAN: 4,
  SNAN: 5,
  /** Unsupported encodings: unnormals, pseudo-infinities, pseudo-NaNs. */
  UNSUPPORTED: 6,
} as const;

/** Exponent bias of the extended format. */
export const BIAS = 16383;
/** Largest biased exponent (infinities and NaNs). */
export const EXP_MAX = 0x7fff;
/** The J (integer) bit of `hi`. */
export const J_BIT = 0x80000000 | 0;
/** The quiet bit of a NaN's `hi`. */
export const QUIET_BIT = 0x40000000;
/** Exponent adjustment applied to results when overflow/underflow is unmasked. */
export const WRAP_BIAS = 24576;
/** Sign+exponent of the real indefinite QNaN. */
export const INDEF_SE = 0xffff;
/** Significand high half of the real indefinite QNaN. */
export const INDEF_HI = 0xc0000000 | 0;

/** Exponent range of a rounding destination: extended (register) format. */
export const EMIN_80 = 1;
/** Largest finite exponent of the extended format. */
export const EMAX_80 = 0x7ffe;
/** Single format exponent range, expressed in extended biased exponents. */
export const EMIN_32 = BIAS - 126;
/** Largest finite single exponent (extended bias). */
export const EMAX_32 = BIAS + 127;
/** Double format exponent range, expressed in extended biased exponents. */
export const EMIN_64 = BIAS - 1022;
/** Largest finite double exponent (extended bias). */
export const EMAX_64 = BIAS + 1023;

/** Result of the last operation. */
export class F80Result {
  /** Sign and exponent. */
  se = 0;
  /** Significand bits 63..32. */
  hi = 0;
  /** Significand bits 31..0. */
  lo = 0;
  /** 1 if the last rounding increased the magnitude (the x87 C1 bit). */
  c1 = 0;
  /** 1 if the last rounding found the exact result tiny (below the normal range). */
  tiny = 0;
}

/** The shared result record of every operation in this module. */
export const res = new F80Result();

// ---- Working value (sign, exponent, 96-bit significand as int32 bit patterns).
let uS = 0;
let uE = 0;
let uH = 0;
let uL = 0;
let uX = 0;

// ---- Unpacked operands (normalised: J set, exponent may go below 1 for denormals).
let aS = 0;
let aE = 0;
let aH = 0;
let aL = 0;
let bS = 0;
let bE = 0;
let bH = 0;
let bL = 0;

/** 2^32. */
const TWO32 = 4294967296;

/** Bias turning an unsigned int32 comparison into a signed one. */
const UB = 0x80000000 | 0;

/** Unsigned less-than of two int32 bit patterns. */
function ult(a: number, b: number): boolean {
  return (a ^ UB) < (b ^ UB);
}

/** Classify an extended value. */
export function classify(se: number, hi: number, lo: number): number {
  const e = se & 0x7fff;
  if (e === 0) return (hi | lo) === 0 ? Cls.ZERO : Cls.DENORMAL;
  if ((hi & J_BIT) === 0) return Cls.UNSUPPORTED;
  if (e === EXP_MAX) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) return Cls.INF;
    return (hi & QUIET_BIT) !== 0 ? Cls.QNAN : Cls.SNAN;
  }
  return Cls.NORMAL;
}

/** True for a NaN class. */
function isNaNCls(c: number): boolean {
  return c === Cls.QNAN || c === Cls.SNAN;
}

/** Unpacked value from `unpackT`. */
let tS = 0;
let tE = 0;
let tH = 0;
let tL = 0;

/** Unpack a finite non-zero value into tS/tE/tH/tL (normalising denormals). */
function unpackT(se: number, hi: number, lo: number): void {
  tS = se >>> 15;
  let e = se & 0x7fff;
  if (e === 0) e = 1;
  if ((hi & J_BIT) === 0) {
    if (hi !== 0) {
      const n = Math.clz32(hi);
      hi = (hi << n) | (lo >>> (32 - n));
      lo <<= n;
      e -= n;
    } else {
      const n = Math.clz32(lo);
      hi = lo << n;
      lo = 0;
      e -= 32 + n;
    }
  }
  tE = e;
  tH = hi | 0;
  tL = lo | 0;
}

/** Unpack a finite non-zero value into operand A. */
function unpackA(se: number, hi: number, lo: number): void {
  unpackT(se, hi, lo);
  aS = tS;
  aE = tE;
  aH = tH;
  aL = tL;
}

/** Unpack a finite non-zero value into operand B. */
function unpackB(se: number, hi: number, lo: number): void {
  unpackT(se, hi, lo);
  bS = tS;
  bE = tE;
  bH = tH;
  bL = tL;
}

/** Write a value to `res`. */
function put(se: number, hi: number, lo: number): void {
  res.se = se;
  res.hi = hi | 0;
  res.lo = lo | 0;
}

/** Store the real indefinite in `res`. */
export function putIndefinite(): void {
  put(INDEF_SE, INDEF_HI, 0);
}

/** Shift the working significand right by n bits, folding lost bits into the sticky bit. */
function shiftRightSticky(n: number): void {
  if (n <= 0) return;
  let st = 0;
  if (n >= 96) {
    st = (uH | uL | uX) !== 0 ? 1 : 0;
    uH = uL = 0;
    uX = st;
    return;
  }
  while (n >= 32) {
    if (uX !== 0) st = 1;
    uX = uL;
    uL = uH;
    uH = 0;
    n -= 32;
  }
  if (n > 0) {
    if (uX << (32 - n) !== 0) st = 1;
    uX = (uX >>> n) | (uL << (32 - n));
    uL = (uL >>> n) | (uH << (32 - n));
    uH = uH >>> n;
  }
  uX |= st;
}

/** Shift the working significand left until its top bit is set (it must be non-zero). */
function normalizeLeft(): void {
  while (uH === 0) {
    uH = uL;
    uL = uX;
    uX = 0;
    uE -= 32;
  }
  const n = Math.clz32(uH);
  if (n > 0) {
    uH = (uH << n) | (uL >>> (32 - n));
    uL = (uL << n) | (uX >>> (32 - n));
    uX <<= n;
    uE -= n;
  }
}

/**
 * Round the working value to `prec` significand bits (24, 53 or 64) in rounding mode `rc`,
 * in the exponent range [emin, emax]. `wrapMasks` (0 for memory destinations) holds the
 * control-word mask bits when the destination is a register: with UM or OM clear the
 * result is wrapped by 24576 instead of being denormalised or overflowing.
 * Writes `res` (with exponent field 0 for denormals when emin is 1, see `packUnpacked`)
 * and returns the raised flags (PE, UE, OE). Exact zero working values must not be passed.
 *
 * On return `rsE` / `rsH` / `rsL` hold the rounded value with J clear for denormals.
 */
function roundPack(prec: number, rc: number, emin: number, emax: number, wrap: number, masks: number): number {
  let flags = 0;
  normalizeLeft();
  res.c1 = 0;
  res.tiny = 0;
  if (uE < emin && tinyAfterRounding(prec, rc, emin)) {
    res.tiny = 1;
    if (wrap !== 0 && (masks & Ex.UE) === 0) {
      flags |= Ex.UE;
      uE += WRAP_BIAS;
    }
    if (uE < emin) {
      shiftRightSticky(emin - uE);
      uE = emin;
    }
  }
  if (uE < emin) {
    // Not tiny after rounding (it rounds up to the smallest normal): still denormalise to
    // round at the right position.
    shiftRightSticky(emin - uE);
    uE = emin;
  }
  // Remainder classification: 0 exact, 1 below half, 2 half, 3 above half.
  let rem: number;
  let lsb: number;
  if (prec === 64) {
    rem = uX === 0 ? 0 : uX === UB ? 2 : ult(uX, UB) ? 1 : 3;
    lsb = uL & 1;
  } else if (prec === 53) {
    const r = uL & 0x7ff;
    rem = r === 0 && uX === 0 ? 0 : r < 0x400 ? 1 : r === 0x400 && uX === 0 ? 2 : 3;
    lsb = (uL >>> 11) & 1;
  } else {
    const r = uH & 0xff;
    const rest = uL | uX;
    rem = r === 0 && rest === 0 ? 0 : r < 0x80 ? 1 : r === 0x80 && rest === 0 ? 2 : 3;
    lsb = (uH >>> 8) & 1;
  }
  let up = false;
  if (rem !== 0) {
    flags |= Ex.PE;
    switch (rc) {
      case Rc.NEAREST: up = rem === 3 || (rem === 2 && lsb !== 0); break;
      case Rc.DOWN: up = uS !== 0; break;
      case Rc.UP: up = uS === 0; break;
      default: break;
    }
    if (res.tiny !== 0 && (flags & Ex.UE) === 0) flags |= Ex.UE;
  }
  // Truncate and increment.
  uX = 0;
  if (prec === 53) uL &= ~0x7ff;
  else if (prec === 24) {
    uH &= ~0xff;
    uL = 0;
  }
  if (up) {
    res.c1 = 1;
    if (prec === 24) {
      const h = (uH >>> 0) + 0x100;
      if (h > 0xffffffff) {
        uH = UB;
        uE++;
      } else uH = h | 0;
    } else {
      const l = (uL >>> 0) + (prec === 64 ? 1 : 0x800);
      uL = l | 0;
      if (l > 0xffffffff) {
        const h = (uH >>> 0) + 1;
        if (h > 0xffffffff) {
          uH = UB;
          uE++;
        } else uH = h | 0;
      }
    }
  }
  if (uE > emax) {
    if (wrap !== 0 && (masks & Ex.OE) === 0) {
      flags |= Ex.OE;
      uE -= WRAP_BIAS;
    } else {
      flags |= Ex.OE | Ex.PE;
      // Masked overflow: infinity or the largest finite value, by rounding direction.
      const toInf = rc === Rc.NEAREST || (rc === Rc.UP && uS === 0) || (rc === Rc.DOWN && uS !== 0);
      if (toInf) {
        uE = emax + 1;
        uH = UB;
        uL = 0;
        res.c1 = 1;
      } else {
        uE = emax;
        uH = prec === 24 ? 0xffffff00 | 0 : -1;
        uL = prec === 64 ? -1 : prec === 53 ? 0xfffff800 | 0 : 0;
        res.c1 = 0;
      }
    }
  }
  rsE = (uH & J_BIT) === 0 ? 0 : uE;
  rsH = uH;
  rsL = uL;
  return flags;
}

/**
 * Tininess is detected after rounding (as the x87 does): the normalised working value
 * (exponent below emin) is tiny unless rounding it to `prec` bits with an unbounded
 * exponent carries it up to 2^emin.
 */
function tinyAfterRounding(prec: number, rc: number, emin: number): boolean {
  if (uE !== emin - 1) return true;
  // All ones in the kept bits?
  let kept: boolean;
  let rem: number;
  if (prec === 64) {
    kept = uH === -1 && uL === -1;
    rem = uX === 0 ? 0 : uX === UB ? 2 : ult(uX, UB) ? 1 : 3;
  } else if (prec === 53) {
    kept = uH === -1 && (uL | 0x7ff) === -1;
    const r = uL & 0x7ff;
    rem = r === 0 && uX === 0 ? 0 : r < 0x400 ? 1 : r === 0x400 && uX === 0 ? 2 : 3;
  } else {
    kept = (uH | 0xff) === -1;
    const r = uH & 0xff;
    const rest = uL | uX;
    rem = r === 0 && rest === 0 ? 0 : r < 0x80 ? 1 : r === 0x80 && rest === 0 ? 2 : 3;
  }
  if (!kept || rem === 0) return true;
  let up: boolean;
  switch (rc) {
    // The kept bits are all ones, so a tie rounds up (to even) too.
    case Rc.NEAREST: up = rem >= 2; break;
    case Rc.DOWN: up = uS !== 0; break;
    case Rc.UP: up = uS === 0; break;
    default: up = false; break;
  }
  return !up;
}

/** Rounded value from the last `roundPack`: exponent (0 = denormal/zero), significand. */
let rsE = 0;
let rsH = 0;
let rsL = 0;

/** Round the working value to a register (extended) result in `res`. */
function roundToReg(prec: number, rc: number, masks: number): number {
  const f = roundPack(prec, rc, EMIN_80, EMAX_80, 1, masks);
  put((uS << 15) | rsE, rsH, rsL);
  return f;
}

/**
 * Round and pack an extended value given by limbs into `res`. Used by every operation
 * that produces a finite non-zero result.
 */
export function roundExtended(
  sign: number, exp: number, h: number, l: number, x: number, prec: number, rc: number, masks: number,
): number {
  uS = sign;
  uE = exp;
  uH = h | 0;
  uL = l | 0;
  uX = x | 0;
  if ((uH | uL | uX) === 0) {
    put(sign << 15, 0, 0);
    res.c1 = 0;
    return 0;
  }
  return roundToReg(prec, rc, masks);
}

// =====================================================================================
// NaN rules
// =====================================================================================

/**
 * Result for an operation with at least one NaN operand (x87 rules): SNaNs are quieted;
 * with two NaNs the one with the larger significand wins (a QNaN beats an SNaN).
 * Returns IE if an SNaN was seen.
 */
function propagateNaN(ca: number, sa: number, ha: number, la: number, cb: number, sb: number, hb: number, lb: number): number {
  const f = ca === Cls.SNAN || cb === Cls.SNAN ? Ex.IE : 0;
  let pickA: boolean;
  if (!isNaNCls(cb)) pickA = true;
  else if (!isNaNCls(ca)) pickA = false;
  else if (ca !== cb) pickA = ca === Cls.QNAN;
  else {
    const ma = ha | QUIET_BIT;
    const mb = hb | QUIET_BIT;
    if (ma !== mb) pickA = ult(mb, ma);
    else if (la !== lb) pickA = ult(lb, la);
    else pickA = (sa & 0x8000) === 0 || (sb & 0x8000) !== 0;
  }
  if (pickA) put(sa, ha | QUIET_BIT, la);
  else put(sb, hb | QUIET_BIT, lb);
  return f;
}

/** Quiet a single NaN operand into `res`; IE if it was signalling. */
export function quietNaN(cls: number, se: number, hi: number, lo: number): number {
  put(se, hi | QUIET_BIT, lo);
  return cls === Cls.SNAN ? Ex.IE : 0;
}

// =====================================================================================
// Basic operations
// =====================================================================================

/** Arithmetic operation codes for `arith`. */
export const Op = { ADD: 0, SUB: 1, MUL: 2, DIV: 3 } as const;

/**
 * a op b, rounded to `prec` bits in mode `rc`; `masks` are the FCW exception masks.
 * The result is in `res` (undefined when the returned flags include an unmasked IE, ZE
 * or DE: the caller then leaves the destination alone). Returns the exception flags.
 */
export function arith(
  op: number, sa: number, ha: number, la: number, sb: number, hb: number, lb: number,
  prec: number, rc: number, masks: number,
): number {
  const ca = classify(sa, ha, la);
  const cb = classify(sb, hb, lb);
  res.c1 = 0;
  if (ca === Cls.UNSUPPORTED || cb === Cls.UNSUPPORTED) {
    putIndefinite();
    return Ex.IE;
  }
  if (isNaNCls(ca) || isNaNCls(cb)) return propagateNaN(ca, sa, ha, la, cb, sb, hb, lb);
  let flags = 0;
  const signA = sa >>> 15;
  let signB = sb >>> 15;
  switch (op) {
    case Op.SUB:
    case Op.ADD: {
      if (op === Op.SUB) signB ^= 1;
      if (ca === Cls.INF || cb === Cls.INF) {
        if (ca === Cls.INF && cb === Cls.INF && signA !== signB) {
          putIndefinite();
          return Ex.IE;
        }
        if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) flags |= Ex.DE;
        put(((ca === Cls.INF ? signA : signB) << 15) | EXP_MAX, J_BIT, 0);
        return flags;
      }
      if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) {
        flags |= Ex.DE;
        if ((masks & Ex.DE) === 0) return flags;
      }
      if (ca === Cls.ZERO && cb === Cls.ZERO) {
        const s = signA === signB ? signA : rc === Rc.DOWN ? 1 : 0;
        put(s << 15, 0, 0);
        return flags;
      }
      if (cb === Cls.ZERO) {
        unpackA(sa, ha, la);
        return flags | roundExtended(signA, aE, aH, aL, 0, prec, rc, masks);
      }
      if (ca === Cls.ZERO) {
        unpackA(sb, hb, lb);
        return flags | roundExtended(signB, aE, aH, aL, 0, prec, rc, masks);
      }
      unpackA(sa, ha, la);
      unpackB(sb, hb, lb);
      aS = signA;
      bS = signB;
      return flags | addFinite(prec, rc, masks);
    }
    case Op.MUL: {
      const s = signA ^ signB;
      if (ca === Cls.INF || cb === Cls.INF) {
        if (ca === Cls.ZERO || cb === Cls.ZERO) {
          putIndefinite();
          return Ex.IE;
        }
        if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) flags |= Ex.DE;
        put((s << 15) | EXP_MAX, J_BIT, 0);
        return flags;
      }
      if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) {
        flags |= Ex.DE;
        if ((masks & Ex.DE) === 0) return flags;
      }
      if (ca === Cls.ZERO || cb === Cls.ZERO) {
        put(s << 15, 0, 0);
        return flags;
      }
      unpackA(sa, ha, la);
      unpackB(sb, hb, lb);
      return flags | mulFinite(s, prec, rc, masks);
    }
    default: {
      const s = signA ^ signB;
      if (ca === Cls.INF) {
        if (cb === Cls.INF) {
          putIndefinite();
          return Ex.IE;
        }
        if (cb === Cls.DENORMAL) flags |= Ex.DE;
        put((s << 15) | EXP_MAX, J_BIT, 0);
        return flags;
      }
      if (cb === Cls.INF) {
        if (ca === Cls.DENORMAL) flags |= Ex.DE;
        put(s << 15, 0, 0);
        return flags;
      }
      if (cb === Cls.ZERO) {
        if (ca === Cls.ZERO) {
          putIndefinite();
          return Ex.IE;
        }
        if (ca === Cls.DENORMAL) flags |= Ex.DE;
        put((s << 15) | EXP_MAX, J_BIT, 0);
        return flags | Ex.ZE;
      }
      if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) {
        flags |= Ex.DE;
        if ((masks & Ex.DE) === 0) return flags;
      }
      if (ca === Cls.ZERO) {
        put(s << 15, 0, 0);
        return flags;
      }
      unpackA(sa, ha, la);
      unpackB(sb, hb, lb);
      return flags | divFinite(s, prec, rc, masks);
    }
  }
}

/** A + B of unpacked finite non-zero operands (signs in aS/bS). */
function addFinite(prec: number, rc: number, masks: number): number {
  // Order so that |A| >= |B|.
  if (bE > aE || (bE === aE && (ult(aH, bH) || (aH === bH && ult(aL, bL))))) {
    let t = aS; aS = bS; bS = t;
    t = aE; aE = bE; bE = t;
    t = aH; aH = bH; bH = t;
    t = aL; aL = bL; bL = t;
  }
  uS = aS;
  uE = aE;
  uH = bH;
  uL = bL;
  uX = 0;
  shiftRightSticky(aE - bE);
  if (aS === bS) {
    const l = (aL >>> 0) + (uL >>> 0);
    const h = (aH >>> 0) + (uH >>> 0) + (l > 0xffffffff ? 1 : 0);
    uL = l | 0;
    uH = h | 0;
    if (h > 0xffffffff) {
      shiftRightSticky(1);
      uH |= UB;
      uE++;
    }
  } else {
    const x = -(uX >>> 0);
    let borrow = x < 0 ? 1 : 0;
    uX = x | 0;
    const l = (aL >>> 0) - (uL >>> 0) - borrow;
    borrow = l < 0 ? 1 : 0;
    uL = l | 0;
    uH = ((aH >>> 0) - (uH >>> 0) - borrow) | 0;
    if ((uH | uL | uX) === 0) {
      put((rc === Rc.DOWN ? 1 : 0) << 15, 0, 0);
      return 0;
    }
  }
  return roundToReg(prec, rc, masks);
}

// 16-bit limbs of the multiplication operands and the product columns (no allocation).
const mA = new Float64Array(4);
const mB = new Float64Array(4);
const mP = new Float64Array(8);

/** A × B of unpacked finite non-zero operands, sign s. */
function mulFinite(s: number, prec: number, rc: number, masks: number): number {
  mA[0] = aL & 0xffff; mA[1] = aL >>> 16; mA[2] = aH & 0xffff; mA[3] = aH >>> 16;
  mB[0] = bL & 0xffff; mB[1] = bL >>> 16; mB[2] = bH & 0xffff; mB[3] = bH >>> 16;
  let carry = 0;
  for (let k = 0; k < 7; k++) {
    let c = carry;
    const lo = k > 3 ? k - 3 : 0;
    const hi = k < 3 ? k : 3;
    for (let i = lo; i <= hi; i++) c += mA[i] * mB[k - i];
    mP[k] = c % 65536;
    carry = Math.floor(c / 65536);
  }
  mP[7] = carry;
  uS = s;
  uE = aE + bE - (BIAS - 1);
  uH = (mP[7] * 65536 + mP[6]) | 0;
  uL = (mP[5] * 65536 + mP[4]) | 0;
  uX = (mP[3] * 65536 + mP[2]) | 0;
  if (mP[1] !== 0 || mP[0] !== 0) uX |= 1;
  return roundToReg(prec, rc, masks);
}

/**
 * Long division of the significands: sets uH/uL/uX to the 67-bit quotient of A/B placed at
 * bit 95 down to bit 29, sticky in bit 0; returns nothing.
 */
function divSignificands(): void {
  let rh = aH >>> 0;
  let rl = aL >>> 0;
  const dh = bH >>> 0;
  const dl = bL >>> 0;
  let qh = 0;
  let ql = 0;
  let qx = 0;
  for (let p = 95; p >= 29; p--) {
    if (rh > dh || (rh === dh && rl >= dl)) {
      let l = rl - dl;
      let borrow = 0;
      if (l < 0) {
        l += 4294967296;
        borrow = 1;
      }
      rl = l;
      rh = rh - dh - borrow;
      if (p >= 64) qh |= 1 << (p - 64);
      else if (p >= 32) ql |= 1 << (p - 32);
      else qx |= 1 << p;
    }
    rh = rh * 2 + (rl >= 2147483648 ? 1 : 0);
    rl = rl >= 2147483648 ? (rl - 2147483648) * 2 : rl * 2;
  }
  if (rh !== 0 || rl !== 0) qx |= 1;
  uH = qh;
  uL = ql;
  uX = qx;
}

/** A ÷ B of unpacked finite non-zero operands, sign s. */
function divFinite(s: number, prec: number, rc: number, masks: number): number {
  divSignificands();
  uS = s;
  uE = aE - bE + BIAS;
  return roundToReg(prec, rc, masks);
}

/** Square root of a (rounded to prec/rc). Returns the flags; result in `res`. */
export function sqrt(sa: number, ha: number, la: number, prec: number, rc: number, masks: number): number {
  const ca = classify(sa, ha, la);
  res.c1 = 0;
  if (ca === Cls.UNSUPPORTED) {
    putIndefinite();
    return Ex.IE;
  }
  if (isNaNCls(ca)) return quietNaN(ca, sa, ha, la);
  if (ca === Cls.ZERO) {
    put(sa, 0, 0);
    return 0;
  }
  if ((sa & 0x8000) !== 0) {
    putIndefinite();
    return Ex.IE;
  }
  if (ca === Cls.INF) {
    put(sa, ha, la);
    return 0;
  }
  let flags = 0;
  if (ca === Cls.DENORMAL) {
    flags |= Ex.DE;
    if ((masks & Ex.DE) === 0) return flags;
  }
  unpackA(sa, ha, la);
  // value = M · 2^e with M the 64-bit significand; make e even (M may grow to 65 bits).
  let e = aE - BIAS - 63;
  let top = 0; // bits 65..64 of A
  let hi = aH >>> 0;
  let lo = aL >>> 0;
  if ((e & 1) !== 0) {
    top = hi >>> 31;
    hi = ((hi << 1) | (lo >>> 31)) >>> 0;
    lo = (lo << 1) >>> 0;
    e -= 1;
  }
  // Digit-by-digit root of A · 2^68 (A = top:hi:lo, 66 bits): 67 root bits Q, remainder R.
  // Limbs are doubles (high parts stay below 2^40, exact) and uint32 lows.
  let qh = 0;
  let ql = 0;
  let rh = 0;
  let rl = 0;
  for (let k = 0; k < 67; k++) {
    let pair = 0;
    if (k === 0) pair = top;
    else if (k <= 16) pair = (hi >>> (32 - 2 * k)) & 3;
    else if (k <= 32) pair = (lo >>> (64 - 2 * k)) & 3;
    // R = 4R + pair
    const r4 = rl * 4 + pair;
    rh = rh * 4 + Math.floor(r4 / TWO32);
    rl = r4 % TWO32;
    // T = 4Q + 1
    const t4 = ql * 4 + 1;
    const th = qh * 4 + Math.floor(t4 / TWO32);
    const tl = t4 % TWO32;
    let bit = 0;
    if (rh > th || (rh === th && rl >= tl)) {
      let l = rl - tl;
      let borrow = 0;
      if (l < 0) {
        l += TWO32;
        borrow = 1;
      }
      rl = l;
      rh = rh - th - borrow;
      bit = 1;
    }
    const q2 = ql * 2 + bit;
    qh = qh * 2 + (q2 >= TWO32 ? 1 : 0);
    ql = q2 % TWO32;
  }
  // Q < 2^67 goes to bits 95..29 of the working significand; value = Q / 2^34 · 2^(e/2).
  uS = 0;
  uH = Math.floor(qh / 8) | 0;
  uL = (((qh & 7) << 29) | (ql >>> 3)) | 0;
  uX = ((ql & 7) << 29) | (rh !== 0 || rl !== 0 ? 1 : 0);
  uE = BIAS + 32 + e / 2;
  return flags | roundToReg(prec, rc, masks);
}

// =====================================================================================
// Comparison
// =====================================================================================

/** Comparison outcomes. */
export const Cmp = { LESS: 0, EQUAL: 1, GREATER: 2, UNORDERED: 3 } as const;

/** Last comparison's exception flags. */
export let cmpFlags = 0;

/**
 * Compare a with b. `quiet` (FUCOM) makes only SNaNs invalid; otherwise any NaN is.
 * Returns a `Cmp` value; the flags (IE, DE) are in `cmpFlags`.
 */
export function compare(sa: number, ha: number, la: number, sb: number, hb: number, lb: number, quiet: boolean): number {
  const ca = classify(sa, ha, la);
  const cb = classify(sb, hb, lb);
  cmpFlags = 0;
  if (ca === Cls.UNSUPPORTED || cb === Cls.UNSUPPORTED) {
    cmpFlags = Ex.IE;
    return Cmp.UNORDERED;
  }
  if (isNaNCls(ca) || isNaNCls(cb)) {
    if (!quiet || ca === Cls.SNAN || cb === Cls.SNAN) cmpFlags = Ex.IE;
    return Cmp.UNORDERED;
  }
  if (ca === Cls.DENORMAL || cb === Cls.DENORMAL) cmpFlags = Ex.DE;
  const za = ca === Cls.ZERO;
  const zb = cb === Cls.ZERO;
  if (za && zb) return Cmp.EQUAL;
  const na = (sa & 0x8000) !== 0;
  const nb = (sb & 0x8000) !== 0;
  if (za) return nb ? Cmp.GREATER : Cmp.LESS;
  if (zb) return na ? Cmp.LESS : Cmp.GREATER;
  if (na !== nb) return na ? Cmp.LESS : Cmp.GREATER;
  // Same sign: compare magnitudes (denormals normalised so exponents compare).
  let mag: number;
  if (ca === Cls.INF || cb === Cls.INF) {
    mag = ca === cb ? 0 : ca === Cls.INF ? 1 : -1;
  } else {
    unpackA(sa, ha, la);
    unpackB(sb, hb, lb);
    if (aE !== bE) mag = aE > bE ? 1 : -1;
    else if (aH !== bH) mag = ult(bH, aH) ? 1 : -1;
    else if (aL !== bL) mag = ult(bL, aL) ? 1 : -1;
    else mag = 0;
  }
  if (mag === 0) return Cmp.EQUAL;
  if (na) mag = -mag;
  return mag > 0 ? Cmp.GREATER : Cmp.LESS;
}

// =====================================================================================
// Conversions
// =====================================================================================

/** Load a binary32 value (bit pattern) as extended into `res` (SNaNs stay signalling); returns IE (SNaN) / DE. */
export function fromF32(bits: number): number {
  const s = bits >>> 31;
  const e = (bits >>> 23) & 0xff;
  const f = bits & 0x7fffff;
  res.c1 = 0;
  if (e === 0xff) {
    if (f === 0) {
      put((s << 15) | EXP_MAX, J_BIT, 0);
      return 0;
    }
    // An SNaN stays signalling here (IE reported): the consumer decides how to quiet it.
    put((s << 15) | EXP_MAX, J_BIT | (f << 8), 0);
    return (f & 0x400000) === 0 ? Ex.IE : 0;
  }
  if (e === 0) {
    if (f === 0) {
      put(s << 15, 0, 0);
      return 0;
    }
    const n = Math.clz32(f) - 8; // shift to put the top bit at bit 23
    put((s << 15) | (BIAS - 126 - n), (f << (8 + n)) | 0, 0);
    return Ex.DE;
  }
  put((s << 15) | (e - 127 + BIAS), J_BIT | (f << 8), 0);
  return 0;
}

/** Load a binary64 value (high and low dwords) as extended into `res`; returns IE / DE. */
export function fromF64(hi: number, lo: number): number {
  const s = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  res.c1 = 0;
  // Significand bits 62..0 = fraction (52 bits) << 11.
  const mh = (fh << 11) | (lo >>> 21);
  const ml = lo << 11;
  if (e === 0x7ff) {
    if ((fh | lo) === 0) {
      put((s << 15) | EXP_MAX, J_BIT, 0);
      return 0;
    }
    put((s << 15) | EXP_MAX, J_BIT | mh, ml);
    return (fh & 0x80000) === 0 ? Ex.IE : 0;
  }
  if (e === 0) {
    if ((fh | lo) === 0) {
      put(s << 15, 0, 0);
      return 0;
    }
    // Denormal: value = 0.f · 2^-1022; normalise.
    unpackA(0, mh, ml);
    put((s << 15) | (aE + (BIAS - 1022) - 1), aH, aL);
    return Ex.DE;
  }
  put((s << 15) | (e - 1023 + BIAS), J_BIT | mh, ml);
  return 0;
}

/** Result bits of the last `toF32` / `toF64`. */
export let packLo = 0;
/** High dword of the last `toF64`. */
export let packHi = 0;

/**
 * Round extended a to binary32 (`bits` 32) or binary64 (64) in mode rc. The pattern goes to
 * `packLo` (and `packHi`); `res.c1` and `res.tiny` are set. Returns flags; with unmasked
 * OE/UE (per `masks`) the store must not happen (the flag is returned).
 */
export function toFloat(sa: number, ha: number, la: number, bits: number, rc: number, masks: number): number {
  const ca = classify(sa, ha, la);
  const s = sa >>> 15;
  res.c1 = 0;
  const f64 = bits === 64;
  switch (ca) {
    case Cls.UNSUPPORTED:
      packHi = f64 ? 0xfff80000 | 0 : 0;
      packLo = f64 ? 0 : 0xffc00000 | 0;
      return Ex.IE;
    case Cls.ZERO:
      packHi = f64 ? s << 31 : 0;
      packLo = f64 ? 0 : s << 31;
      return 0;
    case Cls.INF:
      packHi = f64 ? (s << 31) | 0x7ff00000 : 0;
      packLo = f64 ? 0 : (s << 31) | 0x7f800000;
      return 0;
    case Cls.QNAN:
    case Cls.SNAN: {
      if (f64) {
        packHi = (s << 31) | 0x7ff80000 | ((ha >>> 11) & 0xfffff);
        packLo = (ha << 21) | (la >>> 11);
      } else {
        packHi = 0;
        packLo = (s << 31) | 0x7fc00000 | ((ha >>> 8) & 0x7fffff);
      }
      return ca === Cls.SNAN ? Ex.IE : 0;
    }
    default:
      break;
  }
  // A denormal source is not a denormal-operand exception for a store.
  let flags = 0;
  unpackA(sa, ha, la);
  uS = s;
  uE = aE;
  uH = aH;
  uL = aL;
  uX = 0;
  const emin = f64 ? EMIN_64 : EMIN_32;
  const emax = f64 ? EMAX_64 : EMAX_32;
  flags |= roundPack(f64 ? 53 : 24, rc, emin, emax, 0, masks);
  if (res.tiny !== 0 && (masks & Ex.UE) === 0) flags |= Ex.UE;
  if (f64) {
    const ef = rsE === 0 ? 0 : rsE - BIAS + 1023;
    packHi = (s << 31) | (ef << 20) | ((rsH >>> 11) & 0xfffff);
    packLo = (rsH << 21) | (rsL >>> 11);
  } else {
    const ef = rsE === 0 ? 0 : rsE - BIAS + 127;
    packHi = 0;
    packLo = (s << 31) | (ef << 23) | ((rsH >>> 8) & 0x7fffff);
  }
  return flags;
}

/** Load a signed 64-bit integer (hi:lo) as extended into `res` (exact). */
export function fromInt64(hi: number, lo: number): void {
  res.c1 = 0;
  if ((hi | lo) === 0) {
    put(0, 0, 0);
    return;
  }
  let s = 0;
  if (hi < 0) {
    s = 1;
    lo = -lo | 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  }
  unpackA(0x3fff, hi, lo);
  put((s << 15) | (aE + 63 - 0x3fff + BIAS), aH, aL);
}

/** Load a signed 32-bit integer as extended into `res`. */
export function fromInt32(v: number): void {
  fromInt64(v >> 31, v);
}

/** Integer result of the last `toInt`: high and low dwords (two's complement). */
export let intHi = 0;
/** Low dword of the last `toInt`. */
export let intLo = 0;

/**
 * Round extended a to an integer (mode rc; `truncate` forces chopping) and check it fits a
 * signed `bits`-bit integer (16, 32 or 64). The integer goes to intHi:intLo; IE when it
 * does not fit (with the integer indefinite stored there), PE when inexact (C1 in res).
 */
export function toInt(sa: number, ha: number, la: number, bits: number, rc: number): number {
  const ca = classify(sa, ha, la);
  res.c1 = 0;
  if (ca === Cls.ZERO) {
    intHi = intLo = 0;
    return 0;
  }
  if (ca !== Cls.NORMAL && ca !== Cls.DENORMAL) return intIndefinite(bits);
  const neg = (sa & 0x8000) !== 0;
  const flags = roundToIntegerMagnitude(sa, ha, la, rc);
  if (rsE < 0) return intIndefinite(bits);
  // Magnitude in rsH:rsL; check the range.
  const mh = rsH >>> 0;
  const ml = rsL >>> 0;
  let ok: boolean;
  if (bits === 64) ok = mh < 0x80000000 || (neg && mh === 0x80000000 && ml === 0);
  else if (bits === 32) ok = mh === 0 && (ml < 0x80000000 || (neg && ml === 0x80000000));
  else ok = mh === 0 && (ml < 0x8000 || (neg && ml === 0x8000));
  if (!ok) return intIndefinite(bits);
  if (neg) {
    intLo = -ml | 0;
    intHi = (~mh + (intLo === 0 ? 1 : 0)) | 0;
  } else {
    intLo = ml | 0;
    intHi = mh | 0;
  }
  return flags;
}

/** The integer indefinite for a `bits`-wide destination; returns IE. */
function intIndefinite(bits: number): number {
  res.c1 = 0;
  if (bits === 64) {
    intHi = 0x80000000 | 0;
    intLo = 0;
  } else {
    intHi = 0;
    intLo = bits === 32 ? 0x80000000 | 0 : 0x8000;
  }
  return Ex.IE;
}

/**
 * Round a finite non-zero value to an integer; the magnitude lands in rsH:rsL (rsE = -1 if
 * it needs more than 64 bits). Returns PE when inexact and sets res.c1 on round-up.
 */
function roundToIntegerMagnitude(sa: number, ha: number, la: number, rc: number): number {
  unpackA(sa, ha, la);
  const s = sa >>> 15;
  const frac = BIAS + 63 - aE; // number of fraction bits in the 64-bit significand
  res.c1 = 0;
  if (frac <= 0) {
    // Already an integer; with frac < 0 it needs more than 64 bits.
    rsE = frac < 0 ? -1 : 0;
    rsH = aH;
    rsL = aL;
    return 0;
  }
  uS = s;
  uH = 0;
  uL = aH;
  uX = aL;
  // Now uL:uX is the significand; shift so that the integer part is in uH:uL and the
  // fraction in uX (with sticky).
  if (frac >= 64) {
    uH = 0;
    const st = (aH | aL) !== 0;
    if (frac === 64) {
      uL = 0;
      uX = aH | (aL !== 0 ? 1 : 0);
    } else {
      uL = 0;
      uX = 0;
      uH = 0;
      // value < 0.5: only the sticky bit remains.
      uX = st ? 1 : 0;
    }
  } else {
    // 96-bit (uH:uL:uX) = significand << 32, shift right by frac.
    uH = aH;
    uL = aL;
    uX = 0;
    shiftRightSticky(frac);
  }
  const rem = uX === 0 ? 0 : uX === UB ? 2 : ult(uX, UB) ? 1 : 3;
  let up = false;
  if (rem !== 0) {
    switch (rc) {
      case Rc.NEAREST: up = rem === 3 || (rem === 2 && (uL & 1) !== 0); break;
      case Rc.DOWN: up = s !== 0; break;
      case Rc.UP: up = s === 0; break;
      default: break;
    }
  }
  rsE = 0;
  if (up) {
    res.c1 = 1;
    const l = (uL >>> 0) + 1;
    uL = l | 0;
    if (l > 0xffffffff) {
      const h = (uH >>> 0) + 1;
      uH = h | 0;
      if (h > 0xffffffff) rsE = -1;
    }
  }
  rsH = uH;
  rsL = uL;
  return rem !== 0 ? Ex.PE : 0;
}

/** FRNDINT: round to an integral value in mode rc, result (extended) in `res`. */
export function roundToInt(sa: number, ha: number, la: number, rc: number, masks: number): number {
  const ca = classify(sa, ha, la);
  res.c1 = 0;
  if (ca === Cls.UNSUPPORTED) {
    putIndefinite();
    return Ex.IE;
  }
  if (isNaNCls(ca)) return quietNaN(ca, sa, ha, la);
  if (ca === Cls.ZERO || ca === Cls.INF) {
    put(sa, ha, la);
    return 0;
  }
  let flags = 0;
  if (ca === Cls.DENORMAL) {
    flags = Ex.DE;
    if ((masks & Ex.DE) === 0) return flags;
  }
  const s = sa >>> 15;
  flags |= roundToIntegerMagnitude(sa, ha, la, rc);
  if (rsE < 0 && (rsH | rsL) !== 0) {
    // The value was already integral (or the rounding carried out of 64 bits).
    if ((flags & Ex.PE) === 0) {
      put(sa, ha, la);
      return flags;
    }
    put((s << 15) | (BIAS + 64), J_BIT, 0);
    return flags;
  }
  if (rsE < 0) {
    put((s << 15) | (BIAS + 64), J_BIT, 0);
    return flags;
  }
  if ((rsH | rsL) === 0) {
    put(s << 15, 0, 0);
    return flags;
  }
  unpackA(0x3fff, rsH, rsL);
  put((s << 15) | (aE + 63), aH, aL);
  return flags;
}

/** Unpacked significand/exponent of the last `unpack` (for the slower operations). */
export const unpacked = { s: 0, e: 0, hi: 0, lo: 0 };

/** Unpack a finite non-zero value (normalised; denormals get exponents below 1). */
export function unpack(se: number, hi: number, lo: number): void {
  unpackA(se, hi, lo);
  unpacked.s = aS;
  unpacked.e = aE;
  unpacked.hi = aH;
  unpacked.lo = aL;
}

// =====================================================================================
// FSCALE, FXTRACT, FPREM/FPREM1 (slower paths)
// =====================================================================================

/** FSCALE: a · 2^trunc(b), rounded to 64 bits. Result in `res`. */
export function scale(sa: number, ha: number, la: number, sb: number, hb: number, lb: number, rc: number, masks: number): number {
  const ca = classify(sa, ha, la);
  const cb = classify(sb, hb, lb);
  res.c1 = 0;
  if (ca === Cls.UNSUPPORTED || cb === Cls.UNSUPPORTED) {
    putIndefinite();
    return Ex.IE;
  }
  if (isNaNCls(ca) || isNaNCls(cb)) return propagateNaN(ca, sa, ha, la, cb, sb, hb, lb);
  const flags = ca === Cls.DENORMAL || cb === Cls.DENORMAL ? Ex.DE : 0;
  const negB = (sb & 0x8000) !== 0;
  if (cb === Cls.INF) {
    if ((ca === Cls.ZERO && !negB) || (ca === Cls.INF && negB)) {
      putIndefinite();
      return Ex.IE;
    }
    if (ca === Cls.ZERO || ca === Cls.INF) put(sa, ha, la);
    else if (negB) put(sa & 0x8000, 0, 0);
    else put((sa & 0x8000) | EXP_MAX, J_BIT, 0);
    return flags;
  }
  if (ca === Cls.ZERO || ca === Cls.INF) {
    put(sa, ha, la);
    return flags;
  }
  if ((flags & Ex.DE) !== 0 && (masks & Ex.DE) === 0) return flags;
  // n = trunc(b), clamped well beyond the exponent range.
  let n = 0;
  if (cb !== Cls.ZERO) {
    unpackB(sb, hb, lb);
    const k = bE - BIAS; // b = 1.xxx · 2^k
    if (k >= 0) n = k > 20 ? 1 << 20 : Math.floor((bH >>> 0) / 2 ** (31 - k));
    if (negB) n = -n;
  }
  unpackA(sa, ha, la);
  return flags | roundExtended(aS, aE + n, aH, aL, 0, 64, rc, masks);
}

/** Exponent result of the last `extract` (the significand is in `res`). */
export const extracted = { se: 0, hi: 0, lo: 0 };

/**
 * FXTRACT of a: significand into `res`, exponent into `extracted`. Returns flags
 * (ZE for a zero operand, IE for SNaN/unsupported, DE for a denormal).
 */
export function extract(sa: number, ha: number, la: number): number {
  const ca = classify(sa, ha, la);
  res.c1 = 0;
  switch (ca) {
    case Cls.UNSUPPORTED:
      putIndefinite();
      extracted.se = INDEF_SE; extracted.hi = INDEF_HI; extracted.lo = 0;
      return Ex.IE;
    case Cls.QNAN:
    case Cls.SNAN: {
      const f = quietNaN(ca, sa, ha, la);
      extracted.se = res.se; extracted.hi = res.hi; extracted.lo = res.lo;
      return f;
    }
    case Cls.ZERO:
      put(sa, 0, 0);
      extracted.se = 0x8000 | EXP_MAX; extracted.hi = J_BIT; extracted.lo = 0;
      return Ex.ZE;
    case Cls.INF:
      put(sa, ha, la);
      extracted.se = EXP_MAX; extracted.hi = J_BIT; extracted.lo = 0;
      return 0;
    default: {
      unpackA(sa, ha, la);
      const s = sa & 0x8000;
      const h = aH;
      const l = aL;
      fromInt32(aE - BIAS);
      extracted.se = res.se; extracted.hi = res.hi; extracted.lo = res.lo;
      put(s | BIAS, h, l);
      return ca === Cls.DENORMAL ? Ex.DE : 0;
    }
  }
}

/** Quotient bits and completion of the last `partialRemainder`. */
export const remInfo = { q: 0, incomplete: 0 };

/** Significand of an unpacked operand A as a BigInt. */
function bigA(): bigint {
  return (BigInt(aH >>> 0) << 32n) | BigInt(aL >>> 0);
}

/**
 * FPREM (ieee = false: truncated quotient) / FPREM1 (ieee: round-to-nearest quotient) of
 * a by b. The remainder is exact; for exponent differences of 64 or more a partial
 * remainder is produced (C2 = 1) as the 387 does, reducing by 32..63 bits.
 */
export function partialRemainder(sa: number, ha: number, la: number, sb: number, hb: number, lb: number, ieee: boolean, masks: number): number {
  const ca = classify(sa, ha, la);
  const cb = classify(sb, hb, lb);
  res.c1 = 0;
  remInfo.q = 0;
  remInfo.incomplete = 0;
  if (ca === Cls.UNSUPPORTED || cb === Cls.UNSUPPORTED) {
    putIndefinite();
    return Ex.IE;
  }
  if (isNaNCls(ca) || isNaNCls(cb)) return propagateNaN(ca, sa, ha, la, cb, sb, hb, lb);
  if (ca === Cls.INF || cb === Cls.ZERO) {
    putIndefinite();
    return Ex.IE;
  }
  const flags = ca === Cls.DENORMAL || cb === Cls.DENORMAL ? Ex.DE : 0;
  if ((flags & Ex.DE) !== 0 && (masks & Ex.DE) === 0) return flags;
  if (ca === Cls.ZERO || cb === Cls.INF) {
    put(sa, ha, la);
    return flags;
  }
  unpackB(sb, hb, lb);
  unpackA(sa, ha, la);
  const mb = (BigInt(bH >>> 0) << 32n) | BigInt(bL >>> 0);
  const ma = bigA();
  const sign = sa >>> 15;
  const d = aE - bE;
  if (d >= 64) {
    // Partial: reduce a by b·2^(d − n) with n in 32..63 (as the hardware does).
    const n = 32 + ((d - 32) & 31);
    const shift = d - n;
    const q = (ma << BigInt(n)) / mb;
    const r = (ma << BigInt(n)) - q * mb;
    remInfo.incomplete = 1;
    return flags | bigToExtended(sign, r, bE + shift - 63 - BIAS);
  }
  let q: bigint;
  let r: bigint;
  let flip = 0;
  if (d < 0) {
    q = 0n;
    r = ma;
    // r has exponent aE; express it at b's scale for the comparison below.
    if (ieee && d === -1) {
      // |a| in [|b|/2, |b|): round-to-nearest quotient may be 1.
      const twoR = ma; // 2·|a| at scale 2^(aE+1) = b's scale
      if (twoR > mb) {
        q = 1n;
        r = mb * 2n - ma; // |b| − |a| at a's scale
        flip = 1;
      }
      // A tie (2|a| = |b|) keeps the even quotient 0 and the remainder a.
    }
    remInfo.q = Number(q);
    return flags | bigToExtended(sign ^ flip, r, aE - 63 - BIAS);
  }
  q = (ma << BigInt(d)) / mb;
  r = (ma << BigInt(d)) - q * mb;
  if (ieee) {
    const twoR = r * 2n;
    if (twoR > mb || (twoR === mb && (q & 1n) === 1n)) {
      q += 1n;
      r = mb - r;
      flip = 1;
    }
  }
  remInfo.q = Number(q & 7n);
  return flags | bigToExtended(sign ^ flip, r, bE - 63 - BIAS);
}

/**
 * Put sign · m · 2^e (m a non-negative BigInt) into `res`, exact or rounded to 64 bits
 * (nearest). Zero keeps the sign.
 */
function bigToExtended(sign: number, m: bigint, e: number): number {
  if (m === 0n) {
    put(sign << 15, 0, 0);
    return 0;
  }
  return bigRound(sign, m, e, 64, Rc.NEAREST, 0x3f);
}

/**
 * Round sign · m · 2^e (m > 0, a BigInt) to `prec` bits in mode rc into `res`.
 * Used by the slow paths (remainders, BCD, transcendental functions).
 */
export function bigRound(sign: number, m: bigint, e: number, prec: number, rc: number, masks: number): number {
  const bits = m.toString(2).length;
  let w: bigint;
  let sticky = 0;
  if (bits > 96) {
    const sh = BigInt(bits - 96);
    w = m >> sh;
    if (w << sh !== m) sticky = 1;
  } else w = m << BigInt(96 - bits);
  uS = sign;
  uH = Number((w >> 64n) & 0xffffffffn) | 0;
  uL = Number((w >> 32n) & 0xffffffffn) | 0;
  uX = Number(w & 0xffffffffn) | sticky;
  // value = (w / 2^95) · 2^(bits − 1 + e)
  uE = bits - 1 + e + BIAS;
  return roundToReg(prec, rc, masks);
}

/** Significand (BigInt), exponent and sign of a finite value: value = m · 2^e. */
export const bigParts = { m: 0n, e: 0, s: 0 };

/** Split a finite non-zero extended value into `bigParts`. */
export function toBigParts(se: number, hi: number, lo: number): void {
  unpackA(se, hi, lo);
  bigParts.m = bigA();
  bigParts.e = aE - BIAS - 63;
  bigParts.s = aS;
}
