/**
 * The x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X,
 * FYL2XP1.
 *
 * They are rare, so they are computed on a slow path in BigInt fixed point with at least
 * 190 bits of relative precision (series after exact argument reduction with a 400-bit π),
 * then rounded once to 64 bits in the current rounding mode. The results are therefore the
 * correctly rounded values in all but astronomically rare cases, which is at least as
 * accurate as the hardware (whose reduction uses a 66-bit π).
 */
import { Cw, Sw, type Fpu } from "./fpu.js";
import {
  BIAS, Cls, Ex, EXP_MAX, INDEF_HI, INDEF_SE, J_BIT, bigParts, bigRound, classify, quietNaN, res, toBigParts,
} from "./f80.js";

/** Working precision (fraction bits) for results of order one. */
const WORK = 256;

/** π · 2^PI_BITS, computed once. */
const PI_BITS = 400;
let piFix = 0n;
/** ln 2 · 2^PI_BITS. */
let ln2Fix = 0n;

/** atan(1/n) · 2^bits by its series (n > 1). */
function atanInv(n: bigint, bits: number): bigint {
  const one = 1n << BigInt(bits + 8);
  let term = one / n;
  let sum = term;
  const n2 = n * n;
  for (let k = 1n; term !== 0n; k++) {
    term /= n2;
    const t = term / (2n * k + 1n);
    sum += (k & 1n) === 1n ? -t : t;
  }
  return sum >> 8n;
}

/** atanh(1/n) · 2^bits by its series (n > 1). */
function atanhInv(n: bigint, bits: number): bigint {
  const one = 1n << BigInt(bits + 8);
  let term = one / n;
  let sum = term;
  const n2 = n * n;
  for (let k = 1n; term !== 0n; k++) {
    term /= n2;
    sum += term / (2n * k + 1n);
  }
  return sum >> 8n;
}

/** Make sure the constants exist. */
function constants(): void {
  if (piFix !== 0n) return;
  // Machin: π = 16 atan(1/5) − 4 atan(1/239); ln 2 = 2 atanh(1/3).
  piFix = 16n * atanInv(5n, PI_BITS) - 4n * atanInv(239n, PI_BITS);
  ln2Fix = 2n * atanhInv(3n, PI_BITS);
}

/** π at `bits` fraction bits. */
function pi(bits: number): bigint {
  constants();
  return bits <= PI_BITS ? piFix >> BigInt(PI_BITS - bits) : piFix << BigInt(bits - PI_BITS);
}

/** ln 2 at `bits` fraction bits. */
function ln2(bits: number): bigint {
  constants();
  return bits <= PI_BITS ? ln2Fix >> BigInt(PI_BITS - bits) : ln2Fix << BigInt(bits - PI_BITS);
}

/** A finite value (m · 2^e) as fixed point with `bits` fraction bits (truncated). */
function fix(m: bigint, e: number, bits: number): bigint {
  const sh = e + bits;
  return sh >= 0 ? m << BigInt(sh) : m >> BigInt(-sh);
}

/** Exponent e of a finite non-zero value with 2^(e−1) <= |v| < 2^e. */
function magnitude(se: number, hi: number, lo: number): number {
  toBigParts(se, hi, lo);
  return bigParts.e + 64;
}

/** sin and cos of r (|r| <= π/4, fixed at `bits`): results in `sc`. */
const sc = { s: 0n, c: 0n };
function sinCosFix(r: bigint, bits: number): void {
  const B = BigInt(bits);
  const r2 = (r * r) >> B;
  let term = r;
  let s = r;
  for (let k = 1n; term !== 0n; k++) {
    term = -((term * r2) >> B) / ((2n * k) * (2n * k + 1n));
    s += term;
  }
  term = 1n << B;
  let c = term;
  for (let k = 1n; term !== 0n; k++) {
    term = -((term * r2) >> B) / ((2n * k - 1n) * (2n * k));
    c += term;
  }
  sc.s = s;
  sc.c = c;
}

