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
import { ptrOf } from "./matmul.ts";

const CHUNK = 32768;

function binary(op: number, a: Tensor, b: Tensor | null, out: Tensor, alpha: number): void {
  const e = getEngine();
  const n = out.size;
  if (n === 0) return;
  const w = e.args;
  w[1] = n;
  w[2] = CHUNK;
  w[3] = ptrOf(a);
  w[4] = b ? ptrOf(b) : 0;
  w[5] = ptrOf(out);
  w[6] = b ? b.size : 1;
  w[7] = op;
  e.argsF32[8] = alpha;
  e.run("binary", n > CHUNK);
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
  const e = getEngine();
  const w = e.args;
  w[1] = args.rows;
  w[2] = args.cols;
  w[3] = ptrOf(args.x);
  w[4] = ptrOf(args.out);
  e.argsF32[5] = args.alpha;
  e.run("sumLeading", args.rows * args.cols >= 65536);
}

export function copyColumns(a: CopyColumnsArgs): void {
  const e = getEngine();
  if (a.rows * a.n === 0) return;
  const w = e.args;
  const per = Math.max(1, Math.ceil(8192 / a.n), Math.ceil(a.rows / (e.threads * 4)));
  w[1] = a.rows;
  w[2] = per;
  w[3] = ptrOf(a.src);
  w[4] = a.srcCols;
  w[5] = a.srcStart;
  w[6] = ptrOf(a.dst);
  w[7] = a.dstCols;
  w[8] = a.dstStart;
  w[9] = a.n;
  w[10] = a.accumulate ? 1 : 0;
  e.run("copyColumns", a.rows * a.n >= 32768);
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
    const w = e.args;
    w[1] = n;
    w[2] = chunk;
    w[3] = ptrOf(x);
    w[4] = parts;
    e.run("sumSquares", units > 1);
    const p = new Float64Array(e.memory.buffer, parts, units);
    for (let i = 0; i < units; i++) total += p[i]!;
  }
  const o = out.data;
  o[0] = (accumulate ? o[0]! : 0) + total;
}
