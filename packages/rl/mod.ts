/**
 * @module @mempo/rl — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/rl";
