// Spec: sum / mean / sumLeading / sumSquares and backward on every backend vs ts; finite differences.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { mean, meanBackward, sum, sumBackward, sumLeading, sumSquares } from "../ops/reduce.ts";
import { backends, crossCheck, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("reductions: hand-computed values", () => {
  it("sum, mean, sumLeading, sumSquares", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x).shape).toEqual([]);
    expect(Array.from(sum(x, -1).readSync())).toEqual([6, 15]);
    expect(Array.from(mean(x, -1).readSync())).toEqual([2, 5]);
    expect(mean(x).item()).toBe(3.5);
    expect(Array.from(sumLeading(x).readSync())).toEqual([5, 7, 9]);
    expect(sumSquares([x, tensor([2])]).item()).toBe(91 + 4);
    expect(Array.from(meanBackward(tensor([3, 6]), [2, 3], -1).readSync())).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(sumBackward(tensor([2], []), [2, 2]).readSync())).toEqual([2, 2, 2, 2]);
  });
});

describe.each(backends())("reductions on %s", (name) => {
  it.each([[[1]], [[7]], [[3, 33]], [[2, 7, 129]]])("%j matches ts", (shape) => {
    const x = rnd(shape, 1);
    crossCheck(name, [x], ([x]) => [
      sum(x!),
      mean(x!),
      sum(x!, -1),
      mean(x!, -1),
      sumLeading(x!),
      sumSquares([x!, x!]),
    ]);
    const dAll = rnd([], 2);
    const dLast = rnd(shape.slice(0, -1), 3);
    crossCheck(name, [dAll, dLast], ([a, l]) => [
      sumBackward(a!, shape),
      meanBackward(a!, shape),
      sumBackward(l!, shape, -1),
      meanBackward(l!, shape, -1),
    ]);
  });
});

describe("reduction backward: float64 finite differences", () => {
  it("sum and mean, all and last dim", () => {
    const x = rnd64([3, 5], 1);
    const errs = [
      gradCheck(
        [x],
        ([x]) => sum(x!),
        (d) => [sumBackward(d, [3, 5])],
      ),
      gradCheck(
        [x],
        ([x]) => mean(x!),
        (d) => [meanBackward(d, [3, 5])],
      ),
      gradCheck(
        [x],
        ([x]) => sum(x!, -1),
        (d) => [sumBackward(d, [3, 5], -1)],
      ),
      gradCheck(
        [x],
        ([x]) => mean(x!, -1),
        (d) => [meanBackward(d, [3, 5], -1)],
      ),
    ];
    expect(Math.max(...errs)).toBeLessThan(1e-7);
  });
});
