// MemPO end to end on a 2-rollout × 3-turn group, every number worked out by hand below
// (DESIGN.md §6 eqs. 1–7). Run: npx vitest run worked_example_test.ts
//
// Gold answer: L = 2 tokens. Rollout 0 answers correctly, rollout 1 does not.
//
// eq. 1  R^T = [1, 0]
// eq. 2  mean 0.5, sample std √((0.25 + 0.25)/1) = 0.7071068
//        A^T = ±0.5 / (0.7071068 + 1e-6) = ±0.7071058
// eq. 3  P = exp(mean logp) = geometric mean of the two token probabilities:
//          rollout 0: t0 √(0.25·1) = 0.5   t1 √(0.64·1) = 0.8   t2 √(0.81·1) = 0.9
//          rollout 1: t0 √(0.09·1) = 0.3   t1 √(0.6·0.6) = 0.6  t2 √(0.36·1) = 0.6
// eq. 4  ε (full history; question alone at t0, so both rollouts share it):
//          rollout 0: t0 0.4   t1 0.5   t2 √(0.49·1) = 0.7
//          rollout 1: t0 0.4   t1 0.5   t2 0.6
//        R^M = P − ε:  rollout 0: [0.1, 0.3, 0.2]   rollout 1: [−0.1, 0.1, 0]
// eq. 5  pooled over the 6 segments: mean 0.6/6 = 0.1, deviations [0, 0.2, 0.1, −0.2, 0, −0.1],
//        Σdev² = 0.1, sample var 0.1/5 = 0.02, std 0.1414214, denominator 0.1414224
//        A^M = [0, 1.4142036, 0.7071018, −1.4142036, 0, −0.7071018];  mean |A^M| = 0.7071018
//        per-turn: each turn has two segments 0.2 apart → ±0.1/(0.1414214 + 1e-6) = ±0.7071018,
//        rollout 0 higher at every turn: [0.7071018 ×3, −0.7071018 ×3]
// eq. 6  each turn's response: `<mem>` m `</mem>` `<search>`; memSpan [1, 3); rollout 1's turn 1
//        has its last token masked. Memory tokens get A^T + A^M:
//          rollout 0 t1: 0.7071058 + 1.4142036 = 2.1213094;  t2: 0.7071058 + 0.7071018 = 1.4142076
//          rollout 1 t0: −0.7071058 − 1.4142036 = −2.1213094; t2: −1.4142076
// eq. 7  on-policy (logp = old = ref: r = 1, nothing clipped, k3 = 0), seq-mean-token-mean:
//          rollout 0: 12 tokens, Σ A = 8·0.7071058 + 2·2.1213094 + 2·1.4142076 = 12.7278804, mean 1.0606567
//          rollout 1: 11 tokens, Σ A = −(7·0.7071058 + 2·2.1213094 + 2·1.4142076) = −12.0207746, mean −1.0927977
//          loss = −(1.0606567 − 1.0927977)/2 = 0.0160705
//          d loss/d logp = −A/(2·12) for rollout 0, −A/(2·11) for rollout 1
//        GRPO baseline (no A^M): means ±0.7071058 → loss 0.
import { describe, expect, it } from "vitest";
import {
  computeAdvantages,
  type MemorySegment,
  memoryAdvantages,
  memoryRewards,
  policyLoss,
  routeTokenAdvantages,
  type StepTokens,
  trajectoryRewards,
} from "./mod.ts";

const L = Math.log;
const near = (got: ArrayLike<number>, want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, digits);
};

const segments: MemorySegment[] = [
  { groupId: 0, sampleIdx: 0, turnIdx: 0, memLogprobs: [L(0.25), 0], baseLogprobs: [L(0.4), L(0.4)] },
  { groupId: 0, sampleIdx: 0, turnIdx: 1, memLogprobs: [L(0.64), 0], baseLogprobs: [L(0.5), L(0.5)] },
  { groupId: 0, sampleIdx: 0, turnIdx: 2, memLogprobs: [L(0.81), 0], baseLogprobs: [L(0.49), 0] },
  { groupId: 0, sampleIdx: 1, turnIdx: 0, memLogprobs: [L(0.09), 0], baseLogprobs: [L(0.4), L(0.4)] },
  { groupId: 0, sampleIdx: 1, turnIdx: 1, memLogprobs: [L(0.6), L(0.6)], baseLogprobs: [L(0.5), L(0.5)] },
  { groupId: 0, sampleIdx: 1, turnIdx: 2, memLogprobs: [L(0.36), 0], baseLogprobs: [L(0.6), L(0.6)] },
];
const steps: StepTokens[] = segments.map((s) => ({
  sampleIdx: s.sampleIdx,
  turnIdx: s.turnIdx,
  lossMask: Uint8Array.from(s.sampleIdx === 1 && s.turnIdx === 1 ? [1, 1, 1, 0] : [1, 1, 1, 1]),
  memSpan: [1, 3] as const,
}));