/** atan(t) for 0 <= t <= 1 (fixed at `bits`). */
function atanFix(t: bigint, bits: number): bigint {
  const B = BigInt(bits);
  const one = 1n << B;
  // Two halvings: atan(t) = 2 atan(t / (1 + sqrt(1 + t²))).
  let halvings = 0n;
  for (let k = 0; k < 2; k++) {
    const root = isqrtBig(one * one + t * t); // sqrt(1 + t²) at `bits`
    t = (t << B) / (one + root);
    halvings++;
  }
  const t2 = (t * t) >> B;
  let term = t;
  let sum = t;
  for (let k = 1n; term !== 0n; k++) {
    term = -((term * t2) >> B);
    sum += term / (2n * k + 1n);
  }
  return sum << halvings;
}

/** Integer square root (floor). */
function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ln(m) for a fixed value near 1 (fixed at `bits`, m > 0): 2 atanh((m−1)/(m+1)). */
function lnNear1(num: bigint, den: bigint, bits: number): bigint {
  // s = num/den in (−1, 1); ln((1+s)/(1−s)) = 2 atanh(s).
  const B = BigInt(bits);
  // atanh is odd: sum the series on |s| (a right shift of a negative value never reaches 0).
  if (num < 0n) return -lnNear1(-num, den, bits);
  const s = (num << B) / den;
  const s2 = (s * s) >> B;
  let term = s;
  let sum = s;
  for (let k = 1n; term !== 0n; k++) {
    term = (term * s2) >> B;
    sum += term / (2n * k + 1n);
  }
  return 2n * sum;
}

/** Put a fixed-point value (sign, |v| at `bits`) rounded to 64 bits into `res`; returns flags. */
function roundFix(sign: number, v: bigint, bits: number, f: Fpu): number {
  if (v < 0n) {
    v = -v;
    sign ^= 1;
  }
  if (v === 0n) {
    res.se = sign << 15;
    res.hi = res.lo = 0;
    res.c1 = 0;
    return 0;
  }
  // The value is an approximation of an irrational: make sure it rounds as inexact.
  return bigRound(sign, (v << 1n) | 1n, -bits - 1, 64, (f.cw >> Cw.RC_SHIFT) & 3, f.cw & Cw.MASKS);
}

/** Merge flags; false when an unmasked IE/ZE/DE suppresses the result. */
function raise(f: Fpu, flags: number): boolean {
  if (flags === 0) return true;
  f.sw |= flags & 0x7f;
  const un = flags & ~f.cw & Cw.MASKS;
  if (un === 0) return true;
  f.sw |= Ex.ES | Sw.B;
  return (un & (Ex.IE | Ex.ZE | Ex.DE)) === 0;
}

/** Stack underflow: IE+SF, C1 = 0; true when masked. */
function underflow(f: Fpu): boolean {
  f.sw &= ~Sw.C1;
  return raise(f, Ex.IE | Ex.SF);
}

/** Stack overflow: IE+SF, C1 = 1; true when masked. */
function overflow(f: Fpu): boolean {
  f.sw |= Sw.C1;
  return raise(f, Ex.IE | Ex.SF);
}

/** Set C1 from the last rounding. */
function c1(f: Fpu): void {
  f.sw = res.c1 !== 0 ? f.sw | Sw.C1 : f.sw & ~Sw.C1;
}

// =====================================================================================
// FSIN FCOS FSINCOS FPTAN
// =====================================================================================

/** Kinds of trigonometric instruction. */
const Trig = { SIN: 0, COS: 1, SINCOS: 2, TAN: 3 } as const;

/** Results of `trig`: first (sin/cos/tan) and second (cos for FSINCOS). */
const trigOut = { se: 0, hi: 0, lo: 0, se2: 0, hi2: 0, lo2: 0 };

