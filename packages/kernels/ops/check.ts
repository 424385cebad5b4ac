/**
 * Input validation shared by the ops: every failure throws an Error that names the kernel, the
 * offending tensors with their shapes and dtypes, and how to fix the call.
 *
 * Test: packages/kernels/spec/errors_test.ts.
 */
import type { Backend, DType } from "../backends/backend.ts";
import { empty } from "../create.ts";
import type { KernelMap, KernelName } from "../kernel_types.ts";
import { activeProfiler } from "../profile.ts";
import { getKernel } from "../registry.ts";
import { fmtShape, type Tensor } from "../tensor.ts";

/** Named inputs of a call, for messages: `{a, b}` → "a [2,3] f32, b [4] f32". */
export type Named = Record<string, Tensor | null | undefined>;

export function describe(inputs: Named): string {
  return Object.entries(inputs)
    .filter((e): e is [string, Tensor] => e[1] != null)
    .map(([n, t]) => `${n} ${fmtShape(t.shape)} ${t.dtype}${t.disposed ? " (disposed)" : ""}`)
    .join(", ");
}

/** Throws `kernel: problem (got …). Fix: fix`. */
export function fail(kernel: string, problem: string, inputs: Named, fix: string): never {
  const got = describe(inputs);
  throw new Error(`${kernel}: ${problem}${got ? ` (got ${got})` : ""}. Fix: ${fix}`);
}

/**
 * Checks that every input is live and on one backend, and that the float inputs share one float dtype
 * (f32 or f64) and `ints` are i32. Returns the common backend and float dtype.
 */
export function checkInputs(
  kernel: string,
  floats: Named,
  ints: Named = {},
): { backend: Backend; dtype: DType } {
  const all = { ...floats, ...ints };
  for (const [name, t] of Object.entries(all)) {
    if (t == null) continue;
    if (t.disposed) t.assertLive(kernel, `"${name}"`);
  }
  let backend: Backend | null = null;
  for (const t of Object.values(all)) {
    if (t == null) continue;
    if (backend === null) backend = t.backend;
    else if (t.backend !== backend) {
      fail(kernel, "inputs live on different backends", all, "move them to one backend before the call");
    }
  }
  let dtype: DType | null = null;
  for (const [name, t] of Object.entries(floats)) {
    if (t == null) continue;
    if (t.dtype === "i32") {
      fail(kernel, `"${name}" must be a float tensor (f32 or f64), not i32`, all, `cast "${name}" to f32`);
    }
    if (dtype === null) dtype = t.dtype;
    else if (t.dtype !== dtype) {
      fail(kernel, "float inputs mix f32 and f64", all, "cast all float inputs to one dtype");
    }
  }
  for (const [name, t] of Object.entries(ints)) {
    if (t != null && t.dtype !== "i32") {
      fail(kernel, `"${name}" must be an i32 tensor`, all, `create "${name}" with {dtype: "i32"}`);
    }
  }
  if (backend === null) throw new Error(`${kernel}: no input tensors.`);
  return { backend, dtype: dtype ?? "f32" };
}

/** Throws unless t has exactly `shape`. */
export function expectShape(
  kernel: string,
  name: string,
  t: Tensor,
  shape: readonly number[],
  inputs: Named,
) {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(
      kernel,
      `"${name}" must have shape ${fmtShape(shape)}`,
      inputs,
      `pass "${name}" with shape ${fmtShape(shape)}`,
    );
  }
}

/** Throws unless t has rank in `ranks`. */
export function expectRank(kernel: string, name: string, t: Tensor, ranks: readonly number[], inputs: Named) {
  if (!ranks.includes(t.rank)) {
    fail(kernel, `"${name}" must have rank ${ranks.join(" or ")}`, inputs, `reshape "${name}"`);
  }
}

/** Last dimension and product of the leading ones ("rows"); rank-0 counts as [1]. */
export function rowsCols(t: Tensor): { rows: number; cols: number } {
  const cols = t.rank === 0 ? 1 : t.shape[t.rank - 1]!;
  return { rows: cols === 0 ? 0 : t.size / cols, cols };
}

/** Allocates an output on the inputs' backend. */
export function alloc(
  kernel: string,
  backend: Backend,
  shape: readonly number[],
  dtype: DType,
  zero = true,
): Tensor {
  return empty(shape, { backend, dtype, zero }, kernel);
}

/** Looks up the kernel for the backend (with fallback) and runs it. */
export function run<K extends KernelName>(
  kernel: K,
  backend: Backend,
  args: Parameters<KernelMap[K]>[0],
): void {
  const fn = getKernel(kernel, backend.name) as (a: typeof args) => void;
  const prof = activeProfiler();
  if (prof === null) {
    fn(args);
    return;
  }
  const t = performance.now();
  fn(args);
  prof.kernel(kernel, performance.now() - t);
}

/** Per-sequence integer option (number → filled array); checks length B and integrality. */
export function perSeq(
  kernel: string,
  name: string,
  v: number | ArrayLike<number> | undefined,
  B: number,
  dflt: number,
) {
  const out = new Int32Array(B);
  if (v === undefined || typeof v === "number") {
    const x = v ?? dflt;
    if (!Number.isInteger(x)) throw new Error(`${kernel}: option "${name}" must be an integer, got ${x}.`);
    out.fill(x);
    return out;
  }
  if (v.length !== B) {
    throw new Error(
      `${kernel}: option "${name}" has ${v.length} entries but the batch has B=${B} sequences. ` +
        `Fix: pass one value per sequence.`,
    );
  }
  for (let i = 0; i < B; i++) {
    const x = v[i]!;
    if (!Number.isInteger(x))
      throw new Error(`${kernel}: option "${name}"[${i}] must be an integer, got ${x}.`);
    out[i] = x;
  }
  return out;
}
