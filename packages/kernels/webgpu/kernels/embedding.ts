/**
 * WGSL embedding gather and its scatter-add backward. The gather is one thread per output element;
 * the backward adds dOut rows into dTable with a compare-and-swap loop on the f32 bits
 * (atomic<u32>), one thread per (position, column), after zeroing dTable unless accumulating.
 * The order of the adds for a repeated id is not fixed, so sums of repeated ids may differ in the
 * last bits between runs. Out-of-range ids read zeros / are skipped (the ts backend throws).
 *
 * Test: webgpu/spec_test.ts (spec/embedding_test.ts).
 */
import type { EmbeddingArgs, EmbeddingBackwardArgs } from "../../kernel_types.ts";
import { dispatch, grid, type Program } from "../shader.ts";
import { zeroBuffer } from "./elementwise.ts";

const GATHER: Program = {
  name: "embedding",
  params: "n: u32, sx: u32, D: u32, V: u32",
  bindings: [
    ["ids", "r", "i32"],
    ["table", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [256],
  body: `let i = gid.x + gid.y * p.sx;
if (i >= p.n) { return; }
let id = ids[i / p.D];
var v = 0.0;
if (id >= 0 && u32(id) < p.V) { v = table[u32(id) * p.D + i % p.D]; }
out[i] = v;`,
};

export function embedding({ ids, table, out, N, D, V }: EmbeddingArgs): void {
  const g = grid(N * D);
  dispatch(GATHER, [ids, table, out], { n: N * D, sx: g.sx, D, V }, g.groups);
}

const SCATTER: Program = {
  name: "embeddingBackward",
  params: "n: u32, sx: u32, D: u32, V: u32",
  bindings: [
    ["ids", "r", "i32"],
    ["g", "r", "f32"],
    ["dt", "w", "atomic<u32>"],
  ],
  wg: [256],
  body: `let i = gid.x + gid.y * p.sx;
if (i >= p.n) { return; }
let id = ids[i / p.D];
if (id < 0 || u32(id) >= p.V) { return; }
let add = g[i];
let o = u32(id) * p.D + i % p.D;
var old = atomicLoad(&dt[o]);
loop {
  let r = atomicCompareExchangeWeak(&dt[o], old, bitcast<u32>(bitcast<f32>(old) + add));
  if (r.exchanged) { break; }
  old = r.old_value;
}`,
};

export function embeddingBackward({ dOut, ids, dTable, N, D, V, accumulate }: EmbeddingBackwardArgs): void {
  if (!accumulate) zeroBuffer(dTable, dTable.size);
  const g = grid(N * D);
  dispatch(SCATTER, [ids, dOut, dTable], { n: N * D, sx: g.sx, D, V }, g.groups);
}
