// Spec: add / mul / scale / axpyInto / fill and their backward, on every backend vs ts, and float64
// finite differences for the backward.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import {
  add,
  addBackward,
  axpyInto,
  fill,
  mul,
  mulBackward,
  scale,
  scaleBackward,
} from "../ops/elementwise.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64, to } from "./harness.ts";

describe("elementwise: hand-computed values", () => {
  it("add broadcasts a bias over the last dim and positions over the batch", () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(add(a, tensor([10, 20, 30])).readSync())).toEqual([11, 22, 33, 14, 25, 36]);
    const x = tensor([1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2]);
    const pos = tensor([1, 2, 3, 4], [2, 2]);
    expect(Array.from(add(x, pos).readSync())).toEqual([2, 3, 4, 5, 2, 3, 4, 5]);
  });
  it("mul, scale, axpyInto, fill", () => {
    const a = tensor([1, 2, 3, 4], [2, 2]);
    expect(Array.from(mul(a, tensor([2, 3])).readSync())).toEqual([2, 6, 6, 12]);
    expect(Array.from(scale(a, -0.5).readSync())).toEqual([-0.5, -1, -1.5, -2]);
    const y = tensor([1, 1, 1, 1], [2, 2]);
    axpyInto(y, a, 2);
    expect(Array.from(y.readSync())).toEqual([3, 5, 7, 9]);
    fill(y, 0.25);
    expect(Array.from(y.readSync())).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

const shapes: [number[], number[]][] = [
  [[7], [7]],
  [[1], [1]],
  [[3, 33], [33]],
  [
    [2, 7, 129],
    [7, 129],
  ],
  [
    [5, 9],
    [5, 9],
  ],
];

describe.each(backends())("elementwise on %s", (name) => {
  it.each(shapes)("add/mul %j with %j and their backward match ts", (sa, sb) => {
    const a = rnd(sa, 1);
    const b = rnd(sb, 2);
    const d = rnd(sa, 3);
    crossCheck(name, [a, b], ([a, b]) => [add(a!, b!), mul(a!, b!), scale(a!, 0.3)]);
    crossCheck(name, [a, b, d], ([a, b, d]) => ({ ...addBackward(d!, a!, b!) }));
    crossCheck(name, [a, b, d], ([a, b, d]) => ({ ...mulBackward(d!, a!, b!) }));
  });
  it("axpyInto and fill work in place", () => {
    const x = to(rnd([3, 7], 4), name);
    const y = to(rnd([3, 7], 5), name);
    const want = Array.from(y.readSync(), (v, i) => v - 2 * x.readSync()[i]!);
    axpyInto(y, x, -2);
    expectClose(y.readSync(), want, 1e-6);
    fill(y, 3);
    expect(Array.from(y.readSync()).every((v) => v === 3)).toBe(true);
  });
});

describe("elementwise backward: float64 finite differences", () => {
  it.each([
    [[4, 3], [3]],
    [
      [2, 3, 2],
      [3, 2],
    ],
    [[5], [5]],
  ])("add/mul %j with %j", (sa, sb) => {
    const ins = [rnd64(sa, 1), rnd64(sb, 2)];
    const ga = gradCheck(
      ins,
      ([a, b]) => add(a!, b!),
      (d, [a, b]) => {
        const g = addBackward(d, a!, b!);
        return [g.dA, g.dB];
      },
    );
    const gm = gradCheck(
      ins,
      ([a, b]) => mul(a!, b!),
      (d, [a, b]) => {
        const g = mulBackward(d, a!, b!);
        return [g.dA, g.dB];
      },
    );
    const gs = gradCheck(
      [ins[0]!],
      ([a]) => scale(a!, 1.7),
      (d) => [scaleBackward(d, 1.7)],
    );
    expect(Math.max(ga, gm, gs)).toBeLessThan(1e-7);
  });
});
