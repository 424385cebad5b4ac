/**
 * @module @mempo/env — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/env";