/** The common body of the four trigonometric instructions. */
function trig(f: Fpu, kind: number): void {
  const pushes = kind === Trig.SINCOS || kind === Trig.TAN;
  if (f.isEmpty(0)) {
    if (!underflow(f)) return;
    f.setIndefinite(0);
    if (pushes && f.isEmpty(7)) f.push(INDEF_SE, INDEF_HI, 0);
    return;
  }
  if (pushes && !f.isEmpty(7)) {
    if (!overflow(f)) return;
    f.setIndefinite(0);
    f.push(INDEF_SE, INDEF_HI, 0);
    return;
  }
  const p = f.top;
  const se = f.se[p], hi = f.hi[p], lo = f.lo[p];
  const cls = classify(se, hi, lo);
  f.sw &= ~(Sw.C2 | Sw.C1);
  let flags = 0;
  switch (cls) {
    case Cls.UNSUPPORTED:
    case Cls.INF:
      if (!raise(f, Ex.IE)) return;
      setPair(f, pushes, INDEF_SE, INDEF_HI, 0, INDEF_SE, INDEF_HI, 0);
      return;
    case Cls.QNAN:
    case Cls.SNAN: {
      const fl = quietNaN(cls, se, hi, lo);
      if (!raise(f, fl)) return;
      setPair(f, pushes, res.se, res.hi, res.lo, res.se, res.hi, res.lo);
      return;
    }
    case Cls.ZERO:
      if (kind === Trig.COS) setPair(f, false, 0x3fff, J_BIT, 0, 0, 0, 0);
      else if (kind === Trig.SINCOS) setPair(f, true, se, 0, 0, 0x3fff, J_BIT, 0);
      else setPair(f, pushes, se, 0, 0, 0x3fff, J_BIT, 0);
      return;
    default:
      break;
  }
  if (cls === Cls.DENORMAL) {
    flags |= Ex.DE;
    if (!raise(f, Ex.DE)) return;
  }
  // Out of range (|x| >= 2^63): C2 = 1 and nothing changes.
  if ((se & 0x7fff) >= BIAS + 63) {
    f.sw |= Sw.C2;
    return;
  }
  const ex = magnitude(se, hi, lo);
  const bits = WORK + (ex < 0 ? -ex : 0);
  const neg = bigParts.s;
  let x = fix(bigParts.m, bigParts.e, bits + 80);
  // Reduce: x = q·(π/2) + r, |r| <= π/4.
  const halfPi = pi(bits + 80) >> 1n;
  const q = (x + (halfPi >> 1n)) / halfPi;
  x -= q * halfPi;
  const r = x >> 80n;
  sinCosFix(r, bits);
  let s = sc.s;
  let c = sc.c;
  switch (Number(q & 3n)) {
    case 1: { const t = s; s = c; c = -t; break; }
    case 2: s = -s; c = -c; break;
    case 3: { const t = s; s = -c; c = t; break; }
    default: break;
  }
  const B = BigInt(bits);
  let f1: number;
  switch (kind) {
    case Trig.SIN:
      f1 = roundFix(neg, s, bits, f);
      break;
    case Trig.COS:
      f1 = roundFix(0, c, bits, f);
      break;
    case Trig.TAN:
      f1 = roundFix(neg, (s << B) / c, bits, f);
      break;
    default: {
      // FSINCOS: ST1 = sin, ST0 = cos.
      f1 = roundFix(neg, s, bits, f);
      trigOut.se2 = res.se; trigOut.hi2 = res.hi; trigOut.lo2 = res.lo;
      const c1s = res.c1;
      const f2 = roundFix(0, c, bits, f);
      if (!raise(f, flags | f1 | f2)) return;
      f.sw = res.c1 !== 0 || c1s !== 0 ? f.sw | Sw.C1 : f.sw & ~Sw.C1;
      f.setSt(0, trigOut.se2, trigOut.hi2, trigOut.lo2);
      f.push(res.se, res.hi, res.lo);
      return;
    }
  }
  c1(f);
  if (!raise(f, flags | f1)) return;
  setPair(f, pushes, res.se, res.hi, res.lo, 0x3fff, J_BIT, 0);
}

