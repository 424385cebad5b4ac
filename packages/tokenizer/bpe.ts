/**
 * The BPE merge loop over one pre-tokenized piece: bytes → byte ids → repeatedly merge the
 * adjacent pair with the lowest rank (leftmost on ties) until no pair merges. This is the
 * Hugging Face BPE model's rule, and, with ranks taken from a tiktoken table, tiktoken's rule too.
 *
 * Short pieces use a flat scan over an Int32Array (O(n²) but tiny n); long pieces (long runs of
 * spaces, base64, minified code) use a binary heap over (rank, position) with a linked list, so
 * a megabyte-long piece stays O(n log n). Results are cached per piece string in a bounded Map.
 * Tested in bpe_test.ts (against a plain reference) and parity_test.ts (against gpt-tokenizer).
 */
import { NO_MERGE, PairTable } from "./pair_table.ts";

/** Pieces up to this many bytes use the flat scan; longer ones the heap. */
const FLAT_MAX = 64;
/** Pieces longer than this many UTF-16 units are not cached. */
const CACHE_MAX_PIECE = 128;
/** Ranks must fit in 21 bits so that rank·2³¹ + position stays an exact double in the heap. */
export const MAX_MERGES = 1 << 21;

/** Growable Uint32Array the encoder appends ids to. */
export class IdBuffer {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 256) {
    this.data = new Uint32Array(Math.max(16, capacity));
  }
  ensure(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const d = new Uint32Array(cap);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }
  push(id: number): void {
    if (this.length === this.data.length) this.ensure(1);
    this.data[this.length++] = id;
  }
  pushAll(ids: Uint32Array): void {
    const n = ids.length;
    if (this.length + n > this.data.length) this.ensure(n);
    const d = this.data;
    let k = this.length;
    for (let i = 0; i < n; i++) d[k++] = ids[i]!;
    this.length = k;
  }
  /** A right-sized copy of what was pushed. */
  finish(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

export interface BpeModelOptions {
  /** byteIds[b] = id of the single-byte token b (256 entries). */
  byteIds: Int32Array;
  /** Merges in rank order, flattened: [a0, b0, a1, b1, …] (ids). */
  merges: Int32Array;
  /** mergedIds[r] = id of the token merge r produces. */
  mergedIds: Int32Array;
  /** When set, a piece that is itself a token (by its text) maps to that id without merging. */
  wholePieces?: Map<string, number>;
  /** Bound on cached pieces; the cache is emptied when it is reached. Default 65 536. */
  cacheSize?: number;
}

export class BpeModel {
  readonly pairs: PairTable;
  private readonly byteIds: Int32Array;
  private readonly wholePieces: Map<string, number> | undefined;
  private readonly cache = new Map<string, Uint32Array>();
  private readonly cacheSize: number;
  private readonly utf8 = new TextEncoder();
  private bytes = new Uint8Array(1024);
  private ids = new Int32Array(1024);
  private ranks = new Int32Array(1024);

  constructor(o: BpeModelOptions) {
    const count = o.mergedIds.length;
    if (count >= MAX_MERGES) throw new Error(`too many merges (${count}); at most ${MAX_MERGES - 1}`);
    this.byteIds = o.byteIds;
    this.wholePieces = o.wholePieces;
    this.cacheSize = o.cacheSize ?? 65_536;
    this.pairs = new PairTable(count);
    for (let r = 0; r < count; r++)
      this.pairs.set(o.merges[2 * r]!, o.merges[2 * r + 1]!, r, o.mergedIds[r]!);
  }

  /** Appends the ids of one pre-tokenized piece to `out`. */
  encodePiece(piece: string, out: IdBuffer): void {
    const hit = this.cache.get(piece);
    if (hit !== undefined) {
      out.pushAll(hit);
      return;
    }
    const ids = this.encodeUncached(piece);
    if (piece.length <= CACHE_MAX_PIECE) {
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(piece, ids);
    }
    out.pushAll(ids);
  }

  /** Empties the piece cache (e.g. to measure cold-cache speed). */
  clearCache(): void {
    this.cache.clear();
  }

  /** Ids of one piece, computed without the cache. */
  encodeUncached(piece: string): Uint32Array {
    if (this.wholePieces !== undefined) {
      const whole = this.wholePieces.get(piece);
      if (whole !== undefined) return Uint32Array.of(whole);
    }
    const n = this.loadBytes(piece);
    return n <= FLAT_MAX ? this.mergeFlat(n) : this.mergeHeap(n);
  }

  /** Writes the byte ids of `piece` to this.ids; returns their count. */
  private loadBytes(piece: string): number {
    const len = piece.length;
    if (this.ids.length < len * 3) {
      const cap = len * 3 + 16;
      this.bytes = new Uint8Array(cap);
      this.ids = new Int32Array(cap);
      this.ranks = new Int32Array(cap);
    }
    const ids = this.ids;
    const byteIds = this.byteIds;
    let i = 0;
    for (; i < len; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) break;
      ids[i] = byteIds[c]!;
    }
    if (i === len) return len;
    // Not ASCII: UTF-8 encode (lone surrogates become EF BF BD, as TextEncoder does).
    const n = this.utf8.encodeInto(piece, this.bytes).written;
    const bytes = this.bytes;
    for (let j = 0; j < n; j++) ids[j] = byteIds[bytes[j]!]!;
    return n;
  }

  private mergeFlat(n: number): Uint32Array {
    const ids = this.ids;
    const ranks = this.ranks;
    const pairs = this.pairs;
    for (let i = 0; i < n - 1; i++) ranks[i] = pairs.rank(ids[i]!, ids[i + 1]!);
    while (n > 1) {
      let best = NO_MERGE;
      let at = -1;
      for (let i = 0; i < n - 1; i++) {
        const r = ranks[i]!;
        if (r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      ids[at] = pairs.idAt(pairs.find(ids[at]!, ids[at + 1]!));
      ids.copyWithin(at + 1, at + 2, n);
      ranks.copyWithin(at + 1, at + 2, n - 1);
      n--;
      if (at < n - 1) ranks[at] = pairs.rank(ids[at]!, ids[at + 1]!);
      if (at > 0) ranks[at - 1] = pairs.rank(ids[at - 1]!, ids[at]!);
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = ids[i]!;
    return out;
  }

  private mergeHeap(n: number): Uint32Array {
    const ids = this.ids;
    const pairs = this.pairs;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap(n);
    const SHIFT = 2 ** 31;
    for (let i = 0; i < n - 1; i++) {
      const r = pairs.rank(ids[i]!, ids[i + 1]!);
      if (r !== NO_MERGE) heap.push(r * SHIFT + i);
    }
    while (heap.size > 0) {
      const key = heap.pop();
      const pos = key % SHIFT;
      const rank = (key - pos) / SHIFT;
      const q = next[pos]!;
      if (ids[pos] === -1 || q >= n) continue; // stale: position merged away or at the end
      const slot = pairs.find(ids[pos]!, ids[q]!);
      if (slot < 0 || pairs.rankAt(slot) !== rank) continue; // stale: the pair here changed
      ids[pos] = pairs.idAt(slot);
      ids[q] = -1;
      const after = next[q]!;
      next[pos] = after;
      if (after < n) {
        prev[after] = pos;
        const r = pairs.rank(ids[pos]!, ids[after]!);
        if (r !== NO_MERGE) heap.push(r * SHIFT + pos);
      }
      const before = prev[pos]!;
      if (before >= 0) {
        const r = pairs.rank(ids[before]!, ids[pos]!);
        if (r !== NO_MERGE) heap.push(r * SHIFT + before);
      }
    }
    const out: number[] = [];
    for (let i = 0; i < n; i = next[i]!) out.push(ids[i]!);
    return Uint32Array.from(out);
  }
}

/** Binary min-heap of doubles. */
class MinHeap {
  private a: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.a = new Float64Array(Math.max(16, capacity));
  }
  push(x: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const x = a[--this.size]!;
    let i = 0;
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1]! < a[c]!) c++;
      if (a[c]! >= x) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = x;
    return top;
  }
}
