/**
 * The "ts" backend: storage is a plain host typed array (Float32Array / Float64Array / Int32Array).
 * It is the reference (oracle) backend and the only one that stores f64 (for gradient checks).
 *
 * Test: packages/kernels/spec/tensor_test.ts (storage, dtypes, read-back) and every spec (the oracle).
 */
import { type Backend, type DType, hostArray, type Storage, type TypedArray } from "../backend.ts";

interface TsStorage extends Storage {
  readonly data: TypedArray;
}

export const tsBackend: Backend = {
  name: "ts",
  hostMemory: true,
  dtypes: ["f32", "i32", "f64"],
  alloc(dtype: DType, size: number): TsStorage {
    return { dtype, size, data: hostArray(dtype, size) };
  },
  free(_storage: Storage): void {
    // Garbage-collected host memory: nothing to release.
  },
  write(storage: Storage, data: ArrayLike<number>): void {
    (storage as TsStorage).data.set(data);
  },
  read(storage: Storage): Promise<TypedArray> {
    return Promise.resolve((storage as TsStorage).data.slice());
  },
  readSync(storage: Storage): TypedArray {
    return (storage as TsStorage).data.slice();
  },
};
