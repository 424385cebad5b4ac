/**
 * Token accounting with OpenAI's encodings, so TT/PT figures are comparable with published ones.
 *
 * `countTokens(text, "o200k_base")` counts with gpt-tokenizer. Each encoding's table is several
 * MB of JavaScript, so it is loaded on first use (a synchronous require of gpt-tokenizer's
 * per-encoding entry point), not when this package is imported. Text that looks like an OpenAI
 * special token (`<|endoftext|>`) is counted as plain text, never rejected.
 * Tested in count_test.ts.
 */
import { createRequire } from "node:module";

export type CountEncoding = "o200k_base" | "cl100k_base";

interface EncodingApi {
  countTokens(text: string, opts?: { disallowedSpecial?: Set<string> }): number;
  encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[];
}

const loaded = new Map<CountEncoding, EncodingApi>();
const requireHere = createRequire(import.meta.url);
const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

/** The gpt-tokenizer encoding module for `encoding`, required on first use. */
export function openaiEncoding(encoding: CountEncoding): EncodingApi {
  let api = loaded.get(encoding);
  if (api === undefined) {
    if (encoding !== "o200k_base" && encoding !== "cl100k_base") {
      throw new Error(
        `countTokens: unknown encoding ${JSON.stringify(encoding)}; use "o200k_base" or "cl100k_base"`,
      );
    }
    api = requireHere(`gpt-tokenizer/encoding/${encoding}`) as EncodingApi;
    loaded.set(encoding, api);
  }
  return api;
}

/** Number of tokens `text` takes in an OpenAI encoding (special-token lookalikes count as text). */
export function countTokens(text: string, encoding: CountEncoding): number {
  return openaiEncoding(encoding).countTokens(text, NO_SPECIAL);
}
