import { tsBackend } from "@mempo/kernels";
import { AdamW, forwardLogprobs, Model, preset } from "@mempo/model";
import { type PolicyLossConfig, policyLoss } from "@mempo/rl";
import { describe, expect, it } from "vitest";
import { accumulatePolicyGradient, learnerStep } from "./learner.ts";
import { modelPolicy } from "./model_policy.ts";
import type { StepRecord } from "./step.ts";
import { fakeRollout, fakeStep } from "./testing.ts";
import { memorySegments, type TrainBatch, tokenBatch } from "./train_batch.ts";

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A group of two rollouts (one correct) over random ids < vocab, with memory spans and scores. */
function randomBatchRollouts(vocab: number, seed: number) {
  const r = lcg(seed);
  const ids = (n: number) => Uint32Array.from({ length: n }, () => Math.floor(r() * vocab));
  const mk = (sampleId: number, stepIdx: number, p: number, n: number): StepRecord =>
    fakeStep({
      groupId: "g",
      sampleId,
      stepIdx,
      promptIds: ids(p),
      responseIds: ids(n),
      responseLogprobs: new Float32Array(n).fill(-1),
      lossMask: new Uint8Array(n).fill(1),
      memSpan: [1, Math.min(n, 3)],
      tokens: p + n,
    });
  const r0 = fakeRollout({
    groupId: "g",
    sampleId: 0,
    correct: true,
    steps: [mk(0, 0, 7, 5), mk(0, 1, 11, 4)],
  });
  const r1 = fakeRollout({
    groupId: "g",
    sampleId: 1,
    correct: false,
    steps: [mk(1, 0, 7, 6), mk(1, 1, 9, 3)],
  });
  r1.steps[1]!.lossMask[2] = 0;
  const score = (stepIdx: number, p: number, e: number) => ({
    stepIdx,
    memLogprobs: Float32Array.of(Math.log(p)),
    baseLogprobs: Float32Array.of(Math.log(e)),
    truncated: false,
  });
  r0.memory = [score(0, 0.6, 0.2), score(1, 0.7, 0.4)];
  r1.memory = [score(0, 0.3, 0.2), score(1, 0.2, 0.4)];
  return [r0, r1];
}

/** The rollouts' batch with fixed advantages: A^T = ±0.8, A^M = 0.5, 0.2, −0.1, −0.4 on the memories (or none). */
function batchOf(rollouts: ReturnType<typeof randomBatchRollouts>, memory = true): TrainBatch {
  const { segments } = memorySegments(rollouts);
  const aM = memory ? { segments, advantages: segments.map((_, k) => 0.5 - 0.3 * k) } : null;
  return tokenBatch(rollouts, [0.8, -0.8], aM);
}

/** Sets each step's rollout log-probs to the model's current ones plus a seeded offset in [−δ, δ]. */
async function setOldLogprobs(m: Model, steps: StepRecord[], delta: number, seed: number) {
  const r = lcg(seed);
  const pass = await forwardLogprobs(m, steps, { train: false });
  steps.forEach((s, j) => {
    s.responseLogprobs = Float32Array.from(pass.logprobs[j]!, (x) => Math.min(0, x + delta * (2 * r() - 1)));
  });
}

/** The loss at the model's current weights (forward only), as policyLoss computes it. */
async function lossNow(m: Model, b: TrainBatch, cfg: Partial<PolicyLossConfig>, refLogp?: Float64Array) {
  const pass = await forwardLogprobs(m, b.steps, { train: false });
  const logp = Float64Array.from(pass.flat as ArrayLike<number>);
  return policyLoss(
    { logp, oldLogp: b.oldLogp, refLogp, advantages: b.advantages, mask: b.mask, seqOffsets: b.seqOffsets },
    cfg,
  ).loss;
}

