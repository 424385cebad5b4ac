/**
 * Prefix stability for rollouts: the model sees ids, and ids are what we keep.
 *
 * Invariant: the sequence a policy is scored on is `concatIds(encode(prompt), responseIds)`, where
 * responseIds are exactly the ids the model sampled. A response is never decoded and re-encoded:
 * BPE is not injective on id sequences, so decode→encode can give different ids (and different
 * log-probabilities) than the ones sampled. `reencodeDiffers` says whether, and why, that would
 * happen for a given id sequence. Tested in prefix_test.ts.
 */
import type { Tokenizer } from "./tokenizer.ts";

/** Concatenates id arrays into one Uint32Array (prompt ids ++ response ids ++ …). */
export function concatIds(...parts: ArrayLike<number>[]): Uint32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint32Array(n);
  let k = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[k++] = p[i]!;
  }
  return out;
}

export interface ReencodeDiff {
  /** First position where encode(decode(ids)) differs from ids. */
  at: number;
  /** The ids given. */
  ids: Uint32Array;
  /** encode(decode(ids), {allowSpecial: true}). */
  reencoded: Uint32Array;
  /** Why they differ, in words. */
  reason: string;
}

/**
 * Null when encode(decode(ids)) gives back exactly `ids`; otherwise where and why it differs:
 * - the ids are not valid UTF-8 as a whole (a character split across the end, or stray bytes),
 *   so decoding replaced bytes with U+FFFD;
 * - the ids are a non-canonical tokenization of their text (sampled " hel" "lo" where BPE gives
 *   " hello"; or two pieces that the pre-tokenizer would cut differently).
 */
export function reencodeDiffers(tok: Tokenizer, ids: ArrayLike<number>): ReencodeDiff | null {
  const given = Uint32Array.from(ids as ArrayLike<number>);
  const text = tok.decode(given);
  const reencoded = tok.encode(text, { allowSpecial: true });
  let at = 0;
  while (at < given.length && at < reencoded.length && given[at] === reencoded[at]) at++;
  if (at === given.length && at === reencoded.length) return null;
  const bytes = tok.decodeBytes(given);
  const utf8Valid = isValidUtf8(bytes);
  const show = (xs: Uint32Array) =>
    Array.from(xs.subarray(at, at + 4), (id) => `${id}:${JSON.stringify(tok.decode([id]))}`).join(" ");
  const reason = utf8Valid
    ? `non-canonical tokenization: at position ${at} the ids are [${show(given)}] but encoding the text gives [${show(reencoded)}]`
    : "the ids do not decode to valid UTF-8 (a multi-byte character is split or incomplete), so decoding inserts U+FFFD and re-encoding yields other ids";
  return { at, ids: given, reencoded, reason };
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