describe("MemPO worked example (2 rollouts × 3 turns)", () => {
  const rT = trajectoryRewards([
    { em: [1, 1], f1: [1, 1], formatValid: true },
    { em: [1, 0], f1: [1, 0.4], formatValid: true },
  ]);
  const aT = computeAdvantages("grpo", rT, [0, 0]);
  const rM = memoryRewards(segments);
  const aM = memoryAdvantages(rM.rewards, segments);

  it("eqs. 1–2: trajectory reward and advantage", () => {
    expect([...rT]).toEqual([1, 0]);
    near(aT.advantages, [0.7071058, -0.7071058]);
  });

  it("eqs. 3–4: memory probabilities and rewards", () => {
    near(rM.memProb, [0.5, 0.8, 0.9, 0.3, 0.6, 0.6], 12);
    near(rM.baseProb, [0.4, 0.5, 0.7, 0.4, 0.5, 0.6], 12);
    near(rM.rewards, [0.1, 0.3, 0.2, -0.1, 0.1, 0], 12);
  });

  it("eq. 5: memory advantages, pooled and per turn", () => {
    near(aM.advantages, [0, 1.4142036, 0.7071018, -1.4142036, 0, -0.7071018]);
    expect(aM.meanAbsAdvantage).toBeCloseTo(0.7071018, 6);
    const perTurn = memoryAdvantages(rM.rewards, segments, { normalization: "per-turn" });
    near(perTurn.advantages, [0.7071018, 0.7071018, 0.7071018, -0.7071018, -0.7071018, -0.7071018]);
  });

  const routed = routeTokenAdvantages(steps, aT.advantages, { segments, advantages: aM.advantages });

  it("eq. 6: token advantages", () => {
    const p = 0.7071058;
    near(routed.advantages, [
      ...[p, p, p, p],
      ...[p, 2.1213094, 2.1213094, p],
      ...[p, 1.4142076, 1.4142076, p],
      ...[-p, -2.1213094, -2.1213094, -p],
      ...[-p, -p, -p, 0],
      ...[-p, -1.4142076, -1.4142076, -p],
    ]);
    expect([...routed.seqOffsets]).toEqual([0, 12, 24]);
    expect(routed.memTokenCount).toBe(12);
  });

  it("eq. 7: loss and gradient on-policy (seq-mean-token-mean)", () => {
    const logp = new Float64Array(24).fill(-0.7);
    const out = policyLoss({
      logp,
      oldLogp: logp,
      refLogp: logp,
      advantages: routed.advantages,
      mask: routed.mask,
      seqOffsets: routed.seqOffsets,
    });
    expect(out.loss).toBeCloseTo(0.0160705, 6);
    expect(out.grad[5]).toBeCloseTo(-2.1213094 / 24, 7); // rollout 0, turn 1, memory token
    expect(out.grad[13]).toBeCloseTo(2.1213094 / 22, 7); // rollout 1, turn 0, memory token
    expect(out.grad[19]).toBe(0); // masked
    expect(out.metrics.clipFraction).toBe(0);
    expect(out.metrics.refKl).toBe(0);
    expect(aM.meanAbsAdvantage).toBeCloseTo(0.7071018, 6);

    const grpo = routeTokenAdvantages(steps, aT.advantages);
    const base = policyLoss({
      logp,
      oldLogp: logp,
      refLogp: logp,
      advantages: grpo.advantages,
      mask: routed.mask,
      seqOffsets: routed.seqOffsets,
    });
    expect(base.loss).toBeCloseTo(0, 12);
  });
});
