/**
 * Test helpers shared by this package's tests: random (prompt, response, mask) items of mixed lengths.
 */
import { expect } from "vitest";
import type { SeqItem } from "./batch.ts";
import type { ModelConfig } from "./config.ts";
import { forwardLogprobs, type LogprobOptions } from "./logprobs.ts";
import { Model } from "./params.ts";
import { generate } from "./generate.ts";
import { sftStep } from "./logprobs.ts";
import { preset } from "./presets.ts";
import { AdamW } from "./train.ts";
import { Rng } from "@mempo/kernels/random";

/** `n` items with prompt lengths in [1, maxPrompt] and response lengths in [1, maxResp]. */
export function randomItems(n: number, vocab: number, seed: number, maxPrompt = 6, maxResp = 5): SeqItem[] {
  const r = new Rng(seed);
  const ids = (k: number) => Uint32Array.from({ length: k }, () => Math.floor(r.next() * vocab));
  return Array.from({ length: n }, () => {
    const P = 1 + Math.floor(r.next() * maxPrompt);
    const R = 1 + Math.floor(r.next() * maxResp);
    return {
      promptIds: ids(P),
      responseIds: ids(R),
      lossMask: Uint8Array.from({ length: R }, () => (r.next() < 0.8 ? 1 : 0)),
    };
  });
}

/** Flat log-probs of `items` and the parameter gradients of Σ_j dLogp(j)·logp_j, on a fresh seed-2 model. */
export async function logprobsAndGrads(
  c: ModelConfig,
  backend: string,
  items: readonly SeqItem[],
  dLogp: (j: number) => number,
  opts: LogprobOptions = {},
): Promise<{ lp: number[]; grads: Map<string, number[]> }> {
  const m = Model.init(c, { seed: 2, backend });
  const pass = await forwardLogprobs(m, items, opts);
  pass.backward(items.map((it) => Float32Array.from(it.responseIds, (_, j) => dLogp(j))));
  const grads = new Map([...m.grads()].map(([n, g]) => [n, Array.from(g.readSync())]));
  m.dispose();
  return { lp: Array.from(pass.flat), grads };
}

/** Log-probs within 1e-4 and every gradient within 1e-3 of its tensor's largest entry. */
export function expectSameLogprobsAndGrads(
  got: { lp: number[]; grads: Map<string, number[]> },
  ref: { lp: number[]; grads: Map<string, number[]> },
): void {
  for (let i = 0; i < ref.lp.length; i++) expect(got.lp[i]).toBeCloseTo(ref.lp[i]!, 4);
  for (const [n, g] of ref.grads) {
    const h = got.grads.get(n)!;
    const scale = Math.max(1e-3, ...g.map(Math.abs));
    for (let i = 0; i < g.length; i++) expect(Math.abs(h[i]! - g[i]!) / scale, n).toBeLessThan(1e-3);
  }
}

/** Special-token ids of the overfit trajectories. */
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

/**
 * The default preset memorizes `n` protocol-shaped trajectories on `backend` (`<mem>…</mem>
 * <think>…</think><search>…</search>` with a masked `<information>` block and an answer): the SFT loss
 * goes from ≈ ln 4096 to below 0.02 within 60 AdamW steps and greedy generation replays each memorized
 * turn up to its stop token.
 */
export async function expectOverfits(backend: string, n: number): Promise<void> {
  const m = Model.init(preset("default"), { seed: 1, backend });
  const opt = new AdamW(m, { lr: 3e-3, warmupSteps: 5, totalSteps: 60, weightDecay: 0 });
  const items = trajectories(n, 3);
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
}
