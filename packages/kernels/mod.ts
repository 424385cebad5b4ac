/**
 * @module @mempo/kernels — tensors on a backend, kernels with explicit forward and backward, AdamW.
 *
 * Importing this module registers every available backend (backends/all.ts): "ts" (reference) always,
 * plus "wasm" etc. when built. See README.md for the op list, layouts and how to add kernels/backends.
 */
import "./backends/all.ts";

export const PACKAGE = "@mempo/kernels";

export type { Backend, DType, FloatArray, Storage, TypedArray } from "./backends/backend.ts";
export { DTYPE_BYTES, hostArray } from "./backends/backend.ts";
export { tsBackend, tsKernels } from "./backends/ts/mod.ts";
export type { CreateOptions, RandnOptions, UniformOptions } from "./create.ts";
export { empty, full, ones, randint, randn, tensor, uniform, zeros } from "./create.ts";
export type * from "./kernel_types.ts";
export { gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from "./ops/activation.ts";
export {
  type AttentionDecodeOptions,
  type AttentionOptions,
  attention,
  attentionBackward,
  attentionDecode,
  kvCacheWrite,
} from "./ops/attention.ts";
export {
  add,
  addBackward,
  axpyInto,
  fill,
  mul,
  mulBackward,
  scale,
  scaleBackward,
} from "./ops/elementwise.ts";
export {
  type EmbeddingBackwardOptions,
  embedding,
  embeddingBackward,
  gatherRows,
  gatherRowsBackward,
} from "./ops/embedding.ts";
export {
  crossEntropy,
  crossEntropyBackward,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
} from "./ops/logprob.ts";
export {
  type MatmulBackwardOptions,
  type MatmulGrads,
  type MatmulOptions,
  matmul,
  matmulBackward,
} from "./ops/matmul.ts";
export { decodeStep, hasDecodeStep } from "./ops/decode.ts";
export { layernorm, layernormBackward, rmsnorm, rmsnormBackward } from "./ops/norm.ts";
export { type AdamWOptions, adamw, clipGradNorm, gradNorm } from "./ops/optim.ts";
export { type Axis, mean, meanBackward, sum, sumBackward, sumLeading, sumSquares } from "./ops/reduce.ts";
export { type RopeOptions, rope, ropeBackward } from "./ops/rope.ts";
export { cast, clone, concatLast, splitLast } from "./ops/shape.ts";
export { softmax, softmaxBackward } from "./ops/softmax.ts";
export {
  type KernelRow,
  type PhaseRow,
  type ProfileReport,
  Profiler,
  phase,
} from "./profile.ts";
export { hashString, Rng, type RngState } from "./random.ts";
export {
  findBackend,
  getBackend,
  getKernel,
  getKernelExact,
  type KernelConfig,
  listBackends,
  listKernels,
  markBackendUnavailable,
  registerBackend,
  registerKernel,
  resolveBackend,
  setBackend,
} from "./registry.ts";
export { dispose, keep, memory, tidy } from "./scope.ts";
export { fmtShape, shapeSize, stridesOf, Tensor } from "./tensor.ts";
