/**
 * Fused causal self-attention (multi-head and grouped-query), its backward, and KV-cache decoding.
 *
 *   attention(q [B,T,H,Dh], k [B,T,Hkv,Dh], v [B,T,Hkv,Dh], {keyStart?, keyEnd?, scale?})
 *     → {out [B,T,H,Dh], lse [B,H,T]}
 *   attentionBackward(dOut, q, k, v, out, lse, opts) → {dQ, dK, dV}
 *   kvCacheWrite(cache [B,Hkv,Tmax,Dh], x [B,Tq,Hkv,Dh], pos)   (in place: slots pos[b] .. pos[b]+Tq−1)
 *   attentionDecode(q [B,Tq,H,Dh], kCache, vCache, {pos, keyStart?}) → out [B,Tq,H,Dh]
 *
 * Heads: H must be a multiple of Hkv; query head h reads kv head floor(h·Hkv/H). Scale 1/√Dh.
 * Masks: causal, plus per-sequence valid key ranges — keyStart[b] (left padding: keys before it are
 * padding) and keyEnd[b] (right padding: keys from it on are padding). A query row with no valid key
 * outputs zeros and gets zero gradient. Packed rows (`segments`): several sequences that share a
 * prefix run as one row — the prefix once, then each sequence's rest as a segment that sees the
 * prefix and itself only, exactly as if each sequence ran alone (positions come from rope's
 * `positions`). Decoding: query i of sequence b is at position pos[b] + i and
 * sees cache slots keyStart[b] .. pos[b] + i (write the block's own k/v with kvCacheWrite first).
 *
 * Test: packages/kernels/spec/attention_test.ts.
 */
import type { Backend } from "../backends/backend.ts";
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, expectShape, fail, type Named, perSeq, run } from "./check.ts";

export interface AttentionOptions {
  /** First valid key per sequence [B] (left padding); default 0. */
  keyStart?: ArrayLike<number>;
  /** One past the last valid key per sequence [B] (right padding); default T. */
  keyEnd?: ArrayLike<number>;
  /** Score scale; default 1/√Dh. */
  scale?: number;
  /**
   * Packed rows: row b is a shared prefix [0, prefixLen[b]) followed by segments; segStart[b·T + t]
   * is the first position of the segment holding query t (0 for prefix positions). A segment query
   * sees keys [0, prefixLen[b]) ∪ [segStart, t]; a prefix query is causal. Not with keyStart.
   */
  segments?: { prefixLen: ArrayLike<number>; segStart: ArrayLike<number> };
  /**
   * The query rows (b·T + t, strictly ascending) whose outputs are read; default all. A backend may
   * skip the others: their output and lse rows are then zeros. attentionBackward with the same
   * option assumes dOut is zero on the other rows (their dQ is zero). Used by a model's last block,
   * whose output only the head rows reach.
   */
  queries?: ArrayLike<number>;
}

function attnDims(kernel: string, q: Tensor, k: Tensor, v: Tensor, inputs: Named) {
  if (q.rank !== 4) fail(kernel, `"q" must be [B,T,H,Dh]`, inputs, "reshape q to [B,T,H,Dh]");
  const [B, T, H, Dh] = q.shape as [number, number, number, number];
  if (k.rank !== 4 || k.shape[0] !== B || k.shape[1] !== T || k.shape[3] !== Dh) {
    fail(kernel, `"k" must be [B,T,Hkv,Dh] = [${B},${T},Hkv,${Dh}]`, inputs, "reshape k to [B,T,Hkv,Dh]");
  }
  const Hkv = k.shape[2]!;
  if (Hkv === 0 || H % Hkv !== 0) {
    fail(
      kernel,
      `query heads H=${H} must be a multiple of kv heads Hkv=${Hkv}`,
      inputs,
      "use nKvHeads dividing nHeads",
    );
  }
  expectShape(kernel, "v", v, k.shape, inputs);
  return { B, T, H, Hkv, Dh };
}

function masks(kernel: string, opts: AttentionOptions, B: number, T: number, backend: Backend) {
  return {
    keyStart: opts.keyStart === undefined ? null : perSeq(kernel, "keyStart", opts.keyStart, B, 0),
    keyEnd: opts.keyEnd === undefined ? null : perSeq(kernel, "keyEnd", opts.keyEnd, B, T),
    ...segments(kernel, opts, B, T, backend),
    queries: opts.queries === undefined ? null : queryRows(kernel, opts.queries, B * T),
  };
}

