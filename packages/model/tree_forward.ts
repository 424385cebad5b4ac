/**
 * The forward over a radix tree of token sequences (prefix_tree.ts): every token shared by several
 * sequences runs once. Serves prefix-sharing scoring (score_shared.ts) and generation prefill
 * (generate.ts), where a group's rollouts share their question prompt and consecutive contexts of a
 * rollout share their history.
 *
 * The tree runs top-down in waves (a node's parent in the wave before). A wave's nodes are cut into
 * batches of similar length; in a batch, lane b is one node: its ancestors' keys/values are copied into
 * cache row b at slots 0 … start−1, and its tokens (right-padded to the batch's longest node) attend
 * that cache as one query block at positions start … (`attentionDecode`). The output head runs only
 * on the requested rows. The keys/values of a node with children are read back to the host and
 * dropped once every node below it has run; with a `sink`, each node's keys/values are also copied
 * into the cache row of every sequence that passes through it (a generation cache).
 *
 * Where the backend's tensors are host memory (ts, wasm: {@link hostMemory}), the runs are copied
 * straight out of and into the cache tensors' storage; elsewhere (webgpu, tfjs) each batch's cache is
 * read back whole and the next one uploaded from host arrays.
 *
 * Simplifications: a node's keys/values are kept as host arrays (one copy per node with children,
 * one per lane that continues it); nodes run level by level, not in an optimal schedule.
 *
 * Test: `npx vitest run score_shared_test.ts generate_test.ts`.
 */
import { type FloatArray, hostArray, type Tensor, tidy } from "@mempo/kernels";
import { forward } from "./forward.ts";
import { KvCache } from "./kv_cache.ts";
import type { Model } from "./params.ts";
import { buildPrefixTree, type PrefixNode } from "./prefix_tree.ts";

/** One requested output row: position `pos` of sequence `seq`. */
export interface RowRef {
  seq: number;
  pos: number;
}

/**
 * Where every sequence's keys/values are assembled, [S, Hkv, Tmax, Dh] per layer (row s = sequence s):
 * host arrays, or (`cache`) a KvCache written in place on a host-memory backend ({@link hostMemory}).
 */
export type KvSink = { Tmax: number } & ({ k: FloatArray[]; v: FloatArray[] } | { cache: KvCache });

/**
 * Whether the model's tensors live in host memory (`Backend.hostMemory`: the ts and wasm backends), so
 * that keys/values can be copied in and out of a cache's storage in place (tensor.data) instead of
 * through read and upload.
 */
export function hostMemory(m: Model): boolean {
  return m.backend.hostMemory === true;
}

export interface TreeForwardOptions {
  /** Output rows wanted of sequence s: positions from[s] … to[s]−1 [S]. */
  from: ArrayLike<number>;
  to: ArrayLike<number>;
  /**
   * Called once per batch with the logits [N, V] of its requested rows (row r = rows[r]); the caller
   * reads what it needs; the logits are disposed after it resolves.
   */
  head: (logits: Tensor, rows: readonly RowRef[]) => Promise<void>;
  /** Where to assemble every sequence's keys/values (generation prefill); default none. */
  sink?: KvSink;
  /** Upper bound on B·T positions per forward (a longer node still runs alone); default 8192. */
  maxBatchTokens?: number;
  /**
   * Upper bound on B·Tmax cache slots per forward (B lanes, Tmax = last start + T); default: as many
   * as hold 128 MiB of keys and values (65,536 for the `default` preset).
   */
  maxCacheTokens?: number;
}

/** Keys and values of one node's tokens, per layer: [Hkv, len, Dh]. */
interface NodeKv {
  k: FloatArray[];
  v: FloatArray[];
}

