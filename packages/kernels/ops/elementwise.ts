/**
 * Elementwise arithmetic and its backward.
 *
 *   add(a, b) / mul(a, b) → out [a.shape]   b's shape equals a's or is a suffix of it (a bias [D] over
 *                                           [..., D], positions [T, D] over [B, T, D]); b is repeated.
 *   scale(x, alpha) → alpha·x
 *   addBackward(dOut, a, b) → {dA, dB}      dB summed over the repeated leading dims
 *   mulBackward(dOut, a, b) → {dA, dB}
 *   scaleBackward(dOut, alpha) → alpha·dOut
 *   axpyInto(y, x, alpha) : y += alpha·x    (in place; gradient accumulation)
 *   fill(t, value)        : t[:] = value    (in place; e.g. zeroing gradients)
 *
 * Test: packages/kernels/spec/elementwise_test.ts.
 */
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, run } from "./check.ts";
import { sumLeading } from "./reduce.ts";

function checkSuffix(kernel: string, a: Tensor, b: Tensor): void {
  const k = b.rank;
  const ok = k <= a.rank && b.shape.every((d, i) => d === a.shape[a.rank - k + i]);
  if (!ok) {
    fail(
      kernel,
      "b's shape must equal a's shape or a suffix of it (broadcast over the leading dims)",
      { a, b },
      "reshape b to a's trailing dims, e.g. a bias [D] for a [..., D]",
    );
  }
}

function binary(kernel: "add" | "mul", a: Tensor, b: Tensor): Tensor {
  const { backend, dtype } = checkInputs(kernel, { a, b });
  checkSuffix(kernel, a, b);
  const out = alloc(kernel, backend, a.shape, dtype, false);
  run(kernel, backend, { a, b, out });
  return out;
}

/** a + b, b broadcast over a's leading dims when its shape is a suffix of a's. */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary("add", a, b);
}

/** a · b (elementwise), b broadcast like in add. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary("mul", a, b);
}

/** alpha · x. */
export function scale(x: Tensor, alpha: number): Tensor {
  const { backend, dtype } = checkInputs("scale", { x });
  const out = alloc("scale", backend, x.shape, dtype, false);
  run("scale", backend, { x, out, alpha });
  return out;
}

/** In place: y += alpha · x (same shape). Returns y. */
export function axpyInto(y: Tensor, x: Tensor, alpha = 1): Tensor {
  const { backend } = checkInputs("axpy", { y, x });
  if (x.size !== y.size || x.rank !== y.rank || x.shape.some((d, i) => d !== y.shape[i])) {
    fail("axpy", "x and y must have the same shape", { y, x }, "pass tensors of equal shape");
  }
  run("axpy", backend, { x, y, alpha });
  return y;
}

/** In place: every element of t becomes value. Returns t. */
export function fill(t: Tensor, value: number): Tensor {
  t.assertLive("fill", '"t"');
  run("fill", t.backend, { out: t, value });
  return t;
}

/** Gradients of add: dA = dOut (a copy), dB = dOut summed to b's shape. */
export function addBackward(dOut: Tensor, a: Tensor, b: Tensor): { dA: Tensor; dB: Tensor } {
  checkInputs("addBackward", { dOut, a, b });
  checkSuffix("addBackward", a, b);
  const dA = scale(dOut, 1);
  const dB = b.size === a.size ? scale(dOut, 1) : reduceTo(dOut, b);
  return { dA, dB };
}

/** Gradients of mul: dA = dOut·b, dB = Σ(dOut·a) reduced to b's shape. */
export function mulBackward(dOut: Tensor, a: Tensor, b: Tensor): { dA: Tensor; dB: Tensor } {
  checkInputs("mulBackward", { dOut, a, b });
  checkSuffix("mulBackward", a, b);
  const dA = mul(dOut, b);
  const prod = mul(dOut, a);
  if (b.size === a.size) return { dA, dB: prod };
  const dB = reduceTo(prod, b);
  prod.dispose();
  return { dA, dB };
}

/** Gradient of scale: alpha · dOut. */
export function scaleBackward(dOut: Tensor, alpha: number): Tensor {
  return scale(dOut, alpha);
}

/** Sums x [R·b.size] over its leading part into b's shape. */
function reduceTo(x: Tensor, b: Tensor): Tensor {
  const flat = x.reshape([x.size / Math.max(b.size, 1), b.size]);
  const s = sumLeading(flat);
  flat.dispose();
  const r = s.reshape(b.shape);
  s.dispose();
  return r;
}
