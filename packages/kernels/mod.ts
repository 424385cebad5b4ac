/**
 * @module @mempo/kernels — public surface of the package (see README.md).
 */
export const PACKAGE = "@mempo/kernels";