/** Write ST0 (and push the second value when `push`). */
function setPair(f: Fpu, push: boolean, se: number, hi: number, lo: number, se2: number, hi2: number, lo2: number): void {
  f.setSt(0, se, hi, lo);
  if (push) f.push(se2, hi2, lo2);
}

/** FSIN. */
export function fsin(f: Fpu): void {
  trig(f, Trig.SIN);
}

/** FCOS. */
export function fcos(f: Fpu): void {
  trig(f, Trig.COS);
}

/** FSINCOS: ST0 = sin, then push cos. */
export function fsincos(f: Fpu): void {
  trig(f, Trig.SINCOS);
}

/** FPTAN: ST0 = tan, then push 1.0. */
export function fptan(f: Fpu): void {
  trig(f, Trig.TAN);
}

// =====================================================================================
// Two-operand functions: FPATAN FYL2X FYL2XP1, and F2XM1
// =====================================================================================

/** Check ST0/ST1 for FPATAN/FYL2X/FYL2XP1; returns false when done (underflow). */
function twoOperands(f: Fpu): boolean {
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (underflow(f)) {
      f.setIndefinite(1);
      f.pop();
    }
    return false;
  }
  return true;
}

/** Finish a two-operand function: ST1 = res, pop. */
function storeST1Pop(f: Fpu, flags: number): void {
  c1(f);
  if (!raise(f, flags)) return;
  f.setSt(1, res.se, res.hi, res.lo);
  f.pop();
}

/** NaN handling for two operands (x87 rules); returns true when it produced the result. */
function nan2(f: Fpu, cx: number, cy: number, px: number, py: number): boolean {
  const nx = cx === Cls.QNAN || cx === Cls.SNAN;
  const ny = cy === Cls.QNAN || cy === Cls.SNAN;
  if (cx === Cls.UNSUPPORTED || cy === Cls.UNSUPPORTED) {
    res.se = INDEF_SE; res.hi = INDEF_HI; res.lo = 0; res.c1 = 0;
    storeST1Pop(f, Ex.IE);
    return true;
  }
  if (!nx && !ny) return false;
  let fl = (cx === Cls.SNAN ? Ex.IE : 0) | (cy === Cls.SNAN ? Ex.IE : 0);
  let p: number;
  if (nx && ny) {
    if (cx !== cy) p = cx === Cls.QNAN ? px : py;
    else {
      const hx = (f.hi[px] | 0x40000000) >>> 0, hy = (f.hi[py] | 0x40000000) >>> 0;
      p = hx > hy || (hx === hy && f.lo[px] >>> 0 >= f.lo[py] >>> 0) ? px : py;
    }
  } else p = nx ? px : py;
  fl |= quietNaN(Cls.QNAN, f.se[p], f.hi[p], f.lo[p]);
  res.c1 = 0;
  storeST1Pop(f, fl);
  return true;
}

/** Put ±inf / ±0 / indefinite into res. */
function putSpecial(se: number, hi: number): void {
  res.se = se;
  res.hi = hi;
  res.lo = 0;
  res.c1 = 0;
}

