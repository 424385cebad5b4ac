/**
 * The "wasm" backend: tensor storage lives in the engine's shared WebAssembly.Memory; each storage
 * carries `ptr` (byte offset, for wasm kernels) and `data` (a host view, so the ts reference kernels
 * run on wasm tensors for every kernel this backend does not accelerate: fallback "ts").
 * The engine (memory, module, worker threads) is created on the first allocation, not on import.
 *
 * Test: the spec suite (packages/kernels/spec/*_test.ts runs every kernel on every backend).
 */
import type { Backend, DType, Storage, TypedArray } from "../backends/backend.ts";
import { getEngine } from "./engine.ts";

interface WasmStorage extends Storage {
  readonly data: Float32Array | Int32Array;
  readonly ptr: number;
}

/** What the wasm backend runs on (for benchmark records and logs). */
export interface WasmBackendInfo {
  threads: number;
  simd: "relaxed" | "baseline";
  memoryBytes: number;
  liveBytes: number;
}

/**
 * A fresh host copy of a view of the shared memory. `slice()` of a SharedArrayBuffer-backed array
 * copies element by element in V8 (≈ 5 µs per KiB, 80× a `set`), which made reading a decode step's
 * logits cost more than computing them; a new array filled by `set` is a memcpy.
 */
function copyOut(src: Float32Array | Int32Array): TypedArray {
  const out = src instanceof Float32Array ? new Float32Array(src.length) : new Int32Array(src.length);
  out.set(src);
  return out;
}

export const wasmBackend: Backend & { info(): WasmBackendInfo } = {
  name: "wasm",
  hostMemory: true,
  dtypes: ["f32", "i32"],
  fallback: "ts",
  alloc(dtype: DType, size: number, zero = true): WasmStorage {
    if (dtype !== "f32" && dtype !== "i32") {
      throw new Error(
        `wasm backend: cannot store dtype "${dtype}" (it stores f32 and i32). ` +
          `Fix: use the "ts" backend for f64 tensors.`,
      );
    }
    const e = getEngine();
    const ptr = e.heap.alloc(size * 4, zero);
    return { dtype, size, ptr, data: dtype === "f32" ? e.f32(ptr, size) : e.i32(ptr, size) };
  },
  free(storage: Storage): void {
    getEngine().heap.free((storage as WasmStorage).ptr, storage.size * 4);
  },
  write(storage: Storage, data: ArrayLike<number>): void {
    (storage as WasmStorage).data.set(data);
  },
  read(storage: Storage): Promise<TypedArray> {
    return Promise.resolve(copyOut((storage as WasmStorage).data));
  },
  readSync(storage: Storage): TypedArray {
    return copyOut((storage as WasmStorage).data);
  },
  info(): WasmBackendInfo {
    const e = getEngine();
    const s = e.heap.stats();
    return {
      threads: e.threads,
      simd: e.relaxed ? "relaxed" : "baseline",
      memoryBytes: s.memoryBytes,
      liveBytes: s.liveBytes,
    };
  },
};
