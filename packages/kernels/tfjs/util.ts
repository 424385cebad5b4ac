/**
 * Helpers shared by the tfjs kernels: the live tfjs tensor of a kernel argument, writing outputs, and
 * the ts reference kernel to fall back to for argument layouts the tfjs kernels do not cover.
 */
import type * as TF from "@tensorflow/tfjs-core";
import { getKernel } from "../registry.ts";
import type { KernelMap, KernelName } from "../kernel_types.ts";
import type { Tensor } from "../tensor.ts";
import type { Tf, TfjsStorage } from "./backend.ts";

export interface Io {
  tf: Tf;
  /** The tensor's contents as a tfjs tensor of `shape` (default: its own); call inside tf.tidy. */
  T(t: Tensor, shape?: readonly number[]): TF.Tensor;
  /** Read-only host copy of an (integer) tensor. */
  host(t: Tensor): Int32Array;
  /** Makes `value` the new contents of `out` (call outside tf.tidy, with a tensor tidy returned). */
  put(out: Tensor, value: TF.Tensor): void;
  /** The ts reference kernel (runs on the host views of tfjs storages). */
  ts<K extends KernelName>(name: K): KernelMap[K];
}

export function io(tf: Tf): Io {
  const S = (t: Tensor) => t.storage as TfjsStorage;
  return {
    tf,
    T: (t, shape = t.shape) => tf.reshape(S(t).tensor(), [...shape]),
    host: (t) => S(t).host() as Int32Array,
    put: (out, value) => S(out).set(value),
    ts: (name) => getKernel(name, "ts"),
  };
}
