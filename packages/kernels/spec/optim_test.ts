// Spec: AdamW against a hand-written PyTorch-semantics loop, every backend vs ts; grad-norm clipping.
import { describe, expect, it } from "vitest";
import { tensor, zeros } from "../create.ts";
import { adamw, clipGradNorm, gradNorm } from "../ops/optim.ts";
import { backends, crossCheck, expectClose, rnd } from "./harness.ts";

describe("AdamW: reference", () => {
  it("two steps equal torch.optim.AdamW's update formula", () => {
    const p0 = [0.5, -1, 2];
    const grads = [
      [0.1, -0.2, 0.3],
      [-0.3, 0.1, 0.2],
    ];
    const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.95, 1e-8, 0.1];
    const want = [...p0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const p = tensor(p0);
    const mt = zeros([3]);
    const vt = zeros([3]);
    grads.forEach((g, s) => {
      const step = s + 1;
      for (let i = 0; i < 3; i++) {
        want[i] = want[i]! * (1 - lr * wd);
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        const mh = m[i]! / (1 - b1 ** step);
        const vh = v[i]! / (1 - b2 ** step);
        want[i] = want[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
      }
      adamw(p, tensor(g), mt, vt, { lr, step, beta1: b1, beta2: b2, eps, weightDecay: wd });
    });
    expectClose(p.readSync(), want, 1e-6);
    expectClose(mt.readSync(), m, 1e-6);
    expectClose(vt.readSync(), v, 1e-6);
  });
});

describe("gradient clipping", () => {
  it("returns the pre-clip norm and rescales to maxNorm", () => {
    const a = tensor([3, 0]);
    const b = tensor([0, 4]);
    expect(gradNorm([a, b])).toBeCloseTo(5, 6);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expect(gradNorm([a, b])).toBeCloseTo(1, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(a.readSync()[0]).toBeCloseTo(0.6, 5);
  });
});

describe.each(backends())("optimizer on %s", (name) => {
  it.each([[[1]], [[7, 33]], [[129, 5]]])("AdamW %j matches ts over 3 steps", (shape) => {
    const ins = [rnd(shape, 1), rnd(shape, 2), rnd(shape, 3, "ts", 0.1), rnd(shape, 4, "ts", 0.1)];
    ins[3]!.write(Array.from(ins[3]!.readSync(), (x) => x * x));
    crossCheck(name, ins, ([p, g, m, v]) => {
      for (let step = 1; step <= 3; step++) adamw(p!, g!, m!, v!, { lr: 1e-2, step, weightDecay: 0.1 });
      return [p, m, v];
    });
  });
  it("clipGradNorm matches ts", () => {
    const ins = [rnd([7, 3], 1), rnd([129], 2)];
    crossCheck(name, ins, (gs) => {
      expect(clipGradNorm(gs as never, 0.5)).toBeGreaterThan(0.5);
      return gs;
    });
  });
});
