/**
 * Sum and mean reductions and their backward (accumulation in float64 on the ts backend).
 *
 *   sum(x)            → []           (all elements)        mean(x) → []
 *   sum(x, -1)        → x.shape[:-1] (over the last dim)   mean(x, -1)
 *   sumLeading(x)     → [x.shape[-1]] (over every dim but the last: bias gradients)
 *   sumBackward(dOut, xShape, axis?) → dX [xShape]   (dOut broadcast back)
 *   meanBackward(dOut, xShape, axis?) → dX
 *   sumSquares(xs) → [] Σ over all tensors of Σx² (used by grad-norm clipping)
 *
 * Test: packages/kernels/spec/reduce_test.ts.
 */
import { fmtShape, shapeSize, type Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, rowsCols, run } from "./check.ts";

/** Which dims to reduce: undefined = all, -1 = the last one. */
export type Axis = undefined | -1;

function reduce(kernel: string, x: Tensor, axis: Axis, isMean: boolean): Tensor {
  const { backend, dtype } = checkInputs(kernel, { x });
  const { rows, cols } = rowsCols(x);
  if (axis === undefined) {
    const out = alloc(kernel, backend, [], dtype);
    run("sum", backend, { x, out, rows, cols, mode: "all", alpha: isMean ? 1 / Math.max(x.size, 1) : 1 });
    return out;
  }
  if (axis !== -1)
    fail(kernel, `axis must be undefined (all) or -1 (last), got ${axis}`, { x }, "reshape first");
  if (x.rank === 0)
    fail(kernel, "cannot reduce the last dim of a scalar", { x }, "reduce with axis undefined");
  const out = alloc(kernel, backend, x.shape.slice(0, -1), dtype);
  run("sum", backend, { x, out, rows, cols, mode: "last", alpha: isMean ? 1 / Math.max(cols, 1) : 1 });
  return out;
}

/** Σ of all elements (shape []) or over the last dim (axis -1). */
export function sum(x: Tensor, axis?: Axis): Tensor {
  return reduce("sum", x, axis, false);
}

/** Mean of all elements (shape []) or over the last dim (axis -1). */
export function mean(x: Tensor, axis?: Axis): Tensor {
  return reduce("mean", x, axis, true);
}

/** Σ over every dim except the last: x [..., D] → [D] (e.g. a bias gradient). */
export function sumLeading(x: Tensor): Tensor {
  const { backend, dtype } = checkInputs("sumLeading", { x });
  const { rows, cols } = rowsCols(x);
  const out = alloc("sumLeading", backend, [cols], dtype);
  run("sum", backend, { x, out, rows, cols, mode: "leading", alpha: 1 });
  return out;
}

function expandBack(
  kernel: string,
  dOut: Tensor,
  xShape: readonly number[],
  axis: Axis,
  isMean: boolean,
): Tensor {
  const { backend, dtype } = checkInputs(kernel, { dOut });
  const size = shapeSize(xShape);
  const cols = xShape.length === 0 ? 1 : xShape[xShape.length - 1]!;
  const rows = cols === 0 ? 0 : size / cols;
  const want = axis === undefined ? [] : xShape.slice(0, -1);
  if (dOut.size !== shapeSize(want) || (dOut.rank !== want.length && dOut.size !== 1)) {
    fail(
      kernel,
      `dOut must have the reduced shape ${fmtShape(want)} of x ${fmtShape(xShape)}`,
      { dOut },
      "pass the forward output's gradient",
    );
  }
  const dX = alloc(kernel, backend, xShape, dtype);
  const alpha = isMean ? 1 / Math.max(axis === undefined ? size : cols, 1) : 1;
  run("expand", backend, { x: dOut, out: dX, rows, cols, mode: axis === undefined ? "all" : "last", alpha });
  return dX;
}

/** Gradient of sum: dOut broadcast back to xShape. */
export function sumBackward(dOut: Tensor, xShape: readonly number[], axis?: Axis): Tensor {
  return expandBack("sumBackward", dOut, xShape, axis, false);
}

/** Gradient of mean: dOut / n broadcast back to xShape. */
export function meanBackward(dOut: Tensor, xShape: readonly number[], axis?: Axis): Tensor {
  return expandBack("meanBackward", dOut, xShape, axis, true);
}

/** Σ_t Σ_i t[i]² over a list of tensors on one backend, as a scalar tensor. */
export function sumSquares(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new Error("sumSquares: empty tensor list. Fix: pass at least one tensor.");
  const named = Object.fromEntries(xs.map((t, i) => [`x${i}`, t]));
  const { backend, dtype } = checkInputs("sumSquares", named);
  const out = alloc("sumSquares", backend, [], dtype);
  for (let i = 0; i < xs.length; i++) run("sumSquares", backend, { x: xs[i]!, out, accumulate: i > 0 });
  return out;
}
