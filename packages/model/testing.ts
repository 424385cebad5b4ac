/**
 * Test helpers shared by this package's tests: random (prompt, response, mask) items of mixed lengths.
 */
import { expect } from "vitest";
import type { SeqItem } from "./batch.ts";
import type { ModelConfig } from "./config.ts";
import { forwardLogprobs, type LogprobOptions } from "./logprobs.ts";
import { Model } from "./params.ts";
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
