/**
 * Helpers for the wasm engine tests: engines for every (threads, SIMD build) combination, seeded
 * random fills and a float64 reference matmul. Not part of the public API.
 */
import { WasmEngine } from "./engine.ts";
import { relaxedSimdSupported } from "./simd_detect.ts";

/** Engines with 1 and 2 threads, baseline and (when the engine supports it) relaxed SIMD. */
export function testEngines(): { label: string; engine: WasmEngine }[] {
  const out: { label: string; engine: WasmEngine }[] = [];
  const builds = relaxedSimdSupported() ? (["baseline", "relaxed"] as const) : (["baseline"] as const);
  for (const threads of [1, 2]) {
    for (const simd of builds) {
      // minParallelWork 0: even tiny shapes go through the thread pool.
      out.push({
        label: `${simd}/${threads}t`,
        engine: new WasmEngine({ threads, simd, minParallelWork: 0 }),
      });
    }
  }
  return out;
}

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function fillRandom(x: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    x[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return x;
}

/** Largest |x − ref| / (|ref| + scale) over the arrays. */
export function maxRelErr(x: ArrayLike<number>, ref: ArrayLike<number>, scale = 1): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++)
    e = Math.max(e, Math.abs(x[i]! - ref[i]!) / (Math.abs(ref[i]!) + scale));
  return e;
}
