// Spec: kernels documented as alias-safe (out may be the input) give the same result in place, on
// every backend (optimizers and in-place updates rely on it).
import { describe, it } from "vitest";
import { getKernel } from "../registry.ts";
import { tidy } from "../scope.ts";
import { backends, expectClose, rnd, to } from "./harness.ts";
import { zeros } from "../create.ts";

describe.each(backends())("in-place kernels on %s", (name) => {
  it("scale, add, mul, gelu, silu, rope with out = input", () => {
    tidy(() => {
      const shape = [2, 7, 3, 8];
      const cases: [string, (x: ReturnType<typeof rnd>, out: ReturnType<typeof rnd>) => void][] = [
        ["scale", (x, out) => getKernel("scale", name)({ x, out, alpha: -1.5 })],
        ["add", (x, out) => getKernel("add", name)({ a: x, b: to(rnd([8], 2), name), out })],
        ["mul", (x, out) => getKernel("mul", name)({ a: x, b: to(rnd([3, 8], 3), name), out })],
        ["gelu", (x, out) => getKernel("gelu", name)({ x, out })],
        ["silu", (x, out) => getKernel("silu", name)({ x, out })],
        [
          "rope",
          (x, out) =>
            getKernel(
              "rope",
              name,
            )({
              x,
              out,
              B: 2,
              T: 7,
              H: 3,
              Dh: 8,
              offsets: new Int32Array([0, 3]),
              positions: null,
              theta: 10000,
              style: "half",
              inverse: false,
            }),
        ],
      ];
      for (const [kernel, run] of cases) {
        const x = to(rnd(shape, 1), name);
        const out = zeros(shape, { backend: name });
        run(x, out);
        run(x, x);
        expectClose(x.readSync(), out.readSync(), 1e-6, kernel);
      }
    });
  });
});
