/**
 * Every webgpu kernel by name: every core kernel (CoreKernelMap), so no kernel falls back to the host (`webgpu` has no
 * fallback backend: its tensors have no host view).
 */
import type { CoreKernelMap } from "../../kernel_types.ts";
import * as activation from "./activation.ts";
import * as attention from "./attention.ts";
import * as elementwise from "./elementwise.ts";
import * as embedding from "./embedding.ts";
import { matmul } from "./matmul.ts";
import * as norm from "./norm.ts";
import { adamw } from "./optim.ts";
import * as reduce from "./reduce.ts";
import { rope } from "./rope.ts";
import * as softmax from "./softmax.ts";

export const webgpuKernels: CoreKernelMap = {
  matmul,
  add: elementwise.add,
  mul: elementwise.mul,
  scale: elementwise.scale,
  axpy: elementwise.axpy,
  fill: elementwise.fill,
  cast: elementwise.cast,
  sum: reduce.sum,
  expand: elementwise.expand,
  sumSquares: reduce.sumSquares,
  copyColumns: elementwise.copyColumns,
  embedding: embedding.embedding,
  embeddingBackward: embedding.embeddingBackward,
  layernorm: norm.layernorm,
  layernormBackward: norm.layernormBackward,
  rmsnorm: norm.rmsnorm,
  rmsnormBackward: norm.rmsnormBackward,
  gelu: activation.gelu,
  geluBackward: activation.geluBackward,
  silu: activation.silu,
  siluBackward: activation.siluBackward,
  swiglu: activation.swiglu,
  swigluBackward: activation.swigluBackward,
  rope,
  softmax: softmax.softmax,
  softmaxBackward: softmax.softmaxBackward,
  attention: attention.attention,
  attentionBackward: attention.attentionBackward,
  attentionDecode: attention.attentionDecode,
  kvCacheWrite: attention.kvCacheWrite,
  logSoftmaxGather: softmax.logSoftmaxGather,
  logSoftmaxGatherBackward: softmax.logSoftmaxGatherBackward,
  adamw,
};
