/**
 * Reference elementwise, reduction and copy kernels: add, mul, scale, axpy, fill, cast, sum, expand,
 * sumSquares, copyColumns (see kernel_types.ts for each contract).
 */
import type {
  AxpyArgs,
  BinaryArgs,
  CastArgs,
  CopyColumnsArgs,
  ExpandArgs,
  FillArgs,
  ScaleArgs,
  SumArgs,
  SumSquaresArgs,
} from "../../kernel_types.ts";
import { F } from "./util.ts";

export function add({ a, b, out }: BinaryArgs): void {
  const x = F(a);
  const y = F(b);
  const o = F(out);
  const m = y.length;
  for (let i = 0, j = 0; i < x.length; i++, j = j + 1 === m ? 0 : j + 1) o[i] = x[i]! + y[j]!;
}

export function mul({ a, b, out }: BinaryArgs): void {
  const x = F(a);
  const y = F(b);
  const o = F(out);
  const m = y.length;
  for (let i = 0, j = 0; i < x.length; i++, j = j + 1 === m ? 0 : j + 1) o[i] = x[i]! * y[j]!;
}

export function scale({ x, out, alpha }: ScaleArgs): void {
  const a = F(x);
  const o = F(out);
  for (let i = 0; i < a.length; i++) o[i] = alpha * a[i]!;
}

export function axpy({ x, y, alpha }: AxpyArgs): void {
  const a = F(x);
  const o = F(y);
  for (let i = 0; i < a.length; i++) o[i]! += alpha * a[i]!;
}

export function fill({ out, value }: FillArgs): void {
  out.data.fill(value);
}

export function cast({ x, out }: CastArgs): void {
  const src = x.data;
  const dst = out.data;
  if (out.dtype === "i32" && x.dtype !== "i32") {
    for (let i = 0; i < src.length; i++) dst[i] = Math.round(src[i]!);
  } else dst.set(src);
}

export function sum({ x, out, rows, cols, mode, alpha }: SumArgs): void {
  const a = F(x);
  const o = F(out);
  if (mode === "all") {
    let s = 0;
    for (let i = 0; i < rows * cols; i++) s += a[i]!;
    o[0] = alpha * s;
  } else if (mode === "last") {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += a[r * cols + c]!;
      o[r] = alpha * s;
    }
  } else {
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c]! += a[r * cols + c]!;
    for (let c = 0; c < cols; c++) o[c] = alpha * acc[c]!;
  }
}

export function expand({ x, out, rows, cols, mode, alpha }: ExpandArgs): void {
  const a = F(x);
  const o = F(out);
  if (mode === "all") o.fill(alpha * a[0]!);
  else for (let r = 0; r < rows; r++) o.fill(alpha * a[r]!, r * cols, (r + 1) * cols);
}

export function sumSquares({ x, out, accumulate }: SumSquaresArgs): void {
  const a = F(x);
  const o = F(out);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  o[0] = accumulate ? o[0]! + s : s;
}

export function copyColumns(args: CopyColumnsArgs): void {
  const { rows, srcCols, srcStart, dstCols, dstStart, n, accumulate } = args;
  const src = args.src.data;
  const dst = args.dst.data;
  for (let r = 0; r < rows; r++) {
    const so = r * srcCols + srcStart;
    const d = r * dstCols + dstStart;
    if (accumulate) for (let j = 0; j < n; j++) dst[d + j]! += src[so + j]!;
    else dst.set(src.subarray(so, so + n), d);
  }
}
