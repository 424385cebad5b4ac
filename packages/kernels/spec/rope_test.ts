// Spec: rotary embedding (both pairings, offsets) on every backend vs ts; inverse; finite differences.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { rope, ropeBackward } from "../ops/rope.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("rope: reference values", () => {
  it("rotate_half pairs (i, i+Dh/2) with angle p·θ^(−2i/Dh)", () => {
    // B=1, T=2, H=1, Dh=4; position 1 rotates pair 0 by 1 rad and pair 1 by 1/100 rad (θ=10⁴).
    const x = tensor([1, 2, 3, 4, 1, 2, 3, 4], [1, 2, 1, 4]);
    const y = rope(x).readSync();
    expectClose(y.subarray(0, 4), [1, 2, 3, 4], 1e-6);
    const [c0, s0, c1, s1] = [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)];
    expectClose(y.subarray(4), [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1], 1e-6);
  });
  it("interleaved pairs (2i, 2i+1); offsets shift positions per sequence", () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 1, 4]);
    const y = rope(x, { style: "interleaved", offset: 1 }).readSync();
    const [c0, s0, c1, s1] = [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)];
    expectClose(y, [1 * c0 - 2 * s0, 2 * c0 + 1 * s0, 3 * c1 - 4 * s1, 4 * c1 + 3 * s1], 1e-6);
    // Sequence 1 at offset 2: its token 0 equals sequence 0's token 2 (offset 0).
    const z = rnd([1, 3, 2, 8], 1);
    const zz = tensor(new Float32Array([...z.readSync(), ...z.readSync()]), [2, 3, 2, 8]);
    const a = rope(zz, { offset: [0, 2], theta: 1e6 }).readSync();
    const b = rope(z, { offset: 2, theta: 1e6 }).readSync();
    expectClose(a.subarray(48, 64), b.subarray(0, 16), 1e-6);
  });
  it("ropeBackward inverts rope", () => {
    const x = rnd([2, 5, 3, 8], 1);
    const opts = { offset: [3, -2], theta: 500 };
    expectClose(ropeBackward(rope(x, opts), opts).readSync(), x.readSync(), 1e-5);
  });
});

describe.each(backends())("rope on %s", (name) => {
  it.each([
    [1, 1, 1, 2],
    [2, 7, 3, 16],
    [3, 33, 2, 64],
  ])("B=%i T=%i H=%i Dh=%i, both styles, matches ts", (B, T, H, Dh) => {
    const x = rnd([B, T, H, Dh], 1);
    const offset = Array.from({ length: B }, (_, b) => 5 * b - 1);
    crossCheck(name, [x], ([x]) => [
      rope(x!, { offset, theta: 10000 }),
      rope(x!, { offset: 7, theta: 1e6, style: "interleaved" }),
      ropeBackward(x!, { offset, theta: 10000 }),
    ]);
  });

  it("positions far above and below earlier calls (backends that keep a position table grow it)", () => {
    const x = rnd([2, 3, 1, 8], 2);
    crossCheck(name, [x], ([x]) => [
      rope(x!, { offset: [0, 5], theta: 77 }),
      rope(x!, { offset: [3000, 4100], theta: 77 }),
      rope(x!, { offset: [-1500, 9000], theta: 77 }),
      ropeBackward(x!, { offset: [2, -3], theta: 77 }),
    ]);
  });
});

describe("rope backward: float64 finite differences", () => {
  it.each(["half", "interleaved"] as const)("%s", (style) => {
    const opts = { offset: [1, 4], style, theta: 100 };
    const err = gradCheck(
      [rnd64([2, 3, 2, 6], 1)],
      ([x]) => rope(x!, opts),
      (d) => [ropeBackward(d, opts)],
    );
    expect(err).toBeLessThan(1e-7);
  });
});