/** Validates `queries`: integers in [0, B·T), strictly ascending. */
function queryRows(kernel: string, rows: ArrayLike<number>, R: number): Int32Array {
  const out = Int32Array.from(rows);
  for (let i = 0; i < out.length; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= R || (i > 0 && r <= out[i - 1]!))
      throw new Error(
        `${kernel}: queries[${i}] = ${r} is not a row index in [0, B·T = ${R}) above the one before it. ` +
          `Fix: pass the read query rows (b·T + t) sorted ascending without repeats, or omit "queries".`,
      );
  }
  return out;
}

/** Validates packed-row segments: prefix positions 0, each segment contiguous and starting after the prefix. */
function segments(kernel: string, opts: AttentionOptions, B: number, T: number, backend: Backend) {
  const sg = opts.segments;
  if (sg === undefined) return { prefixLen: null, segStart: null };
  if (backend.lacks?.includes("attention.segments")) {
    throw new Error(
      `${kernel}: the "${backend.name}" backend does not implement packed rows (option "segments"). ` +
        `Fix: run each sequence as its own row (e.g. forwardLogprobs with sharePrefix: false) or use the wasm or ts backend.`,
    );
  }
  if (opts.keyStart !== undefined)
    throw new Error(`${kernel}: "segments" cannot be combined with "keyStart".`);
  const prefixLen = perSeq(kernel, "segments.prefixLen", sg.prefixLen, B, 0);
  if (sg.segStart.length !== B * T)
    throw new Error(
      `${kernel}: segments.segStart must have B·T = ${B * T} entries, got ${sg.segStart.length}.`,
    );
  const segStart = Int32Array.from(sg.segStart);
  for (let b = 0; b < B; b++) {
    const P = prefixLen[b]!;
    if (P < 0 || P > T) throw new Error(`${kernel}: segments.prefixLen[${b}] = ${P} is outside [0, ${T}].`);
    for (let t = 0; t < T; t++) {
      const s = segStart[b * T + t]!;
      const ok = t < P ? s === 0 : s === t || (t > P && s === segStart[b * T + t - 1]);
      if (!ok || (t >= P && s < P))
        throw new Error(
          `${kernel}: segments.segStart[${b * T + t}] = ${s} is not a segment start: positions before prefixLen (${P}) ` +
            `must be 0, and each segment's positions must all hold the segment's first position.`,
        );
    }
  }
  return { prefixLen, segStart };
}

/** Causal (grouped-query) self-attention; returns the output and the per-row log-sum-exp for backward. */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: AttentionOptions = {},
): { out: Tensor; lse: Tensor } {
  const inputs = { q, k, v };
  const { backend, dtype } = checkInputs("attention", inputs);
  const { B, T, H, Hkv, Dh } = attnDims("attention", q, k, v, inputs);
  const out = alloc("attention", backend, q.shape, dtype);
  const lse = alloc("attention", backend, [B, H, T], dtype);
  const scale = opts.scale ?? 1 / Math.sqrt(Dh);
  run("attention", backend, {
    q,
    k,
    v,
    out,
    lse,
    B,
    T,
    H,
    Hkv,
    Dh,
    scale,
    ...masks("attention", opts, B, T, backend),
  });
  return { out, lse };
}

/** Gradients of attention (pass the forward's out and lse and the same options). */
export function attentionBackward(
  dOut: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  opts: AttentionOptions = {},
): { dQ: Tensor; dK: Tensor; dV: Tensor } {
  const kn = "attentionBackward";
  const inputs = { dOut, q, k, v, out, lse };
  const { backend, dtype } = checkInputs(kn, inputs);
  const { B, T, H, Hkv, Dh } = attnDims(kn, q, k, v, inputs);
  expectShape(kn, "dOut", dOut, q.shape, inputs);
  expectShape(kn, "out", out, q.shape, inputs);
  expectShape(kn, "lse", lse, [B, H, T], inputs);
  const dQ = alloc(kn, backend, q.shape, dtype);
  const dK = alloc(kn, backend, k.shape, dtype);
  const dV = alloc(kn, backend, v.shape, dtype);
  const scale = opts.scale ?? 1 / Math.sqrt(Dh);
  run(kn, backend, {
    dOut,
    q,
    k,
    v,
    out,
    lse,
    dQ,
    dK,
    dV,
    B,
    T,
    H,
    Hkv,
    Dh,
    scale,
    ...masks(kn, opts, B, T, backend),
  });
  return { dQ, dK, dV };
}

