/**
 * Host side of the fused causal attention and KV-cache decoding (assembly/attention.ts): fills the
 * argument fields (args.ts), copies the per-sequence key ranges into wasm memory, lists the query
 * blocks (BQ rows each; in a packed row, the shared prefix and each segment are cut separately, so
 * no block straddles a segment; with `queries`, only the runs of those rows) and sizes the per-thread
 * score buffers (BQ × T floats forward, twice that backward). The backward cuts each (row, key/value
 * head) into slices of its blocks when there are too few such pairs to keep the threads busy, and
 * sums the slices' dK, dV parts after the kernel.
 *
 * Test: packages/kernels/wasm/rows_test.ts and spec/attention_test.ts (against ts).
 */
import type { AttentionArgs, AttentionBackwardArgs, AttentionDecodeArgs } from "../../kernel_types.ts";
import { getEngine, type WasmEngine } from "../engine.ts";
import { ptrOf, ptrs } from "./matmul.ts";

/**
 * Query rows per block: the S block (BQ × T) stays in L2 for T up to a few thousand; 60 is a multiple
 * of both micro-tile heights (6 with FMA, 4 without), so no block ends in a partial tile (64: fwd and
 * bwd 3–4 % slower on the default model's packed SFT rows).
 */
const BQ_MAX = 60;

/**
 * Most slices one (row, key/value head) of the backward is cut into. One packed SFT row on 2 threads
 * gives 2 units; cut into 4 slices each, the backward of a real batch takes 25.7 ms instead of 29.1
 * (the slices' dK, dV parts cost one extra add each).
 */
const MAX_SPLITS = 8;

function mask(e: WasmEngine, slot: string, m: Int32Array | null): number {
  if (!m) return 0;
  const p = e.buffer(slot, m.length * 4);
  e.i32(p, m.length).set(m);
  return p;
}

/** The fields attention and its backward share: tensors, sizes, masks, buffers and query blocks. */
function common(e: WasmEngine, a: AttentionArgs | AttentionBackwardArgs, perThreadRows: number) {
  const { q, k, v, out, lse, B, T, H, Hkv, Dh, scale } = a;
  const BQ = Math.min(BQ_MAX, T);
  const scratchBytes = Math.ceil((perThreadRows * BQ * T * 4) / 64) * 64;
  return {
    ...{ ...ptrs({ q, k, v, out, lse }), B, T, H, Hkv, Dh, scale, BQ },
    keyStart: mask(e, "attention.keyStart", a.keyStart),
    keyEnd: mask(e, "attention.keyEnd", a.keyEnd),
    ...{ scratch: e.buffer("attention.blocks", scratchBytes * e.threads), scratchBytes },
    ...blocks(e, a, BQ),
    prefixLen: mask(e, "attention.prefixLen", a.prefixLen),
  };
}

/**
 * The query blocks (b, i0, rows, s0) in row order and the first block of each row. s0 = the
 * segment's first position, 0 for causal rows and prefixes. With `queries`, only runs of those rows
 * are cut into blocks (the others are skipped: zeros forward, no gradient backward).
 */
function blocks(e: WasmEngine, a: AttentionArgs | AttentionBackwardArgs, bq: number) {
  const { B, T, segStart, queries } = a;
  const list: number[] = [];
  const rowFirst = new Int32Array(B + 1);
  const seg = (b: number, t: number) => (segStart ? segStart[b * T + t]! : 0);
  // the rows to cut (b·T + t, ascending): `queries`, or every row; a block is a run of consecutive
  // rows of one sequence and one segment, at most bq long
  const n = queries ? queries.length : B * T;
  const row = queries ? (i: number) => queries[i]! : (i: number) => i;
  let i = 0;
  for (let b = 0; b < B; b++) {
    rowFirst[b] = list.length / 4;
    while (i < n && row(i) < (b + 1) * T) {
      const t = row(i) - b * T;
      const s0 = seg(b, t);
      let len = 1;
      while (
        i + len < n &&
        len < bq &&
        t + len < T &&
        row(i + len) === b * T + t + len &&
        seg(b, t + len) === s0
      )
        len++;
      list.push(b, t, len, s0);
      i += len;
    }
  }
  rowFirst[B] = list.length / 4;
  return {
    blocks: mask(e, "attention.list", Int32Array.from(list)),
    nBlocks: list.length / 4,
    rowFirst: mask(e, "attention.rowFirst", rowFirst),
    host: { list, rowFirst },
  };
}

