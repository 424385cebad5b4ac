/**
 * Copies and layout helpers (views are `tensor.reshape(shape)`, which shares storage).
 *
 *   clone(x) → a copy                          cast(x, dtype) → a converted copy (f32 ↔ f64 ↔ i32)
 *   splitLast(x [..., Σ sizes], sizes) → [..., sizes[i]] each   (e.g. GPT-2's fused qkv → q, k, v)
 *   concatLast(xs) → [..., Σ D_i]              (the backward of splitLast, and vice versa)
 *
 * Test: packages/kernels/spec/shape_test.ts.
 */
import type { DType } from "../backends/backend.ts";
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, rowsCols, run } from "./check.ts";

/** A copy of x on the same backend. */
export function clone(x: Tensor): Tensor {
  return cast(x, x.dtype);
}

/** A copy of x converted to dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive("cast", '"x"');
  const out = alloc("cast", x.backend, x.shape, dtype);
  run("cast", x.backend, { x, out });
  return out;
}

/** Splits the last dim into consecutive blocks of the given sizes. */
export function splitLast(x: Tensor, sizes: readonly number[]): Tensor[] {
  const { backend } = checkInputs(
    "splitLast",
    x.dtype === "i32" ? {} : { x },
    x.dtype === "i32" ? { x } : {},
  );
  const { rows, cols } = rowsCols(x);
  const total = sizes.reduce((s, n) => s + n, 0);
  if (x.rank === 0 || total !== cols || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
    fail(
      "splitLast",
      `sizes [${sizes.join(",")}] must be non-negative integers summing to the last dim ${cols}`,
      { x },
      "fix the sizes",
    );
  }
  const outs: Tensor[] = [];
  let start = 0;
  for (const n of sizes) {
    const out = alloc("splitLast", backend, [...x.shape.slice(0, -1), n], x.dtype);
    run("copyColumns", backend, {
      src: x,
      dst: out,
      rows,
      srcCols: cols,
      srcStart: start,
      dstCols: n,
      dstStart: 0,
      n,
      accumulate: false,
    });
    outs.push(out);
    start += n;
  }
  return outs;
}

/** Concatenates tensors along the last dim (leading dims must match). */
export function concatLast(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new Error("concatLast: empty tensor list. Fix: pass at least one tensor.");
  const named = Object.fromEntries(xs.map((t, i) => [`x${i}`, t]));
  const isInt = xs[0]!.dtype === "i32";
  const { backend } = checkInputs("concatLast", isInt ? {} : named, isInt ? named : {});
  const lead = xs[0]!.shape.slice(0, -1);
  for (const t of xs) {
    if (t.rank === 0 || t.rank !== lead.length + 1 || lead.some((d, i) => d !== t.shape[i])) {
      fail(
        "concatLast",
        "all tensors must share every dim but the last",
        named,
        "reshape them to [..., D_i]",
      );
    }
  }
  const cols = xs.reduce((s, t) => s + t.shape[t.rank - 1]!, 0);
  const out = alloc("concatLast", backend, [...lead, cols], xs[0]!.dtype);
  let start = 0;
  for (const t of xs) {
    const { rows, cols: n } = rowsCols(t);
    run("copyColumns", backend, {
      src: t,
      dst: out,
      rows,
      srcCols: n,
      srcStart: 0,
      dstCols: cols,
      dstStart: start,
      n,
      accumulate: false,
    });
    start += n;
  }
  return out;
}
