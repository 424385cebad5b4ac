/**
 * @module @mempo/tokenizer — byte-level BPE with agent special tokens, Hugging Face tokenizer.json
 * load/save, token accounting with OpenAI encodings, and the ids-not-text rollout invariant.
 * See README.md. No file access here, so it bundles for browsers: files and OpenAI token counts are in
 * `@mempo/tokenizer/node`. Test helpers (synthetic text, GPT-2's r50k_base as a Tokenizer) live in
 * `@mempo/tokenizer/testing`.
 */
export const PACKAGE = "@mempo/tokenizer";

export {
  applyChatTemplate,
  type ChatMessage,
  parseTokenizerConfig,
  type TokenizerConfig,
} from "./hf_config.ts";
export { TokenizerFormatError } from "./hf_json.ts";
export { concatIds, type ReencodeDiff, reencodeDiffers } from "./prefix.ts";
export { PATTERNS, type PatternName } from "./pretokenize.ts";
export { CONTROL_TOKENS, PROTOCOL_TAGS, SPECIAL_TOKENS } from "./special.ts";
export type { AddedToken, TokenizerSpec } from "./spec.ts";
export { type DecodeOptions, type EncodeOptions, Tokenizer } from "./tokenizer.ts";
export type { TrainOptions } from "./train.ts";
