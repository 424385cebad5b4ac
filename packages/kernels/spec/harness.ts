/**
 * Spec harness: runs a kernel spec against every registered backend and compares to the ts reference;
 * finite-difference gradient checks in float64 on the ts backend.
 *
 * Imported by every spec/*_test.ts; importing it loads every available backend (backends/all.ts).
 */
import { describe, expect, it } from "vitest";
import "../backends/all.ts";
import type { Backend, TypedArray } from "../backends/backend.ts";
import { randn, tensor, uniform } from "../create.ts";
import { findBackend, listBackends } from "../registry.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/** The spec files that run once per backend (the registry and error specs are backend-independent). */
export const PER_BACKEND_SPECS = [
  "activation",
  "alias",
  "attention",
  "attention_packed",
  "attention_queries",
  "block",
  "elementwise",
  "embedding",
  "logprob",
  "matmul",
  "norm",
  "optim",
  "reduce",
  "reuse",
  "rope",
  "shape",
  "softmax",
  "tensor",
] as const;

/**
 * Runs the per-backend spec files again in the calling test file, whose `vi.mock` of this module
 * narrows `backends()` to one backend (webgpu, tfjs: ts and wasm run in the specs' own files); or one
 * skipped test saying why when that backend is unavailable here. `load` imports a spec file from the
 * calling file, so its mock applies: `(name) => import(\`../spec/${name}_test.ts\`)`.
 */
export function runSpecsOn(
  label: string,
  unavailable: string | null,
  load: (name: string) => Promise<unknown>,
  skip: readonly (typeof PER_BACKEND_SPECS)[number][] = [],
): void {
  if (unavailable !== null) {
    describe(`${label} specs`, () => {
      it.skip(`skipped: ${unavailable}`, () => {});
    });
    return;
  }
  for (const name of PER_BACKEND_SPECS) {
    if (skip.includes(name)) continue;
    describe(`spec/${name}_test.ts`, async () => {
      await load(name);
    });
  }
}

/** Registered backends as [name, backend] pairs (for describe.each / it.each). */
export function backends(): [string, Backend][] {
  return listBackends().map((n) => [n, findBackend(n)]);
}

/** Max |a−b| / max(1, |b|) style relative error (elementwise, with an absolute floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(floor, Math.abs(b[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return worst;
}

/** Expects two host arrays to agree to a relative tolerance (f32 default 1e-4). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-4,
  what = "",
): void {
  const e = relErr(actual, expected);
  if (!(e <= tol)) {
    expect.fail(`${what} relative error ${e.toExponential(2)} > ${tol} (n=${expected.length})`);
  }
}

/** A deterministic f32 randn tensor on a backend (ts and other backends receive identical values). */
export function rnd(shape: number[], seed: number, backend: Backend | string = "ts", std = 1): Tensor {
  return randn(shape, { seed, std, backend });
}

/** A copy of a tensor on another backend (through the host). */
export function to(t: Tensor, backend: Backend | string, dtype = t.dtype): Tensor {
  return tensor(t.readSync(), [...t.shape], { backend, dtype });
}

/** Uniform values on the ts backend in f64 (finite-difference inputs). */
export function rnd64(shape: number[], seed: number, low = -1, high = 1): Tensor {
  return uniform(shape, { seed, low, high, dtype: "f64", backend: "ts" });
}

/**
 * Central finite-difference check of d(loss)/d(input) where loss = Σ f(inputs)·w for fixed random w.
 * `f` maps the inputs to one output tensor; `grad` returns the analytic gradient of each checked input
 * given dOut = w. Everything is f64 on ts. Returns the worst relative error.
 */
export function gradCheck(
  inputs: Tensor[],
  f: (xs: Tensor[]) => Tensor,
  grad: (dOut: Tensor, xs: Tensor[]) => (Tensor | null)[],
  opts: { check?: number[]; eps?: number; seed?: number } = {},
): number {
  const eps = opts.eps ?? 1e-6;
  const check = opts.check ?? inputs.map((_, i) => i);
  const out0 = tidy(() => f(inputs));
  const w = rnd64([...out0.shape], opts.seed ?? 999);
  out0.dispose();
  const loss = (): number =>
    tidy(() => {
      const y = f(inputs).data;
      const wd = w.data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * wd[i]!;
      return s;
    });
  const grads = tidy(() => grad(w, inputs));
  let worst = 0;
  for (const i of check) {
    const x = inputs[i]!.data;
    const g = grads[i];
    if (!g) throw new Error(`gradCheck: no analytic gradient for input ${i}`);
    const gd = g.data;
    const num = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const old = x[j]!;
      x[j] = old + eps;
      const lp = loss();
      x[j] = old - eps;
      const lm = loss();
      x[j] = old;
      num[j] = (lp - lm) / (2 * eps);
    }
    worst = Math.max(worst, relErr(gd, num, 1e-2));
  }
  for (const g of grads) g?.dispose();
  w.dispose();
  return worst;
}

/** Host copy shorthand. */
export function host(t: Tensor): TypedArray {
  return t.readSync();
}

type Outs = Tensor | null | readonly (Tensor | null | undefined)[] | { readonly [k: string]: Tensor | null };

function flatten(o: Outs): [string, Tensor][] {
  if (o === null) return [];
  if (Array.isArray(o)) return o.flatMap((t, i) => (t ? [[`#${i}`, t] as [string, Tensor]] : []));
  if ("shape" in (o as object)) return [["out", o as Tensor]];
  return Object.entries(o as Record<string, Tensor | null>).filter(
    (e): e is [string, Tensor] => e[1] !== null,
  );
}

/**
 * Runs f on ts inputs and on copies of them on `backend`, and compares every output (shape and values,
 * relative tolerance tol). Inputs are created on ts by the caller; i32 inputs are copied as i32.
 */
export function crossCheck(backend: string, inputs: Tensor[], f: (xs: Tensor[]) => Outs, tol = 1e-4): void {
  tidy(() => {
    const copies = inputs.map((t) => to(t, backend)); // before f runs: f may update inputs in place
    const ref = flatten(f(inputs));
    const got = flatten(f(copies));
    expect(got.map((e) => e[0])).toEqual(ref.map((e) => e[0]));
    for (let i = 0; i < ref.length; i++) {
      const [name, r] = ref[i]!;
      const g = got[i]![1];
      expect(g.shape, name).toEqual(r.shape);
      expect(g.backend.name).toBe(backend);
      expectClose(g.readSync(), r.readSync(), tol, `${backend} ${name}`);
    }
  });
}
