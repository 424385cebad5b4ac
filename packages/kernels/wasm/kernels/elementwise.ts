/**
 * Host side of the cheap elementwise kernels (assembly/elementwise.ts): add / mul with a broadcast
 * suffix, scale, axpy, sum over leading rows (bias gradients), column copies (split / concat), fill
 * and sums of squares (gradient norms).
 * Other sum modes run the ts kernel.
 *
 * Test: spec/elementwise_test.ts, spec/reduce_test.ts (against ts) and wasm/rows_test.ts.
 */
import type {
  AxpyArgs,
  BinaryArgs,
  CopyColumnsArgs,
  FillArgs,
  ScaleArgs,
  SumArgs,
  SumSquaresArgs,
} from "../../kernel_types.ts";
import { getKernelExact } from "../../registry.ts";
import type { Tensor } from "../../tensor.ts";
import { getEngine } from "../engine.ts";
import { ptrOf, ptrs } from "./matmul.ts";

const CHUNK = 32768;

function binary(op: number, a: Tensor, b: Tensor | null, out: Tensor, alpha: number): void {
  const n = out.size;
  const fields = { n, size: CHUNK, ...ptrs({ a, b, out }), bSize: b ? b.size : 1, op, alpha };
  if (n > 0) getEngine().run("binary", fields, n > CHUNK);
}

export const add = ({ a, b, out }: BinaryArgs) => binary(0, a, b, out, 1);
export const mul = ({ a, b, out }: BinaryArgs) => binary(1, a, b, out, 1);
export const scale = ({ x, out, alpha }: ScaleArgs) => binary(2, x, null, out, alpha);
export const axpy = ({ x, y, alpha }: AxpyArgs) => binary(3, x, null, y, alpha);

export function sum(args: SumArgs): void {
  if (args.mode !== "leading" || args.rows * args.cols === 0) {
    getKernelExact("sum", "ts")!(args);
    return;
  }
  const { rows, cols, alpha } = args;
  getEngine().run(
    "sumLeading",
    { rows, cols, ...ptrs({ x: args.x, out: args.out }), alpha },
    rows * cols >= 65536,
  );
}

export function copyColumns(a: CopyColumnsArgs): void {
  const e = getEngine();
  if (a.rows * a.n === 0) return;
  const per = Math.max(1, Math.ceil(8192 / a.n), Math.ceil(a.rows / (e.threads * 4)));
  const { rows, srcCols, srcStart, dstCols, dstStart, n, accumulate } = a;
  const fields = { rows, per, srcCols, srcStart, dstCols, dstStart, n, accumulate };
  e.run("copyColumns", { ...fields, ...ptrs({ src: a.src, dst: a.dst }) }, rows * n >= 32768);
}

export function fill({ out, value }: FillArgs): void {
  if (out.dtype !== "f32") {
    out.data.fill(value);
    return;
  }
  getEngine().fillWords(ptrOf(out), out.size, value);
}

export function sumSquares({ x, out, accumulate }: SumSquaresArgs): void {
  const e = getEngine();
  const n = x.size;
  const chunk = 1 << 16;
  const units = Math.ceil(n / chunk);
  let total = 0;
  if (n > 0) {
    const parts = e.buffer("sumSquares.parts", units * 8);
    e.run("sumSquares", { n, size: chunk, x: ptrOf(x), parts }, units > 1);
    const p = new Float64Array(e.memory.buffer, parts, units);
    for (let i = 0; i < units; i++) total += p[i]!;
  }
  const o = out.data;
  o[0] = (accumulate ? o[0]! : 0) + total;
}
