/**
 * TokenCodec: the structural type env's id-producing functions accept, so `@mempo/env` needs no
 * concrete tokenizer class. `@mempo/tokenizer`'s `Tokenizer` satisfies it.
 *
 * `encode(text, {allowSpecial: true})` must turn protocol tags (`<mem>`, `</search>`, …) into their
 * special ids; `{allowSpecial: false}` must encode them as plain text (so retrieved documents cannot
 * inject control tokens). Test: codec_test.ts (ids of composed pieces).
 */

export interface TokenCodec {
  encode(text: string, opts?: { allowSpecial?: boolean }): Uint32Array;
  decode(ids: ArrayLike<number>): string;
}

/** A span of text and whether protocol tags inside it may become special tokens. */
export interface TextPiece {
  text: string;
  /** true for template and model-written text; false for data (questions, retrieved documents). */
  special: boolean;
}

/** Concatenates pieces into one string. */
export function piecesText(pieces: readonly TextPiece[]): string {
  let s = "";
  for (const p of pieces) s += p.text;
  return s;
}

/** Encodes pieces one by one (each with its own allowSpecial) and concatenates the ids. */
export function encodePieces(codec: TokenCodec, pieces: readonly TextPiece[]): Uint32Array {
  const parts: Uint32Array[] = [];
  let n = 0;
  for (const p of pieces) {
    if (p.text.length === 0) continue;
    const ids = codec.encode(p.text, { allowSpecial: p.special });
    parts.push(ids);
    n += ids.length;
  }
  return concatIds(parts, n);
}

/** Concatenates id arrays. */
export function concatIds(parts: readonly Uint32Array[], total?: number): Uint32Array {
  const n = total ?? parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
