/**
 * The seeded PRNG of every package (`@mempo/kernels/random`, no other imports, so it loads without a
 * backend): sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit) seeded through
 * splitmix32, 12 draws discarded. Same seed → same stream on every machine: only 32-bit integer
 * arithmetic (`Math.imul`, `>>>`), never `Math.random`. Not cryptographic.
 *
 * - Seeds are numbers (their low 32 bits) or strings (hashed with FNV-1a); `fork(label)` derives an
 *   independent stream from the seed and a label, so draws in one part of a program do not shift
 *   another part.
 * - `state()` is the whole state, four uint32 words; `Rng.fromState(state)` continues the stream
 *   exactly (checkpoints store it). `normal()` keeps no spare value, so the words define the stream.
 *
 * Test: packages/kernels/spec/random_test.ts.
 */

/** The generator state: four uint32 words. */
export type RngState = [number, number, number, number];

/** 32-bit FNV-1a hash of a string (turns string seeds and fork labels into numbers). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  /** The uint32 seed `fork` derives from; null for a generator restored from a state. */
  #seed: number | null;

  /** @param seed a number (its low 32 bits are used) or a string; equal seeds give equal streams. */
  constructor(seed: number | string = 0) {
    this.#seed = typeof seed === "string" ? hashString(seed) : seed >>> 0;
    let s = this.#seed;
    const splitmix32 = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.setState([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A generator that continues the stream of `state` (from {@link Rng.state}). */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    r.#seed = null;
    return r;
  }

  /** The current state (a copy): four uint32 words. */
  state(): RngState {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** Continues from `state` (four uint32 words); throws on anything else. */
  setState(state: RngState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new Error(
        `Rng.setState: expected four uint32 words, got ${JSON.stringify(state)}. ` +
          "Fix: pass the array Rng.state() returned.",
      );
    }
    [this.#a, this.#b, this.#c, this.#d] = [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0];
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new Error(`Rng.int: empty range [${lo}, ${hi}]. Fix: pass lo ≤ hi.`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("Rng.pick: empty array. Fix: pick from at least one element.");
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  /** Standard normal: Box–Muller, r·cos(2πu₂) of two uniforms (u₁ ∈ (0, 1]). */
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * out[i] = mean + std·z for standard normals z taken two per pair of uniforms (r·cos, then r·sin:
   * the pair's first value is what `normal()` gives); an odd last element uses the cosine only.
   */
  fillNormal(out: { length: number; [i: number]: number }, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.next()));
      const angle = 2 * Math.PI * this.next();
      out[i] = mean + std * (r * Math.cos(angle));
      if (i + 1 < out.length) out[i + 1] = mean + std * (r * Math.sin(angle));
    }
  }

  /** An independent generator derived from this one's seed and a label (consumes no draws). */
  fork(label: string | number): Rng {
    const seed = this.#seed;
    if (seed === null) {
      throw new Error(
        "Rng.fork: this generator was restored from a state and has no seed to fork from. " +
          "Fix: fork from a generator made with new Rng(seed).",
      );
    }
    return new Rng((hashString(`${seed}:${label}`) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
  }
}
