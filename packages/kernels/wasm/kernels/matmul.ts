/**
 * Host side of the wasm matmul: splits the strided batched GEMM into work units and writes the
 * matmul fields of the argument block (args.ts). Units are (batch item × row block × column block):
 * batch items first; when they cannot keep every thread busy, rows and columns are split into the most
 * square blocks (each unit repacks its slices of A and B, so square units waste the least).
 *
 * Test: packages/kernels/wasm/matmul_test.ts (engine level) and spec/matmul_test.ts (against ts).
 */
import type { MatmulArgs } from "../../kernel_types.ts";
import type { Tensor } from "../../tensor.ts";
import { getEngine, type WasmEngine } from "../engine.ts";

/**
 * Pointer-level matmul arguments: MatmulArgs with each tensor replaced by its byte offset into the
 * engine's memory (f32 data); `bias` is 0 for none. Element strides between batch items: 0
 * broadcasts, and strideOut = 0 sums the batch into out.
 */
export type MatmulPtrs = Omit<MatmulArgs, "a" | "b" | "out" | "bias"> & {
  a: number;
  b: number;
  out: number;
  bias: number;
};

const MR = 4;
const NR = 8;
/** Units per thread to aim for: more balances better on a busy machine, fewer repack less. */
const UNITS_PER_THREAD = 2;
const MIN_ROWS = 32;
const MIN_COLS = 64;

/** K = 0: out = [out] + bias for every batch item (no products). */
function matmulNoK(e: WasmEngine, p: MatmulPtrs): void {
  const bias = p.bias === 0 ? null : e.f32(p.bias, p.N);
  for (let bi = 0; bi < p.batch; bi++) {
    const o = e.f32(p.out + bi * p.strideOut * 4, p.M * p.N);
    if (!p.accumulate && (p.strideOut !== 0 || bi === 0)) o.fill(0);
    if (bias) for (let i = 0; i < o.length; i++) o[i]! += bias[i % p.N]!;
  }
}

/** Runs out_b = [out_b] + op(A_b)·op(B_b) + bias on the engine's threads. */
export function launchMatmul(e: WasmEngine, p: MatmulPtrs): void {
  const { batch, M, N, K } = p;
  if (batch === 0 || M === 0 || N === 0) return;
  if (K === 0) {
    matmulNoK(e, p);
    return;
  }
  const threads = e.threads;
  const parallel = threads > 1 && batch * M * N * K >= e.config.minParallelWork;
  const nBatchU = p.strideOut === 0 ? 1 : batch;
  let rowsPer = M;
  let colsPer = N;
  if (parallel && nBatchU < threads * UNITS_PER_THREAD) {
    // Split rows × columns into ≥ `need` units, choosing the most square units: a unit repacks
    // rows·K of A per 512-column block and K·cols of B, so packing costs ≈ 1/rows + 1/min(cols, 512)
    // per multiply-add.
    const need = Math.ceil((threads * UNITS_PER_THREAD) / nBatchU);
    let best = Number.NEGATIVE_INFINITY;
    for (let rs = 1; rs <= need; rs++) {
      const r = Math.min(M, Math.max(Math.ceil(M / rs / MR) * MR, MIN_ROWS));
      const c = Math.min(N, Math.max(Math.ceil(N / Math.ceil(need / rs) / NR) * NR, MIN_COLS));
      const units = Math.ceil(M / r) * Math.ceil(N / c);
      // Enough units beats too few; then the cheapest packing (or, if never enough, the most units).
      const score = units >= need ? 10 - 1 / r - 1 / Math.min(c, 512) : units / need;
      if (score > best) {
        best = score;
        rowsPer = r;
        colsPer = c;
      }
    }
  }
  const units = { rowsPerUnit: rowsPer, colsPerUnit: colsPer, batchUnits: nBatchU };
  const counts = { rowUnits: Math.ceil(M / rowsPer), colUnits: Math.ceil(N / colsPer) };
  e.run("matmul", { ...p, ...units, ...counts }, parallel);
}

/** Byte offset of a wasm tensor's storage. */
export function ptrOf(t: Tensor): number {
  const p = t.storage.ptr;
  if (p === undefined) throw new Error(`wasm kernel: tensor ${t} is not stored in wasm memory.`);
  return p;
}

/** Byte offsets of named wasm tensors (0 for null), e.g. `ptrs({ x, out })` → `{ x: 1024, out: 4096 }`. */
export function ptrs<T extends Record<string, Tensor | null>>(tensors: T): { [K in keyof T]: number } {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = t ? ptrOf(t) : 0;
  return out as { [K in keyof T]: number };
}

/** The registered "matmul" kernel. */
export function matmul(args: MatmulArgs): void {
  const { a, b, out, bias } = args;
  launchMatmul(getEngine(), { ...args, ...ptrs({ a, b, out, bias }) });
}
