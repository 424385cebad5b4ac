/**
 * @module @mempo/tokenizer — byte-level BPE with agent special tokens, Hugging Face tokenizer.json
 * load/save, token accounting with OpenAI encodings, and the ids-not-text rollout invariant.
 * See README.md. Test helpers (synthetic text, GPT-2's r50k_base as a Tokenizer) live in
 * `@mempo/tokenizer/testing`.
 */
export const PACKAGE = "@mempo/tokenizer";

export { type CountEncoding, countTokens } from "./count.ts";
export {
  applyChatTemplate,
  type ChatMessage,
  parseTokenizerConfig,
  readTokenizerConfig,
  type TokenizerConfig,
} from "./hf_config.ts";
export { TokenizerFormatError } from "./hf_json.ts";
export { concatIds, type ReencodeDiff, reencodeDiffers } from "./prefix.ts";
export { PATTERNS, type PatternName } from "./pretokenize.ts";
export { CONTROL_TOKENS, PROTOCOL_TAGS, SPECIAL_TOKENS } from "./special.ts";
export type { AddedToken, TokenizerSpec } from "./spec.ts";
export { type DecodeOptions, type EncodeOptions, Tokenizer } from "./tokenizer.ts";
export type { TrainOptions } from "./train.ts";