/** Runs the sequences `seqs` (checked ids, each ≥ 1 token) through the model, shared prefixes once. */
export async function treeForward(
  m: Model,
  seqs: readonly Int32Array[],
  opts: TreeForwardOptions,
): Promise<void> {
  if (seqs.length === 0) return;
  const tree = buildPrefixTree(seqs);
  const { nodes } = tree;
  const want: RowRef[][] = nodes.map(() => []);
  const below: number[][] = nodes.map(() => []); // sequences through each node (sink only)
  for (let s = 0; s < seqs.length; s++) {
    for (let nd = tree.leafOf[s]!; nd > 0; nd = nodes[nd]!.parent) {
      const { start, end } = nodes[nd]!;
      for (let p = Math.max(start, opts.from[s]!); p < Math.min(end, opts.to[s]!); p++)
        want[nd]!.push({ seq: s, pos: p });
      if (opts.sink) below[nd]!.push(s);
    }
  }
  // nodes below each node still to run; a node's keys/values are dropped when it reaches 0
  const pending = new Int32Array(nodes.length);
  for (let nd = 1; nd < nodes.length; nd++)
    for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) pending[a]!++;
  const store = new Map<number, NodeKv>();
  const maxBatch = opts.maxBatchTokens ?? 8192;
  const c = m.config;
  const slotBytes = c.nLayers * 2 * c.nKvHeads * (c.dModel / c.nHeads) * (m.dtype === "f64" ? 8 : 4);
  const maxCache = opts.maxCacheTokens ?? Math.max(1, Math.floor(2 ** 27 / slotBytes));
  let wave = nodes[0]!.children;
  while (wave.length > 0) {
    for (const chunk of batches(nodes, wave, maxBatch, maxCache)) {
      await runBatch(m, seqs, nodes, chunk, want, below, store, opts);
      for (const nd of chunk)
        for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) if (--pending[a]! === 0) store.delete(a);
    }
    wave = wave.flatMap((nd) => nodes[nd]!.children);
  }
}

/**
 * Cuts a wave into batches: longest node first; a batch keeps nodes at least 85% as long as its first
 * (or within 4 tokens of it: padded rows cost as much as real ones, attention over the whole prefix
 * included), B·T ≤ maxBatch positions and B·(longest start + T) ≤ maxCache slots.
 */
function batches(nodes: PrefixNode[], wave: number[], maxBatch: number, maxCache: number): number[][] {
  const len = (nd: number) => nodes[nd]!.end - nodes[nd]!.start;
  const sorted = [...wave].sort((a, b) => len(b) - len(a) || nodes[b]!.start - nodes[a]!.start);
  const out: number[][] = [];
  let at = 0;
  while (at < sorted.length) {
    const first = sorted[at++]!;
    const T = len(first);
    let maxStart = nodes[first]!.start;
    const chunk = [first];
    while (at < sorted.length) {
      const nd = sorted[at]!;
      const l = len(nd);
      const s = Math.max(maxStart, nodes[nd]!.start);
      const B = chunk.length + 1;
      if ((l < 0.85 * T && T - l > 4) || B * T > maxBatch || B * (s + T) > maxCache) break;
      chunk.push(nd);
      maxStart = s;
      at++;
    }
    out.push(chunk);
  }
  return out;
}

