/**
 * Prefix-sharing teacher-forced scoring: the same log-probs as `score`, but each token shared by
 * several items' inputs runs through the model once. MemPO's memory reward scores, per rollout and
 * turn, the gold answer after the question + memory and after the question + the full history; the
 * histories of consecutive turns are prefixes of each other and every item of a group starts with the
 * same question prompt, so plain scoring re-reads the same tokens again and again.
 *
 * Item i's input is context_i ++ target_i[0 .. R−2]; the inputs form a radix tree (prefix_tree.ts).
 * The tree runs top-down in waves (a node's parent in the wave before). A wave's nodes are cut into
 * batches of similar length; in a batch, lane b is one node: its ancestors' keys/values are copied into
 * cache row b at slots 0 … start−1, and its tokens (right-padded to the batch's longest node) attend
 * that cache as one query block at positions start … (`attentionDecode`). The output head runs only
 * on the rows that predict target tokens. The keys/values of a node with children are read back to
 * the host and dropped once every node below it has run.
 *
 * Simplifications: the ancestors' keys/values travel through the host (one copy per batch); nodes run
 * level by level, not in an optimal schedule.
 *
 * Test: `npx vitest run score_shared_test.ts`.
 */
import { type FloatArray, hostArray, logSoftmaxGather, scale, tensor, tidy } from "@mempo/kernels";
import { forward } from "./forward.ts";
import { KvCache } from "./kv_cache.ts";
import type { Model } from "./params.ts";
import { buildPrefixTree, type PrefixNode } from "./prefix_tree.ts";
import type { ScoreOptions } from "./score.ts";

/** Keys and values of one node's tokens, per layer: [Hkv, len, Dh]. */
interface NodeKv {
  k: FloatArray[];
  v: FloatArray[];
}

/** Requests of one node: row offset in the node → (item, target index, target id). */
interface Requests {
  off: number[];
  item: number[];
  j: number[];
  target: number[];
}

/**
 * log p(targets[i][j] | contexts[i], targets[i][<j]) for every item i, token j, running shared input
 * prefixes once. Equal to {@link score} up to float round-off.
 * @returns one Float32Array [targets[i].length] per item, in input order.
 */
export async function scoreShared(
  m: Model,
  contexts: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  opts: ScoreOptions = {},
): Promise<Float32Array[]> {
  const c = m.config;
  if (contexts.length !== targets.length) {
    throw new Error(
      `score: ${contexts.length} contexts but ${targets.length} targets; pass one target per context`,
    );
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`score: temperature must be > 0, got ${temperature}`);
  const maxBatch = opts.maxBatchTokens ?? 8192;
  const maxCache = opts.maxCacheTokens ?? 65536;
  const out = targets.map((t) => new Float32Array(t.length));
  const live = Array.from(contexts.keys()).filter((i) => targets[i]!.length > 0);
  const seqs = live.map((i) => inputIds(contexts[i]!, targets[i]!, i, c.vocabSize, c.maxSeqLen));
  if (seqs.length === 0) return out;
  const tree = buildPrefixTree(seqs);
  const { nodes } = tree;
  const req: Requests[] = nodes.map(() => ({ off: [], item: [], j: [], target: [] }));
  live.forEach((i, s) => {
    const P = contexts[i]!.length;
    const r = targets[i]!;
    for (let nd = tree.leafOf[s]!; nd > 0; nd = nodes[nd]!.parent) {
      const { start, end } = nodes[nd]!;
      for (let p = Math.max(start, P - 1); p < Math.min(end, P + r.length - 1); p++) {
        const q = req[nd]!;
        q.off.push(p - start);
        q.item.push(i);
        q.j.push(p - P + 1);
        q.target.push(r[p - P + 1]!);
      }
    }
  });
  // nodes below each node still to run; a node's keys/values are dropped when it reaches 0
  const pending = new Int32Array(nodes.length);
  for (let nd = 1; nd < nodes.length; nd++)
    for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) pending[a]!++;
  const store = new Map<number, NodeKv>();
  let wave = nodes[0]!.children;
  while (wave.length > 0) {
    for (const chunk of batches(nodes, wave, maxBatch, maxCache)) {
      await runBatch(m, seqs, nodes, chunk, req, store, out, temperature);
      for (const nd of chunk)
        for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) if (--pending[a]! === 0) store.delete(a);
    }
    wave = wave.flatMap((nd) => nodes[nd]!.children);
  }
  return out;
}

