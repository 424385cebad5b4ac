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

/** Loads n < 4 floats (the rest zero). */
export function loadPartial(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the first n < 4 lanes. */
export function storePartial(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

let chunkLo: i32 = 0;
let chunkHi: i32 = 0;

/** Takes the next chunk of [0, n) in steps of `size` from the unit counter at args; false when done. */
export function nextChunk(args: usize, n: i32, size: i32): bool {
  const u = atomic.add<i32>(args, 1);
  const lo = <i64>u * <i64>size;
  if (lo >= <i64>n) return false;
  chunkLo = <i32>lo;
  chunkHi = min(n, chunkLo + size);
  return true;
}

/** Bounds of the chunk returned by the last nextChunk (per instance). */
export function lo(): i32 {
  return chunkLo;
}
export function hi(): i32 {
  return chunkHi;
}
