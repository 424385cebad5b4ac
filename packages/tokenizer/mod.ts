/**
 * @module @mempo/tokenizer — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/tokenizer";
