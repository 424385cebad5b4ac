import { describe, expect, it } from "vitest";
import { forwardLogprobs, sftStep } from "./logprobs.ts";
import { Model } from "./params.ts";
import { preset } from "./presets.ts";
import { learningRate } from "./schedule.ts";
import { score } from "./score.ts";
import { randomItems } from "./testing.ts";
import { AdamW, resolveTrainConfig } from "./train.ts";

describe("learning-rate schedule", () => {
  const s = { lr: 1, warmupSteps: 4, totalSteps: 14, minLrRatio: 0.1 };
  it("warms up linearly, then follows a cosine to the floor", () => {
    expect([0, 1, 2, 3].map((t) => learningRate(t, s))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(learningRate(4, s)).toBeCloseTo(1, 12);
    expect(learningRate(9, s)).toBeCloseTo(0.55, 12); // halfway: 0.1 + 0.45·(1 + cos(π/2))
    expect(learningRate(14, s)).toBeCloseTo(0.1, 12);
    expect(learningRate(100, s)).toBeCloseTo(0.1, 12);
  });
  it("validates the train config", () => {
    expect(() => resolveTrainConfig({ lr: -1 })).toThrow(/lr must be a finite number > 0, got -1/);
    expect(() => resolveTrainConfig({ beta2: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
  });
});

describe("training", () => {
  it("SFT lowers the loss; gradients are zeroed after a step", async () => {
    const m = Model.init(preset("tiny-llama"), { seed: 2 });
    const opt = new AdamW(m, { lr: 3e-2, warmupSteps: 0, totalSteps: 50 });
    const items = randomItems(4, m.config.vocabSize, 1);
    const first = await sftStep(m, items);
    const { gradNorm } = opt.step();
    expect(gradNorm).toBeGreaterThan(0);
    for (const g of m.grads().values()) expect(Array.from(g.readSync()).every((x) => x === 0)).toBe(true);
    let last = first.loss;
    for (let s = 0; s < 30; s++) {
      last = (await sftStep(m, items)).loss;
      opt.step();
    }
    expect(last).toBeLessThan(first.loss * 0.5);
    m.dispose();
  });

  it("the RL backward with dLogp = −mask/N equals the SFT gradient", async () => {
    const m = Model.init(preset("tiny-gpt2"), { seed: 2 });
    const items = randomItems(3, m.config.vocabSize, 4);
    await sftStep(m, items);
    const sft = new Map([...m.grads()].map(([n, g]) => [n, Array.from(g.readSync())]));
    new AdamW(m).zeroGrad();
    const pass = await forwardLogprobs(m, items);
    const N = items.reduce((a, it) => a + Array.from(it.lossMask!).reduce((x, y) => x + y, 0), 0);
    pass.backward(items.map((it) => Float32Array.from(it.responseIds, () => -1 / N)));
    for (const [n, g] of m.grads()) {
      const a = g.readSync();
      const want = sft.get(n)!;
      for (let i = 0; i < want.length; i++) expect(a[i]).toBeCloseTo(want[i]!, 6);
    }
    expect(() => pass.backward([])).toThrow(/already used/);
    m.dispose();
  });
});

describe("model copies", () => {
  it("clone is independent; setFromArrays syncs values", async () => {
    const a = Model.init(preset("tiny-gpt2"), { seed: 1 });
    const b = await a.clone();
    const items = randomItems(2, a.config.vocabSize, 5);
    const lp = async (m: Model) => Array.from((await forwardLogprobs(m, items, { train: false })).flat);
    expect(await lp(b)).toEqual(await lp(a));
    const opt = new AdamW(a, { lr: 1e-2 });
    await sftStep(a, items);
    opt.step();
    expect(await lp(b)).not.toEqual(await lp(a));
    b.setFromArrays(await a.toArrays());
    expect(await lp(b)).toEqual(await lp(a));
    expect(() => b.setFromArrays(new Map())).toThrow(/parameter "transformer.wte.weight" is missing/);
    a.dispose();
    b.dispose();
  });
});

describe("score", () => {
  it("equals one forward per item, in input order, across batch splits", async () => {
    const m = Model.init(preset("tiny-llama", { initStd: 0.2 }), { seed: 3 });
    const items = randomItems(7, m.config.vocabSize, 9, 12, 6);
    const ctx = items.map((it) => it.promptIds);
    const tgt = items.map((it) => it.responseIds);
    const batched = await score(m, ctx, tgt, { maxBatchTokens: 24 });
    for (let i = 0; i < items.length; i++) {
      const one = (await forwardLogprobs(m, [items[i]!], { train: false })).logprobs[0]!;
      expect(batched[i]!.length).toBe(tgt[i]!.length);
      for (let j = 0; j < one.length; j++) expect(batched[i]![j]).toBeCloseTo(one[j]!, 5);
    }
    expect((await score(m, [[1]], [[]]))[0]!.length).toBe(0);
    expect((await forwardLogprobs(m, [{ promptIds: [1, 2], responseIds: [] }])).logprobs[0]!.length).toBe(0);
    await expect(score(m, [[1]], [])).rejects.toThrow(/1 contexts but 0 targets/);
    m.dispose();
  });
});
