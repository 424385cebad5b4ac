/**
 * The "webgpu" Backend object: storage is a GPUBuffer (STORAGE | COPY_SRC | COPY_DST) identified by an
 * id on the GpuDevice; there is no host view. `write` is a queue.writeBuffer, `read` an async copy
 * through a mapped staging buffer, `readSync` a blocking read-back through the device worker (Node)
 * or a clear error (device in this thread). Stores f32 and i32; f64 is refused by tensor creation
 * with a message naming the supported dtypes.
 *
 * Test: packages/kernels/webgpu/webgpu_test.ts, spec/tensor_test.ts through webgpu/spec_test.ts.
 */
import type { Backend, DType, Storage, TypedArray } from "../backends/backend.ts";
import { fmtShape } from "../tensor.ts";
import type { GpuDevice } from "./device.ts";

export interface GpuStorage extends Storage {
  /** Buffer id on the GpuDevice. */
  readonly id: number;
}

let current: GpuDevice | null = null;

/** The initialised device; throws the fix when initWebGPU() has not run. */
export function gpu(): GpuDevice {
  if (!current) {
    throw new Error('webgpu: no device. Fix: await initWebGPU() before using the "webgpu" backend.');
  }
  return current;
}

export function setGpu(d: GpuDevice | null): void {
  current = d;
}

function view(dtype: DType, buf: ArrayBuffer): TypedArray {
  return dtype === "i32" ? new Int32Array(buf) : new Float32Array(buf);
}

export const webgpuBackend: Backend = {
  name: "webgpu",
  dtypes: ["f32", "i32"],
  lacks: ["attention.segments", "rope.positions"],
  alloc(dtype: DType, size: number): GpuStorage {
    if (dtype === "f64") {
      throw new Error(
        'webgpu: cannot store f64 (WGSL has no f64). Fix: use "f32", or the "ts" backend for f64.',
      );
    }
    const dev = gpu();
    const max = dev.info.limits.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY;
    if (size * 4 > max) {
      throw new Error(
        `webgpu: a tensor of ${size} ${dtype} (${(size / 2 ** 18).toFixed(1)} MiB) exceeds this adapter's ` +
          `maxStorageBufferBindingSize (${(max / 2 ** 20).toFixed(0)} MiB). Fix: split it (e.g. smaller batches).`,
      );
    }
    return { dtype, size, id: dev.alloc(size * 4) };
  },
  free(storage: Storage): void {
    current?.free((storage as GpuStorage).id);
  },
  write(storage: Storage, data: ArrayLike<number>): void {
    const host = storage.dtype === "i32" ? Int32Array.from(data) : Float32Array.from(data);
    gpu().write((storage as GpuStorage).id, host.buffer as ArrayBuffer);
  },
  async read(storage: Storage): Promise<TypedArray> {
    return view(storage.dtype, await gpu().read((storage as GpuStorage).id, storage.size * 4));
  },
  readSync(storage: Storage): TypedArray {
    const s = storage as GpuStorage;
    return view(s.dtype, gpu().readSync(s.id, s.size * 4, `${fmtShape([s.size])} ${s.dtype}`));
  },
};
