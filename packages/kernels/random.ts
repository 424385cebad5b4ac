/**
 * Deterministic seeded random numbers: sfc32 seeded through splitmix32, normals by Box–Muller.
 * Same seed → same sequence on every machine and backend (values are generated on the host in
 * float64, then stored in the tensor's dtype).
 *
 * Test: packages/kernels/spec/random_test.ts.
 */

/** splitmix32 step, used to expand a 32-bit seed into sfc32's 128-bit state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A small fast PRNG (sfc32) with uniform, normal and integer draws. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | null = null;

  constructor(seed = 0) {
    const st = { s: seed | 0 };
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = splitmix32(st);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    const u1 = 1 - this.next(); // (0, 1]
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The full internal state, for checkpointing. */
  getState(): number[] {
    return [this.#a, this.#b, this.#c, this.#d, this.#spare ?? Number.NaN];
  }

  /** Restores a state from getState(). */
  setState(s: readonly number[]): void {
    if (s.length !== 5) throw new Error(`Rng.setState: expected 5 numbers, got ${s.length}.`);
    this.#a = s[0]! | 0;
    this.#b = s[1]! | 0;
    this.#c = s[2]! | 0;
    this.#d = s[3]! | 0;
    this.#spare = Number.isNaN(s[4]!) ? null : s[4]!;
  }
}
