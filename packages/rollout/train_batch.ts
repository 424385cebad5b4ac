/**
 * Rollouts as the inputs of @mempo/rl's equations, and the routed advantages as the learner's batch
 * (DESIGN.md §6, docs/algorithm.md). The RL loop calls the equations itself, in order:
 *
 *   R^T = trajectoryRewards(objectiveScores(rollouts), mode)              eq. 1
 *   A^T = computeAdvantages(estimator, R^T, groupIds(rollouts))           eq. 2
 *   R^M = memoryRewards(memorySegments(rollouts).segments)                eqs. 3–4
 *   A^M = memoryAdvantages(R^M, segments, …)                              eq. 5
 *   batch = tokenBatch(rollouts, A^T, {segments, A^M} | null, w)          eq. 6 (routeTokenAdvantages)
 *
 * Rollout i of the arrays is `rollouts[i]`; steps are laid out in trajectory order (rollout by rollout,
 * turn by turn), which is the order `policyLoss` and `learnerStep` take.
 * Test: `npx vitest run train_batch_test.ts` (a hand-checked 2-rollout example).
 */
import {
  type MemoryAdvantages,
  type MemorySegment,
  type ObjectiveScores,
  routeTokenAdvantages,
} from "@mempo/rl";
import type { Rollout } from "./rollout.ts";
import type { StepRecord } from "./step.ts";

/** One update's worth of tokens. T response tokens over all steps, S rollouts. */
export interface TrainBatch {
  /** Steps in trajectory order. */
  steps: StepRecord[];
  /** [T] log π_old of each response token (the steps' responseLogprobs, concatenated). */
  oldLogp: Float32Array;
  /** [T] per-token advantage (0 where mask is 0). */
  advantages: Float64Array;
  /** [T] loss mask. */
  mask: Uint8Array;
  /** [steps + 1] token offset of each step. */
  stepOffsets: Int32Array;
  /** [S + 1] token offset of each trajectory (a rollout without steps has an empty one). */
  seqOffsets: Int32Array;
  /** Loss tokens inside `<mem>` spans that received A^M. */
  memTokens: number;
}

/** Eq. 1's inputs: each rollout's per-objective EM and F1 (0/1 and [0, 1]) and its format flag. */
export function objectiveScores(rollouts: readonly Rollout[]): ObjectiveScores[] {
  return rollouts.map((r) => ({
    em: r.score.perObjective.map((o) => o.em),
    f1: r.score.perObjective.map((o) => o.f1),
    formatValid: r.formatValid,
  }));
}

/** The group id of each rollout (eq. 2's groups). */
export const groupIds = (rollouts: readonly Rollout[]): string[] => rollouts.map((r) => r.groupId);

/**
 * Eqs. 3–4's inputs: every scored memory (log-probs of the gold answer after the memory and after the
 * full history, from `scoreMemories`), keyed by rollout index and turn.
 * @returns the segments and how many of them had a context shortened to fit the model
 * @throws when a rollout wrote memories that were not scored
 */
export function memorySegments(rollouts: readonly Rollout[]): {
  segments: MemorySegment[];
  truncated: number;
} {
  const segments: MemorySegment[] = [];
  let truncated = 0;
  rollouts.forEach((r, i) => {
    if (r.memory === null && r.steps.some((s) => s.memSpan !== null)) {
      throw new Error(
        `memorySegments: rollout ${i} (group ${r.groupId}, sample ${r.sampleId}) has memories but no memory ` +
          "scores; call scoreMemories(policy, groups, tokenizer) after runGroups",
      );
    }
    for (const m of r.memory ?? []) {
      if (m.truncated) truncated++;
      segments.push({
        groupId: r.groupId,
        sampleIdx: i,
        turnIdx: m.stepIdx,
        memLogprobs: m.memLogprobs,
        baseLogprobs: m.baseLogprobs,
      });
    }
  });
  return { segments, truncated };
}

/**
 * Eq. 6: every generated token of every step gets A^T of its rollout, plus w·A^M inside the turn's
 * `<mem>` span (`memory` null = A^T only, the GRPO baseline).
 * @param trajAdvantages [S] A^T per rollout
 */
export function tokenBatch(
  rollouts: readonly Rollout[],
  trajAdvantages: ArrayLike<number>,
  memory: MemoryAdvantages | null,
  memoryWeight = 1,
): TrainBatch {
  if (rollouts.length === 0) throw new Error("tokenBatch: no rollouts; run runGroups on at least one task");
  const steps: StepRecord[] = [];
  const tokens = rollouts.flatMap((r, i) =>
    r.steps.map((s) => {
      steps.push(s);
      return { sampleIdx: i, turnIdx: s.stepIdx, lossMask: s.lossMask, memSpan: s.memSpan };
    }),
  );
  const routed = routeTokenAdvantages(tokens, trajAdvantages, memory, { memoryWeight });
  const seqOffsets = new Int32Array(rollouts.length + 1);
  rollouts.forEach((r, i) => {
    seqOffsets[i + 1] = seqOffsets[i]! + r.steps.reduce((n, s) => n + s.responseIds.length, 0);
  });
  const oldLogp = new Float32Array(routed.mask.length);
  for (const [j, s] of steps.entries()) oldLogp.set(s.responseLogprobs, routed.stepOffsets[j]!);
  return {
    steps,
    oldLogp,
    advantages: routed.advantages,
    mask: routed.mask,
    stepOffsets: routed.stepOffsets,
    seqOffsets,
    memTokens: routed.memTokenCount,
  };
}
