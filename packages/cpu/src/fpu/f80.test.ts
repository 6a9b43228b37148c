/**
 * 80-bit arithmetic against an independent exact model: values as BigInt rationals,
 * rounded by definition (quantum at the destination precision, IEEE rounding directions,
 * tininess after rounding, masked overflow rules). Random operands cover every exponent
 * region, denormals, all rounding modes and precisions.
 */
import { describe, expect, it } from "vitest";
import * as X from "./f80.js";
import { Ex, Rc, res } from "./f80.js";

const BIAS = 16383;

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

interface Val { se: number; hi: number; lo: number }

/** Exact value of a finite extended (sign, m, e): (-1)^s · m · 2^e. */
function decode(v: Val): { s: number; m: bigint; e: number } {
  const exp = v.se & 0x7fff;
  const m = (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
  return { s: v.se >>> 15, m, e: (exp === 0 ? 1 : exp) - BIAS - 63 };
}

/** floor(log2(n/d)) for positive rationals. */
function ilog2(n: bigint, d: bigint): number {
  let k = n.toString(2).length - d.toString(2).length;
  // adjust so that 2^k <= n/d < 2^(k+1)
  const ge = (k2: number): boolean => (k2 >= 0 ? n >= d << BigInt(k2) : n << BigInt(-k2) >= d);
  while (!ge(k)) k--;
  while (ge(k + 1)) k++;
  return k;
}

interface Rounded { v: Val; flags: number; c1: number }

/**
 * Reference rounding of sign · n/d (n, d > 0) to prec bits, register destination with
 * all exceptions masked.
 */
function refRound(sign: number, n: bigint, d: bigint, prec: number, rc: number): Rounded {
  const k = ilog2(n, d);
  const emin = 1 - BIAS; // unbiased minimum normal exponent
  const roundAt = (q: number): { i: bigint; inexact: boolean; up: boolean } => {
    // integer i = round(n/d / 2^q)
    let num = n;
    let den = d;
    if (q >= 0) den <<= BigInt(q);
    else num <<= BigInt(-q);
    let i = num / den;
    const r = num - i * den;
    const inexact = r !== 0n;
    let up = false;
    if (inexact) {
      if (rc === Rc.NEAREST) up = 2n * r > den || (2n * r === den && (i & 1n) === 1n);
      else if (rc === Rc.UP) up = sign === 0;
      else if (rc === Rc.DOWN) up = sign === 1;
    }
    if (up) i += 1n;
    return { i, inexact, up };
  };
  // Tininess after rounding with an unbounded exponent.
  const unb = roundAt(k - (prec - 1));
  const unbVal = { n: unb.i, q: k - (prec - 1) };
  const tiny = ilog2(unbVal.n, 1n) + unbVal.q < emin;
  const q = Math.max(k, emin) - (prec - 1);
  const r = roundAt(q);
  let flags = r.inexact ? Ex.PE : 0;
  if (tiny && r.inexact) flags |= Ex.UE;
  let c1 = r.up ? 1 : 0;
  if (r.i === 0n) return { v: { se: sign << 15, hi: 0, lo: 0 }, flags, c1 };
  // Normalise i · 2^q to a 64-bit significand.
  const bits = r.i.toString(2).length;
  const e = bits - 1 + q; // unbiased exponent of the leading bit
  let m: bigint;
  let se: number;
  if (e > 0x7ffe - BIAS) {
    flags |= Ex.OE | Ex.PE;
    const toInf = rc === Rc.NEAREST || (rc === Rc.UP && sign === 0) || (rc === Rc.DOWN && sign === 1);
    c1 = toInf ? 1 : 0;
    if (toInf) return { v: { se: (sign << 15) | 0x7fff, hi: 0x80000000 | 0, lo: 0 }, flags, c1 };
    m = ((1n << BigInt(prec)) - 1n) << BigInt(64 - prec);
    se = (sign << 15) | 0x7ffe;
  } else if (e < emin) {
    m = r.i << BigInt(q - (emin - 63));
    se = sign << 15;
  } else {
    m = r.i << BigInt(63 - (bits - 1));
    se = (sign << 15) | (e + BIAS);
  }
  return { v: { se, hi: Number(m >> 32n) | 0, lo: Number(m & 0xffffffffn) | 0 }, flags, c1 };
}

/** A random finite extended value from an interesting region. */
function randVal(r: () => number): Val {
  const kind = r() % 16;
  let exp: number;
  if (kind < 6) exp = BIAS - 40 + (r() % 80);
  else if (kind < 8) exp = 1 + (r() % 70); // near the bottom
  else if (kind < 10) exp = 0x7ffe - (r() % 70); // near the top
  else if (kind < 11) exp = 0; // denormal
  else exp = 1 + (r() % 0x7ffe);
  let hi = r() | 0;
  let lo = r() | 0;
  if (r() % 4 === 0) lo = r() % 2 === 0 ? 0 : -1; // long runs of equal bits
  if (r() % 8 === 0) hi = (hi & 0xff000000) | (r() % 2 === 0 ? 0 : 0xffffff);
  if (exp !== 0) hi |= 0x80000000;
  else hi &= 0x7fffffff;
  if (exp === 0 && hi === 0 && lo === 0) lo = 1;
  return { se: ((r() & 1) << 15) | exp, hi: hi | 0, lo };
}

function precOf(i: number): number {
  return [24, 53, 64][i % 3];
}

function show(v: Val): string {
  return `${(v.se & 0xffff).toString(16)}:${(v.hi >>> 0).toString(16).padStart(8, "0")}${(v.lo >>> 0).toString(16).padStart(8, "0")}`;
}

function check(got: Val, gotFlags: number, exp: Rounded, what: string): void {
  const g = `${show(got)} f=${gotFlags.toString(16)} c1=${res.c1}`;
  const e = `${show(exp.v)} f=${exp.flags.toString(16)} c1=${exp.c1}`;
  expect(g, what).toBe(e);
}

describe("f80 basic operations against the exact model", () => {
  const masks = 0x3f;
  it("add/sub/mul/div, random operands, all precisions and rounding modes", () => {
    const r = rng(0x87);
    for (let n = 0; n < 6000; n++) {
      const a = randVal(r);
      const b = randVal(r);
      const op = n % 4;
      const prec = precOf(r());
      const rc = r() & 3;
      const flags = X.arith(op, a.se, a.hi, a.lo, b.se, b.hi, b.lo, prec, rc, masks);
      const got = { se: res.se & 0xffff, hi: res.hi, lo: res.lo };
      const A = decode(a);
      const B = decode(b);
      let sign: number;
      let num: bigint;
      let d: bigint;
      const denormalIn = (a.se & 0x7fff) === 0 || (b.se & 0x7fff) === 0 ? Ex.DE : 0;
      if (op === X.Op.MUL || op === X.Op.DIV) {
        sign = A.s ^ B.s;
        if (op === X.Op.MUL) {
          num = A.m * B.m;
          const e = A.e + B.e;
          d = 1n;
          if (e >= 0) num <<= BigInt(e);
          else d <<= BigInt(-e);
        } else {
          num = A.m;
          d = B.m;
          const e = A.e - B.e;
          if (e >= 0) num <<= BigInt(e);
          else d <<= BigInt(-e);
        }
      } else {
        const sb = op === X.Op.SUB ? B.s ^ 1 : B.s;
        const emin = Math.min(A.e, B.e);
        const va = (A.s ? -A.m : A.m) << BigInt(A.e - emin);
        const vb = (sb ? -B.m : B.m) << BigInt(B.e - emin);
        const sum = va + vb;
        if (sum === 0n) {
          expect(show(got)).toBe(show({ se: rc === Rc.DOWN ? 0x8000 : 0, hi: 0, lo: 0 }));
          continue;
        }
        sign = sum < 0n ? 1 : 0;
        num = sum < 0n ? -sum : sum;
        d = 1n;
        if (emin >= 0) num <<= BigInt(emin);
        else d <<= BigInt(-emin);
      }
      const want = refRound(sign, num, d, prec, rc);
      want.flags |= denormalIn;
      check(got, flags, want, `op ${op} ${show(a)} ${show(b)} prec ${prec} rc ${rc}`);
    }
  });

  it("sqrt results satisfy the rounding inequalities", () => {
    const r = rng(0x5a);
    for (let n = 0; n < 1500; n++) {
      const a = randVal(r);
      a.se &= 0x7fff;
      const prec = precOf(r());
      const rc = r() & 3;
      X.sqrt(a.se, a.hi, a.lo, prec, rc, 0x3f);
      const g = decode({ se: res.se, hi: res.hi, lo: res.lo });
      const A = decode(a);
      // Compare g.m^2 · 2^(2 g.e) with A.m · 2^A.e at a common scale.
      const ulpE = Math.max((res.se & 0x7fff) === 0 ? 1 - BIAS : (res.se & 0x7fff) - BIAS, 1 - BIAS) - (prec - 1);
      const lo2 = 2 * g.e;
      const base = Math.min(lo2, A.e, 2 * (ulpE - 1));
      const sq = (m: bigint, e: number): bigint => (m * m) << BigInt(2 * e - base);
      const gm = g.m; // g = gm · 2^g.e ; ulp = 2^ulpE
      const ulpM = ulpE >= g.e ? 1n << BigInt(ulpE - g.e) : 1n;
      const v = A.m << BigInt(A.e - base);
      const rr = sq(gm, g.e);
      const up = sq(gm + ulpM, g.e);
      const dn = sq(gm - ulpM, g.e);
      const hiHalf = sq(2n * gm + ulpM, g.e - 1);
      const loHalf = sq(2n * gm - ulpM, g.e - 1);
      const ctx = `${show(a)} prec ${prec} rc ${rc} -> ${show(res)}`;
      if (rc === Rc.NEAREST) {
        expect(loHalf < v && v < hiHalf, ctx).toBe(true);
      } else if (rc === Rc.UP) {
        expect(dn < v && v <= rr, ctx).toBe(true);
      } else {
        expect(rr <= v && v < up, ctx).toBe(true);
      }
    }
  });
});

describe("f80 special operands (SDM rules)", () => {
  const INF = { se: 0x7fff, hi: 0x80000000 | 0, lo: 0 };
  const NINF = { se: 0xffff, hi: 0x80000000 | 0, lo: 0 };
  const ONE = { se: 0x3fff, hi: 0x80000000 | 0, lo: 0 };
  const ZERO = { se: 0, hi: 0, lo: 0 };
  const NZERO = { se: 0x8000, hi: 0, lo: 0 };
  const SNAN = { se: 0x7fff, hi: 0x80000001 | 0, lo: 0 };
  const QNAN = { se: 0xffff, hi: 0xc0000005 | 0, lo: 0 };
  const INDEF = "ffff:c000000000000000";
  const run = (op: number, a: Val, b: Val, rc: number = Rc.NEAREST): string => {
    const f = X.arith(op, a.se, a.hi, a.lo, b.se, b.hi, b.lo, 64, rc, 0x3f);
    return `${show(res)} ${f}`;
  };
  it("invalid operations give the real indefinite and IE", () => {
    expect(run(X.Op.ADD, INF, NINF)).toBe(`${INDEF} ${Ex.IE}`);
    expect(run(X.Op.SUB, INF, INF)).toBe(`${INDEF} ${Ex.IE}`);
    expect(run(X.Op.MUL, ZERO, NINF)).toBe(`${INDEF} ${Ex.IE}`);
    expect(run(X.Op.DIV, ZERO, NZERO)).toBe(`${INDEF} ${Ex.IE}`);
    expect(run(X.Op.DIV, INF, NINF)).toBe(`${INDEF} ${Ex.IE}`);
    X.sqrt(0xbfff, 0x80000000 | 0, 0, 64, 0, 0x3f);
    expect(show(res)).toBe(INDEF);
  });
  it("division by zero gives a signed infinity and ZE", () => {
    expect(run(X.Op.DIV, ONE, NZERO)).toBe(`ffff:8000000000000000 ${Ex.ZE}`);
  });
  it("signed zeros follow the rounding direction", () => {
    expect(run(X.Op.ADD, ZERO, NZERO)).toBe("0:0000000000000000 0");
    expect(run(X.Op.ADD, ZERO, NZERO, Rc.DOWN)).toBe("8000:0000000000000000 0");
    expect(run(X.Op.SUB, ONE, ONE, Rc.DOWN)).toBe("8000:0000000000000000 0");
    expect(run(X.Op.SUB, ONE, ONE, Rc.UP)).toBe("0:0000000000000000 0");
  });
  it("NaNs: SNaN is quieted with IE, a QNaN operand wins over an SNaN", () => {
    expect(run(X.Op.ADD, SNAN, ONE)).toBe(`7fff:c000000100000000 ${Ex.IE}`);
    expect(run(X.Op.MUL, SNAN, QNAN)).toBe(`ffff:c000000500000000 ${Ex.IE}`);
    expect(run(X.Op.MUL, ONE, QNAN)).toBe("ffff:c000000500000000 0");
  });
  it("masked overflow and underflow", () => {
    const big = { se: 0x7ffe, hi: -1, lo: -1 };
    expect(run(X.Op.ADD, big, big)).toBe(`7fff:8000000000000000 ${Ex.OE | Ex.PE}`);
    expect(run(X.Op.ADD, big, big, Rc.ZERO)).toBe(`7ffe:ffffffffffffffff ${Ex.OE | Ex.PE}`);
    const tiny = { se: 0x0001, hi: 0x80000000 | 0, lo: 1 };
    const half = { se: 0x3ffe, hi: 0x80000000 | 0, lo: 0 };
    expect(run(X.Op.MUL, tiny, half)).toBe(`0:4000000000000000 ${Ex.UE | Ex.PE}`);
  });
  it("unmasked overflow wraps the exponent by 24576", () => {
    const big = { se: 0x7ffe, hi: 0x80000000 | 0, lo: 0 };
    const f = X.arith(X.Op.MUL, big.se, big.hi, big.lo, big.se, big.hi, big.lo, 64, 0, 0x3f & ~Ex.OE);
    expect(f & Ex.OE).toBe(Ex.OE);
    expect(res.se).toBe(0x7ffe + 0x7ffe - BIAS - 24576); // 1.0 · 1.0: no carry
  });
});

describe("f80 conversions", () => {
  it("binary64 round trip and extended→binary32 match the host's rounding to nearest", () => {
    const r = rng(0x64);
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    const f32 = new Float32Array(1);
    const i32 = new Int32Array(f32.buffer);
    for (let n = 0; n < 3000; n++) {
      u32[0] = r();
      u32[1] = r();
      if (Number.isNaN(f64[0])) continue;
      X.fromF64(u32[1] | 0, u32[0] | 0);
      const se = res.se, hi = res.hi, lo = res.lo;
      X.toFloat(se, hi, lo, 64, Rc.NEAREST, 0x3f);
      expect((X.packHi >>> 0).toString(16) + ":" + (X.packLo >>> 0).toString(16)).toBe(u32[1].toString(16) + ":" + u32[0].toString(16));
      X.toFloat(se, hi, lo, 32, Rc.NEAREST, 0x3f);
      f32[0] = f64[0];
      expect(X.packLo | 0, `${f64[0]}`).toBe(i32[0]);
    }
  });
  it("integers: exact loads and rounded stores in every mode", () => {
    X.fromInt64(0x80000000 | 0, 0);
    expect(show(res)).toBe("c03e:8000000000000000");
    X.fromInt32(-3);
    expect(show(res)).toBe("c000:c000000000000000");
    const cases: [number, number, number][] = [
      // value (as double), rc, expected
      [2.5, Rc.NEAREST, 2], [3.5, Rc.NEAREST, 4], [-2.5, Rc.NEAREST, -2], [2.5, Rc.DOWN, 2],
      [-2.5, Rc.DOWN, -3], [2.1, Rc.UP, 3], [-2.9, Rc.ZERO, -2], [0.3, Rc.UP, 1], [-0.3, Rc.DOWN, -1],
    ];
    const f64 = new Float64Array(1);
    const i32 = new Int32Array(f64.buffer);
    for (const [v, rc, want] of cases) {
      f64[0] = v;
      X.fromF64(i32[1], i32[0]);
      const flags = X.toInt(res.se, res.hi, res.lo, 32, rc);
      expect(X.intLo, `${v} rc ${rc}`).toBe(want);
      expect(flags).toBe(Ex.PE);
      expect(res.c1).toBe(Math.abs(want) > Math.abs(v) ? 1 : 0);
    }
    // Out of range: IE and the integer indefinite.
    X.fromInt32(40000);
    expect(X.toInt(res.se, res.hi, res.lo, 16, Rc.NEAREST)).toBe(Ex.IE);
    expect(X.intLo).toBe(0x8000);
    X.fromInt32(-32768);
    expect(X.toInt(res.se, res.hi, res.lo, 16, Rc.NEAREST)).toBe(0);
    expect(X.intLo).toBe(-32768);
  });
});
