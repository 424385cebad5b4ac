/**
 * Packs StepRecords into training micro-batches under a token budget. Each step is scored in its own
 * context (DESIGN.md §6.7), so a batch row is one step's prompt + response; rows are sorted by
 * length so padding stays small, and a batch's padded size (rows × longest row) never exceeds
 * `maxTokens` (a single longer step gets a batch of its own). With `packed` (the model runs each batch as
 * one packed row, @mempo/model packShared) there is no padding: steps keep their order (a rollout's
 * turns and a group's rollouts stay together, so a batch shares a longer prefix) and a batch holds at
 * most `maxTokens` tokens in all.
 * Test: `npx vitest run batch_test.ts`.
 */
import type { StepRecord } from "./step.ts";

export interface PackOptions {
  /** Upper bound on rows × longest row per batch (padded tokens). */
  maxTokens: number;
  /** Upper bound on rows per batch. Default: unbounded. */
  maxRows?: number;
  /** Batches run as packed rows: budget = Σ tokens, step order kept. Default false. */
  packed?: boolean;
}

/** Returns batches of indices into `steps`. Every index appears exactly once. */
export function packBatches(steps: readonly StepRecord[], opts: PackOptions): number[][] {
  const { maxTokens, maxRows = Number.POSITIVE_INFINITY } = opts;
  if (!(maxTokens > 0)) throw new Error(`packBatches: maxTokens must be > 0, got ${maxTokens}`);
  const order = steps.map((s, i) => ({ i, len: s.promptIds.length + s.responseIds.length }));
  if (!opts.packed) order.sort((a, b) => b.len - a.len || a.i - b.i);
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  let total = 0;
  for (const { i, len } of order) {
    const size = opts.packed ? total + len : (cur.length + 1) * Math.max(longest, len);
    if (cur.length > 0 && (size > maxTokens || cur.length + 1 > maxRows)) {
      batches.push(cur);
      cur = [];
      longest = 0;
      total = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
    total += len;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}
