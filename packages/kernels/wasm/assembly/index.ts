// Entry point of the WebAssembly kernels (AssemblyScript). Built by ../build.mjs into
// packages/kernels/build/kernels{,-relaxed}.wasm. Every kernel export takes the byte offset of an
// argument block whose first word is the atomic work-unit counter (see ../pool.ts); its fields are
// declared in ../args.ts and read through the generated readers of ./args.
import { setAttentionScratch } from "./attention";
import { setDecodeScratch } from "./decode";
import { MATMUL_SCRATCH, setMatmulScratch } from "./matmul";
import { initConsts } from "./math";

export { adamw, gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from "./activation";
export { attention, attentionBackward, attentionDecode } from "./attention";
export { decodeStep } from "./decode";
export { binary, copyColumns, fill, sumLeading, sumSquares } from "./elementwise";
export { gatherRows, kvCacheWrite, scatterAddRows } from "./gather";
export { matmul } from "./matmul";
export { peakFma } from "./peak";
export { rope } from "./rope";
export {
  layernorm, layernormBackward, logSoftmaxGather, logSoftmaxGatherBackward, rmsnorm, rmsnormBackward,
  softmax, softmaxBackward, sumParts,
} from "./rows";

/** Bytes of private scratch each instance (thread) needs. */
export const SCRATCH_BYTES: i32 = MATMUL_SCRATCH;

/** Hands this instance (thread `tid`, 0 = the calling thread) its private scratch region. */
export function setScratch(ptr: usize, tid: i32): void {
  setMatmulScratch(ptr);
  setAttentionScratch(tid);
  setDecodeScratch(tid);
  initConsts();
}
