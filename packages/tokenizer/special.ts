/**
 * The special tokens of the agent protocol and the control tokens, in id order.
 *
 * A trained tokenizer gives SPECIAL_TOKENS the lowest ids (0..12, in this order), then the 256
 * byte tokens, then one id per merge. Special tokens are matched in text before BPE runs, so a
 * merge can never produce or split them. Tested in tokenizer_test.ts.
 */

/** The agent protocol's tags (DESIGN.md §5), in this order. */
export const PROTOCOL_TAGS: readonly string[] = Object.freeze([
  "<mem>",
  "</mem>",
  "<think>",
  "</think>",
  "<search>",
  "</search>",
  "<information>",
  "</information>",
  "<answer>",
  "</answer>",
]);

/** Sequence control tokens: begin, end and padding. */
export const CONTROL_TOKENS: readonly string[] = Object.freeze(["<bos>", "<eos>", "<pad>"]);

/** Every special token, control tokens first: `[...CONTROL_TOKENS, ...PROTOCOL_TAGS]`. */
export const SPECIAL_TOKENS: readonly string[] = Object.freeze([...CONTROL_TOKENS, ...PROTOCOL_TAGS]);
