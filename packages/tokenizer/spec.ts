/**
 * The plain data a Tokenizer is built from. `train` (train.ts) and the tokenizer.json reader
 * (hf_json.ts) both produce a TokenizerSpec; `new Tokenizer(spec)` (tokenizer.ts) turns it into
 * the fast encoder. Keeping it plain makes save/load a pure data transform.
 */

/** A token matched in text before BPE (special tokens, and added tokens from tokenizer.json). */
export interface AddedToken {
  id: number;
  /** Exact text that stands for the token. */
  content: string;
  /** Special tokens are matched only when `allowSpecial` is on; isSpecial(id) is true for them. */
  special: boolean;
  /** True when tokenizer.json also listed this token in model.vocab (kept on save). */
  inVocab?: boolean;
}

/** Hugging Face Split pre-tokenizer behaviours (what happens to each match). */
export type SplitBehavior = "Isolated" | "Removed" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

/** One Split step: a pattern (tokenizer.json spelling), its behaviour and whether matches are inverted. */
export interface SplitRule {
  pattern: string;
  behavior: SplitBehavior;
  invert: boolean;
}

export interface TokenizerSpec {
  /** Bytes of each regular (BPE) token by id; undefined for added-token ids and unused ids. */
  vocab: (Uint8Array | undefined)[];
  /** Merges in rank order, flattened pairs of ids: [a0, b0, a1, b1, …]. */
  merges: Int32Array;
  /** Id of the token each merge produces (mergedIds[r] has the bytes of a_r ++ b_r). */
  mergedIds: Int32Array;
  added: AddedToken[];
  /**
   * Pre-tokenizer regexes (tokenizer.json spelling), applied in sequence; [] = no splitting. A plain
   * string is an Isolated, non-inverted split.
   */
  splits: (string | SplitRule)[];
  /** ByteLevel add_prefix_space: prepend " " to text segments that do not start with one. */
  addPrefixSpace: boolean;
  /** BPE ignore_merges: a piece that is itself in the vocab maps to its id directly. */
  ignoreMerges: boolean;
  /** Unicode normalization applied to text before splitting (tokenizer.json `normalizer`). */
  normalizer: "NFC" | null;
  /** tokenizer.json sections kept verbatim from a loaded file and written back on save. */
  raw?: Record<string, unknown>;
}