describe("learnerStep", () => {
  it("accumulated micro-batch gradients equal central finite differences of the full-batch loss (float64)", async () => {
    const m = Model.init(preset("tiny-gpt2", { initStd: 0.4 }), {
      backend: tsBackend,
      dtype: "f64",
      seed: 3,
    });
    const rollouts = randomBatchRollouts(m.config.vocabSize, 9);
    await setOldLogprobs(
      m,
      rollouts.flatMap((r) => r.steps),
      0.1,
      4,
    ); // ratios inside the clip range
    const batch = batchOf(rollouts);
    const cfg: Partial<PolicyLossConfig> = { klCoef: 0.05 };
    // reference log-probs: the rollout's minus 0.3, served by a scoring policy
    const ref = Float64Array.from(batch.oldLogp, (x) => x - 0.3);
    const refPolicy = {
      score: async (_c: readonly Uint32Array[], targets: readonly Uint32Array[]) =>
        targets.map((t, j) => {
          const at = batch.stepOffsets[j]!;
          return Float32Array.from(ref.subarray(at, at + t.length));
        }),
    };
    const refF32 = Float64Array.from(ref, Math.fround);
    const res = await accumulatePolicyGradient(m, batch, cfg, { refPolicy, microBatchTokens: 20 });
    expect(res.microBatches).toBeGreaterThanOrEqual(3);
    expect(res.loss).toBeCloseTo(await lossNow(m, batch, cfg, refF32), 12);
    expect(res.metrics.clipFraction).toBe(0);
    const eps = 1e-5;
    let checked = 0;
    for (const [name, t] of m.params) {
      const g = m.g(name).readSync();
      const data = t.data as Float64Array;
      for (const i of [0, Math.floor(t.size / 2), t.size - 1]) {
        const x0 = data[i]!;
        data[i] = x0 + eps;
        const up = await lossNow(m, batch, cfg, refF32);
        data[i] = x0 - eps;
        const down = await lossNow(m, batch, cfg, refF32);
        data[i] = x0;
        const num = (up - down) / (2 * eps);
        expect(Math.abs(num - g[i]!), `${name}[${i}]: numeric ${num} vs analytic ${g[i]}`).toBeLessThan(
          1e-8 + 1e-5 * Math.abs(num),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    const gsum = [...m.grads().values()].reduce(
      (a, g) => a + Array.from(g.readSync()).reduce((x, y) => x + Math.abs(y), 0),
      0,
    );
    expect(gsum).toBeGreaterThan(0.1);
    m.dispose();
  });

  it("lowers the loss on a fixed batch with positive advantages (PPO epochs on one batch)", async () => {
    const m = Model.init(preset("tiny-gpt2"), { seed: 5 });
    const rollouts = randomBatchRollouts(m.config.vocabSize, 2);
    await setOldLogprobs(
      m,
      rollouts.flatMap((r) => r.steps),
      0,
      1,
    ); // on-policy
    const batch = batchOf(rollouts, false);
    batch.advantages.forEach((_, t) => {
      batch.advantages[t] = batch.mask[t] ? 1 : 0;
    });
    const opt = new AdamW(m, { lr: 2e-2, warmupSteps: 0, totalSteps: 100 });
    const cfg = { klCoef: 0 };
    const first = await learnerStep(m, opt, batch, cfg, { microBatchTokens: 64 });
    expect(first.loss).toBeCloseTo(-1, 5); // on-policy: r = 1, loss = −mean A
    expect(first.metrics.approxKl).toBeCloseTo(0, 6);
    expect(first.gradNorm).toBeGreaterThan(0);
    let last = first;
    for (let k = 0; k < 6; k++) last = await learnerStep(m, opt, batch, cfg, { microBatchTokens: 64 });
    expect(last.loss).toBeLessThan(first.loss - 0.05);
    const meanLogp = (lp: ArrayLike<number>) => Array.from(lp).reduce((a, b) => a + b, 0) / lp.length;
    expect(meanLogp(last.logp)).toBeGreaterThan(meanLogp(batch.oldLogp));
    m.dispose();
  });

  it("needs a reference policy when klCoef > 0", async () => {
    const m = Model.init(preset("tiny-gpt2"), { seed: 5 });
    const rollouts = randomBatchRollouts(m.config.vocabSize, 2);
    const batch = batchOf(rollouts);
    await expect(accumulatePolicyGradient(m, batch, { klCoef: 0.001 })).rejects.toThrow(
      /klCoef is 0.001 but no refPolicy/,
    );
    m.dispose();
  });

  it("scores the reference at the rollouts' temperature: identical weights give KL 0 at T = 0.7", async () => {
    const m = Model.init(preset("tiny-gpt2"), { seed: 6 });
    const ref = Model.init(preset("tiny-gpt2"), { seed: 6 });
    const rollouts = randomBatchRollouts(m.config.vocabSize, 3);
    const batch = batchOf(rollouts);
    const kl = async (temperature: number) =>
      (
        await accumulatePolicyGradient(
          m,
          batch,
          { klCoef: 0.001 },
          {
            refPolicy: modelPolicy(ref),
            temperature,
          },
        )
      ).metrics.refKl;
    expect(Math.abs(await kl(0.7))).toBeLessThan(1e-6);
    delete (batch as { refLogp?: unknown }).refLogp; // the reference log-probs are cached per batch
    expect(Math.abs(await kl(1))).toBeLessThan(1e-6);
    m.dispose();
    ref.dispose();
  });
});
