// Spec: softmax (last dim) and backward on every backend vs ts; finite differences.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { softmax, softmaxBackward } from "../ops/softmax.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("softmax: reference values", () => {
  it("rows sum to one; stable for large logits", () => {
    const e = Math.exp(1);
    const z = 1 + e + e * e;
    expectClose(
      softmax(tensor([0, 1, 2, 1000, 1000, 1000], [2, 3])).readSync(),
      [1 / z, e / z, (e * e) / z, 1 / 3, 1 / 3, 1 / 3],
      1e-6,
    );
  });
});

describe.each(backends())("softmax on %s", (name) => {
  it.each([[[1, 1]], [[7, 33]], [[2, 5, 129]], [[3, 1000]]])("%j matches ts", (shape) => {
    const x = rnd(shape, 1, "ts", 4);
    const d = rnd(shape, 2);
    crossCheck(name, [x, d], ([x, d]) => {
      const y = softmax(x!);
      return [y, softmaxBackward(d!, y)];
    });
  });
});

describe("softmax backward: float64 finite differences", () => {
  it("d x", () => {
    const err = gradCheck(
      [rnd64([3, 7], 1, -3, 3)],
      ([x]) => softmax(x!),
      (d, [x]) => [softmaxBackward(d, softmax(x!))],
    );
    expect(err).toBeLessThan(1e-7);
  });
});
