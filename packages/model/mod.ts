/**
 * @module @mempo/model — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/model";
