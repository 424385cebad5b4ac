import { describe, expect, it } from "vitest";
import { computeAdvantages, memoryAdvantages, memoryRewards, trajectoryRewards } from "@mempo/rl";
import type { Rollout } from "./rollout.ts";
import { fakeRollout, fakeStep } from "./testing.ts";
import { groupIds, memorySegments, objectiveScores, tokenBatch } from "./train_batch.ts";

const ln = Math.log;
const step = (sampleId: number, stepIdx: number, n: number, memSpan: [number, number] | null, lp = -0.5) =>
  fakeStep({
    groupId: "g",
    sampleId,
    stepIdx,
    responseLen: n,
    memSpan,
    responseLogprobs: new Float32Array(n).fill(lp),
  });

/**
 * Hand-worked group "g" of two rollouts (one objective):
 *   r0 correct: step 0 (5 tokens, mem [1,3)), step 1 (4 tokens, mem [1,2))
 *   r1 wrong:   step 0 (3 tokens, mem [1,3), last token masked out)
 * Memory scores (L = 2 gold tokens): P / ε = r0t0 .5/.25, r0t1 .75/.5, r1t0 .25/.25.
 */
function example(): Rollout[] {
  const r0 = fakeRollout({
    groupId: "g",
    sampleId: 0,
    correct: true,
    steps: [step(0, 0, 5, [1, 3], -0.1), step(0, 1, 4, [1, 2], -0.2)],
  });
  const s = step(1, 0, 3, [1, 3], -0.3);
  s.lossMask = Uint8Array.of(1, 1, 0);
  const r1 = fakeRollout({ groupId: "g", sampleId: 1, correct: false, steps: [s] });
  const seg = (stepIdx: number, p: number, e: number) => ({
    stepIdx,
    memLogprobs: Float32Array.of(ln(p), ln(p)),
    baseLogprobs: Float32Array.of(ln(e), ln(e)),
    truncated: stepIdx === 1,
  });
  r0.memory = [seg(0, 0.5, 0.25), seg(1, 0.75, 0.5)];
  r1.memory = [seg(0, 0.25, 0.25)];
  return [r0, r1];
}

/** Eqs. 1–6 on the example with @mempo/rl's defaults (strict rewards, GRPO, pooled A^M). */
function advantages(rollouts: Rollout[], memory: boolean) {
  const rT = trajectoryRewards(objectiveScores(rollouts), "strict");
  const aT = computeAdvantages("grpo", rT, groupIds(rollouts));
  const { segments, truncated } = memorySegments(memory ? rollouts : []);
  const rM = memoryRewards(segments);
  const aM = memoryAdvantages(rM.rewards, segments);
  const batch = tokenBatch(rollouts, aT.advantages, memory ? { segments, advantages: aM.advantages } : null);
  return { rT, aT, rM, aM, truncated, batch };
}

describe("rollouts → eqs. 1–6", () => {
  it("hand-checked: A^T from GRPO, A^M added inside each <mem> span only, masked tokens 0", () => {
    const { rT, aT: t, rM, aM, truncated, batch: b } = advantages(example(), true);
    // R^T = [1, 0] → mean .5, sample std √.5 → A^T = ±.5 / (.7071068 + 1e-6)
    const aT = 0.5 / (Math.SQRT1_2 + 1e-6);
    // R^M = [.25, .25, 0] → mean 1/6, sample std √(1/48) → A^M = (1/12, 1/12, −1/6) / (std + 1e-6)
    const sd = Math.sqrt(1 / 48) + 1e-6;
    const [m0, m1, m2] = [1 / 12 / sd, 1 / 12 / sd, -1 / 6 / sd];
    expect(aT).toBeCloseTo(0.7071058, 6);
    expect(m0).toBeCloseTo(0.5773463, 6);
    expect(m2).toBeCloseTo(-1.1546925, 6);
    const want = [
      ...[aT, aT + m0, aT + m0, aT, aT], // r0 step 0, mem [1, 3)
      ...[aT, aT + m1, aT, aT], // r0 step 1, mem [1, 2)
      ...[-aT, -aT + m2, 0], // r1 step 0, mem [1, 3), last token masked
    ];
    expect(b.advantages).toHaveLength(12);
    for (const [k, w] of want.entries()) expect(b.advantages[k]).toBeCloseTo(w, 6);
    expect(Array.from(b.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(b.stepOffsets)).toEqual([0, 5, 9, 12]);
    expect(Array.from(b.seqOffsets)).toEqual([0, 9, 12]);
    expect(Array.from(b.oldLogp)).toEqual(
      [...Array(5).fill(-0.1), ...Array(4).fill(-0.2), ...Array(3).fill(-0.3)].map(Math.fround),
    );
    expect(b.steps.map((s) => [s.sampleId, s.stepIdx])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(b.memTokens).toBe(4);
    expect(Array.from(rT)).toEqual([1, 0]);
    expect(t.zeroStdGroupFraction).toBe(0);
    expect(Array.from(rM.rewards).map((x) => +x.toFixed(6))).toEqual([0.25, 0.25, 0]);
    expect(aM.meanAbsAdvantage).toBeCloseTo((2 * m0 + -m2) / 3, 6);
    expect(truncated).toBe(1);
  });

  it("without memory it is plain GRPO: every generated token gets A^T", () => {
    const { batch: b } = advantages(example(), false);
    const aT = 0.5 / (Math.SQRT1_2 + 1e-6);
    const want = [...Array(9).fill(aT), -aT, -aT, 0];
    for (const [k, w] of want.entries()) expect(b.advantages[k]).toBeCloseTo(w, 6);
    expect(b.memTokens).toBe(0);
  });

  it("equal-reward groups count as zero-std; format failures score 0; missing memory scores are an error", () => {
    const [a, b] = example();
    const bad = fakeRollout({ groupId: "h", sampleId: 0, correct: true, steps: [step(0, 0, 2, null)] });
    bad.formatValid = false; // a correct-looking answer after a malformed turn still earns 0
    bad.finish = "malformed";
    const other = fakeRollout({ groupId: "h", sampleId: 1, correct: false, steps: [step(1, 0, 2, null)] });
    other.memory = [];
    bad.memory = [];
    const { rT, aT, batch } = advantages([a!, b!, bad, other], true);
    expect(Array.from(rT)).toEqual([1, 0, 0, 0]);
    expect(aT.zeroStdGroupFraction).toBe(0.5);
    expect(Array.from(batch.advantages.subarray(12))).toEqual([0, 0, 0, 0]);

    const unscored = example();
    unscored[1]!.memory = null;
    expect(() => memorySegments(unscored)).toThrow(
      /rollout 1 .*has memories but no memory scores.*scoreMemories/,
    );
    expect(() => tokenBatch([], [], null)).toThrow(/no rollouts/);
  });
});
