// Spec: matmul forward on every backend vs ts (odd shapes, transposes, batch broadcast, bias) and its
// backward vs float64 finite differences.
import { describe, expect, it } from "vitest";
import { full } from "../create.ts";
import { matmul, matmulBackward } from "../ops/matmul.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { backends, expectClose, gradCheck, rnd, rnd64, to } from "./harness.ts";

/** Naive triple loop (independent of the ts kernel) for 2-D a·b. */
function naive(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float64Array {
  const o = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) for (let p = 0; p < K; p++) o[i * N + j]! += a[i * K + p]! * b[p * N + j]!;
  return o;
}

describe("matmul: ts reference", () => {
  it("matches a naive triple loop", () => {
    const a = rnd([7, 33], 1);
    const b = rnd([33, 5], 2);
    expectClose(
      matmul(a, b).readSync(),
      naive(a.readSync() as Float32Array, b.readSync() as Float32Array, 7, 33, 5),
      1e-5,
    );
  });
  it("adds the bias to every row", () => {
    const a = rnd([3, 4], 1);
    const b = rnd([4, 2], 2);
    const bias = rnd([2], 3);
    const y = matmul(a, b, { bias }).readSync();
    const y0 = matmul(a, b).readSync();
    const bb = bias.readSync();
    for (let i = 0; i < 6; i++) expect(y[i]).toBeCloseTo(y0[i]! + bb[i % 2]!, 5);
  });
});

const cases: { name: string; a: number[]; b: number[]; transA?: boolean; transB?: boolean; bias?: number }[] =
  [
    { name: "2-D odd", a: [7, 33], b: [33, 129] },
    { name: "1×1", a: [1, 1], b: [1, 1] },
    { name: "transB (linear)", a: [3, 7, 33], b: [17, 33], transB: true, bias: 17 },
    { name: "batched weight broadcast", a: [2, 7, 9], b: [9, 5], bias: 5 },
    { name: "batched × batched", a: [3, 7, 9], b: [3, 9, 5] },
    { name: "transA batched", a: [2, 9, 7], b: [2, 9, 5], transA: true },
    { name: "transA transB", a: [9, 7], b: [5, 9], transA: true, transB: true },
    { name: "2-D a × batched b", a: [7, 9], b: [3, 9, 5] },
  ];

describe.each(backends())("matmul on %s", (name) => {
  it.each(cases)("$name forward and backward match ts", (c) => {
    tidy(() => {
      const a = rnd(c.a, 11);
      const b = rnd(c.b, 12);
      const bias = c.bias ? rnd([c.bias], 13) : null;
      const opts = { transA: c.transA, transB: c.transB };
      const ref = matmul(a, b, { ...opts, bias });
      const out = matmul(to(a, name), to(b, name), { ...opts, bias: bias && to(bias, name) });
      expect(out.shape).toEqual(ref.shape);
      expectClose(out.readSync(), ref.readSync(), 1e-4, "out");
      const dOut = rnd([...ref.shape], 14);
      const g0 = matmulBackward(dOut, a, b, { ...opts, bias });
      const g1 = matmulBackward(to(dOut, name), to(a, name), to(b, name), {
        ...opts,
        hasBias: bias !== null,
      });
      expectClose(g1.dA!.readSync(), g0.dA!.readSync(), 1e-4, "dA");
      expectClose(g1.dB!.readSync(), g0.dB!.readSync(), 1e-4, "dB");
      if (bias) expectClose(g1.dBias!.readSync(), g0.dBias!.readSync(), 1e-4, "dBias");
    });
  });
  it("writes every element of outputs placed in reused memory (allocated without clearing)", () => {
    // fill blocks of the outputs' sizes with NaN and free them: the next allocations of those sizes
    // may reuse them uncleared (Backend.alloc's zero hint), so any element left unwritten shows
    for (const c of cases) {
      tidy(() => {
        const a = rnd(c.a, 21);
        const b = rnd(c.b, 22);
        const opts = { transA: c.transA, transB: c.transB };
        const ref = matmul(a, b, opts);
        const dOut = rnd([...ref.shape], 23);
        const g0 = matmulBackward(dOut, a, b, opts);
        for (const shape of [ref.shape, c.a, c.b]) full([...shape], Number.NaN, { backend: name }).dispose();
        const out = matmul(to(a, name), to(b, name), opts);
        expectClose(out.readSync(), ref.readSync(), 1e-4, `${c.name} out`);
        for (const shape of [c.a, c.b]) full([...shape], Number.NaN, { backend: name }).dispose();
        const g1 = matmulBackward(to(dOut, name), to(a, name), to(b, name), opts);
        expectClose(g1.dA!.readSync(), g0.dA!.readSync(), 1e-4, `${c.name} dA`);
        expectClose(g1.dB!.readSync(), g0.dB!.readSync(), 1e-4, `${c.name} dB`);
      });
    }
  });
  it("accumulates into existing gradients with `into`", () => {
    tidy(() => {
      const a = to(rnd([2, 3, 4], 1), name);
      const b = to(rnd([4, 5], 2), name);
      const d = to(rnd([2, 3, 5], 3), name);
      const g = matmulBackward(d, a, b);
      const dA = to(g.dA!, name);
      const dB = to(g.dB!, name);
      const r = matmulBackward(d, a, b, { into: { dA, dB } });
      expect(r.dA).toBe(dA);
      const twice = Array.from(g.dB!.readSync(), (v) => 2 * v);
      expectClose(dB.readSync(), twice, 1e-5);
    });
  });
});

describe("matmul backward: float64 finite differences", () => {
  it.each(cases.filter((c) => c.a.length + c.b.length < 7 || c.name.includes("batched")))("$name", (c) => {
    const small = (s: number[]) => s.map((d) => Math.min(d, 5));
    // Keep inner dims consistent after shrinking.
    const a = rnd64(small(c.a), 21);
    const b = rnd64(small(c.b), 22);
    const bias = c.bias
      ? rnd64([small(c.b)[c.transB ? small(c.b).length - 2 : small(c.b).length - 1]!], 23)
      : null;
    const opts = { transA: c.transA, transB: c.transB };
    const ins: Tensor[] = bias ? [a, b, bias] : [a, b];
    const err = gradCheck(
      ins,
      (xs) => matmul(xs[0]!, xs[1]!, { ...opts, bias: xs[2] ?? null }),
      (d, xs) => {
        const g = matmulBackward(d, xs[0]!, xs[1]!, { ...opts, hasBias: xs.length > 2 });
        return [g.dA, g.dB, g.dBias];
      },
    );
    expect(err).toBeLessThan(1e-6);
  });
});
