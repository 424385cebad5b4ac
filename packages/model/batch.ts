/**
 * Packing (prompt, response) pairs into one right-padded batch for teacher-forced log-probs.
 *
 * Sequence b is s = prompt ++ response (P_b + R_b tokens); the model reads s[0 .. P_b+R_b−2] and the
 * response token s[P_b + j] is predicted at position P_b + j − 1. With causal attention and right
 * padding, real positions never see padding, so no extra key mask is needed; `keyEnd[b]` still marks
 * each sequence's length for the attention kernel. Only the rows that predict response tokens reach
 * the output head (`rows`), so long prompts cost no vocabulary-sized work.
 *
 * Test: `npx vitest run batch_test.ts`.
 */

/** One teacher-forced item: log-probs of `responseIds` given `promptIds` (≥ 1 token). */
export interface SeqItem {
  promptIds: ArrayLike<number>;
  responseIds: ArrayLike<number>;
  /** 1 = the token is trained on, 0 = masked out (e.g. `<information>` text); default all 1. */
  lossMask?: ArrayLike<number>;
}

/** A packed batch. B sequences, T positions; N = Σ R_b predicted rows. */
export interface PackedBatch {
  /**
   * Set by {@link packShared}: one row holding the items' common prefix once and each item's rest as a
   * segment (forward.ts PackedRows); absent for a right-padded batch (one row per item).
   */
  packed?: { prefixLen: Int32Array; segStart: Int32Array; positions: Int32Array };
  B: number;
  T: number;
  /** Input ids [B·T] (i32, 0 in padding). */
  ids: Int32Array;
  /** Length of each input sequence, P_b + R_b − 1 [B]. */
  lens: Int32Array;
  /** Flat row index b·T + t of each predicting position, response order [N]. */
  rows: Int32Array;
  /** Target token of each row [N]. */
  targets: Int32Array;
  /** Start of sequence b's rows in `rows` [B + 1]. */
  offsets: Int32Array;
}

/**
 * Packs items; T = max length (or `padTo` if larger).
 * @throws Error naming the item when a prompt is empty, a mask length differs, an id is out of range or a
 * sequence exceeds `maxSeqLen`.
 */
export function packBatch(items: readonly SeqItem[], vocabSize: number, maxSeqLen: number): PackedBatch {
  if (items.length === 0) throw new Error("packBatch: empty batch; pass at least one item");
  const B = items.length;
  const lens = new Int32Array(B);
  const offsets = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) {
    const it = items[b]!;
    const P = it.promptIds.length;
    const R = it.responseIds.length;
    if (P < 1)
      throw new Error(
        `item ${b}: promptIds is empty; at least one context token is needed to predict the first response token`,
      );
    if (it.lossMask !== undefined && it.lossMask.length !== R) {
      throw new Error(`item ${b}: lossMask has ${it.lossMask.length} entries but responseIds has ${R}`);
    }
    if (P + R > maxSeqLen) {
      throw new Error(
        `item ${b}: prompt (${P}) + response (${R}) = ${P + R} tokens exceeds the model's maxSeqLen ${maxSeqLen}`,
      );
    }
    lens[b] = Math.max(P + R - 1, 1);
    offsets[b + 1] = offsets[b]! + R;
  }
  let T = 0;
  for (let b = 0; b < B; b++) T = Math.max(T, lens[b]!);
  const N = offsets[B]!;
  const ids = new Int32Array(B * T);
  const rows = new Int32Array(N);
  const targets = new Int32Array(N);
  for (let b = 0; b < B; b++) {
    const { promptIds: p, responseIds: r } = items[b]!;
    const P = p.length;
    const check = (id: number, where: string) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(`item ${b}: ${where} = ${id} is not a token id in [0, ${vocabSize})`);
      }
      return id;
    };
    for (let t = 0; t < lens[b]!; t++)
      ids[b * T + t] = t < P ? check(p[t]!, `promptIds[${t}]`) : check(r[t - P]!, `responseIds[${t - P}]`);
    for (let j = 0; j < r.length; j++) {
      rows[offsets[b]! + j] = b * T + P + j - 1;
      targets[offsets[b]! + j] = check(r[j]!, `responseIds[${j}]`);
    }
  }
  return { B, T, ids, lens, rows, targets, offsets };
}

/** Whether a backend runs packed rows (attention `segments` and rope `positions`); webgpu does not. */
export function packsRows(backend: { lacks?: readonly string[] }): boolean {
  const lacks = backend.lacks ?? [];
  return !lacks.includes("attention.segments") && !lacks.includes("rope.positions");
}

/**
 * Packs items that share a prefix into one row: their longest common input prefix L once (capped so
 * that every item's first predicted token stays in its own segment), then each item's remaining
 * input as a segment at the positions it would have alone. With attention restricted to the prefix
 * and the segment itself (attention `segments`), every log-prob equals the padded batch's, while
 * the shared tokens run once and no padding runs at all. `offsets`/`rows`/`targets` keep item order,
 * so results unpack the same way as {@link packBatch}'s. Fewer than two items: the padded batch.
 */
export function packShared(items: readonly SeqItem[], vocabSize: number, maxSeqLen: number): PackedBatch {
  const plain = packBatch(items, vocabSize, maxSeqLen); // validates every item
  const B = items.length;
  if (B < 2) return plain;
  const input = (b: number, t: number) => {
    const it = items[b]!;
    const P = it.promptIds.length;
    return t < P ? it.promptIds[t]! : it.responseIds[t - P]!;
  };
  let L = Number.POSITIVE_INFINITY;
  for (let b = 0; b < B; b++) L = Math.min(L, items[b]!.promptIds.length - 1, plain.lens[b]!);
  for (let b = 1; b < B && L > 0; b++) {
    let t = 0;
    while (t < L && input(b, t) === input(0, t)) t++;
    L = t;
  }
  let T = L;
  for (let b = 0; b < B; b++) T += plain.lens[b]! - L;
  const ids = new Int32Array(T);
  const segStart = new Int32Array(T);
  const positions = new Int32Array(T);
  const rows = new Int32Array(plain.rows.length);
  for (let t = 0; t < L; t++) {
    ids[t] = input(0, t);
    positions[t] = t;
  }
  let at = L;
  for (let b = 0; b < B; b++) {
    const len = plain.lens[b]!;
    for (let t = L; t < len; t++) {
      ids[at + t - L] = input(b, t);
      segStart[at + t - L] = at;
      positions[at + t - L] = t;
    }
    const P = items[b]!.promptIds.length;
    for (let j = plain.offsets[b]!; j < plain.offsets[b + 1]!; j++)
      rows[j] = at + P + (j - plain.offsets[b]!) - 1 - L;
    at += len - L;
  }
  return {
    B: 1,
    T,
    ids,
    lens: Int32Array.of(T),
    rows,
    targets: plain.targets,
    offsets: plain.offsets,
    packed: { prefixLen: Int32Array.of(L), segStart, positions },
  };
}

/** Splits a flat [N] array into per-item arrays using `offsets`. */
export function unpack(flat: ArrayLike<number>, offsets: Int32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b + 1 < offsets.length; b++)
    out.push(Float32Array.from({ length: offsets[b + 1]! - offsets[b]! }, (_, j) => flat[offsets[b]! + j]!));
  return out;
}