/** FPATAN: ST1 = atan(ST1 / ST0) with the quadrant of (ST0, ST1), pop. */
export function fpatan(f: Fpu): void {
  if (!twoOperands(f)) return;
  const px = f.top, py = (f.top + 1) & 7;
  const cx = classify(f.se[px], f.hi[px], f.lo[px]);
  const cy = classify(f.se[py], f.hi[py], f.lo[py]);
  if (nan2(f, cx, cy, px, py)) return;
  const flags = cx === Cls.DENORMAL || cy === Cls.DENORMAL ? Ex.DE : 0;
  if (!raise(f, flags)) return;
  const sy = (f.se[py] >> 15) & 1;
  const xNeg = (f.se[px] & 0x8000) !== 0;
  const bits = WORK;
  const P = pi(bits);
  let v: bigint;
  let vb = bits;
  if (cy === Cls.ZERO) {
    if (!xNeg) {
      putSpecial(sy << 15, 0);
      storeST1Pop(f, flags);
      return;
    }
    v = P;
  } else if (cy === Cls.INF) {
    v = cx === Cls.INF ? (xNeg ? (3n * P) >> 2n : P >> 2n) : P >> 1n;
  } else if (cx === Cls.ZERO) {
    v = P >> 1n;
  } else if (cx === Cls.INF) {
    if (!xNeg) {
      putSpecial(sy << 15, 0);
      storeST1Pop(f, flags);
      return;
    }
    v = P;
  } else {
    toBigParts(f.se[px], f.hi[px], f.lo[px]);
    const mx = bigParts.m, ex = bigParts.e;
    toBigParts(f.se[py], f.hi[py], f.lo[py]);
    const my = bigParts.m, ey = bigParts.e;
    // t = |y| / |x|
    const et = ey - ex;
    if (et <= 0) {
      vb = bits + (et < 0 ? -et : 0);
      const t = fix((my << BigInt(vb + 2)) / mx, et - vb - 2, vb);
      v = atanFix(t, vb);
    } else {
      const t = fix((mx << BigInt(vb + 2)) / my, -et - vb - 2, vb);
      v = (pi(vb) >> 1n) - atanFix(t, vb);
    }
    if (xNeg) v = pi(vb) - v;
  }
  storeST1Pop(f, flags | roundFix(sy, v, vb, f));
}

/** log2(x) of a finite positive x as fixed point at `bits`. */
function log2Fix(m: bigint, e: number, bits: number): bigint {
  // x = m·2^e with m of 64 bits; bring m/2^63 into [sqrt(1/2), sqrt(2)).
  let k = e + 63;
  let num = m;
  let den = 1n << 63n;
  // 0xB504F333F9DE6484 / 2^63 ≈ sqrt(2)
  if (m >= 0xb504f333f9de6484n) {
    den <<= 1n;
    k += 1;
  }
  const lnm = lnNear1(num - den, num + den, bits);
  num = (lnm << BigInt(bits)) / ln2(bits);
  return (BigInt(k) << BigInt(bits)) + num;
}

/** FYL2X: ST1 = ST1 · log2(ST0), pop. */
export function fyl2x(f: Fpu): void {
  if (!twoOperands(f)) return;
  const px = f.top, py = (f.top + 1) & 7;
  const cx = classify(f.se[px], f.hi[px], f.lo[px]);
  const cy = classify(f.se[py], f.hi[py], f.lo[py]);
  if (nan2(f, cx, cy, px, py)) return;
  const xNeg = (f.se[px] & 0x8000) !== 0;
  const sy = (f.se[py] >> 15) & 1;
  if (xNeg && cx !== Cls.ZERO) {
    putSpecial(INDEF_SE, INDEF_HI);
    storeST1Pop(f, Ex.IE);
    return;
  }
  const flags = cx === Cls.DENORMAL || cy === Cls.DENORMAL ? Ex.DE : 0;
  if (!raise(f, flags)) return;
  const isOne = cx === Cls.NORMAL && (f.se[px] & 0x7fff) === BIAS && f.hi[px] === J_BIT && f.lo[px] === 0;
  if (cx === Cls.ZERO) {
    if (cy === Cls.ZERO) { putSpecial(INDEF_SE, INDEF_HI); storeST1Pop(f, Ex.IE); return; }
    putSpecial(((sy ^ 1) << 15) | EXP_MAX, J_BIT);
    storeST1Pop(f, cy === Cls.INF ? flags : flags | Ex.ZE);
    return;
  }
  if (cx === Cls.INF) {
    if (cy === Cls.ZERO) { putSpecial(INDEF_SE, INDEF_HI); storeST1Pop(f, Ex.IE); return; }
    putSpecial((sy << 15) | EXP_MAX, J_BIT);
    storeST1Pop(f, flags);
    return;
  }
  if (cy === Cls.INF) {
    if (isOne) { putSpecial(INDEF_SE, INDEF_HI); storeST1Pop(f, Ex.IE); return; }
    const logNeg = (f.se[px] & 0x7fff) < BIAS ? 1 : 0;
    putSpecial(((sy ^ logNeg) << 15) | EXP_MAX, J_BIT);
    storeST1Pop(f, flags);
    return;
  }
  if (isOne || cy === Cls.ZERO) {
    const logNeg = (f.se[px] & 0x7fff) < BIAS ? 1 : 0;
    putSpecial((sy ^ (isOne ? 0 : logNeg)) << 15, 0);
    storeST1Pop(f, flags);
    return;
  }
  toBigParts(f.se[px], f.hi[px], f.lo[px]);
  const L = log2Fix(bigParts.m, bigParts.e, WORK);
  toBigParts(f.se[py], f.hi[py], f.lo[py]);
  let prod = L * bigParts.m;
  let sign = sy;
  if (prod < 0n) {
    prod = -prod;
    sign ^= 1;
  }
  storeST1Pop(f, flags | bigRound(sign, (prod << 1n) | 1n, bigParts.e - WORK - 1, 64, (f.cw >> Cw.RC_SHIFT) & 3, f.cw & Cw.MASKS));
}

