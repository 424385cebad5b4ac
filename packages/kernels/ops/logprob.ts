/**
 * Fused log-softmax + gather of target log-probs, cross-entropy, and their backward. This is how RL
 * losses reach the model: the loss gives d loss / d logp per token, logSoftmaxGatherBackward turns it
 * into d logits.
 *
 *   logSoftmaxGather(logits [N,V], targets i32 [N]) → {logp [N], lse [N]}   (target < 0: logp 0, no grad)
 *   logSoftmaxGatherBackward(dLogp [N], logits, targets, lse) → dLogits [N,V]
 *   crossEntropy(logits [N,V], targets [N], mask? [N]) → {loss [], logp, lse}   loss = −Σ mask·logp / Σ mask
 *   crossEntropyBackward(logits, targets, lse, mask?, dLoss = 1) → dLogits
 *
 * Test: packages/kernels/spec/logprob_test.ts.
 */
import { tensor } from "../create.ts";
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, expectShape, fail, run } from "./check.ts";
import { sum } from "./reduce.ts";

function dims(kernel: string, logits: Tensor, targets: Tensor) {
  const inputs = { logits, targets };
  if (logits.rank !== 2) fail(kernel, `"logits" must be [N,V]`, inputs, "reshape logits to [N,V]");
  const [N, V] = logits.shape as [number, number];
  expectShape(kernel, "targets", targets, [N], inputs);
  return { N, V };
}

/** Per-row log-probability of the target id, plus the row's log-sum-exp (saved for backward). */
export function logSoftmaxGather(logits: Tensor, targets: Tensor): { logp: Tensor; lse: Tensor } {
  const { backend, dtype } = checkInputs("logSoftmaxGather", { logits }, { targets });
  const { N, V } = dims("logSoftmaxGather", logits, targets);
  const logp = alloc("logSoftmaxGather", backend, [N], dtype, false);
  const lse = alloc("logSoftmaxGather", backend, [N], dtype, false);
  run("logSoftmaxGather", backend, { logits, targets, logp, lse, N, V });
  return { logp, lse };
}

/** d logits from d logp. */
export function logSoftmaxGatherBackward(
  dLogp: Tensor,
  logits: Tensor,
  targets: Tensor,
  lse: Tensor,
): Tensor {
  const k = "logSoftmaxGatherBackward";
  const { backend, dtype } = checkInputs(k, { dLogp, logits, lse }, { targets });
  const { N, V } = dims(k, logits, targets);
  expectShape(k, "dLogp", dLogp, [N], { dLogp, logits, targets, lse });
  expectShape(k, "lse", lse, [N], { dLogp, logits, targets, lse });
  const dLogits = alloc(k, backend, [N, V], dtype);
  run(k, backend, { dLogp, logits, targets, lse, dLogits, N, V });
  return dLogits;
}

/** Host weights −mask[n]/Σmask (or −1/N): the d loss / d logp of a masked mean cross-entropy. */
function ceWeights(
  kernel: string,
  N: number,
  mask: ArrayLike<number> | undefined,
  scale: number,
): Float64Array {
  if (mask && mask.length !== N) {
    throw new Error(
      `${kernel}: mask has ${mask.length} entries for N=${N} rows. Fix: pass one weight per row.`,
    );
  }
  let total = 0;
  for (let n = 0; n < N; n++) total += mask ? mask[n]! : 1;
  const w = new Float64Array(N);
  if (total === 0) return w;
  for (let n = 0; n < N; n++) w[n] = (-(mask ? mask[n]! : 1) / total) * scale;
  return w;
}

/** Mean cross-entropy over rows (weighted by mask, e.g. a loss mask of 0/1). Returns the scalar loss. */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  mask?: ArrayLike<number>,
): { loss: Tensor; logp: Tensor; lse: Tensor } {
  const { logp, lse } = logSoftmaxGather(logits, targets);
  const w = tensor(ceWeights("crossEntropy", logp.size, mask, 1), [logp.size], {
    dtype: logp.dtype,
    backend: logp.backend,
  });
  const wl = alloc("crossEntropy", logp.backend, [logp.size], logp.dtype);
  run("mul", logp.backend, { a: logp, b: w, out: wl });
  const loss = sum(wl);
  w.dispose();
  wl.dispose();
  return { loss, logp, lse };
}

/** d logits of crossEntropy's loss (times dLoss). */
export function crossEntropyBackward(
  logits: Tensor,
  targets: Tensor,
  lse: Tensor,
  mask?: ArrayLike<number>,
  dLoss = 1,
): Tensor {
  const { backend, dtype } = checkInputs("crossEntropyBackward", { logits, lse }, { targets });
  const N = logits.shape[0] ?? 0;
  const dLogp = tensor(ceWeights("crossEntropyBackward", N, mask, dLoss), [N], { dtype, backend });
  const d = logSoftmaxGatherBackward(dLogp, logits, targets, lse);
  dLogp.dispose();
  return d;
}
