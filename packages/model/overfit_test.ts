/**
 * The default preset memorizes a small batch of protocol-shaped trajectories (`<mem>…</mem>
 * <think>…</think><search>…</search>` with a masked `<information>` block and an answer): the SFT loss
 * goes to ≈ 0 and greedy generation replays a memorized turn up to its stop token. Runs on the wasm
 * backend when it is registered (≈ 6 s), else on ts with a smaller batch.
 */
import { listBackends } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { generate } from "./generate.ts";
import { sftStep } from "./logprobs.ts";
import { Model } from "./params.ts";
import { preset } from "./presets.ts";
import { Rng } from "@mempo/kernels/random";
import { AdamW } from "./train.ts";

const TAG = {
  mem: 1,
  memEnd: 2,
  think: 3,
  thinkEnd: 4,
  search: 5,
  searchEnd: 6,
  info: 7,
  infoEnd: 8,
  answer: 9,
  answerEnd: 10,
};

function trajectories(n: number, seed: number) {
  const r = new Rng(seed);
  const words = (k: number) => Array.from({ length: k }, () => 100 + Math.floor(r.next() * 3900));
  return Array.from({ length: n }, () => {
    const turn = [
      TAG.mem,
      ...words(6),
      TAG.memEnd,
      TAG.think,
      ...words(5),
      TAG.thinkEnd,
      TAG.search,
      ...words(3),
      TAG.searchEnd,
    ];
    const info = [TAG.info, ...words(6), TAG.infoEnd];
    const answer = [TAG.answer, ...words(2), TAG.answerEnd];
    const responseIds = [...turn, ...info, ...answer];
    const lossMask = responseIds.map((_, i) => (i >= turn.length && i < turn.length + info.length ? 0 : 1));
    return { promptIds: [11, ...words(12)], responseIds, lossMask, turn };
  });
}

describe("overfit", () => {
  it("the default preset memorizes protocol-like trajectories", async () => {
    const backend = listBackends().includes("wasm") ? "wasm" : "ts";
    const m = Model.init(preset("default"), { seed: 1, backend });
    const opt = new AdamW(m, { lr: 3e-3, warmupSteps: 5, totalSteps: 60, weightDecay: 0 });
    const items = trajectories(backend === "wasm" ? 4 : 2, 3);
    let first = 0;
    let loss = Number.POSITIVE_INFINITY;
    for (let s = 0; s < 60 && loss > 0.02; s++) {
      loss = (await sftStep(m, items)).loss;
      if (s === 0) first = loss;
      opt.step();
    }
    expect(first).toBeGreaterThan(7); // ≈ ln 4096 at initialisation
    expect(loss).toBeLessThan(0.02);
    const gen = await generate(
      m,
      items.map((it) => it.promptIds),
      { sampling: { temperature: 0 }, stopIds: [TAG.searchEnd], maxNewTokens: 40 },
    );
    for (let b = 0; b < items.length; b++) {
      expect(gen[b]!.finish).toBe("stop");
      expect(Array.from(gen[b]!.ids)).toEqual(items[b]!.turn);
    }
    m.dispose();
    opt.dispose();
  });
});
