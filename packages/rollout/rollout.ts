/**
 * The result types of the rollout runner: one `Rollout` per (task, sample), grouped per task.
 * A rollout keeps its StepRecords (what training needs) plus what evaluation and MemPO's memory
 * reward need: the question prompt ids, each turn's observation ids, the outcome and its score.
 */
import type { MalformedReason, Score, Task } from "@mempo/env";
import type { StepRecord } from "./step.ts";

/** How a rollout ended. Only "answer" can earn a reward. */
export type RolloutFinish = "answer" | "malformed" | "turn-limit" | "context-overflow";

/** Why a turn was a format failure. `undecodable`: the codec could not decode the ids. */
export interface FormatFailure {
  /** Turn (step index) that failed. */
  turn: number;
  reason: MalformedReason | "undecodable";
  detail: string;
}

/** Teacher-forced log-probs of the gold answer for one memory (DESIGN.md §6 items 3–4). */
export interface MemoryScore {
  /** Step (turn) whose `<mem>` was scored. */
  stepIdx: number;
  /** [L] log π(gold | question prompt, `<mem>`…`</mem>`, `<answer>`). */
  memLogprobs: Float32Array;
  /** [L] log π(gold | question prompt, full history before the turn, `<answer>`). */
  baseLogprobs: Float32Array;
  /** A context was shortened to fit the policy's maxTokens (memory_contexts.ts). */
  truncated: boolean;
}

export interface Rollout {
  groupId: string;
  /** Index inside the group, 0..G−1. */
  sampleId: number;
  task: Task;
  /** The question prompt (instruction, question, turn budget) as ids: the first turn's prompt. */
  promptIds: Uint32Array;
  /** One record per turn, in order. */
  steps: StepRecord[];
  /** observations[t]: ids appended after turn t's response (`<information>` block + hint); empty if none. */
  observations: Uint32Array[];
  /** responses[t]: turn t's response decoded (for logs and inspection only; never re-encoded). */
  responses: string[];
  finish: RolloutFinish;
  /** The format failure that ended the rollout (finish "malformed"), else null. */
  failure: FormatFailure | null;
  /** Final answers (one per objective as written), or null without an answer. */
  answers: string[] | null;
  /** env's MEM1 score of the answers (EM and F1 ×100, per objective in [0, 1]); zeros without one. */
  score: Score;
  /** false when a turn was malformed. */
  formatValid: boolean;
  /** TT = Σ turns (prompt + response tokens), our tokenizer (exact ids). */
  tt: number;
  /** PT = max over turns of (prompt + response tokens). */
  pt: number;
  /** TT / PT with o200k_base on the decoded text, when `countO200k` is set. */
  o200k: { tt: number; pt: number } | null;
  /** Memory scores of every step with a memSpan, after `scoreMemories`; null before. */
  memory: MemoryScore[] | null;
}

/** The G rollouts of one task. */
export interface RolloutGroup {
  groupId: string;
  task: Task;
  rollouts: Rollout[];
}
