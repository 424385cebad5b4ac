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

/**
 * op(A)·op(B) for [batch | 1, rows, cols] operands (a batch of 1 broadcasts) → [batch, M, N].
 * Transposed operands are transposed explicitly and batches run as 2-D products on tfjs-backend-wasm,
 * whose transposed and batched GEMMs run 10–100× slower than its plain 2-D one (measured at 1024³ and
 * 16×256³ on 2 cores); other tfjs backends get one batched matMul.
 */
export function gemm(tf: Tf, A: TF.Tensor, B: TF.Tensor, transA: boolean, transB: boolean): TF.Tensor {
  const a = transA ? tf.transpose(A, [0, 2, 1]) : A;
  const b = transB ? tf.transpose(B, [0, 2, 1]) : B;
  const [na, M, K] = a.shape as [number, number, number];
  const [nb, , N] = b.shape as [number, number, number];
  if (nb === 1) {
    // one weight for the whole batch: a single [na·M, K] × [K, N] product
    return tf.reshape(tf.matMul(tf.reshape(a, [na * M, K]), tf.reshape(b, [K, N])), [na, M, N]);
  }
  if (tf.getBackend() !== "wasm") return tf.matMul(a, b);
  const as = na === 1 ? null : tf.unstack(a);
  const a0 = na === 1 ? tf.reshape(a, [M, K]) : null;
  const bs = tf.unstack(b);
  return tf.stack(bs.map((bi, i) => tf.matMul(as ? as[i]! : a0!, bi)));
}
