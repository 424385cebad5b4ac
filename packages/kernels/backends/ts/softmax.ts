/**
 * Reference softmax over the last dim and its backward.
 */
import type { SoftmaxArgs, SoftmaxBackwardArgs } from "../../kernel_types.ts";
import { F } from "./util.ts";

export function softmax({ x, out, rows, cols }: SoftmaxArgs): void {
  const a = F(x);
  const o = F(out);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) m = Math.max(m, a[off + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(a[off + c]! - m);
    for (let c = 0; c < cols; c++) o[off + c] = Math.exp(a[off + c]! - m) / s;
  }
}

export function softmaxBackward({ dOut, out, dX, rows, cols }: SoftmaxBackwardArgs): void {
  const g = F(dOut);
  const y = F(out);
  const d = F(dX);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += g[off + c]! * y[off + c]!;
    for (let c = 0; c < cols; c++) d[off + c] = y[off + c]! * (g[off + c]! - dot);
  }
}