/** context ++ target[0 .. R−2], checked. */
function inputIds(
  ctx: ArrayLike<number>,
  tgt: ArrayLike<number>,
  i: number,
  vocab: number,
  maxSeqLen: number,
): Int32Array {
  const P = ctx.length;
  const R = tgt.length;
  if (P === 0) throw new Error(`score: context ${i} is empty; give at least one token`);
  if (P + R > maxSeqLen) {
    throw new Error(
      `score: item ${i}: context (${P}) + target (${R}) = ${P + R} tokens exceeds the model's maxSeqLen ${maxSeqLen}`,
    );
  }
  const ids = new Int32Array(P + R - 1);
  for (let t = 0; t < P + R; t++) {
    const id = t < P ? ctx[t]! : tgt[t - P]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      const where = t < P ? `contexts[${i}][${t}]` : `targets[${i}][${t - P}]`;
      throw new Error(`score: ${where} = ${id} is not a token id in [0, ${vocab})`);
    }
    if (t < P + R - 1) ids[t] = id;
  }
  return ids;
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

/** Runs one batch of nodes from their ancestors' cached keys/values; fills `out` and `store`. */
async function runBatch(
  m: Model,
  seqs: Int32Array[],
  nodes: PrefixNode[],
  chunk: number[],
  req: Requests[],
  store: Map<number, NodeKv>,
  out: Float32Array[],
  temperature: number,
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
  const tgt: number[] = [];
  const dest: [number, number][] = [];
  chunk.forEach((nd, b) => {
    const node = nodes[nd]!;
    ids.set(seqs[node.seq]!.subarray(node.start, node.end), b * T);
    const q = req[nd]!;
    for (let r = 0; r < q.off.length; r++) {
      rows.push(b * T + q.off[r]!);
      tgt.push(q.target[r]!);
      dest.push([q.item[r]!, q.j[r]!]);
    }
  });
  if (rows.length === 0) {
    rows.push(0); // the head needs a row; its value is unused
    tgt.push(0);
  }
  // cache row b = the keys/values of node b's ancestors at their positions
  const size = B * Hkv * Tmax * Dh;
  const kHost = Array.from({ length: c.nLayers }, () => hostArray(m.dtype, size) as FloatArray);
  const vHost = Array.from({ length: c.nLayers }, () => hostArray(m.dtype, size) as FloatArray);
  chunk.forEach((nd, b) => {
    for (let a = nodes[nd]!.parent; a > 0; a = nodes[a]!.parent) {
      const { start, end } = nodes[a]!;
      const kv = store.get(a)!;
      const run = (end - start) * Dh;
      for (let l = 0; l < c.nLayers; l++)
        for (let h = 0; h < Hkv; h++) {
          const dst = ((b * Hkv + h) * Tmax + start) * Dh;
          kHost[l]!.set(kv.k[l]!.subarray(h * run, (h + 1) * run), dst);
          vHost[l]!.set(kv.v[l]!.subarray(h * run, (h + 1) * run), dst);
        }
    }
  });
  const cache = new KvCache(m, B, Tmax, { k: kHost, v: vHost });
  try {
    const batch = { B, T, ids, pos, rows: Int32Array.from(rows) };
    const logp = tidy(() => {
      const f = forward(m, batch, { kind: "cache", cache, pos }, false);
      const logits = temperature === 1 ? f.logits : scale(f.logits, 1 / temperature);
      const targetsT = tensor(Int32Array.from(tgt), [tgt.length], { backend: m.backend, dtype: "i32" });
      return logSoftmaxGather(logits, targetsT).logp;
    });
    const host = await logp.read();
    logp.dispose();
    dest.forEach(([i, j], r) => {
      out[i]![j] = host[r]!;
    });
    const keepIdx = chunk.flatMap((nd, b) => (nodes[nd]!.children.length > 0 ? [b] : []));
    if (keepIdx.length === 0) return;
    for (const nd of chunk) if (nodes[nd]!.children.length > 0) store.set(nd, { k: [], v: [] });
    for (let l = 0; l < c.nLayers; l++) {
      const kAll = (await cache.k[l]!.read()) as FloatArray;
      const vAll = (await cache.v[l]!.read()) as FloatArray;
      for (const b of keepIdx) {
        const kv = store.get(chunk[b]!)!;
        const run = lens[b]! * Dh;
        const k = hostArray(m.dtype, Hkv * run) as FloatArray;
        const v = hostArray(m.dtype, Hkv * run) as FloatArray;
        for (let h = 0; h < Hkv; h++) {
          const src = ((b * Hkv + h) * Tmax + pos[b]!) * Dh;
          k.set(kAll.subarray(src, src + run), h * run);
          v.set(vAll.subarray(src, src + run), h * run);
        }
        kv.k.push(k);
        kv.v.push(v);
      }
    }
  } finally {
    cache.dispose();
  }
}