/** Runs one batch of nodes from their ancestors' cached keys/values. */
async function runBatch(
  m: Model,
  seqs: readonly Int32Array[],
  nodes: PrefixNode[],
  chunk: number[],
  want: RowRef[][],
  below: number[][],
  store: Map<number, NodeKv>,
  opts: TreeForwardOptions,
): Promise<void> {
  const c = m.config;
  const Hkv = c.nKvHeads;
  const Dh = c.dModel / c.nHeads;
  const B = chunk.length;
  const pos = Int32Array.from(chunk, (nd) => nodes[nd]!.start);
  const lens = Int32Array.from(chunk, (nd) => nodes[nd]!.end - nodes[nd]!.start);
  const T = Math.max(...lens);
  const Tmax = Math.max(...pos) + T;
  const ids = new Int32Array(B * T);
  const rows: number[] = [];
  const refs: RowRef[] = [];
  chunk.forEach((nd, b) => {
    const node = nodes[nd]!;
    ids.set(seqs[node.seq]!.subarray(node.start, node.end), b * T);
    for (const r of want[nd]!) {
      rows.push(b * T + r.pos - node.start);
      refs.push(r);
    }
  });
  // cache row b = the keys/values of node b's ancestors at their positions
  // written in place (host-memory backends), or into host arrays uploaded as the cache afterwards
  const direct = hostMemory(m);
  // every slot a row reads is written first (ancestors' copies, then the batch's own tokens)
  const inPlace = direct ? new KvCache(m, B, Tmax, undefined, { zero: false }) : null;
  const host = () =>
    Array.from({ length: c.nLayers }, () => hostArray(m.dtype, B * Hkv * Tmax * Dh) as FloatArray);
  const kDst = inPlace ? inPlace.k.map((t) => t.data as FloatArray) : host();
  const vDst = inPlace ? inPlace.v.map((t) => t.data as FloatArray) : host();
  for (let l = 0; l < c.nLayers; l++) {
    const toK = kDst[l]!;
    const toV = vDst[l]!;
    chunk.forEach((nd, b) => {
      for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) {
        const { start, end } = nodes[a]!;
        const kv = store.get(a)!;
        const run = (end - start) * Dh;
        for (let h = 0; h < Hkv; h++) {
          const dst = ((b * Hkv + h) * Tmax + start) * Dh;
          toK.set(kv.k[l]!.subarray(h * run, (h + 1) * run), dst);
          toV.set(kv.v[l]!.subarray(h * run, (h + 1) * run), dst);
        }
      }
    });
  }
  const kvCache = inPlace ?? new KvCache(m, B, Tmax, { k: kDst, v: vDst });
  try {
    const batch = { B, T, ids, pos, rows: Int32Array.from(rows.length > 0 ? rows : [0]) };
    const logits = tidy(() => forward(m, batch, { kind: "cache", cache: kvCache, pos }, false).logits);
    try {
      if (refs.length > 0) await opts.head(logits, refs);
    } finally {
      logits.dispose();
    }
    const sink = opts.sink;
    const keep = chunk.flatMap((nd, b) => (nodes[nd]!.children.length > 0 || sink ? [b] : []));
    if (keep.length === 0) return;
    for (const b of keep) if (nodes[chunk[b]!]!.children.length > 0) store.set(chunk[b]!, { k: [], v: [] });
    for (let l = 0; l < c.nLayers; l++) {
      const kAll = (direct ? kvCache.k[l]!.data : await kvCache.k[l]!.read()) as FloatArray;
      const vAll = (direct ? kvCache.v[l]!.data : await kvCache.v[l]!.read()) as FloatArray;
      const sinkK = sink ? ("cache" in sink ? sink.cache.k[l]!.data : sink.k[l]!) : null;
      const sinkV = sink ? ("cache" in sink ? sink.cache.v[l]!.data : sink.v[l]!) : null;
      for (const b of keep) {
        const nd = chunk[b]!;
        const run = lens[b]! * Dh;
        const kv = store.get(nd);
        for (let h = 0; h < Hkv; h++) {
          const src = ((b * Hkv + h) * Tmax + pos[b]!) * Dh;
          const kRun = kAll.subarray(src, src + run);
          const vRun = vAll.subarray(src, src + run);
          if (kv) {
            if (h === 0) {
              kv.k.push(hostArray(m.dtype, Hkv * run) as FloatArray);
              kv.v.push(hostArray(m.dtype, Hkv * run) as FloatArray);
            }
            kv.k[l]!.set(kRun, h * run);
            kv.v[l]!.set(vRun, h * run);
          }
          if (sink)
            for (const s of below[nd]!) {
              const dst = ((s * Hkv + h) * sink.Tmax + pos[b]!) * Dh;
              sinkK!.set(kRun, dst);
              sinkV!.set(vRun, dst);
            }
        }
      }
    }
  } finally {
    kvCache.dispose();
  }
}
