/**
 * Helpers for the ts reference kernels: host views of tensors, the embedding's id check.
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

/** Throws naming the kernel and position when an id is outside [0, V) (the wasm kernels check the same way). */
export function checkId(kernel: string, id: number, n: number, V: number): void {
  if (!(id >= 0 && id < V)) {
    throw new Error(
      `${kernel}: id ${id} at position ${n} is outside the vocabulary [0, ${V}). Fix: clamp or remap ids.`,
    );
  }
}
