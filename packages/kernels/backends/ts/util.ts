/**
 * Helpers for the ts reference kernels: host views of tensors.
 */
import type { Tensor } from "../../tensor.ts";
import type { FloatArray } from "../backend.ts";

/** The float host view of a tensor (f32 or f64). */
export function F(t: Tensor): FloatArray {
  return t.data as FloatArray;
}

/** The i32 host view of a tensor. */
export function I(t: Tensor): Int32Array {
  return t.data as Int32Array;
}
