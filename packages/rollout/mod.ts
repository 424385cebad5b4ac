/**
 * @module @mempo/rollout — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/rollout";
