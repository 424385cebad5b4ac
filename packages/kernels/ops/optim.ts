/**
 * Optimizer kernels: AdamW (in place) and global gradient-norm clipping.
 *
 *   adamw(param, grad, m, v, {lr, step, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0})
 *     in place on param, m, v (PyTorch AdamW semantics; step counts from 1; per-param lr/wd by calling
 *     it per tensor with different options)
 *   gradNorm(grads) → number                           √(Σ over all tensors of Σ g²)
 *   clipGradNorm(grads, maxNorm) → number              pre-clip norm; scales grads in place by
 *                                                      maxNorm / (norm + 1e-6) when norm > maxNorm
 *
 * gradNorm/clipGradNorm read one scalar back synchronously (host backends).
 * Test: packages/kernels/spec/optim_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { checkInputs, expectShape, run } from "./check.ts";
import { sumSquares } from "./reduce.ts";

export interface AdamWOptions {
  /** Learning rate. */
  lr: number;
  /** 1-based step number (for bias correction). */
  step: number;
  /** First-moment decay; default 0.9. */
  beta1?: number;
  /** Second-moment decay; default 0.999. */
  beta2?: number;
  /** Denominator epsilon; default 1e-8. */
  eps?: number;
  /** Decoupled weight decay; default 0. */
  weightDecay?: number;
}

/** One AdamW update of param (and its moments m, v) in place. */
export function adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, opts: AdamWOptions): void {
  const inputs = { param, grad, m, v };
  const { backend } = checkInputs("adamw", inputs);
  for (const [n, t] of [
    ["grad", grad],
    ["m", m],
    ["v", v],
  ] as const)
    expectShape("adamw", n, t, param.shape, inputs);
  if (!(opts.step >= 1) || !Number.isInteger(opts.step)) {
    throw new Error(`adamw: step must be an integer ≥ 1 (it counts updates from 1), got ${opts.step}.`);
  }
  run("adamw", backend, {
    param,
    grad,
    m,
    v,
    lr: opts.lr,
    step: opts.step,
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? 0,
  });
}

/** Global L2 norm of a list of gradients. */
export function gradNorm(grads: readonly Tensor[]): number {
  const s = sumSquares(grads);
  const v = s.item();
  s.dispose();
  return Math.sqrt(v);
}

/** Scales all grads in place so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): number {
  const norm = gradNorm(grads);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const c = maxNorm / (norm + 1e-6);
    for (const g of grads) run("scale", g.backend, { x: g, out: g, alpha: c });
  }
  return norm;
}