/**
 * Cuts each row's query blocks into `splits` slices of about equal work (a block's work taken as
 * rows × (its last position + 1), the keys it can see at most): the first block of each slice, i32
 * [B·splits + 1]. A block goes to the slice its middle falls in; slices may be empty.
 */
function sliceBlocks(list: readonly number[], rowFirst: Int32Array, splits: number): Int32Array {
  const B = rowFirst.length - 1;
  const work = (i: number) => list[4 * i + 2]! * (list[4 * i + 1]! + list[4 * i + 2]!);
  const out = new Int32Array(B * splits + 1);
  for (let b = 0; b < B; b++) {
    const end = rowFirst[b + 1]!;
    let total = 0;
    for (let i = rowFirst[b]!; i < end; i++) total += work(i);
    let i = rowFirst[b]!;
    let done = 0;
    for (let s = 0; s < splits; s++) {
      out[b * splits + s] = i;
      const target = (total * (s + 1)) / splits;
      while (i < end && done + work(i) / 2 <= target) done += work(i++);
    }
  }
  out[B * splits] = rowFirst[B]!;
  return out;
}

export function attention(a: AttentionArgs): void {
  const e = getEngine();
  if (a.B * a.T * a.H === 0) return;
  const work = a.B * a.H * a.T * a.T * a.Dh;
  const { host: _, ...fields } = common(e, a, 1);
  e.run("attention", fields, work >= e.config.minParallelWork);
}

export function attentionBackward(a: AttentionBackwardArgs): void {
  const e = getEngine();
  if (a.B * a.T * a.H === 0) return;
  const work = a.B * a.H * a.T * a.T * a.Dh;
  const parallel = work >= e.config.minParallelWork;
  const { dOut, dQ, dK, dV } = a;
  const { host, ...fields } = common(e, a, 2);
  // A unit owns the dK, dV of one (row, key/value head); with fewer such pairs than 4 per thread
  // (packed rows: one row), each is cut into slices of its query blocks, slice s > 0 accumulating
  // into a part tensor that is summed in afterwards.
  const pairs = a.B * a.Hkv;
  const splits = parallel ? Math.min(MAX_SPLITS, Math.max(1, Math.ceil((4 * e.threads) / pairs))) : 1;
  const n = a.B * a.T * a.Hkv * a.Dh;
  const parts = splits > 1 ? e.buffer("attention.parts", 2 * (splits - 1) * n * 4) : 0;
  const slices = mask(e, "attention.slices", sliceBlocks(host.list, host.rowFirst, splits));
  e.run("attentionBackward", { ...fields, ...ptrs({ dOut, dQ, dK, dV }), splits, slices, parts }, parallel);
  for (let s = 1; s < splits; s++)
    for (const [t, off] of [
      [dK, 2 * (s - 1)],
      [dV, 2 * s - 1],
    ] as const) {
      const p = ptrOf(t);
      const fields = { n, size: 32768, a: p, b: parts + off * n * 4, out: p, bSize: n, op: 0, alpha: 1 };
      e.run("binary", fields, n > 32768);
    }
}

export function attentionDecode(a: AttentionDecodeArgs): void {
  const e = getEngine();
  if (a.B * a.Tq * a.H === 0) return;
  const { B, H, Hkv, Dh, scale, Tmax } = a;
  const BQ = Math.min(BQ_MAX, a.Tq);
  const scratchBytes = Math.ceil((BQ * Tmax * 4) / 64) * 64;
  const fields = {
    ...{ ...ptrs({ q: a.q, k: a.kCache, v: a.vCache, out: a.out }), B, T: a.Tq, H, Hkv, Dh, scale, BQ, Tmax },
    ...{ keyStart: mask(e, "attention.keyStart", a.keyStart), pos: mask(e, "attention.pos", a.pos) },
    ...{ scratch: e.buffer("attention.blocks", scratchBytes * e.threads), scratchBytes },
  };
  e.run("attentionDecode", fields, B * H * a.Tq * Tmax * Dh >= e.config.minParallelWork);
}
