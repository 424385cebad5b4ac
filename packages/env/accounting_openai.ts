/**
 * Token accounting with OpenAI's encodings (exported from `@mempo/env/node`: it counts through
 * `countTokens` of `@mempo/tokenizer/node`, which requires gpt-tokenizer's tables on first use).
 * Tested in protocol_test.ts.
 */
import { type CountEncoding, countTokens } from "@mempo/tokenizer/node";
import { type TokenCounter, textCounter } from "./accounting.ts";

/** Counts the joined text with an OpenAI encoding (default o200k_base, GPT-4o) via @mempo/tokenizer. */
export function openaiCounter(encoding: CountEncoding = "o200k_base"): TokenCounter {
  return textCounter(encoding.replace("_base", ""), (t) => countTokens(t, encoding));
}
