/**
 * Imports every backend available in this build so that each registers itself. The spec harness and
 * mod.ts import this file. To add a backend, add one line below (its module must register the backend
 * and its kernels on import, and must not start threads or compile WebAssembly until first use).
 * A backend whose module may be missing or fail to load is imported through `tryBackend`, which records
 * the reason so that `setBackend(name)` can explain it.
 */
import { markBackendUnavailable } from "../registry.ts";
import "./ts/mod.ts";

/** Imports an optional backend module; on failure marks the backend unavailable with the reason. */
export async function tryBackend(name: string, load: () => Promise<unknown>): Promise<void> {
  try {
    await load();
  } catch (e) {
    markBackendUnavailable(name, e instanceof Error ? e.message : String(e));
  }
}

// Optional backends, one line each, e.g.:
// await tryBackend("wasm", () => import("../wasm/mod.ts"));
await tryBackend("wasm", () => import("../wasm/mod.ts"));
await tryBackend("webgpu", () => import("../webgpu/auto.ts"));
await tryBackend("tfjs", () => import("../tfjs/auto.ts"));