/** Writes a block of keys or values x [B,Tq,Hkv,Dh] into cache [B,Hkv,Tmax,Dh] at slots pos[b]… (in place). */
export function kvCacheWrite(cache: Tensor, x: Tensor, pos: number | ArrayLike<number>): void {
  const inputs = { cache, x };
  checkInputs("kvCacheWrite", inputs);
  if (cache.rank !== 4 || x.rank !== 4) {
    fail("kvCacheWrite", "cache must be [B,Hkv,Tmax,Dh] and x [B,Tq,Hkv,Dh]", inputs, "reshape them");
  }
  const [B, Hkv, Tmax, Dh] = cache.shape as [number, number, number, number];
  const Tq = x.shape[1]!;
  if (x.shape[0] !== B || x.shape[2] !== Hkv || x.shape[3] !== Dh) {
    fail(
      "kvCacheWrite",
      `x must be [B,Tq,Hkv,Dh] = [${B},Tq,${Hkv},${Dh}]`,
      inputs,
      "match the cache's B, Hkv, Dh",
    );
  }
  const p = perSeq("kvCacheWrite", "pos", pos, B, 0);
  for (let b = 0; b < B; b++) {
    if (p[b]! < 0 || p[b]! + Tq > Tmax) {
      fail(
        "kvCacheWrite",
        `slots ${p[b]}..${p[b]! + Tq - 1} of sequence ${b} fall outside the cache (Tmax=${Tmax})`,
        inputs,
        "allocate a longer cache or stop generating",
      );
    }
  }
  run("kvCacheWrite", cache.backend, { x, cache, B, Tq, Hkv, Dh, Tmax, pos: p });
}

export interface AttentionDecodeOptions {
  /** Cache position of the block's first query, per sequence or shared. */
  pos: number | ArrayLike<number>;
  /** First valid cache slot per sequence (left padding); default 0. */
  keyStart?: ArrayLike<number>;
  /** Score scale; default 1/√Dh. */
  scale?: number;
}

/** Attention of a query block at positions pos[b] .. pos[b]+Tq−1 against the KV cache (causal). */
export function attentionDecode(
  q: Tensor,
  kCache: Tensor,
  vCache: Tensor,
  opts: AttentionDecodeOptions,
): Tensor {
  const kn = "attentionDecode";
  const inputs = { q, kCache, vCache };
  const { backend, dtype } = checkInputs(kn, inputs);
  if (q.rank !== 4 || kCache.rank !== 4)
    fail(kn, "q must be [B,Tq,H,Dh] and the caches [B,Hkv,Tmax,Dh]", inputs, "reshape them");
  const [B, Tq, H, Dh] = q.shape as [number, number, number, number];
  const [Bc, Hkv, Tmax, Dhc] = kCache.shape as [number, number, number, number];
  if (Bc !== B || Dhc !== Dh)
    fail(kn, "q and the cache disagree on B or Dh", inputs, "use the cache built for this batch");
  if (Hkv === 0 || H % Hkv !== 0)
    fail(kn, `H=${H} must be a multiple of Hkv=${Hkv}`, inputs, "use nKvHeads dividing nHeads");
  expectShape(kn, "vCache", vCache, kCache.shape, inputs);
  const pos = perSeq(kn, "pos", opts.pos, B, 0);
  for (let b = 0; b < B; b++) {
    if (pos[b]! < 0 || pos[b]! + Tq > Tmax) {
      fail(
        kn,
        `positions ${pos[b]}..${pos[b]! + Tq - 1} of sequence ${b} exceed the cache (Tmax=${Tmax})`,
        inputs,
        "allocate a longer cache",
      );
    }
  }
  const keyStart = opts.keyStart === undefined ? null : perSeq(kn, "keyStart", opts.keyStart, B, 0);
  const out = alloc(kn, backend, q.shape, dtype, false);
  const scale = opts.scale ?? 1 / Math.sqrt(Dh);
  run(kn, backend, { q, kCache, vCache, out, B, Tq, H, Hkv, Dh, Tmax, scale, pos, keyStart });
  return out;
}
