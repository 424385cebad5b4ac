/**
 * The "tfjs" backend's memory: each storage holds a flat TensorFlow.js tensor on whichever tfjs backend
 * is active (tfjs-node-gpu, tfjs-node, wasm, cpu, webgpu), and a host copy only when someone needs one.
 *
 * tfjs tensors are immutable, so a kernel writes an output by replacing the storage's tensor
 * (`set`). A storage is in one of these states: a device tensor, a host array, both (the host array is
 * a read-only mirror), or neither (zeros not yet materialised). `data` — what the ts reference kernels
 * read and write when a kernel falls back to "ts" — downloads once and makes the host array
 * authoritative (the device tensor is dropped, since the caller may write to the array); the next tfjs
 * kernel uploads it again. `host()` is the read-only variant used for integer options a kernel must
 * check (ids, targets), which for tensors created from host data costs nothing.
 *
 * Test: packages/kernels/tfjs/tfjs_test.ts (states, fallback, read-back) and tfjs/spec_test.ts.
 */
import type * as TF from "@tensorflow/tfjs-core";
import { type Backend, type DType, hostArray, type Storage, type TypedArray } from "../backends/backend.ts";

/** The @tensorflow/tfjs-core module. */
export type Tf = typeof TF;

const TF_DTYPE = { f32: "float32", i32: "int32" } as const;

export class TfjsStorage implements Storage {
  readonly dtype: DType;
  readonly size: number;
  readonly #tf: Tf;
  #dev: TF.Tensor | null = null;
  #host: TypedArray | null = null;
  /** The host array was passed to tfjs (which may keep a reference to it, as the cpu backend does). */
  #hostShared = false;

  constructor(tf: Tf, dtype: DType, size: number) {
    this.#tf = tf;
    this.dtype = dtype;
    this.size = size;
  }

  /** Mutable host view for ts kernels: host becomes authoritative until the next `tensor()`. */
  get data(): TypedArray {
    const h = this.host();
    if (this.#hostShared) {
      this.#host = h.slice();
      this.#hostShared = false;
    }
    this.#dev?.dispose();
    this.#dev = null;
    return this.#host!;
  }

  /** Read-only host copy (downloaded once, kept as a mirror of the device tensor). Do not write to it. */
  host(): TypedArray {
    if (this.#host === null) {
      this.#host = this.#dev
        ? (this.#dev.dataSync() as TypedArray).slice()
        : hostArray(this.dtype, this.size);
      this.#hostShared = false;
    }
    return this.#host;
  }

  /** The flat device tensor (uploaded from the host copy, or zeros, on first use); owned by the storage. */
  tensor(): TF.Tensor {
    if (this.#dev === null) {
      const tf = this.#tf;
      const dt = TF_DTYPE[this.dtype as "f32" | "i32"];
      this.#dev = tf.keep(
        this.#host ? tf.tensor1d(this.#host as Float32Array | Int32Array, dt) : tf.zeros([this.size], dt),
      );
      if (this.#host) this.#hostShared = true;
    }
    return this.#dev;
  }

  /** Replaces the contents by `t` (same element count; cast to the storage dtype); takes ownership. */
  set(t: TF.Tensor): void {
    if (t.size !== this.size) {
      throw new Error(
        `tfjs backend: a kernel produced ${t.size} elements [${t.shape}] for a storage of ${this.size}. ` +
          "Fix: this is a bug in the tfjs kernel; run the same call on the ts backend to compare.",
      );
    }
    const want = TF_DTYPE[this.dtype as "f32" | "i32"];
    const v = t.dtype === want ? t : this.#tf.tidy(() => this.#tf.cast(t, want));
    if (v !== t) t.dispose();
    if (v !== this.#dev) this.#dev?.dispose();
    this.#dev = this.#tf.keep(v);
    this.#host = null;
    this.#hostShared = false;
  }

  /** Overwrites the contents from the host (copied). */
  write(data: ArrayLike<number>): void {
    const h = hostArray(this.dtype, this.size);
    h.set(data);
    this.#dev?.dispose();
    this.#dev = null;
    this.#host = h;
    this.#hostShared = false;
  }

  async read(): Promise<TypedArray> {
    if (this.#host !== null || this.#dev === null) return this.host().slice();
    return ((await this.#dev.data()) as TypedArray).slice();
  }

  free(): void {
    this.#dev?.dispose();
    this.#dev = null;
    this.#host = null;
  }
}

/** The "tfjs" Backend over one tfjs-core module; kernels it does not register run on "ts". */
export function tfjsBackend(tf: Tf): Backend {
  return {
    name: "tfjs",
    dtypes: ["f32", "i32"],
    fallback: "ts",
    // Attention here is dense (a [T, T] mask per sequence): packed rows of several thousand tokens
    // would cost T² memory, so the model runs padded batches instead (model/batch.ts packsRows).
    lacks: ["attention.segments", "rope.positions"],
    alloc: (dtype, size) => new TfjsStorage(tf, dtype, size),
    free: (s) => (s as TfjsStorage).free(),
    write: (s, data) => (s as TfjsStorage).write(data),
    read: (s) => (s as TfjsStorage).read(),
    readSync: (s) => (s as TfjsStorage).host().slice(),
  };
}
