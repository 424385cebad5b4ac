// Spec: clone / cast / splitLast / concatLast on every backend vs ts, round trips and views.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { cast, clone, concatLast, splitLast } from "../ops/shape.ts";
import { backends, crossCheck, rnd } from "./harness.ts";

describe("copies and layout", () => {
  it("splitLast then concatLast is the identity; values land in the right blocks", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const [a, b] = splitLast(x, [1, 3]);
    expect(Array.from(a!.readSync())).toEqual([1, 5]);
    expect(Array.from(b!.readSync())).toEqual([2, 3, 4, 6, 7, 8]);
    expect(Array.from(concatLast([a!, b!]).readSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it("cast rounds to i32 and widens to f64; clone is a copy", () => {
    const x = tensor([1.4, -2.6, 3], [3]);
    expect(Array.from(cast(x, "i32").readSync())).toEqual([1, -3, 3]);
    const y = cast(x, "f64");
    expect(y.dtype).toBe("f64");
    expect(y.readSync()[0]).toBeCloseTo(1.4, 6);
    const c = clone(x);
    c.write([0, 0, 0]);
    expect(x.readSync()[0]).toBeCloseTo(1.4, 6);
  });
  it("reshape is a view sharing storage", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = x.reshape([3, 2]);
    v.data[0] = 9;
    expect(x.readSync()[0]).toBe(9);
    x.dispose();
    expect(v.readSync()[0]).toBe(9);
    v.dispose();
  });
});

describe.each(backends())("copies on %s", (name) => {
  it.each([[[7, 33]], [[2, 3, 129]], [[1, 8]]])("%j split/concat/clone/cast match ts", (shape) => {
    const x = rnd(shape, 1);
    const D = shape[shape.length - 1]!;
    const sizes = [1, Math.floor((D - 1) / 2), D - 1 - Math.floor((D - 1) / 2)];
    crossCheck(name, [x], ([x]) => [...splitLast(x!, sizes), clone(x!), cast(x!, "i32")]);
    crossCheck(name, [x, x], ([a, b]) => concatLast([a!, b!]));
  });
});
