// Vectorised transcendental helpers (f32x4): exp by range reduction (2^n · 2^f, |f| ≤ ½, degree-6
// Taylor polynomial of 2^f: relative error ≈ 1.2e-7), and the activations built on it.
import { madd } from "./simd";

const LOG2E: f32 = 1.4426950408889634;

/** e^x per lane; inputs are clamped to [-87.3, 88.3] (no denormals, no overflow). */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const t = f32x4.mul(x, f32x4.splat(LOG2E));
  const n = f32x4.nearest(t);
  const f = f32x4.sub(t, n);
  let p = f32x4.splat(0.0001540353);
  p = madd(p, f, f32x4.splat(0.0013333558));
  p = madd(p, f, f32x4.splat(0.0096181291));
  p = madd(p, f, f32x4.splat(0.0555041087));
  p = madd(p, f, f32x4.splat(0.2402265070));
  p = madd(p, f, f32x4.splat(0.6931471806));
  p = madd(p, f, f32x4.splat(1.0));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

/** Scalar e^x through the vector path (same rounding as expv). */
// @ts-ignore: decorator
@inline export function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/** σ(x) = 1 / (1 + e^−x). */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

/** tanh(x) = 1 − 2 / (e^{2x} + 1) (saturates correctly through the clamp in expv). */
// @ts-ignore: decorator
@inline export function tanhv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expv(f32x4.add(x, x)), one)));
}
