/**
 * The forward pass, layer by layer, on @mempo/kernels ops. One block function serves both families and
 * both attention modes: full causal attention over a right-padded batch (training, scoring, the
 * reference generation) and attention against a KV cache (generation). In training mode every block
 * returns the activations its backward needs (backward.ts); otherwise each block's temporaries are
 * freed as soon as it is done.
 *
 * Shapes: R = B·T rows of the residual stream x [R, d]; q [B,T,H,Dh], k/v [B,T,Hkv,Dh]; the output head
 * runs only on the N rows listed in `rows` (hsel [N, d] → logits [N, V]).
 *
 * Test: `npx vitest run gradcheck_test.ts generate_test.ts reference_test.ts` (gradient check, cache
 * equivalence, the HF reference).
 */
import {
  type AttentionOptions,
  add,
  attention,
  attentionDecode,
  embedding,
  gatherRows,
  gelu,
  keep,
  kvCacheWrite,
  layernorm,
  matmul,
  rmsnorm,
  type RopeOptions,
  rope,
  splitLast,
  swiglu,
  Tensor,
  tensor,
  tidy,
} from "@mempo/kernels";
import type { KvCache } from "./kv_cache.ts";
import type { Model } from "./params.ts";

/** Output of a norm: the normalised rows and the statistics its backward needs. */
export interface NormOut {
  out: Tensor;
  mean?: Tensor;
  rstd: Tensor;
}

/** Activations one block saves for its backward (training mode). */
export interface BlockSaved {
  x: Tensor;
  n1: NormOut;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  attOut: Tensor;
  lse: Tensor;
  x2: Tensor;
  n2: NormOut;
  /** GPT-2: the c_fc output (GELU input); Llama: the gate projection. */
  h: Tensor;
  /** Llama: the up projection. */
  u?: Tensor;
  /** MLP activation output (input of the last projection). */
  a: Tensor;
  /**
   * The last block of a forward whose head reads fewer rows than the batch has: its output
   * projection, residual and MLP ran on the head rows only (ForwardSaved.rowsT); x2…a are [N, ·].
   */
  headRowsOnly?: true;
}

/**
 * How a block attends: full causal attention over the batch (with per-sequence key ends; when `cache`
 * is given, the keys/values are also written to it at slots 0…T−1: a generation prefill), or a query
 * block against the KV cache at per-sequence positions `pos` (decoding).
 */
export type AttendMode =
  | { kind: "full"; keyEnd: Int32Array; cache?: KvCache; packed?: PackedRows }
  | { kind: "cache"; cache: KvCache; pos: Int32Array };

/**
 * Packed rows (training on sequences that share a prefix, batch.ts `packShared`): row b holds a
 * prefix [0, prefixLen[b]) once, then one segment per sequence; a segment attends the prefix and
 * itself only, and its tokens sit at the positions they would have alone (`positions` [B·T]).
 */
export interface PackedRows {
  prefixLen: Int32Array;
  segStart: Int32Array;
  positions: Int32Array;
}

/** A batch laid out for the forward: ids [B·T] (row-major), positions of token 0 per sequence. */
export interface ForwardBatch {
  B: number;
  T: number;
  ids: Int32Array;
  /** Position of each sequence's first token (0, or the cache position when decoding) [B]. */
  pos: Int32Array;
  /** Rows (b·T + t) that reach the output head [N]. */
  rows: Int32Array;
}

/** Everything the backward needs from a training forward. */
export interface ForwardSaved {
  batch: ForwardBatch;
  mode: AttendMode;
  idsT: Tensor;
  posT: Tensor | null;
  rowsT: Tensor;
  blocks: BlockSaved[];
  xL: Tensor;
  hsel: Tensor;
  nf: NormOut;
}

export function normForward(m: Model, x: Tensor, w: string, b?: string): NormOut {
  const eps = m.config.normEps;
  if (m.config.family === "gpt2") return layernorm(x, m.p(w), b ? m.p(b) : null, { eps });
  return rmsnorm(x, m.p(w), { eps });
}

/** x [R, in] · Wᵀ (+ bias): W is held [out, in]. */
export function linear(m: Model, x: Tensor, w: string, b?: string): Tensor {
  return matmul(x, m.p(w), { transB: true, bias: b ? m.p(b) : null });
}

/**
 * One transformer block on x [R, d]; returns y [R, d] and, when `save`, the saved activations.
 *
 * With `headRows` (row indices [N], for the model's last block): keys and values still run on every
 * row (later positions and the KV cache read them), but everything after attention — the output
 * projection, the residual, the MLP — runs only on those rows, the only ones the output head reads;
 * y is then [N, d], in headRows' order. In full attention the kernel is also told which query rows
 * are read (`AttentionOptions.queries`), so it may skip the others.
 */
