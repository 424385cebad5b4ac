// Vectorised transcendental helpers (f32x4): exp by range reduction (2^n · 2^f, |f| ≤ ½, degree-6
// Taylor polynomial of 2^f: relative error ≈ 1.2e-7), and the activations built on it.
//
// Constants live in a table in linear memory (CONSTS, written by initConsts) and are read with
// v128.load: V8 materialises each v128.const with ~4 instructions inside the loop, a load is one
// (and folds into the arithmetic), which made exp-heavy kernels several times faster.
import { madd } from "./simd";

/** Byte offset of the constant table (inside the engine's reserved first page, see ../engine.ts). */
export const CONSTS: usize = 2048;

// Slots of the table (16 bytes each).
export const K_LO: usize = 0;
export const K_HI: usize = 1;
export const K_LOG2E: usize = 2;
export const K_MAGIC: usize = 3;
export const K_P6: usize = 4;
export const K_P5: usize = 5;
export const K_P4: usize = 6;
export const K_P3: usize = 7;
export const K_P2: usize = 8;
export const K_P1: usize = 9;
export const K_ONE: usize = 10;
export const K_TWO: usize = 11;
export const K_HALF: usize = 12;
export const K_GELU_C: usize = 13;
export const K_GELU_A: usize = 14;
export const K_GELU_3A: usize = 15;
export const K_BIAS127: usize = 16;

function put(slot: usize, v: f32): void {
  v128.store(CONSTS + slot * 16, f32x4.splat(v));
}

/** Writes the constant table (every instance writes the same bytes). */
export function initConsts(): void {
  put(K_LO, -87.3);
  put(K_HI, 88.3);
  put(K_LOG2E, 1.4426950408889634);
  put(K_MAGIC, 12582912.0); // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  put(K_P6, 0.0001540353);
  put(K_P5, 0.0013333558);
  put(K_P4, 0.0096181291);
  put(K_P3, 0.0555041087);
  put(K_P2, 0.240226507);
  put(K_P1, 0.6931471806);
  put(K_ONE, 1);
  put(K_TWO, 2);
  put(K_HALF, 0.5);
  put(K_GELU_C, 0.7978845608028654); // √(2/π)
  put(K_GELU_A, 0.044715);
  put(K_GELU_3A, 3 * 0.044715);
  v128.store(CONSTS + K_BIAS127 * 16, i32x4.splat(127 - 0x4b400000)); // undoes the magic's bits, adds the exponent bias
}

/** The constant in `slot` as a vector. */
// @ts-ignore: decorator
@inline export function kv(slot: usize): v128 {
  return v128.load(CONSTS + slot * 16);
}

/** e^x per lane; inputs are clamped to [-87.3, 88.3] (no denormals, no overflow). */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, kv(K_LO)), kv(K_HI)); // pmin/pmax: one instruction each (min/max handle NaN: ~8)
  const t = f32x4.mul(x, kv(K_LOG2E));
  const r = f32x4.add(t, kv(K_MAGIC)); // bits of r: 0x4b400000 + n
  const n = f32x4.sub(r, kv(K_MAGIC));
  const f = f32x4.sub(t, n);
  let p = kv(K_P6);
  p = madd(p, f, kv(K_P5));
  p = madd(p, f, kv(K_P4));
  p = madd(p, f, kv(K_P3));
  p = madd(p, f, kv(K_P2));
  p = madd(p, f, kv(K_P1));
  p = madd(p, f, kv(K_ONE));
  const e = i32x4.shl(i32x4.add(r, kv(K_BIAS127)), 23);
  return f32x4.mul(p, e);
}

/** σ(x) = 1 / (1 + e^−x). */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  return f32x4.div(kv(K_ONE), f32x4.add(kv(K_ONE), expv(f32x4.neg(x))));
}

/** tanh(x) = 1 − 2 / (e^{2x} + 1) (saturates correctly through the clamp in expv). */
// @ts-ignore: decorator
@inline export function tanhv(x: v128): v128 {
  return f32x4.sub(kv(K_ONE), f32x4.div(kv(K_TWO), f32x4.add(expv(f32x4.add(x, x)), kv(K_ONE))));
}
