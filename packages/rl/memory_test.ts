// MemPO memory reward and advantage (DESIGN.md §6 eqs. 3–5): edge cases and the per-turn option.
// The full 2-rollout × 3-turn example is in worked_example_test.ts.
// Run: npx vitest run memory_test.ts
import { describe, expect, it } from "vitest";
import { answerProbability, memoryAdvantages, memoryRewards } from "./memory.ts";

describe("answerProbability (eq. 3)", () => {
  it("is the geometric mean of the token probabilities", () => {
    expect(answerProbability([Math.log(0.25), Math.log(1)])).toBeCloseTo(0.5, 12); // √(0.25·1)
    expect(answerProbability(new Float32Array([Math.log(0.5), Math.log(0.5), Math.log(0.5)]))).toBeCloseTo(
      0.5,
      6,
    );
    expect(answerProbability([Math.log(0.2), Math.log(0.8), Math.log(0.5), Math.log(0.5)])).toBeCloseTo(
      0.4472136, // (0.2·0.8·0.25)^(1/4) = 0.04^(1/4) = √0.2
      6,
    );
    expect(answerProbability([Number.NEGATIVE_INFINITY, 0])).toBe(0);
  });
  it("rejects empty answers and non-log-probabilities", () => {
    expect(() => answerProbability([])).toThrow(/no answer log-probs/);
    expect(() => answerProbability([0, Number.NaN])).toThrow(/logprobs\[1\] is NaN/);
    expect(() => answerProbability([0.5])).toThrow(/must be ≤ 0/);
  });
});

describe("memoryRewards (eq. 4)", () => {
  it("is P − ε and requires the same answer length in both contexts", () => {
    const seg = {
      groupId: 0,
      sampleIdx: 0,
      turnIdx: 0,
      memLogprobs: [Math.log(0.9)],
      baseLogprobs: [Math.log(0.3)],
    };
    const r = memoryRewards([seg]);
    expect(r.rewards[0]).toBeCloseTo(0.6, 12);
    expect(r.memProb[0]).toBeCloseTo(0.9, 12);
    expect(r.baseProb[0]).toBeCloseTo(0.3, 12);
    expect(() => memoryRewards([{ ...seg, turnIdx: 4, baseLogprobs: [0, 0] }])).toThrow(
      /segment 0 \(sample 0, turn 4\): memLogprobs has 1 tokens but baseLogprobs has 2/,
    );
  });
});

describe("memoryAdvantages (eq. 5)", () => {
  // Two groups; group 1 has rollouts 0, 1 (turns 0, 1), group 2 has rollout 2 (turn 0 only).
  const keys = [
    { groupId: 1, sampleIdx: 0, turnIdx: 0 },
    { groupId: 2, sampleIdx: 2, turnIdx: 0 },
    { groupId: 1, sampleIdx: 0, turnIdx: 1 },
    { groupId: 1, sampleIdx: 1, turnIdx: 0 },
    { groupId: 1, sampleIdx: 1, turnIdx: 1 },
  ];
  const rm = [0.4, 0.9, 0.2, 0, 0.2];

  it("pools all turns of a group's rollouts by default", () => {
    // group 1: [0.4, 0.2, 0, 0.2], mean 0.2, Σdev² = 0.08, sample var 0.08/3, std 0.1632993
    // A = dev / 0.1633003 → [1.2247374, 0, −1.2247374, 0]; group 2 is a single segment → 0
    const r = memoryAdvantages(rm, keys);
    const want = [1.2247374, 0, 0, -1.2247374, 0];
    for (let s = 0; s < want.length; s++) expect(r.advantages[s]).toBeCloseTo(want[s]!, 6);
    expect(r.numGroups).toBe(2);
    expect(r.zeroStdGroupFraction).toBe(0.5);
    expect(r.meanAbsAdvantage).toBeCloseTo((2 * 1.2247374) / 5, 6);
  });

  it("normalises per (group, turn index) with normalization per-turn", () => {
    // (1, t0): [0.4, 0] → ±0.2/(√0.08 + 1e-6) = ±0.7071043;  (1, t1): [0.2, 0.2] equal → 0;  (2, t0): single → 0
    const r = memoryAdvantages(rm, keys, { normalization: "per-turn" });
    const want = [0.7071043, 0, 0, -0.7071043, 0];
    for (let s = 0; s < want.length; s++) expect(r.advantages[s]).toBeCloseTo(want[s]!, 6);
    expect(r.numGroups).toBe(3);
    expect(r.zeroStdGroupFraction).toBeCloseTo(2 / 3, 12);
  });

  it("accepts string group ids", () => {
    const named = keys.map((k) => ({ ...k, groupId: `task-${k.groupId}` }));
    const r = memoryAdvantages(rm, named);
    expect(r.advantages[0]).toBeCloseTo(1.2247374, 6);
    expect(r.numGroups).toBe(2);
  });

  it("rejects misaligned input and unknown options", () => {
    expect(() => memoryAdvantages([1], keys)).toThrow(/1 rewards but 5 keys/);
    expect(() => memoryAdvantages(rm, keys, { normalization: "global" as "pooled" })).toThrow(
      /unknown normalization/,
    );
  });

  it("stdFloor: differences below the floor give proportionally small advantages (hand-computed)", () => {
    const keys = [0, 1, 2].map((i) => ({ groupId: "g", sampleIdx: i, turnIdx: 0 }));
    const r = [0.01, 0.02, 0.03]; // mean 0.02, sample std 0.01
    const plain = memoryAdvantages(r, keys).advantages;
    const floored = memoryAdvantages(r, keys, { stdFloor: 0.1 }).advantages;
    [-1, 0, 1].forEach((a, i) => {
      expect(plain[i]!).toBeCloseTo(a, 3); // ε = 1e-6 on a std of 0.01
    });
    [-0.1, 0, 0.1].forEach((a, i) => {
      expect(floored[i]!).toBeCloseTo(a, 5);
    });
    // above the floor the std is used as before
    const wide = memoryAdvantages([0, 0.5, 1], keys, { stdFloor: 0.1 }).advantages;
    [-1, 0, 1].forEach((a, i) => {
      expect(wide[i]!).toBeCloseTo(a, 5);
    });
  });
});
