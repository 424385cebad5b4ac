/**
 * Seeded pseudo-random numbers for initialisation and sampling: xoshiro128** seeded through
 * splitmix32. The whole state is four uint32 words, so it can be saved with a checkpoint and
 * restored for an exact resume. Not cryptographic.
 *
 * Test: `npx vitest run rng_test.ts`.
 */

/** Serializable generator state (four uint32 words). */
export type RngState = [number, number, number, number];

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param seed any integer (uint32 is used); equal seeds give equal streams. */
  constructor(seed = 0) {
    let x = seed >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Restores a generator from {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** The current state (copy); pass to {@link Rng.fromState} to continue the same stream. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  setState(state: RngState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new Error(`Rng.setState: expected four uint32 words, got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state;
  }

  /** Next uint32 (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box–Muller, one value per two uniforms so the state alone defines the stream). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
