/**
 * BPE training (the standard algorithm of GPT-2 / Hugging Face tokenizers, done incrementally):
 *
 * 1. Pre-tokenize every text with the pattern (special tokens cut out first, never learned) and
 *    count distinct pieces ("words"); each word starts as its UTF-8 byte ids.
 * 2. Count adjacent pairs over the words (weighted by word count) and remember which words hold
 *    each pair. Put every pair in a max-heap by count (ties: smaller (a, b) first, as HF does).
 * 3. Pop the best pair (lazily: an entry whose count is out of date is dropped; the current
 *    count has its own entry), give it the next id, and rewrite only the words that hold it,
 *    applying the pair-count deltas of those words. No full recount per merge.
 * 4. Stop at vocabSize, or when no pair occurs minFrequency times.
 *
 * Id layout of a trained tokenizer: special tokens 0..K-1 (K = specialTokens.length, 13 by
 * default, in SPECIAL_TOKENS order), byte b at K + b, merge r at K + 256 + r.
 * Tested in train_test.ts against a plain full-recount reference.
 */
import { forEachPiece, type PatternName, compilePattern, patternSource } from "./pretokenize.ts";
import { SPECIAL_TOKENS } from "./special.ts";
import type { TokenizerSpec } from "./spec.ts";

export interface TrainOptions {
  /** Total ids wanted (special + 256 bytes + merges); an upper bound if the corpus runs out of pairs. */
  vocabSize: number;
  /** Special tokens, given ids 0..K-1 in this order. Default SPECIAL_TOKENS (13 tokens). */
  specialTokens?: readonly string[];
  /** Pre-tokenizer: "gpt2" (default), "cl100k", "qwen2", a tokenizer.json-style source, or a RegExp. */
  pattern?: PatternName | string | RegExp;
  /** A pair must occur at least this often (summed over the corpus) to be merged. Default 2. */
  minFrequency?: number;
}

/** Pair (a, b) as one number; ids stay below 2^21. */
const PAIR = 2 ** 21;

export function trainSpec(texts: Iterable<string>, opts: TrainOptions): TokenizerSpec {
  const specials = [...(opts.specialTokens ?? SPECIAL_TOKENS)];
  const K = specials.length;
  const minFrequency = opts.minFrequency ?? 2;
  const source = patternSource(opts.pattern ?? "gpt2");
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < K + 256 || opts.vocabSize > PAIR) {
    throw new Error(
      `train: vocabSize must be an integer from ${K + 256} (${K} special tokens + 256 bytes) to ${PAIR}; got ${opts.vocabSize}`,
    );
  }
  if (new Set(specials).size !== K || specials.some((s) => s.length === 0)) {
    throw new Error(
      `train: specialTokens must be distinct non-empty strings; got ${JSON.stringify(specials)}`,
    );
  }

  // 1. Distinct pieces and their counts.
  const splitter = compilePattern(source);
  const specialRe =
    K > 0
      ? new RegExp(
          [...specials]
            .sort((a, b) => b.length - a.length)
            .map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
            .join("|"),
          "g",
        )
      : null;
  const wordCounts = new Map<string, number>();
  const count = (piece: string) => wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  for (const text of texts) {
    const segments = specialRe === null ? [text] : text.split(specialRe);
    for (const seg of segments) if (seg.length > 0) forEachPiece(splitter, seg, count);
  }
  const utf8 = new TextEncoder();
  const words: Int32Array[] = [];
  const counts: number[] = [];
  for (const [piece, c] of wordCounts) {
    const bytes = utf8.encode(piece);
    const w = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) w[i] = K + bytes[i]!;
    words.push(w);
    counts.push(c);
  }

  // 2. Pair counts, where each pair occurs, and the heap.
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number) => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i]! * PAIR + word[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + counts[w]!);
      addWhere(key, w);
    }
  }
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  // 3. Merge loop.
  const vocab: (Uint8Array | undefined)[] = new Array(K).fill(undefined);
  for (let b = 0; b < 256; b++) vocab.push(Uint8Array.of(b));
  const merges: number[] = [];
  const seen = new Int32Array(words.length).fill(-1);
  while (vocab.length < opts.vocabSize && heap.size > 0) {
    const c = heap.topCount();
    const key = heap.pop();
    if (pairCount.get(key) !== c) continue; // stale entry
    if (c < minFrequency) break;
    const a = Math.floor(key / PAIR);
    const b = key - a * PAIR;
    const newId = vocab.length;
    const ab = new Uint8Array(vocab[a]!.length + vocab[b]!.length);
    ab.set(vocab[a]!);
    ab.set(vocab[b]!, vocab[a]!.length);
    vocab.push(ab);
    merges.push(a, b);
    const delta = new Map<number, number>();
    const step = merges.length;
    for (const w of where.get(key) ?? []) {
      if (seen[w] === step) continue;
      seen[w] = step;
      const word = words[w]!;
      const merged = mergeWord(word, a, b, newId);
      if (merged === word) continue;
      const wc = counts[w]!;
      for (let i = 0; i + 1 < word.length; i++) {
        const k = word[i]! * PAIR + word[i + 1]!;
        delta.set(k, (delta.get(k) ?? 0) - wc);
      }
      for (let i = 0; i + 1 < merged.length; i++) {
        const k = merged[i]! * PAIR + merged[i + 1]!;
        delta.set(k, (delta.get(k) ?? 0) + wc);
        if (merged[i] === newId || merged[i + 1] === newId) addWhere(k, w);
      }
      words[w] = merged;
    }
    where.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const v = (pairCount.get(k) ?? 0) + d;
      if (v <= 0) {
        pairCount.delete(k);
        where.delete(k);
      } else {
        pairCount.set(k, v);
        heap.push(v, k);
      }
    }
  }

  const mergedIds = new Int32Array(merges.length / 2);
  for (let r = 0; r < mergedIds.length; r++) mergedIds[r] = K + 256 + r;
  return {
    vocab,
    merges: Int32Array.from(merges),
    mergedIds,
    added: specials.map((content, id) => ({ id, content, special: true })),
    splits: [source],
    addPrefixSpace: false,
    ignoreMerges: false,
    normalizer: null,
  };
}

/** Replaces every non-overlapping (a, b), left to right, with id; returns `word` itself if none. */
export function mergeWord(word: Int32Array, a: number, b: number, id: number): Int32Array {
  let out: Int32Array | null = null;
  let k = 0;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      if (out === null) {
        out = new Int32Array(word.length - 1);
        out.set(word.subarray(0, i));
        k = i;
      }
      out[k++] = id;
      i++;
    } else if (out !== null) {
      out[k++] = word[i]!;
    }
  }
  return out === null ? word : out.slice(0, k);
}

/** Max-heap of (count, pair key): larger count first, then smaller key (= smaller (a, b)). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  get size(): number {
    return this.c.length;
  }
  private above(i: number, j: number): boolean {
    const ci = this.c[i]!;
    const cj = this.c[j]!;
    return ci > cj || (ci === cj && this.k[i]! < this.k[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.c[i]!;
    this.c[i] = this.c[j]!;
    this.c[j] = c;
    const k = this.k[i]!;
    this.k[i] = this.k[j]!;
    this.k[j] = k;
  }
  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  topCount(): number {
    return this.c[0]!;
  }
  /** Removes the top entry and returns its key. */
  pop(): number {
    const key = this.k[0]!;
    const lastC = this.c.pop()!;
    const lastK = this.k.pop()!;
    const n = this.c.length;
    if (n > 0) {
      this.c[0] = lastC;
      this.k[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && this.above(l, m)) m = l;
        if (r < n && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return key;
  }
}
