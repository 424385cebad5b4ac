// Shared SIMD helpers for the kernels. `madd` is a fused multiply-add in the relaxed-SIMD build
// (f32x4.relaxed_madd → vfmadd on x64) and mul + add in the baseline build; the branch is resolved
// at compile time from the build's feature flags.

/** a·b + c per lane. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Horizontal sum of the 4 lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(v128.shuffle<f32>(s, s, 1, 0, 3, 2), 0);
}

/** Horizontal max of the 4 lanes. */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}
