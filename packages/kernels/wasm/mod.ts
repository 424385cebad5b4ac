/**
 * @module wasm backend — registers the "wasm" backend and its kernels on import (backends/all.ts
 * imports this file). Cheap to import: the engine starts on the first allocation (Node, Deno) or in
 * `await initWasm()` (browsers, which fetch the .wasm); in a source checkout the one-time build of
 * build/kernels*.wasm runs here when the binaries are missing or stale.
 *
 * Accelerated kernels are listed in WASM_KERNELS; every other kernel falls back to "ts".
 */
import type { KernelMap, KernelName } from "../kernel_types.ts";
import { registerBackend, registerKernel } from "../registry.ts";
import host from "#wasm-host";
import { wasmBackend } from "./backend.ts";
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
import { decodeStep } from "./kernels/decode.ts";
import { add, axpy, copyColumns, fill, mul, scale, sum, sumSquares } from "./kernels/elementwise.ts";
import { embedding, embeddingBackward, kvCacheWrite } from "./kernels/gather.ts";
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
export { getEngine, WASM_FILES, WasmEngine } from "./engine.ts";
export { initWasm, type WasmInitOptions } from "./init.ts";

/** Kernels the wasm backend implements itself. */
export const WASM_KERNELS: Partial<KernelMap> = {
  matmul,
  attention,
  attentionBackward,
  attentionDecode,
  decodeStep,
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
  embedding,
  embeddingBackward,
  kvCacheWrite,
};

await host.ensureBuilt();
registerBackend(wasmBackend);
for (const [kernelName, fn] of Object.entries(WASM_KERNELS)) {
  registerKernel({
    kernelName: kernelName as KernelName,
    backendName: "wasm",
    fn: fn as KernelMap[KernelName],
  });
}
