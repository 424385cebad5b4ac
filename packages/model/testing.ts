/**
 * Test helpers shared by this package's tests: random (prompt, response, mask) items of mixed lengths.
 */
import type { SeqItem } from "./batch.ts";
import { Rng } from "./rng.ts";

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
