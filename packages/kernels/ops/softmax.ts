/**
 * Softmax over the last dim and its backward.
 *
 *   softmax(x [..., C]) → out [..., C]
 *   softmaxBackward(dOut, out) → dX = out·(dOut − Σ_c dOut·out)
 *
 * Test: packages/kernels/spec/softmax_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, expectShape, fail, rowsCols, run } from "./check.ts";

/** Numerically stable softmax over the last dim. */
export function softmax(x: Tensor): Tensor {
  const { backend, dtype } = checkInputs("softmax", { x });
  if (x.rank === 0) fail("softmax", `"x" must have at least one dim`, { x }, "reshape x to [..., C]");
  const { rows, cols } = rowsCols(x);
  const out = alloc("softmax", backend, x.shape, dtype, false);
  run("softmax", backend, { x, out, rows, cols });
  return out;
}

/** Gradient of softmax given its output. */
export function softmaxBackward(dOut: Tensor, out: Tensor): Tensor {
  const { backend, dtype } = checkInputs("softmaxBackward", { dOut, out });
  expectShape("softmaxBackward", "dOut", dOut, out.shape, { dOut, out });
  const { rows, cols } = rowsCols(out);
  const dX = alloc("softmaxBackward", backend, out.shape, dtype, false);
  run("softmaxBackward", backend, { dOut, out, dX, rows, cols });
  return dX;
}
