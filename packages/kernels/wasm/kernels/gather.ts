/**
 * Host side of the row gathers (assembly/gather.ts): the embedding lookup, its scatter-add backward and
 * the KV-cache write, which the ts kernels do row by row from JavaScript (a view and a `set` per row of
 * 32–128 floats). Ids and slots are checked here, with the ts kernels' messages. Below SMALL floats
 * (a decoding step's few rows) the ts kernel runs: there a kernel launch costs more than the copies.
 *
 * Test: spec/embedding_test.ts and spec/attention_test.ts (kvCacheWrite), against ts.
 */
import { checkId } from "../../backends/ts/util.ts";
import type { EmbeddingArgs, EmbeddingBackwardArgs, KvCacheWriteArgs } from "../../kernel_types.ts";
import { getKernelExact } from "../../registry.ts";
import type { Tensor } from "../../tensor.ts";
import { getEngine } from "../engine.ts";
import { ptrs } from "./matmul.ts";

/** Floats moved below which the ts kernel runs instead (measured: 16 rows × 64 floats, ts 5 µs, wasm 15). */
const SMALL = 8192;

/** Checks every id as the ts kernel does (same message). */
function checkIds(kernel: string, ids: Tensor, N: number, V: number): void {
  const id = ids.data as Int32Array;
  for (let n = 0; n < N; n++) checkId(kernel, id[n]!, n, V);
}

export function embedding(args: EmbeddingArgs): void {
  const { ids, table, out, N, D, V } = args;
  if (N * D < SMALL) {
    getKernelExact("embedding", "ts")!(args);
    return;
  }
  checkIds("embedding", ids, N, V);
  const e = getEngine();
  const per = Math.max(1, Math.ceil(8192 / D), Math.ceil(N / (e.threads * 4)));
  e.run("gatherRows", { N, D, per, ...ptrs({ ids, table, out }) }, N * D >= 32768);
}

export function embeddingBackward(args: EmbeddingBackwardArgs): void {
  const { dOut, ids, dTable, N, D, V, accumulate } = args;
  if (N * D < SMALL) {
    getKernelExact("embeddingBackward", "ts")!(args);
    return;
  }
  checkIds("embeddingBackward", ids, N, V);
  getEngine().run("scatterAddRows", { N, D, V, accumulate, ...ptrs({ ids, dOut, dTable }) }, false);
}

export function kvCacheWrite(args: KvCacheWriteArgs): void {
  const { x, cache, B, Tq, Hkv, Dh, Tmax, pos } = args;
  if (B * Tq * Hkv * Dh < SMALL) {
    getKernelExact("kvCacheWrite", "ts")!(args);
    return;
  }
  const e = getEngine();
  const p = e.buffer("kvCacheWrite.pos", B * 4);
  e.i32(p, B).set(pos);
  const per = Math.max(1, Math.ceil(4096 / (Hkv * Dh)), Math.ceil((B * Tq) / (e.threads * 4)));
  const fields = { B, Tq, Hkv, Dh, Tmax, per, ...ptrs({ x, cache }), pos: p };
  e.run("kvCacheWrite", fields, B * Tq * Hkv * Dh >= 32768);
}
