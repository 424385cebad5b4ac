/**
 * @module wasm backend — registers the "wasm" backend and its kernels on import (backends/all.ts
 * imports this file). Cheap to import: the engine starts on the first allocation; the one-time build
 * of build/kernels*.wasm runs here only when the binaries are missing or stale.
 *
 * Accelerated kernels are listed in WASM_KERNELS; every other kernel falls back to "ts".
 */
import type { KernelMap, KernelName } from "../kernel_types.ts";
import { registerBackend, registerKernel } from "../registry.ts";
import { wasmBackend } from "./backend.ts";
import { ensureKernelsBuilt } from "./engine.ts";
import {
  adamw,
  gelu,
  geluBackward,
  silu,
  siluBackward,
  swiglu,
  swigluBackward,
} from "./kernels/activation.ts";
import { attention, attentionBackward, attentionDecode } from "./kernels/attention.ts";
import { add, axpy, copyColumns, fill, mul, scale, sum, sumSquares } from "./kernels/elementwise.ts";
import { matmul } from "./kernels/matmul.ts";
import { rope } from "./kernels/rope.ts";
import {
  layernorm,
  layernormBackward,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
  rmsnorm,
  rmsnormBackward,
  softmax,
  softmaxBackward,
} from "./kernels/rows.ts";

export { type WasmBackendInfo, wasmBackend } from "./backend.ts";
export { getEngine, WasmEngine } from "./engine.ts";

/** Kernels the wasm backend implements itself. */
export const WASM_KERNELS: Partial<KernelMap> = {
  matmul,
  attention,
  attentionBackward,
  attentionDecode,
  layernorm,
  layernormBackward,
  rmsnorm,
  rmsnormBackward,
  gelu,
  geluBackward,
  silu,
  siluBackward,
  swiglu,
  swigluBackward,
  softmax,
  softmaxBackward,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
  adamw,
  add,
  mul,
  scale,
  axpy,
  sum,
  copyColumns,
  fill,
  sumSquares,
  rope,
};

await ensureKernelsBuilt();
registerBackend(wasmBackend);
for (const [kernelName, fn] of Object.entries(WASM_KERNELS)) {
  registerKernel({
    kernelName: kernelName as KernelName,
    backendName: "wasm",
    fn: fn as KernelMap[KernelName],
  });
}
