// Spec: layernorm / rmsnorm forward and backward on every backend vs ts; finite differences.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { layernorm, layernormBackward, rmsnorm, rmsnormBackward } from "../ops/norm.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("norms: hand-computed values", () => {
  it("layernorm of [1,2,3] with unit weight and zero bias", () => {
    const { out, mean, rstd } = layernorm(tensor([1, 2, 3], [1, 3]), tensor([1, 1, 1]), tensor([0, 0, 0]), {
      eps: 0,
    });
    const s = Math.sqrt(2 / 3);
    expectClose(out.readSync(), [-1 / s, 0, 1 / s], 1e-6);
    expect(mean.item()).toBeCloseTo(2, 6);
    expect(rstd.item()).toBeCloseTo(1 / s, 5);
  });
  it("rmsnorm of [3,4] scales by 1/√12.5", () => {
    const { out } = rmsnorm(tensor([3, 4], [1, 2]), tensor([1, 2]), { eps: 0 });
    const r = 1 / Math.sqrt(12.5);
    expectClose(out.readSync(), [3 * r, 8 * r], 1e-6);
  });
});

describe.each(backends())("norms on %s", (name) => {
  it.each([[[1, 1]], [[7, 33]], [[2, 3, 129]], [[5, 768]]])("%j forward and backward match ts", (shape) => {
    const D = shape[shape.length - 1]!;
    const x = rnd(shape, 1, "ts", 2);
    const w = rnd([D], 2);
    const b = rnd([D], 3);
    const d = rnd(shape, 4);
    crossCheck(name, [x, w, b, d], ([x, w, b, d]) => {
      const f = layernorm(x!, w!, b!);
      const g = layernormBackward(d!, x!, w!, f.mean, f.rstd);
      return [f.out, f.mean, f.rstd, g.dX, g.dWeight, g.dBias];
    });
    crossCheck(name, [x, w, d], ([x, w, d]) => {
      const f = rmsnorm(x!, w!);
      const g = rmsnormBackward(d!, x!, w!, f.rstd);
      return [f.out, f.rstd, g.dX, g.dWeight];
    });
  });
});

describe("norm backward: float64 finite differences", () => {
  it("layernorm d x, d weight, d bias (with and without bias)", () => {
    const ins = [rnd64([3, 6], 1), rnd64([6], 2), rnd64([6], 3)];
    const e1 = gradCheck(
      ins,
      ([x, w, b]) => layernorm(x!, w!, b!).out,
      (d, [x, w, b]) => {
        const f = layernorm(x!, w!, b!);
        const g = layernormBackward(d, x!, w!, f.mean, f.rstd);
        return [g.dX, g.dWeight, g.dBias];
      },
    );
    const e2 = gradCheck(
      ins.slice(0, 2),
      ([x, w]) => layernorm(x!, w!, null).out,
      (d, [x, w]) => {
        const f = layernorm(x!, w!, null);
        const g = layernormBackward(d, x!, w!, f.mean, f.rstd, { hasBias: false });
        expect(g.dBias).toBeNull();
        return [g.dX, g.dWeight];
      },
    );
    expect(Math.max(e1, e2)).toBeLessThan(1e-6);
  });
  it("rmsnorm d x, d weight", () => {
    const err = gradCheck(
      [rnd64([4, 5], 1), rnd64([5], 2)],
      ([x, w]) => rmsnorm(x!, w!).out,
      (d, [x, w]) => {
        const f = rmsnorm(x!, w!);
        const g = rmsnormBackward(d, x!, w!, f.rstd);
        return [g.dX, g.dWeight];
      },
    );
    expect(err).toBeLessThan(1e-6);
  });
});