/** FYL2XP1: ST1 = ST1 · log2(ST0 + 1), pop. */
export function fyl2xp1(f: Fpu): void {
  if (!twoOperands(f)) return;
  const px = f.top, py = (f.top + 1) & 7;
  const cx = classify(f.se[px], f.hi[px], f.lo[px]);
  const cy = classify(f.se[py], f.hi[py], f.lo[py]);
  if (nan2(f, cx, cy, px, py)) return;
  const flags = cx === Cls.DENORMAL || cy === Cls.DENORMAL ? Ex.DE : 0;
  if (!raise(f, flags)) return;
  const sx = (f.se[px] >> 15) & 1;
  const sy = (f.se[py] >> 15) & 1;
  if (cx === Cls.ZERO) {
    if (cy === Cls.INF) { putSpecial(INDEF_SE, INDEF_HI); storeST1Pop(f, Ex.IE); return; }
    putSpecial((sx ^ sy) << 15, 0);
    storeST1Pop(f, flags);
    return;
  }
  if (cx === Cls.INF) {
    if (sx !== 0 || cy === Cls.ZERO) { putSpecial(INDEF_SE, INDEF_HI); storeST1Pop(f, Ex.IE); return; }
    putSpecial((sy << 15) | EXP_MAX, J_BIT);
    storeST1Pop(f, flags);
    return;
  }
  if (cy === Cls.INF) {
    putSpecial(((sx ^ sy) << 15) | EXP_MAX, J_BIT);
    storeST1Pop(f, flags);
    return;
  }
  if (cy === Cls.ZERO) {
    putSpecial((sx ^ sy) << 15, 0);
    storeST1Pop(f, flags);
    return;
  }
  toBigParts(f.se[px], f.hi[px], f.lo[px]);
  const mx = bigParts.m, ex = bigParts.e;
  const mag = ex + 64;
  const bits = WORK + (mag < 0 ? -mag : 0);
  // x as a rational num/2^-ex; ln(1+x) = 2 atanh(x / (2 + x)).
  const den = ex < 0 ? 1n << BigInt(-ex) : 1n;
  const num = ex < 0 ? mx : mx << BigInt(ex);
  const sNum = sx !== 0 ? -num : num;
  if (sx !== 0 && num >= den) {
    // x <= -1: log of a non-positive number.
    if (num === den) {
      putSpecial(((sy ^ 1) << 15) | EXP_MAX, J_BIT);
      storeST1Pop(f, flags | Ex.ZE);
    } else {
      putSpecial(INDEF_SE, INDEF_HI);
      storeST1Pop(f, Ex.IE);
    }
    return;
  }
  const lnv = lnNear1(sNum, 2n * den + sNum, bits);
  const L = (lnv << BigInt(bits)) / ln2(bits);
  toBigParts(f.se[py], f.hi[py], f.lo[py]);
  let prod = L * bigParts.m;
  let sign = sy;
  if (prod < 0n) {
    prod = -prod;
    sign ^= 1;
  }
  storeST1Pop(f, flags | bigRound(sign, (prod << 1n) | 1n, bigParts.e - bits - 1, 64, (f.cw >> Cw.RC_SHIFT) & 3, f.cw & Cw.MASKS));
}