export function blockForward(
  m: Model,
  l: number,
  x: Tensor,
  B: number,
  T: number,
  mode: AttendMode,
  save: boolean,
  headRows?: { rows: Int32Array; rowsT: Tensor },
): { y: Tensor; saved: BlockSaved | null } {
  return tidy(() => {
    const c = m.config;
    const L = m.layers[l]!;
    const d = c.dModel;
    const Dh = d / c.nHeads;
    const dkv = c.nKvHeads * Dh;
    const R = B * T;
    const n1 = normForward(m, x, L.norm1, L.norm1Bias);
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (L.qkv) {
      [q, k, v] = splitLast(linear(m, n1.out, L.qkv, L.qkvBias), [d, dkv, dkv]) as [Tensor, Tensor, Tensor];
    } else {
      q = linear(m, n1.out, L.q!, L.qBias);
      k = linear(m, n1.out, L.k!, L.kBias);
      v = linear(m, n1.out, L.v!, L.vBias);
    }
    let q4 = q.reshape([B, T, c.nHeads, Dh]);
    let k4 = k.reshape([B, T, c.nKvHeads, Dh]);
    const v4 = v.reshape([B, T, c.nKvHeads, Dh]);
    if (c.family === "llama") {
      const r = ropeOptions(m, mode);
      q4 = rope(q4, r);
      k4 = rope(k4, r);
    }
    let attOut: Tensor;
    let lse: Tensor | null = null;
    if (mode.kind === "full") {
      const opts = attentionOptions(mode);
      const queries = headRows && ascending(headRows.rows) ? headRows.rows : undefined;
      ({ out: attOut, lse } = attention(q4, k4, v4, queries ? { ...opts, queries } : opts));
      if (mode.cache) {
        kvCacheWrite(mode.cache.k[l]!, k4, 0);
        kvCacheWrite(mode.cache.v[l]!, v4, 0);
      }
    } else {
      kvCacheWrite(mode.cache.k[l]!, k4, mode.pos);
      kvCacheWrite(mode.cache.v[l]!, v4, mode.pos);
      attOut = attentionDecode(q4, mode.cache.k[l]!, mode.cache.v[l]!, { pos: mode.pos });
    }
    const sel = headRows?.rowsT;
    const att2 = attOut.reshape([R, d]);
    const o = linear(m, sel ? gatherRows(att2, sel) : att2, L.o, L.oBias);
    const x2 = add(sel ? gatherRows(x, sel) : x, o);
    const n2 = normForward(m, x2, L.norm2, L.norm2Bias);
    let h: Tensor;
    let u: Tensor | undefined;
    let a: Tensor;
    let mo: Tensor;
    if (L.fc) {
      h = linear(m, n2.out, L.fc, L.fcBias);
      a = gelu(h);
      mo = linear(m, a, L.proj!, L.projBias);
    } else {
      h = linear(m, n2.out, L.gate!);
      u = linear(m, n2.out, L.up!);
      a = swiglu(h, u);
      mo = linear(m, a, L.down!);
    }
    const y = add(x2, mo);
    if (!save) return { y, saved: null };
    const saved: BlockSaved = { x, n1, q: q4, k: k4, v: v4, attOut, lse: lse!, x2, n2, h, u, a };
    if (sel) saved.headRowsOnly = true;
    keepAll(saved); // nested deeper than tidy() looks; freed by freeSaved()
    return { y, saved };
  });
}

/** Whether rows are strictly ascending (attention's `queries` must be). */
export function ascending(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i]! <= rows[i - 1]!) return false;
  return true;
}

/** Rope options of a block: cache positions when decoding, per-token positions for packed rows. */
export function ropeOptions(m: Model, mode: AttendMode): RopeOptions {
  const base = { theta: m.config.ropeTheta, style: "half" as const };
  if (mode.kind === "cache") return { ...base, offset: mode.pos };
  return mode.packed ? { ...base, positions: mode.packed.positions } : base;
}

/** Attention options of a full-attention block (key ends; packed rows' segments). */
export function attentionOptions(mode: AttendMode & { kind: "full" }): AttentionOptions {
  const p = mode.packed;
  return p ? { keyEnd: mode.keyEnd, segments: p } : { keyEnd: mode.keyEnd };
}

/**
 * Runs the model on a batch and returns the logits of the selected rows [N, V]; with `save`, also the
 * activations for {@link import("./backward.ts").backward}. Tensors are created on the model's backend.
 */
export function forward(
  m: Model,
  batch: ForwardBatch,
  mode: AttendMode,
  save: boolean,
): { logits: Tensor; saved: ForwardSaved | null } {
  return tidy(() => {
    const c = m.config;
    const { B, T } = batch;
    const opts = { backend: m.backend, dtype: "i32" as const };
    const idsT = tensor(batch.ids, [B * T], opts);
    const rowsT = tensor(batch.rows, [batch.rows.length], opts);
    let x = embedding(idsT, m.p(m.names.embed));
    let posT: Tensor | null = null;
    if (m.names.pos) {
      const posIds = new Int32Array(B * T);
      const packed = mode.kind === "full" ? mode.packed?.positions : undefined;
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          posIds[b * T + t] = Math.min(packed ? packed[b * T + t]! : batch.pos[b]! + t, c.maxSeqLen - 1);
      posT = tensor(posIds, [B * T], opts);
      x = add(x, embedding(posT, m.p(m.names.pos)));
    }
    const blocks: BlockSaved[] = [];
    // The last block runs its output projection and MLP on the head rows only, when they are fewer.
    const pruned = batch.rows.length < B * T;
    for (let l = 0; l < c.nLayers; l++) {
      const last = pruned && l === c.nLayers - 1;
      const r = blockForward(m, l, x, B, T, mode, save, last ? { rows: batch.rows, rowsT } : undefined);
      if (r.saved) blocks.push(r.saved);
      else x.dispose();
      x = r.y;
    }
    const hsel = pruned ? x : gatherRows(x, rowsT);
    const nf = normForward(m, hsel, m.names.normF, m.names.normFBias);
    const logits = matmul(nf.out, m.p(m.names.head), { transB: true });
    if (!save) return { logits, saved: null };
    keepAll([idsT, posT, rowsT, x, hsel, nf]);
    return { logits, saved: { batch, mode, idsT, posT, rowsT, blocks, xL: x, hsel, nf } };
  });
}

/** keep()s every tensor inside a plain object or array (any depth). */
export function keepAll(v: unknown): void {
  if (v instanceof Tensor) keep(v);
  else if (Array.isArray(v)) for (const x of v) keepAll(x);
  else if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v))
    for (const x of Object.values(v)) keepAll(x);
}
