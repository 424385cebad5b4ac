/**
 * Host side of the fused causal attention and KV-cache decoding (assembly/attention.ts): writes the
 * argument block, copies the per-sequence key ranges into wasm memory, lists the query blocks (BQ
 * rows each; in a packed row, the shared prefix and each segment are cut separately, so no block
 * straddles a segment) and sizes the per-thread score buffers (BQ × T floats forward, twice that
 * backward).
 *
 * Test: packages/kernels/wasm/attention_test.ts and spec/attention_test.ts (against ts).
 */
import type { AttentionArgs, AttentionBackwardArgs, AttentionDecodeArgs } from "../../kernel_types.ts";
import { getEngine, type WasmEngine } from "../engine.ts";
import { ptrOf } from "./matmul.ts";

/** Query rows per block: the S block (BQ × T) stays in L2 for T up to a few thousand. */
const BQ = 64;

function mask(e: WasmEngine, slot: string, m: Int32Array | null): number {
  if (!m) return 0;
  const p = e.buffer(slot, m.length * 4);
  e.i32(p, m.length).set(m);
  return p;
}

function writeCommon(e: WasmEngine, a: AttentionArgs | AttentionBackwardArgs, perThreadRows: number): number {
  const w = e.args;
  w[1] = ptrOf(a.q);
  w[2] = ptrOf(a.k);
  w[3] = ptrOf(a.v);
  w[4] = ptrOf(a.out);
  w[5] = ptrOf(a.lse);
  w[6] = a.B;
  w[7] = a.T;
  w[8] = a.H;
  w[9] = a.Hkv;
  w[10] = a.Dh;
  e.argsF32[11] = a.scale;
  w[12] = mask(e, "attention.keyStart", a.keyStart);
  w[13] = mask(e, "attention.keyEnd", a.keyEnd);
  const bq = Math.min(BQ, a.T);
  w[14] = bq;
  const perThread = Math.ceil((perThreadRows * bq * a.T * 4) / 64) * 64;
  w[15] = e.buffer("attention.blocks", perThread * e.threads);
  w[16] = perThread;
  writeBlocks(e, a, bq);
  return a.B * a.H * a.T * a.T * a.Dh;
}

/**
 * The query blocks (b, i0, rows, s0) in row order (words 21–23) and the packed rows' prefix lengths
 * (word 24). s0 = the segment's first position, 0 for causal rows and prefixes.
 */
function writeBlocks(e: WasmEngine, a: AttentionArgs | AttentionBackwardArgs, bq: number): void {
  const { B, T, segStart } = a;
  const list: number[] = [];
  const rowFirst = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) {
    rowFirst[b] = list.length / 4;
    let t = 0;
    while (t < T) {
      const s0 = segStart ? segStart[b * T + t]! : 0;
      let end = t + 1;
      if (segStart) while (end < T && end - t < bq && segStart[b * T + end] === s0) end++;
      else end = Math.min(T, t + bq);
      list.push(b, t, end - t, s0);
      t = end;
    }
  }
  rowFirst[B] = list.length / 4;
  const w = e.args;
  w[21] = mask(e, "attention.list", Int32Array.from(list));
  w[22] = list.length / 4;
  w[23] = mask(e, "attention.rowFirst", rowFirst);
  w[24] = mask(e, "attention.prefixLen", a.prefixLen);
}

export function attention(a: AttentionArgs): void {
  const e = getEngine();
  if (a.B * a.T * a.H === 0) return;
  const work = writeCommon(e, a, 1);
  e.run("attention", work >= e.config.minParallelWork);
}

export function attentionBackward(a: AttentionBackwardArgs): void {
  const e = getEngine();
  if (a.B * a.T * a.H === 0) return;
  const work = writeCommon(e, a, 2);
  const w = e.args;
  w[17] = ptrOf(a.dOut);
  w[18] = ptrOf(a.dQ);
  w[19] = ptrOf(a.dK);
  w[20] = ptrOf(a.dV);
  e.run("attentionBackward", work >= e.config.minParallelWork);
}

export function attentionDecode(a: AttentionDecodeArgs): void {
  const e = getEngine();
  if (a.B * a.Tq * a.H === 0) return;
  const w = e.args;
  w[1] = ptrOf(a.q);
  w[2] = ptrOf(a.kCache);
  w[3] = ptrOf(a.vCache);
  w[4] = ptrOf(a.out);
  w[5] = 0;
  w[6] = a.B;
  w[7] = a.Tq;
  w[8] = a.H;
  w[9] = a.Hkv;
  w[10] = a.Dh;
  e.argsF32[11] = a.scale;
  w[12] = mask(e, "attention.keyStart", a.keyStart);
  w[13] = 0;
  const bq = Math.min(BQ, a.Tq);
  w[14] = bq;
  const perThread = Math.ceil((bq * a.Tmax * 4) / 64) * 64;
  w[15] = e.buffer("attention.blocks", perThread * e.threads);
  w[16] = perThread;
  w[17] = a.Tmax;
  w[18] = mask(e, "attention.pos", a.pos);
  e.run("attentionDecode", a.B * a.H * a.Tq * a.Tmax * a.Dh >= e.config.minParallelWork);
}
