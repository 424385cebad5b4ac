/**
 * Teacher-forced scoring: per-token log-probs of target ids given context ids, no sampling, no
 * gradient. MemPO's memory reward calls this many times per step (P(gold | question, memory) and the
 * full-history baseline), so the items are sorted by length and cut into padded batches of at most
 * `maxBatchTokens` positions: one forward per batch, and the output head runs only on target rows.
 * With `sharePrefixes`, items whose inputs share a prefix run it once (score_shared.ts).
 *
 * Test: `npx vitest run train_test.ts score_shared_test.ts` (one forward per item; prefix sharing).
 */
import { forwardLogprobs } from "./logprobs.ts";
import type { Model } from "./params.ts";
import { scoreShared } from "./score_shared.ts";

export interface ScoreOptions {
  /** Upper bound on B·T positions per forward (a single longer item still runs alone); default 8192. */
  maxBatchTokens?: number;
  /** Softmax temperature; default 1. */
  temperature?: number;
  /**
   * Run each input prefix shared by several items once, from a KV cache ({@link scoreShared});
   * default false. Same results up to float round-off.
   */
  sharePrefixes?: boolean;
  /** With `sharePrefixes`: upper bound on B·Tmax KV-cache slots per forward; default 128 MiB of them. */
  maxCacheTokens?: number;
}

/**
 * log p(targets[i][j] | contexts[i], targets[i][<j]) for every item i, token j.
 * @returns one Float32Array [targets[i].length] per item, in input order.
 */
export async function score(
  m: Model,
  contexts: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  opts: ScoreOptions = {},
): Promise<Float32Array[]> {
  if (contexts.length !== targets.length) {
    throw new Error(
      `score: ${contexts.length} contexts but ${targets.length} targets; pass one target per context`,
    );
  }
  if (opts.sharePrefixes) return scoreShared(m, contexts, targets, opts);
  const budget = opts.maxBatchTokens ?? 8192;
  const n = contexts.length;
  const out: Float32Array[] = new Array(n);
  const len = (i: number) => Math.max(1, contexts[i]!.length + targets[i]!.length - 1);
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => {
      if (targets[i]!.length > 0) return true;
      out[i] = new Float32Array(0);
      return false;
    })
    .sort((a, b) => len(b) - len(a));
  let at = 0;
  while (at < order.length) {
    const T = len(order[at]!); // longest first: the chunk's padded length
    const count = Math.max(1, Math.min(order.length - at, Math.floor(budget / T)));
    const chunk = order.slice(at, at + count);
    at += count;
    const items = chunk.map((i) => {
      if (contexts[i]!.length === 0) throw new Error(`score: context ${i} is empty; give at least one token`);
      return { promptIds: contexts[i]!, responseIds: targets[i]! };
    });
    const pass = await forwardLogprobs(m, items, { temperature: opts.temperature, train: false });
    chunk.forEach((i, k) => {
      out[i] = pass.logprobs[k]!;
    });
  }
  return out;
}
