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
import { getEngine, type KernelExport, type WasmEngine } from "../engine.ts";
import { ptrOf } from "./matmul.ts";

const MIN_UNIT = 4096;
const UNITS_PER_THREAD = 8;

/** Writes rows/D/rows-per-unit and the pointers; returns the number of units. */
function setup(e: WasmEngine, rows: number, D: number, tensors: (Tensor | null)[]): number {
  const per = Math.max(
    Math.ceil(rows / (e.threads * UNITS_PER_THREAD)),
    Math.ceil(MIN_UNIT / Math.max(D, 1)),
    1,
  );
  const w = e.args;
  w[1] = rows;
  w[2] = D;
  w[3] = per;
  tensors.forEach((t, i) => {
    w[4 + i] = t ? ptrOf(t) : 0;
  });
  return Math.ceil(rows / per);
}

function run(e: WasmEngine, kernel: KernelExport, rows: number, D: number): void {
  if (rows * D > 0) e.run(kernel, rows * D >= 2 * MIN_UNIT);
}

/** dst[c] = Σ_p parts[p·stride + c], c < D. */
function sumParts(e: WasmEngine, parts: number, D: number, stride: number, src: number, dst: number): void {
  const w = e.args;
  w[1] = parts;
  w[2] = D;
  w[3] = stride;
  w[4] = src;
  w[5] = dst;
  e.run("sumParts", false);
}

export function layernorm(a: LayerNormArgs): void {
  const e = getEngine();
  setup(e, a.rows, a.D, [a.x, a.weight, a.bias, a.out, a.mean, a.rstd]);
  e.argsF32[10] = a.eps;
  run(e, "layernorm", a.rows, a.D);
}

export function layernormBackward(a: LayerNormBackwardArgs): void {
  const e = getEngine();
  const { rows, D } = a;
  const units = setup(e, rows, D, [a.dOut, a.x, a.weight, a.mean, a.rstd, a.dX]);
  const parts = e.buffer("norm.parts", Math.max(1, units * 2 * D * 4));
  e.args[10] = parts;
  if (rows === 0) {
    a.dWeight.data.fill(0);
    a.dBias?.data.fill(0);
    return;
  }
  run(e, "layernormBackward", rows, D);
  sumParts(e, units, D, 2 * D, parts, ptrOf(a.dWeight));
  if (a.dBias) sumParts(e, units, D, 2 * D, parts + D * 4, ptrOf(a.dBias));
}

export function rmsnorm(a: RmsNormArgs): void {
  const e = getEngine();
  setup(e, a.rows, a.D, [a.x, a.weight, a.out, a.rstd]);
  e.argsF32[8] = a.eps;
  run(e, "rmsnorm", a.rows, a.D);
}

export function rmsnormBackward(a: RmsNormBackwardArgs): void {
  const e = getEngine();
  const { rows, D } = a;
  const units = setup(e, rows, D, [a.dOut, a.x, a.weight, a.rstd, a.dX]);
  const parts = e.buffer("norm.parts", Math.max(1, units * D * 4));
  e.args[9] = parts;
  if (rows === 0) {
    a.dWeight.data.fill(0);
    return;
  }
  run(e, "rmsnormBackward", rows, D);
  sumParts(e, units, D, D, parts, ptrOf(a.dWeight));
}

export function softmax(a: SoftmaxArgs): void {
  const e = getEngine();
  setup(e, a.rows, a.cols, [a.x, a.out]);
  run(e, "softmax", a.rows, a.cols);
}

export function softmaxBackward(a: SoftmaxBackwardArgs): void {
  const e = getEngine();
  setup(e, a.rows, a.cols, [a.dOut, a.out, a.dX]);
  run(e, "softmaxBackward", a.rows, a.cols);
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
  checkTargets("logSoftmaxGather", a.targets, a.V);
  setup(e, a.N, a.V, [a.logits, a.targets, a.logp, a.lse]);
  run(e, "logSoftmaxGather", a.N, a.V);
}

export function logSoftmaxGatherBackward(a: LogSoftmaxGatherBackwardArgs): void {
  const e = getEngine();
  checkTargets("logSoftmaxGatherBackward", a.targets, a.V);
  setup(e, a.N, a.V, [a.dLogp, a.logits, a.targets, a.lse, a.dLogits]);
  run(e, "logSoftmaxGatherBackward", a.N, a.V);
}
