// Entry point of the WebAssembly kernels (AssemblyScript). Built by ../build.mjs into
// packages/kernels/build/kernels{,-relaxed}.wasm. Every kernel export takes the byte offset of an
// argument block whose first word is the atomic work-unit counter (see ../pool.ts); the host side of
// each kernel (../kernels/*.ts) writes that block.
import { MATMUL_SCRATCH, setMatmulScratch } from "./matmul";

export { matmul } from "./matmul";

/** Bytes of private scratch each instance (thread) needs. */
export const SCRATCH_BYTES: i32 = MATMUL_SCRATCH;

/** Hands this instance its private scratch region (SCRATCH_BYTES, 64-byte aligned). */
export function setScratch(ptr: usize): void {
  setMatmulScratch(ptr);
}
