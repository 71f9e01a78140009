/**
 * Explicit, seeded randomness. Every stochastic routine in crossbar-lab takes an `Rng`
 * argument; nothing calls `Math.random`. The same seed gives the same stream on every run
 * and every machine (seedrandom's ARC4 generator, pure JavaScript).
 */
import seedrandom from "seedrandom";

/** A seed: a number or a string. */
export type Seed = number | string;

export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | null = null;
  /** The seed this stream was created from (for provenance). */
  readonly seed: string;

  constructor(seed: Seed) {
    if (typeof seed === "number" && !Number.isFinite(seed)) {
      throw new RangeError(`Rng seed must be a finite number or a string, got ${seed}`);
    }
    this.seed = String(seed);
    this.prng = seedrandom(this.seed);
  }

  /** Uniform on [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform on [low, high). */
  uniform(low = 0, high = 1): number {
    if (!(high >= low)) throw new RangeError(`uniform: high (${high}) must be >= low (${low})`);
    return low + (high - low) * this.prng();
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int: n must be a positive integer, got ${n}`);
    return Math.floor(this.prng() * n);
  }

  /** Normal(mean, std) by the Box–Muller transform (pairs cached). */
  normal(mean = 0, std = 1): number {
    if (!(std >= 0)) throw new RangeError(`normal: std must be >= 0, got ${std}`);
    let z: number;
    if (this.spareNormal !== null) {
      z = this.spareNormal;
      this.spareNormal = null;
    } else {
      let u = 0;
      while (u === 0) u = this.prng();
      const v = this.prng();
      const r = Math.sqrt(-2 * Math.log(u));
      z = r * Math.cos(2 * Math.PI * v);
      this.spareNormal = r * Math.sin(2 * Math.PI * v);
    }
    return mean + std * z;
  }

  /** Bernoulli(p): true with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    return this.prng() < p;
  }

  /** One element of `items`, uniformly (or by non-negative `weights`). */
  choice<T>(items: readonly T[], weights?: readonly number[]): T {
    if (items.length === 0) throw new RangeError("choice: items is empty");
    if (!weights) return items[this.int(items.length)];
    if (weights.length !== items.length) {
      throw new RangeError(`choice: ${weights.length} weights for ${items.length} items`);
    }
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0)) throw new RangeError(`choice: weights must be >= 0, got ${w}`);
      total += w;
    }
    if (total <= 0) throw new RangeError("choice: weights sum to 0");
    let u = this.prng() * total;
    for (let i = 0; i < items.length; i++) {
      u -= weights[i];
      if (u < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** A Fisher–Yates shuffled copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** Fill a new Float64Array with Normal(mean, std) draws. */
  normals(n: number, mean = 0, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fill a new Float64Array with Uniform[low, high) draws. */
  uniforms(n: number, low = 0, high = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /**
   * A 32-bit integer seed for a tfjs random op (`tf.randomNormal(shape, 0, 1, 'float32', rng.tfSeed())`).
   * tfjs ops are then deterministic too, and the stream stays owned by this generator.
   */
  tfSeed(): number {
    return Math.floor(this.prng() * 2 ** 31);
  }

  /** An independent child stream, derived deterministically from this one and a label. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}/${this.int(2 ** 31)}`);
  }

  /**
   * A child stream named by `label` alone: it does not advance this generator, so the same label gives
   * the same stream whatever else was drawn (use it for streams that must not depend on each other).
   */
  derive(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }
}

/** Create a seeded generator. */
export function rng(seed: Seed): Rng {
  return new Rng(seed);
}
