/**
 * A flat open-addressing hash table from a token-id pair (a, b) to the merge it triggers: the
 * merge's rank (priority; lower merges first) and the id of the merged token. Keys live in two
 * Int32Arrays, so a lookup is a couple of integer multiplies and array reads: no strings and
 * no boxed numbers in BPE's inner loop. Tested through bpe_test.ts.
 */

const EMPTY = -1;

export class PairTable {
  private readonly mask: number;
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly ranks: Int32Array;
  private readonly ids: Int32Array;

  /** `capacity` is the number of pairs to hold; the table is sized to at most half full. */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.keyA = new Int32Array(size).fill(EMPTY);
    this.keyB = new Int32Array(size);
    this.ranks = new Int32Array(size);
    this.ids = new Int32Array(size);
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Adds (a, b) → (rank, id). A pair already present keeps its first (lowest-rank) entry. */
  set(a: number, b: number, rank: number, id: number): void {
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keyA[s]!;
      if (ka === EMPTY) break;
      if (ka === a && this.keyB[s] === b) return;
      s = (s + 1) & this.mask;
    }
    this.keyA[s] = a;
    this.keyB[s] = b;
    this.ranks[s] = rank;
    this.ids[s] = id;
  }

  /** Slot of (a, b), or -1 if the pair never merges. Read `rankAt`/`idAt` with it. */
  find(a: number, b: number): number {
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keyA[s]!;
      if (ka === a && this.keyB[s] === b) return s;
      if (ka === EMPTY) return -1;
      s = (s + 1) & this.mask;
    }
  }

  /** Rank of (a, b), or NO_MERGE when the pair never merges. */
  rank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? NO_MERGE : this.ranks[s]!;
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  idAt(slot: number): number {
    return this.ids[slot]!;
  }
}

/** Rank used for "no merge": larger than any real rank. */
export const NO_MERGE = 0x7fffffff;
