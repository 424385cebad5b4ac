/**
 * Packs StepRecords into training micro-batches under a token budget. Each step is scored in its own
 * context (DESIGN.md §6.7), so a batch row is one step's prompt + response; rows are sorted by
 * length so padding stays small, and a batch's padded size (rows × longest row) never exceeds
 * `maxTokens` (a single longer step gets a batch of its own). With `packed` (the model runs each batch as
 * one packed row, @mempo/model packShared: the batch's longest common prompt prefix once, then each
 * step's rest) there is no padding: steps keep their order (a rollout's turns and a group's rollouts
 * stay together), a batch holds at most `maxTokens` positions as packed (Σ tokens − (n − 1) × the shared
 * prefix), and a batch that already holds a quarter of the budget ends where the next task group
 * begins — a group's steps share the instruction and the question, two groups only the instruction.
 * Test: `npx vitest run batch_test.ts`.
 */
import type { StepRecord } from "./step.ts";

export interface PackOptions {
  /** Upper bound on rows × longest row per batch (padded tokens). */
  maxTokens: number;
  /** Upper bound on rows per batch. Default: unbounded. */
  maxRows?: number;
  /** Batches run as packed rows: budget = packed positions, step order kept. Default false. */
  packed?: boolean;
}

/** Returns batches of indices into `steps`. Every index appears exactly once. */
export function packBatches(steps: readonly StepRecord[], opts: PackOptions): number[][] {
  const { maxTokens, maxRows = Number.POSITIVE_INFINITY } = opts;
  if (!(maxTokens > 0)) throw new Error(`packBatches: maxTokens must be > 0, got ${maxTokens}`);
  if (opts.packed) return packInOrder(steps, maxTokens, maxRows);
  const order = steps.map((s, i) => ({ i, len: s.promptIds.length + s.responseIds.length }));
  order.sort((a, b) => b.len - a.len || a.i - b.i);
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const { i, len } of order) {
    const size = (cur.length + 1) * Math.max(longest, len);
    if (cur.length > 0 && (size > maxTokens || cur.length + 1 > maxRows)) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

/** Common prefix of a's and b's prompts, at most `cap` tokens and each prompt's length − 1 (packShared's cap). */
function sharedPrefix(a: StepRecord, b: StepRecord, cap: number): number {
  const n = Math.min(cap, a.promptIds.length - 1, b.promptIds.length - 1);
  let t = 0;
  while (t < n && a.promptIds[t] === b.promptIds[t]) t++;
  return t;
}

/**
 * Packed batches in step order. A batch of n steps with shared prefix L runs Σ len − (n − 1)·L
 * positions (len = prompt + response tokens, a bound on the step's input); the next step joins unless
 * that exceeds maxTokens or maxRows, or it starts another group while the batch holds maxTokens / 4.
 */
function packInOrder(steps: readonly StepRecord[], maxTokens: number, maxRows: number): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let sum = 0; // Σ len of the batch
  let shared = 0; // its shared prefix
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const len = s.promptIds.length + s.responseIds.length;
    if (cur.length > 0) {
      const n = cur.length;
      const L = sharedPrefix(steps[cur[0]!]!, s, shared);
      const size = sum + len - n * L;
      const newGroup = s.groupId !== steps[cur[n - 1]!]!.groupId && sum - (n - 1) * shared >= maxTokens / 4;
      if (size <= maxTokens && n + 1 <= maxRows && !newGroup) {
        cur.push(i);
        sum += len;
        shared = L;
        continue;
      }
      batches.push(cur);
    }
    cur = [i];
    sum = len;
    shared = s.promptIds.length - 1;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}
