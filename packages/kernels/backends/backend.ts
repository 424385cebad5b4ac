/**
 * The Backend interface: where tensor storage lives and how bytes move to and from the host.
 *
 * A backend owns memory only; compute is registered separately as kernels (see ../registry.ts).
 * CPU backends ("ts", "wasm") hand out storages with a host view `data` so that the plain-TypeScript
 * reference kernels can run on their tensors too (that is how `fallback` works). GPU backends leave
 * `data` undefined and implement only the async `read`.
 *
 * Test: packages/kernels/spec/tensor_test.ts and spec/registry_test.ts (a host backend, dtypes it
 * cannot store, readSync without host memory).
 */

/** Element type of a tensor. "f64" exists for float64 gradient checks; only the ts backend stores it. */
export type DType = "f32" | "i32" | "f64";

/** Host array for a dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Float host arrays (the kernels are generic over these two). */
export type FloatArray = Float32Array | Float64Array;

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { f32: 4, i32: 4, f64: 8 };

/**
 * One allocation on a backend, `size` elements of `dtype`.
 * - `data`: a host view of exactly `size` elements, present on CPU backends (it may be a getter that
 *   re-creates the view, e.g. after a WebAssembly.Memory grows). Kernels read and write it in place.
 * - `ptr`: byte offset of `data` inside the backend's linear memory (wasm backend), for wasm kernels.
 * Backends may attach anything else they need (a GPUBuffer, a tfjs tensor...).
 */
export interface Storage {
  readonly dtype: DType;
  readonly size: number;
  readonly data?: TypedArray;
  readonly ptr?: number;
}

/** A backend: memory management plus host transfer. Kernels are registered per backend name. */
export interface Backend {
  /** Registry name, e.g. "ts", "wasm", "webgpu". */
  readonly name: string;
  /** Dtypes this backend can store (the ts backend: all three; others usually f32 and i32). */
  readonly dtypes: readonly DType[];
  /**
   * Backend whose kernels run when this backend has no kernel of a given name (e.g. "wasm" → "ts").
   * The fallback's kernels must be able to run on this backend's storages (CPU backends with host views).
   */
  readonly fallback?: string;
  /**
   * Allocates zero-initialised storage for `size` elements. `zero: false` is a hint that the caller
   * writes every element before reading any (a kernel's full output), so a backend may skip clearing
   * reused memory; backends may ignore it.
   */
  alloc(dtype: DType, size: number, zero?: boolean): Storage;
  /** Releases storage; called exactly once, when its last tensor is disposed. */
  free(storage: Storage): void;
  /** Copies `data` (length `size`) from the host into the storage. */
  write(storage: Storage, data: ArrayLike<number>): void;
  /** Copies the storage back to a fresh host array (always a copy). */
  read(storage: Storage): Promise<TypedArray>;
  /** Synchronous read-back; present only on backends whose memory the host can see. */
  readSync?(storage: Storage): TypedArray;
  /** Kernel options this backend does not implement, e.g. "attention.segments" (ops refuse them). */
  readonly lacks?: readonly string[];
  /**
   * True when every storage's `data` is the storage itself in host memory (ts, wasm): callers may copy
   * into and out of tensors in place instead of through `read` and `write`. Not set where `data` is a
   * download (tfjs) or absent (webgpu).
   */
  readonly hostMemory?: boolean;
}

/** Allocates a host array of the given dtype. */
export function hostArray(dtype: DType, size: number): TypedArray {
  if (dtype === "f32") return new Float32Array(size);
  if (dtype === "f64") return new Float64Array(size);
  return new Int32Array(size);
}
