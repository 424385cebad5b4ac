// Spec: fused log-softmax + gather, cross-entropy, and their backward; every backend vs ts;
// float64 finite differences.
import { describe, expect, it } from "vitest";
import { randint, tensor } from "../create.ts";
import {
  crossEntropy,
  crossEntropyBackward,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
} from "../ops/logprob.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("log-probs: reference values", () => {
  it("logp = logit − logsumexp; negative targets are padding", () => {
    const logits = tensor([1, 2, 3, 0, 0, 0], [2, 3]);
    const { logp, lse } = logSoftmaxGather(logits, tensor([2, -1], [2], { dtype: "i32" }));
    const l0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectClose(lse.readSync(), [l0, Math.log(3)], 1e-6);
    expectClose(logp.readSync(), [3 - l0, 0], 1e-6);
  });
  it("masked mean cross-entropy", () => {
    const logits = tensor([0, 0, 5, 0, 0, 0], [3, 2]);
    const targets = tensor([0, 0, 1], [3], { dtype: "i32" });
    const { loss } = crossEntropy(logits, targets, [1, 0, 1]);
    expect(loss.item()).toBeCloseTo((Math.log(2) + Math.log(2)) / 2, 6);
    expect(crossEntropy(logits, targets).loss.item()).toBeCloseTo(
      (2 * Math.log(2) + Math.log(1 + Math.exp(-5))) / 3,
      6,
    );
  });
});

describe.each(backends())("log-probs on %s", (name) => {
  it.each([
    [1, 1],
    [7, 33],
    [33, 129],
    [5, 2001],
  ])("N=%i V=%i matches ts", (N, V) => {
    const logits = rnd([N, V], 1, "ts", 3);
    const targets = randint([N], V, { seed: 2 });
    const d = rnd([N], 3);
    crossCheck(name, [logits, targets, d], ([x, t, d]) => {
      const f = logSoftmaxGather(x!, t!);
      const ce = crossEntropy(x!, t!);
      return [
        f.logp,
        f.lse,
        logSoftmaxGatherBackward(d!, x!, t!, f.lse),
        ce.loss,
        crossEntropyBackward(x!, t!, ce.lse),
      ];
    });
  });
});

describe("log-prob backward: float64 finite differences", () => {
  it("logSoftmaxGather and crossEntropy d logits", () => {
    const targets = tensor([2, 0, -1, 4], [4], { dtype: "i32" });
    const mask = [1, 0.5, 1, 2];
    const x = rnd64([4, 5], 1, -2, 2);
    const e1 = gradCheck(
      [x],
      ([x]) => logSoftmaxGather(x!, targets).logp,
      (d, [x]) => {
        const f = logSoftmaxGather(x!, targets);
        return [logSoftmaxGatherBackward(d, x!, targets, f.lse)];
      },
    );
    const e2 = gradCheck(
      [x],
      ([x]) => crossEntropy(x!, targets, mask).loss,
      (d, [x]) => {
        const f = crossEntropy(x!, targets, mask);
        return [crossEntropyBackward(x!, targets, f.lse, mask, d.item())];
      },
    );
    expect(Math.max(e1, e2)).toBeLessThan(1e-7);
  });
});