/** F2XM1: ST0 = 2^ST0 − 1 (defined for −1 <= ST0 <= 1). */
export function f2xm1(f: Fpu): void {
  if (f.isEmpty(0)) {
    if (underflow(f)) f.setIndefinite(0);
    return;
  }
  const p = f.top;
  const se = f.se[p], hi = f.hi[p], lo = f.lo[p];
  const cls = classify(se, hi, lo);
  f.sw &= ~Sw.C1;
  switch (cls) {
    case Cls.UNSUPPORTED:
      if (raise(f, Ex.IE)) f.setIndefinite(0);
      return;
    case Cls.QNAN:
    case Cls.SNAN: {
      const fl = quietNaN(cls, se, hi, lo);
      if (raise(f, fl)) f.setSt(0, res.se, res.hi, res.lo);
      return;
    }
    case Cls.ZERO:
      return;
    case Cls.INF:
      if ((se & 0x8000) !== 0) f.setSt(0, 0xbfff, J_BIT, 0);
      return;
    default:
      break;
  }
  let flags = 0;
  if (cls === Cls.DENORMAL) {
    flags = Ex.DE;
    if (!raise(f, Ex.DE)) return;
  }
  const ex = magnitude(se, hi, lo);
  if (ex > 7) {
    // Far outside the architectural domain: 2^x − 1 is huge or −1.
    if ((se & 0x8000) !== 0) {
      const fl = bigRound(1, (1n << 200n) - 1n, -200, 64, (f.cw >> Cw.RC_SHIFT) & 3, f.cw & Cw.MASKS);
      c1(f);
      if (raise(f, flags | fl)) f.setSt(0, res.se, res.hi, res.lo);
    } else {
      const fl = bigRound(0, 1n, 1 << 20, 64, (f.cw >> Cw.RC_SHIFT) & 3, f.cw & Cw.MASKS);
      c1(f);
      if (raise(f, flags | fl)) f.setSt(0, res.se, res.hi, res.lo);
    }
    return;
  }
  const bits = WORK + (ex < 0 ? -ex : 0);
  const B = BigInt(bits);
  const x = fix(bigParts.m, bigParts.e, bits);
  const y = ((bigParts.s !== 0 ? -x : x) * ln2(bits)) >> B;
  // e^y − 1 = y + y²/2! + …; reduce |y| by halving for larger arguments.
  let halvings = 0;
  let yr = y;
  const lim = 1n << (B - 2n);
  while ((yr < 0n ? -yr : yr) > lim) {
    yr >>= 1n;
    halvings++;
  }
  let term = yr;
  let sum = yr;
  for (let k = 2n; term !== 0n; k++) {
    term = ((term * yr) >> B) / k;
    sum += term;
  }
  // (e^{2y} − 1) = (e^y − 1)(e^y − 1 + 2)
  for (let k = 0; k < halvings; k++) sum = (sum * (sum + (2n << B))) >> B;
  const fl = roundFix(0, sum, bits, f);
  c1(f);
  if (raise(f, flags | fl)) f.setSt(0, res.se, res.hi, res.lo);
}
