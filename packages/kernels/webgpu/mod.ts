/**
 * @module @mempo/kernels/webgpu — the "webgpu" backend: WGSL compute kernels through WebGPU (Dawn's
 * `webgpu` npm package on Node, native navigator.gpu in Deno and browsers).
 *
 *   import { initWebGPU } from "@mempo/kernels/webgpu";
 *   await initWebGPU();          // acquire an adapter + device, register the backend and its kernels
 *   setBackend("webgpu");        // before initWebGPU this throws with the fix
 *
 * Importing is cheap (nothing starts): it records "webgpu" as not yet initialised so that
 * setBackend("webgpu") explains what to do. It also sets EGL_PLATFORM=surfaceless when unset, before
 * Dawn loads, for headless Mesa. Env: MEMPO_WEBGPU_BACKEND=auto|vulkan|opengles picks Dawn's backend;
 * MEMPO_WEBGPU_WORKER=0 keeps the device in the calling thread (then readSync is unavailable).
 * See README.md for the design, limits and measured numbers.
 *
 * Test: packages/kernels/webgpu/webgpu_test.ts, webgpu/spec_test.ts.
 */
import type { CoreKernelMap, KernelName } from "../kernel_types.ts";
import {
  backendFailed,
  listBackends,
  markBackendUnavailable,
  registerBackend,
  registerKernel,
} from "../registry.ts";
import type { AdapterInfo } from "./adapter.d.mts";
import { setGpu, webgpuBackend } from "./backend.ts";
import { GpuDevice, type GpuOptions } from "./device.ts";
import { webgpuKernels } from "./kernels/mod.ts";

export type { AdapterInfo } from "./adapter.d.mts";
export type { GpuOptions as WebGPUOptions } from "./device.ts";
export { webgpuBackend } from "./backend.ts";
export { webgpuKernels } from "./kernels/mod.ts";

/**
 * Kernels of the KernelMap that the webgpu backend does not run (the spec runner skips them, with the
 * reason). Empty: every kernel has a WGSL implementation.
 */
export const WEBGPU_SKIPPED: readonly { kernel: KernelName; reason: string }[] = [];

/** Behaviour that differs from the ts reference, by design (also in README.md). */
export const WEBGPU_LIMITATIONS: readonly string[] = [
  "f64 tensors are refused (WGSL has no f64); accumulation is f32 in workgroup trees.",
  "readSync()/item() need the device worker (Node, the default); with the device in the calling thread use await t.read().",
  "Out-of-range ids/targets do not throw: embedding reads zeros, embeddingBackward skips them, logSoftmaxGather gives NaN.",
  "GPU errors are asynchronous: they surface at the next read-back.",
  "A tensor may not exceed the adapter's maxStorageBufferBindingSize (creation throws with the limit).",
  "embeddingBackward adds repeated ids with atomics: the order of the adds (and so the last bits) may vary.",
];

const NOT_INITIALISED =
  'not initialised: call `await initWebGPU()` (import { initWebGPU } from "@mempo/kernels/webgpu") before setBackend("webgpu")';

if (typeof process !== "undefined" && process.env) process.env.EGL_PLATFORM ??= "surfaceless";
if (!listBackends().includes("webgpu")) markBackendUnavailable("webgpu", NOT_INITIALISED);

let device: GpuDevice | null = null;
let starting: Promise<AdapterInfo> | null = null;

/**
 * Acquires a WebGPU device and registers the "webgpu" backend with every kernel. Idempotent: later
 * calls return the first device's info. Rejects with the reason (and records it for setBackend) when
 * no adapter exists.
 */
export function initWebGPU(opts: GpuOptions = {}): Promise<AdapterInfo> {
  starting ??= GpuDevice.create(opts).then(
    (d) => {
      device = d;
      setGpu(d);
      registerBackend(webgpuBackend);
      for (const name of Object.keys(webgpuKernels) as (keyof CoreKernelMap)[]) {
        registerKernel({ kernelName: name, backendName: "webgpu", fn: webgpuKernels[name] as never });
      }
      return d.info;
    },
    (e: unknown) => {
      starting = null;
      return backendFailed("webgpu", e);
    },
  );
  return starting;
}

/** The adapter in use, or null before initWebGPU. */
export function webgpuInfo(): AdapterInfo | null {
  return device?.info ?? null;
}

/** "worker" (readSync available) or "direct"; null before initWebGPU. */
export function webgpuMode(): "worker" | "direct" | null {
  return device?.mode ?? null;
}

/** Waits until every queued command has run on the device (a 4-byte read-back of a scratch buffer). */
export async function webgpuSync(): Promise<void> {
  if (!device) return;
  const id = device.alloc(4);
  await device.read(id, 4);
  device.free(id);
}
