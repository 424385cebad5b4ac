/**
 * Host side of the row-wise kernels (assembly/rows.ts): LayerNorm, RMSNorm, softmax and
 * log-softmax + gather, forward and backward. Units are blocks of rows (≈ 8 per thread, ≥ 4K
 * elements each); the norm backwards write per-unit partial dWeight/dBias rows into an engine buffer
 * and reduce them with sumParts.
 *
 * Test: spec/norm_test.ts, spec/softmax_test.ts, spec/logprob_test.ts (against ts), wasm/rows_test.ts.
 */
import type {
  LayerNormArgs,
  LayerNormBackwardArgs,
  LogSoftmaxGatherArgs,
  LogSoftmaxGatherBackwardArgs,
  RmsNormArgs,
  RmsNormBackwardArgs,
  SoftmaxArgs,
  SoftmaxBackwardArgs,
} from "../../kernel_types.ts";
import type { Tensor } from "../../tensor.ts";
import type { ArgsOf } from "../args.ts";
import { getEngine, type WasmEngine } from "../engine.ts";
import { ptrOf, ptrs } from "./matmul.ts";

const MIN_UNIT = 4096;
const UNITS_PER_THREAD = 8;

/** Rows per unit (≈ 8 units per thread, ≥ MIN_UNIT elements each) and the number of units. */
function split(e: WasmEngine, rows: number, D: number) {
  const per = Math.max(
    Math.ceil(rows / (e.threads * UNITS_PER_THREAD)),
    Math.ceil(MIN_UNIT / Math.max(D, 1)),
    1,
  );
  return { rows, D, per, units: Math.ceil(rows / per) };
}

/** Runs a row kernel when there is work, in parallel from 2·MIN_UNIT elements. */
function run<K extends RowKernel>(
  e: WasmEngine,
  kernel: K,
  fields: ArgsOf<K> & { rows: number; D: number },
): void {
  const { rows, D } = fields;
  if (rows * D > 0) e.run(kernel, fields, rows * D >= 2 * MIN_UNIT);
}
type RowKernel =
  | "layernorm"
  | "layernormBackward"
  | "rmsnorm"
  | "rmsnormBackward"
  | "softmax"
  | "softmaxBackward"
  | "logSoftmaxGather"
  | "logSoftmaxGatherBackward";

/** dst[c] = Σ_p parts[p·stride + c], c < D. */
function sumParts(e: WasmEngine, parts: number, D: number, stride: number, src: number, dst: number): void {
  e.run("sumParts", { parts, D, stride, src, dst }, false);
}

export function layernorm(a: LayerNormArgs): void {
  const e = getEngine();
  const { x, weight, bias, out, mean, rstd } = a;
  run(e, "layernorm", {
    ...split(e, a.rows, a.D),
    ...ptrs({ x, weight, bias, out, mean, rstd }),
    eps: a.eps,
  });
}

export function layernormBackward(a: LayerNormBackwardArgs): void {
  const e = getEngine();
  const { dOut, x, weight, mean, rstd, dX } = a;
  const s = split(e, a.rows, a.D);
  const parts = e.buffer("norm.parts", Math.max(1, s.units * 2 * s.D * 4));
  if (s.rows === 0) {
    a.dWeight.data.fill(0);
    a.dBias?.data.fill(0);
    return;
  }
  run(e, "layernormBackward", { ...s, ...ptrs({ dOut, x, weight, mean, rstd, dX }), parts });
  sumParts(e, s.units, s.D, 2 * s.D, parts, ptrOf(a.dWeight));
  if (a.dBias) sumParts(e, s.units, s.D, 2 * s.D, parts + s.D * 4, ptrOf(a.dBias));
}

export function rmsnorm(a: RmsNormArgs): void {
  const e = getEngine();
  const { x, weight, out, rstd } = a;
  run(e, "rmsnorm", { ...split(e, a.rows, a.D), ...ptrs({ x, weight, out, rstd }), eps: a.eps });
}

export function rmsnormBackward(a: RmsNormBackwardArgs): void {
  const e = getEngine();
  const { dOut, x, weight, rstd, dX } = a;
  const s = split(e, a.rows, a.D);
  const parts = e.buffer("norm.parts", Math.max(1, s.units * s.D * 4));
  if (s.rows === 0) {
    a.dWeight.data.fill(0);
    return;
  }
  run(e, "rmsnormBackward", { ...s, ...ptrs({ dOut, x, weight, rstd, dX }), parts });
  sumParts(e, s.units, s.D, s.D, parts, ptrOf(a.dWeight));
}

export function softmax({ x, out, rows, cols }: SoftmaxArgs): void {
  const e = getEngine();
  run(e, "softmax", { ...split(e, rows, cols), ...ptrs({ x, out }) });
}

export function softmaxBackward({ dOut, out, dX, rows, cols }: SoftmaxBackwardArgs): void {
  const e = getEngine();
  run(e, "softmaxBackward", { ...split(e, rows, cols), ...ptrs({ dOut, out, dX }) });
}
/** Same check and message as the ts reference: targets must be < V (negative = padding). */
function checkTargets(kernel: string, targets: Tensor, V: number): void {
  const t = targets.data;
  for (let n = 0; n < t.length; n++) {
    if (t[n]! >= V) {
      throw new Error(
        `${kernel}: target ${t[n]} at row ${n} is outside the vocabulary [0, ${V}). Fix: remap targets (use −1 for padding).`,
      );
    }
  }
}

export function logSoftmaxGather(a: LogSoftmaxGatherArgs): void {
  const e = getEngine();
  const { logits, targets, logp, lse } = a;
  checkTargets("logSoftmaxGather", targets, a.V);
  run(e, "logSoftmaxGather", { ...split(e, a.N, a.V), ...ptrs({ logits, targets, logp, lse }) });
}

export function logSoftmaxGatherBackward(a: LogSoftmaxGatherBackwardArgs): void {
  const e = getEngine();
  const { dLogp, logits, targets, lse, dLogits } = a;
  checkTargets("logSoftmaxGatherBackward", targets, a.V);
  run(e, "logSoftmaxGatherBackward", {
    ...split(e, a.N, a.V),
    ...ptrs({ dLogp, logits, targets, lse, dLogits }),
  });
}
