/**
 * Tensor creation: `tensor(data, shape)`, `zeros`, `ones`, `full`, `randn`, `uniform`, `randint`.
 * Every function takes `{dtype, backend}` (defaults: "f32", the current backend from getBackend()).
 *
 * Test: packages/kernels/spec/tensor_test.ts.
 */
import type { Backend, DType } from "./backends/backend.ts";
import { Rng } from "./random.ts";
import { resolveBackend } from "./registry.ts";
import { fmtShape, shapeSize, Tensor } from "./tensor.ts";

export interface CreateOptions {
  /** Element type; default "f32". */
  dtype?: DType;
  /** Backend or its name; default the current backend (`getBackend()`). */
  backend?: Backend | string;
}

/**
 * Allocates a zeroed tensor; the building block of all creators. `zero: false` (for outputs the
 * caller overwrites whole) lets the backend skip clearing reused memory: the contents are then
 * unspecified until written.
 */
export function empty(
  shape: readonly number[],
  opts: CreateOptions & { zero?: boolean } = {},
  where = "empty",
): Tensor {
  const backend = resolveBackend(opts.backend, where);
  const dtype = opts.dtype ?? "f32";
  if (!backend.dtypes.includes(dtype)) {
    throw new Error(
      `${where}: backend "${backend.name}" cannot store dtype ${dtype} (shape ${fmtShape(shape)}); it supports ` +
        `${backend.dtypes.join(", ")}. Fix: use dtype "f32", or the "ts" backend for f64.`,
    );
  }
  const size = shapeSize(shape);
  return new Tensor(backend, backend.alloc(dtype, size, opts.zero ?? true), shape);
}

/** A tensor holding `data` (length must equal the shape's size; default shape [data.length]). */
export function tensor(data: ArrayLike<number>, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  const s = shape ?? [data.length];
  const dtype =
    opts.dtype ?? (data instanceof Int32Array ? "i32" : data instanceof Float64Array ? "f64" : "f32");
  const size = shapeSize(s);
  if (data.length !== size) {
    throw new Error(
      `tensor: got ${data.length} values for shape ${fmtShape(s)} (${size} elements). ` +
        `Fix: pass a shape whose product is ${data.length}.`,
    );
  }
  const t = empty(s, { ...opts, dtype }, "tensor");
  t.write(data);
  return t;
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return empty(shape, opts, "zeros");
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  const t = empty(shape, opts, "full");
  if (value !== 0) t.write(new Float64Array(t.size).fill(value));
  return t;
}

/** A tensor of ones. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export interface RandnOptions extends CreateOptions {
  /** PRNG seed; default 0. */
  seed?: number;
  /** Standard deviation; default 1. */
  std?: number;
  /** Mean; default 0. */
  mean?: number;
}

/** Normal samples N(mean, std²) from the seeded PRNG (identical on every machine and backend). */
export function randn(shape: readonly number[], opts: RandnOptions = {}): Tensor {
  const vals = new Float64Array(shapeSize(shape));
  new Rng(opts.seed ?? 0).fillNormal(vals, opts.mean ?? 0, opts.std ?? 1);
  const t = empty(shape, opts, "randn");
  return t.write(vals);
}

export interface UniformOptions extends CreateOptions {
  /** PRNG seed; default 0. */
  seed?: number;
  /** Lower bound (inclusive); default 0. */
  low?: number;
  /** Upper bound (exclusive); default 1. */
  high?: number;
}

/** Uniform samples in [low, high) from the seeded PRNG. */
export function uniform(shape: readonly number[], opts: UniformOptions = {}): Tensor {
  const rng = new Rng(opts.seed ?? 0);
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  const vals = new Float64Array(shapeSize(shape));
  for (let i = 0; i < vals.length; i++) vals[i] = low + (high - low) * rng.next();
  return empty(shape, opts, "uniform").write(vals);
}

/** Integer samples in [0, n) as an i32 tensor (e.g. random token ids). */
export function randint(
  shape: readonly number[],
  n: number,
  opts: { seed?: number; backend?: Backend | string } = {},
) {
  const rng = new Rng(opts.seed ?? 0);
  const vals = new Int32Array(shapeSize(shape));
  for (let i = 0; i < vals.length; i++) vals[i] = rng.int(0, n - 1);
  return empty(shape, { backend: opts.backend, dtype: "i32" }, "randint").write(vals);
}
