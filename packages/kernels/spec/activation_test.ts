// Spec: gelu / silu / swiglu forward and backward on every backend vs ts; finite differences.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from "../ops/activation.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("activations: reference values", () => {
  it("gelu (tanh) and silu at known points", () => {
    // PyTorch: F.gelu(x, approximate="tanh"), F.silu(x).
    expectClose(gelu(tensor([-1, 0, 1, 3])).readSync(), [-0.158808, 0, 0.841192, 2.996363], 1e-5);
    expectClose(silu(tensor([-1, 0, 1, 3])).readSync(), [-0.268941, 0, 0.731059, 2.857722], 1e-5);
    expectClose(swiglu(tensor([1, 3]), tensor([2, -1])).readSync(), [1.462117, -2.857722], 1e-5);
  });
});

describe.each(backends())("activations on %s", (name) => {
  it.each([[[1]], [[7]], [[33, 129]], [[2, 3, 65]]])("%j forward and backward match ts", (shape) => {
    const x = rnd(shape, 1, "ts", 3);
    const u = rnd(shape, 2);
    const d = rnd(shape, 3);
    crossCheck(name, [x, u, d], ([x, u, d]) => [
      gelu(x!),
      silu(x!),
      swiglu(x!, u!),
      geluBackward(d!, x!),
      siluBackward(d!, x!),
      ...Object.values(swigluBackward(d!, x!, u!)),
    ]);
  });
});

describe("activation backward: float64 finite differences", () => {
  it("gelu, silu, swiglu", () => {
    const x = rnd64([11], 1, -4, 4);
    const u = rnd64([11], 2);
    const errs = [
      gradCheck(
        [x],
        ([x]) => gelu(x!),
        (d, [x]) => [geluBackward(d, x!)],
      ),
      gradCheck(
        [x],
        ([x]) => silu(x!),
        (d, [x]) => [siluBackward(d, x!)],
      ),
      gradCheck(
        [x, u],
        ([g, u]) => swiglu(g!, u!),
        (d, [g, u]) => {
          const r = swigluBackward(d, g!, u!);
          return [r.dGate, r.dUp];
        },
      ),
    ];
    expect(Math.max(...errs)).toBeLessThan(1e-7);
  });
});
