/**
 * Tensor: a shaped, typed, row-major contiguous view of one backend Storage.
 *
 * Several tensors may share a storage (`reshape` makes views); the storage is freed when the last
 * tensor over it is disposed. Every tensor registers with the innermost `tidy()` scope (scope.ts) so
 * temporaries are freed in bulk. Reads to the host are explicit: `read()` (any backend) and
 * `readSync()` (host-visible backends only). Using a disposed tensor throws an error that names the
 * kernel and the tensor's shape.
 *
 * Test: packages/kernels/spec/tensor_test.ts.
 */
import { type Backend, DTYPE_BYTES, type DType, type Storage, type TypedArray } from "./backends/backend.ts";

/** Storage plus reference count, shared by a tensor and its views. */
interface Buffer {
  readonly backend: Backend;
  readonly storage: Storage;
  refs: number;
}

/** Live-object counters for `memory()`. */
export const liveStats = { tensors: 0, storages: 0, bytes: 0 };

/** Hook set by scope.ts: called with every new tensor so the innermost tidy() scope can track it. */
export const scopeHooks: { track: ((t: Tensor) => void) | null } = { track: null };

let nextId = 1;

/** Formats a shape as `[2,3,4]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Number of elements of a shape (1 for the scalar shape []). Throws on a bad dimension. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`tensor: bad shape ${fmtShape(shape)}: dimensions must be non-negative integers.`);
    }
    n *= d;
  }
  return n;
}

/** Row-major contiguous strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export class Tensor {
  /** Unique id (debugging). */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Row-major contiguous strides, in elements. */
  readonly strides: readonly number[];
  #buf: Buffer | null;

  /** Wraps a fresh storage (refs = 1) or shares `buf` (views). Use the creation functions instead. */
  constructor(backend: Backend, storage: Storage, shape: readonly number[], buf?: Buffer) {
    this.id = nextId++;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype;
    this.size = shapeSize(shape);
    if (this.size !== storage.size) {
      throw new Error(
        `tensor: shape ${fmtShape(shape)} has ${this.size} elements but the storage has ${storage.size}.`,
      );
    }
    this.strides = Object.freeze(stridesOf(shape));
    if (buf) {
      buf.refs++;
      this.#buf = buf;
    } else {
      this.#buf = { backend, storage, refs: 1 };
      liveStats.storages++;
      liveStats.bytes += storage.size * DTYPE_BYTES[storage.dtype];
    }
    liveStats.tensors++;
    scopeHooks.track?.(this);
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }

  /** True once `dispose()` was called. */
  get disposed(): boolean {
    return this.#buf === null;
  }

  /** The owning backend. Throws if disposed. */
  get backend(): Backend {
    return this.#live("backend").backend;
  }

  /** The underlying storage (shared with views). Throws if disposed. */
  get storage(): Storage {
    return this.#live("storage").storage;
  }

  /**
   * The live host view of the storage (CPU backends). Writes go straight to the tensor.
   * Throws on disposed tensors and on backends without host memory. Kernels use this; user code should
   * prefer `readSync()` (a copy).
   */
  get data(): TypedArray {
    const buf = this.#live("data");
    const d = buf.storage.data;
    if (!d) {
      throw new Error(
        `tensor.data: backend "${buf.backend.name}" has no host view of tensor ${fmtShape(this.shape)}. ` +
          `Use await tensor.read() instead.`,
      );
    }
    return d;
  }

  /** Throws an Error naming `where` (the kernel) and this tensor's shape if it was disposed. */
  assertLive(where: string, name = "input"): void {
    if (this.#buf === null) {
      throw new Error(
        `${where}: ${name} tensor ${fmtShape(this.shape)} ${this.dtype} was already disposed. ` +
          `Fix: do not use a tensor after dispose(); return it from tidy() or keep() it to keep it alive.`,
      );
    }
  }

  #live(where: string): Buffer {
    if (this.#buf === null) this.assertLive(where);
    return this.#buf!;
  }

  /** Copies the contents to a fresh host array (works on every backend). */
  read(): Promise<TypedArray> {
    const buf = this.#live("read");
    return buf.backend.read(buf.storage);
  }

  /** Synchronous copy to the host; throws on backends that cannot (e.g. webgpu). */
  readSync(): TypedArray {
    const buf = this.#live("readSync");
    if (!buf.backend.readSync) {
      throw new Error(
        `readSync: backend "${buf.backend.name}" cannot read tensor ${fmtShape(this.shape)} synchronously. ` +
          `Fix: use await tensor.read().`,
      );
    }
    return buf.backend.readSync(buf.storage);
  }

  /** Overwrites the contents from a host array of exactly `size` elements. */
  write(data: ArrayLike<number>): this {
    const buf = this.#live("write");
    if (data.length !== this.size) {
      throw new Error(
        `write: got ${data.length} values for tensor ${fmtShape(this.shape)} (${this.size} elements). ` +
          `Fix: pass exactly ${this.size} values.`,
      );
    }
    buf.backend.write(buf.storage, data);
    return this;
  }

  /** Reads back one scalar synchronously (tensor of size 1). */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: tensor ${fmtShape(this.shape)} has ${this.size} elements, expected 1.`);
    }
    return this.readSync()[0]!;
  }

  /** A view with a new shape of the same size, sharing storage (dispose each view separately). */
  reshape(shape: readonly number[]): Tensor {
    const buf = this.#live("reshape");
    const size = shapeSize(shape);
    if (size !== this.size) {
      throw new Error(
        `reshape: cannot view tensor ${fmtShape(this.shape)} (${this.size} elements) as ${fmtShape(shape)} ` +
          `(${size} elements). Fix: keep the element count.`,
      );
    }
    return new Tensor(buf.backend, buf.storage, shape, buf);
  }

  /** Releases this tensor; the storage is freed when no view uses it. Idempotent. */
  dispose(): void {
    const buf = this.#buf;
    if (buf === null) return;
    this.#buf = null;
    liveStats.tensors--;
    if (--buf.refs === 0) {
      liveStats.storages--;
      liveStats.bytes -= buf.storage.size * DTYPE_BYTES[buf.storage.dtype];
      buf.backend.free(buf.storage);
    }
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.disposed ? ", disposed" : ""})`;
  }
}
