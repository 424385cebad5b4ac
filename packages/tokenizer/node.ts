/**
 * @module @mempo/tokenizer/node — the tokenizer's Node (and Deno) side: files (`loadTokenizer`,
 * `saveTokenizer`, `readTokenizerConfig`) and token counting with OpenAI's encodings (`countTokens`,
 * which requires gpt-tokenizer's tables on first use). `@mempo/tokenizer` itself has no file access
 * and bundles for browsers.
 */
export { type CountEncoding, countTokens } from "./count.ts";
export { loadTokenizer, readTokenizerConfig, saveTokenizer } from "./files.ts";
