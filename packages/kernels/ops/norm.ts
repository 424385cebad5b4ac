/**
 * LayerNorm and RMSNorm over the last dim, with backward. The forward returns the per-row statistics
 * the backward needs (dispose them, or let tidy() do it, when not training).
 *
 *   layernorm(x [..., D], weight [D], bias [D] | null, {eps = 1e-5}) → {out [..., D], mean [...], rstd [...]}
 *   layernormBackward(dOut, x, weight, mean, rstd, {hasBias = true}) → {dX, dWeight, dBias}
 *   rmsnorm(x [..., D], weight [D], {eps = 1e-6}) → {out, rstd [...]}
 *   rmsnormBackward(dOut, x, weight, rstd) → {dX, dWeight}
 *
 * Test: packages/kernels/spec/norm_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, expectShape, fail, type Named, rowsCols, run } from "./check.ts";

function checkNorm(kernel: string, x: Tensor, params: Named, stats: Named, dOut?: Tensor) {
  const inputs = { x, ...params, ...stats, dOut };
  const { backend, dtype } = checkInputs(kernel, inputs);
  if (x.rank === 0) fail(kernel, `"x" must have at least one dim`, inputs, "reshape x to [..., D]");
  const { rows, cols: D } = rowsCols(x);
  for (const [n, p] of Object.entries(params)) if (p) expectShape(kernel, n, p, [D], inputs);
  for (const [n, s] of Object.entries(stats)) if (s) expectShape(kernel, n, s, x.shape.slice(0, -1), inputs);
  if (dOut) expectShape(kernel, "dOut", dOut, x.shape, inputs);
  return { backend, dtype, rows, D };
}

/** LayerNorm: (x − mean)/sqrt(var + eps)·weight + bias per row (biased variance, like PyTorch). */
export function layernorm(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: { eps?: number } = {},
): { out: Tensor; mean: Tensor; rstd: Tensor } {
  const { backend, dtype, rows, D } = checkNorm("layernorm", x, { weight, bias }, {});
  const out = alloc("layernorm", backend, x.shape, dtype, false);
  const mean = alloc("layernorm", backend, x.shape.slice(0, -1), dtype, false);
  const rstd = alloc("layernorm", backend, x.shape.slice(0, -1), dtype, false);
  run("layernorm", backend, { x, weight, bias, out, mean, rstd, rows, D, eps: opts.eps ?? 1e-5 });
  return { out, mean, rstd };
}

/** Gradients of layernorm (dBias is null when hasBias is false). */
export function layernormBackward(
  dOut: Tensor,
  x: Tensor,
  weight: Tensor,
  mean: Tensor,
  rstd: Tensor,
  opts: { hasBias?: boolean } = {},
): { dX: Tensor; dWeight: Tensor; dBias: Tensor | null } {
  const k = "layernormBackward";
  const { backend, dtype, rows, D } = checkNorm(k, x, { weight }, { mean, rstd }, dOut);
  const dX = alloc(k, backend, x.shape, dtype);
  const dWeight = alloc(k, backend, [D], dtype);
  const dBias = (opts.hasBias ?? true) ? alloc(k, backend, [D], dtype) : null;
  run(k, backend, { dOut, x, weight, mean, rstd, dX, dWeight, dBias, rows, D });
  return { dX, dWeight, dBias };
}

/** RMSNorm: x/sqrt(mean(x²) + eps)·weight per row. */
export function rmsnorm(
  x: Tensor,
  weight: Tensor,
  opts: { eps?: number } = {},
): { out: Tensor; rstd: Tensor } {
  const { backend, dtype, rows, D } = checkNorm("rmsnorm", x, { weight }, {});
  const out = alloc("rmsnorm", backend, x.shape, dtype, false);
  const rstd = alloc("rmsnorm", backend, x.shape.slice(0, -1), dtype, false);
  run("rmsnorm", backend, { x, weight, out, rstd, rows, D, eps: opts.eps ?? 1e-6 });
  return { out, rstd };
}

/** Gradients of rmsnorm. */
export function rmsnormBackward(
  dOut: Tensor,
  x: Tensor,
  weight: Tensor,
  rstd: Tensor,
): { dX: Tensor; dWeight: Tensor } {
  const k = "rmsnormBackward";
  const { backend, dtype, rows, D } = checkNorm(k, x, { weight }, { rstd }, dOut);
  const dX = alloc(k, backend, x.shape, dtype);
  const dWeight = alloc(k, backend, [D], dtype);
  run(k, backend, { dOut, x, weight, rstd, dX, dWeight, rows, D });
  return { dX, dWeight };
}
