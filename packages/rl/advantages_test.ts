// Hand-computed tables for the group advantage estimators (DESIGN.md §6 eq. 2).
// Run: npx vitest run advantages_test.ts
import { describe, expect, it } from "vitest";
import {
  advantageEstimators,
  computeAdvantages,
  grpoAdvantages,
  reinforceBaselineAdvantages,
  rlooAdvantages,
} from "./advantages.ts";

const close = (got: ArrayLike<number>, want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, digits);
};

describe("grpo", () => {
  it("normalises by mean and unbiased sample std + 1e-6", () => {
    // [1, 0, 0, 1]: mean 0.5, Σ(dev²) = 4·0.25 = 1, sample var 1/3, std 0.5773503,
    // A = ±0.5 / 0.5773513 = ±0.8660239
    const r = grpoAdvantages(new Float32Array([1, 0, 0, 1]), [0, 0, 0, 0]);
    close(r.advantages, [0.8660239, -0.8660239, -0.8660239, 0.8660239]);
    expect(r.numGroups).toBe(1);
    expect(r.zeroStdGroupFraction).toBe(0);
    // [0, 0.5, 1]: mean 0.5, Σ(dev²) = 0.5, var 0.25, std 0.5 → A = ±0.5/0.500001 = ±0.999998
    close(grpoAdvantages(new Float64Array([0, 0.5, 1]), [4, 4, 4]).advantages, [-0.999998, 0, 0.999998]);
  });

  it("handles non-contiguous groups, all-equal groups and singletons", () => {
    // group 7 = rollouts 0, 2: [1, 0], mean 0.5, std √0.5 = 0.7071068 → ±0.5/0.7071078 = ±0.7071058
    // group 3 = rollouts 1, 3: [0.5, 0.5] all equal → 0;  group 5 = rollout 4 alone → 0
    const r = grpoAdvantages([1, 0.5, 0, 0.5, 1], new Int32Array([7, 3, 7, 3, 5]));
    close(r.advantages, [0.7071058, 0, -0.7071058, 0, 0]);
    expect(r.advantages[1]).toBe(0);
    expect(r.advantages[4]).toBe(0);
    expect(r.numGroups).toBe(3);
    expect(r.zeroStdGroupFraction).toBeCloseTo(2 / 3, 12);
  });

  it("accepts string group ids (e.g. StepRecord.groupId)", () => {
    const r = grpoAdvantages([1, 0.5, 0, 0.5, 1], ["q7", "q3", "q7", "q3", "q5"]);
    close(r.advantages, [0.7071058, 0, -0.7071058, 0, 0]);
    expect(r.numGroups).toBe(3);
  });

  it("gives exactly 0 for equal rewards that do not average exactly", () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004 in float64: without the equality test A would be ~1e-11
    for (const est of advantageEstimators.values()) {
      const r = est([0.1, 0.1, 0.1], [1, 1, 1]);
      expect([...r.advantages]).toEqual([0, 0, 0]);
      expect(r.zeroStdGroupFraction).toBe(1);
    }
  });

  it("normalizeByStd false gives R − mean (Dr.GRPO)", () => {
    close(grpoAdvantages([1, 0, 0], [0, 0, 0], { normalizeByStd: false }).advantages, [
      2 / 3,
      -1 / 3,
      -1 / 3,
    ]);
  });

  it("uses the given epsilon", () => {
    // [1, 0]: std √0.5 = 0.7071068; ε = 0.2929932 → denominator 1.0000000 → A = ±0.5
    close(grpoAdvantages([1, 0], [0, 0], { epsilon: 1 - Math.SQRT1_2 }).advantages, [0.5, -0.5], 9);
  });
});

describe("rloo", () => {
  it("subtracts the leave-one-out mean", () => {
    // [1, 0, 0, 1]: A_0 = 1 − mean(0, 0, 1) = 2/3; A_1 = 0 − mean(1, 0, 1) = −2/3
    close(
      rlooAdvantages([1, 0, 0, 1], [2, 2, 2, 2]).advantages,
      [0.6666667, -0.6666667, -0.6666667, 0.6666667],
    );
    // [0, 0.5, 1]: 0 − 0.75 = −0.75; 0.5 − 0.5 = 0; 1 − 0.25 = 0.75
    close(rlooAdvantages([0, 0.5, 1], [0, 0, 0]).advantages, [-0.75, 0, 0.75]);
  });
  it("gives 0 for a singleton group", () => {
    const r = rlooAdvantages([1, 1, 0], [0, 1, 1]);
    close(r.advantages, [0, 1, -1]);
    expect(r.zeroStdGroupFraction).toBe(0.5);
  });
});

describe("reinforce-baseline", () => {
  it("subtracts the group mean", () => {
    close(reinforceBaselineAdvantages([1, 0, 0, 1], [0, 0, 0, 0]).advantages, [0.5, -0.5, -0.5, 0.5]);
    close(reinforceBaselineAdvantages([0, 0.5, 1, 3], [0, 0, 0, 9]).advantages, [-0.5, 0, 0.5, 0]);
  });
});

describe("registry", () => {
  it("selects estimators by name", () => {
    expect([...advantageEstimators.keys()]).toEqual(["grpo", "rloo", "reinforce-baseline"]);
    close(computeAdvantages("rloo", [1, 0], [0, 0]).advantages, [1, -1]);
    expect(advantageEstimators.get("grpo")).toBe(grpoAdvantages);
  });
  it("handles an empty batch", () => {
    const r = computeAdvantages("grpo", new Float32Array(0), new Int32Array(0));
    expect(r.advantages.length).toBe(0);
    expect(r.numGroups).toBe(0);
    expect(r.zeroStdGroupFraction).toBe(0);
  });
  it("rejects bad input with a clear message", () => {
    expect(() => computeAdvantages("ppo", [1], [0])).toThrow(/unknown estimator "ppo"; known: grpo, rloo/);
    expect(() => grpoAdvantages([1, 0], [0])).toThrow(/rewards has 2 entries but groupIds has 1/);
    expect(() => rlooAdvantages([1, Number.NaN], [0, 0])).toThrow(/rewards\[1\] is NaN/);
    expect(() => grpoAdvantages([1, 0], [0, Number.NaN])).toThrow(/groupIds\[1\] is NaN/);
  });
});
