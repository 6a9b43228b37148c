/**
 * A small seeded PRNG (Marsaglia xorshift32) so fuzz runs are reproducible from a seed.
 */
export class Xorshift32 {
  private s: number;

  constructor(seed: number) {
    this.s = seed | 0 || 0x9e3779b9;
  }

  /** Next value as an unsigned 32-bit integer. */
  nextU32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 0x100000000) * n);
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }
}
