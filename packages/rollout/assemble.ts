/**
 * Batch assembly: rollout groups → everything the learner needs for one update (DESIGN.md §6).
 *
 *   R^T (eq. 1, env's per-objective EM/F1) → A^T (eq. 2, the configured group estimator)
 *   memory scores → R^M = P − ε (eqs. 3–4) → A^M (eq. 5)          [memory: true]
 *   route: tokens in a turn's <mem> span get A^T + w·A^M, other generated tokens A^T (eq. 6)
 *
 * `memory: false` routes A^T only: the plain GRPO baseline from the same rollouts. Steps are laid out
 * in trajectory order (group by group, rollout by rollout, turn by turn); the flat per-token arrays
 * follow that order, which is what `policyLoss` and `learnerStep` take.
 * Test: `npx vitest run assemble_test.ts` (a hand-checked 2-rollout example).
 */
import {
  computeAdvantages,
  type MemorySegment,
  memoryAdvantages,
  memoryRewards,
  type RlConfig,
  resolveRlConfig,
  routeTokenAdvantages,
  trajectoryRewards,
} from "@mempo/rl";
import type { RolloutGroup } from "./rollout.ts";
import type { StepRecord } from "./step.ts";

export interface AssembleOptions {
  /** Add the memory advantage A^M (MemPO, default true); false = GRPO baseline. */
  memory?: boolean;
}

export interface BatchMetrics {
  groups: number;
  rollouts: number;
  steps: number;
  /** Σ loss-mask tokens. */
  lossTokens: number;
  /** Loss tokens inside `<mem>` spans that received A^M. */
  memTokens: number;
  /** Mean trajectory reward R^T. */
  meanReward: number;
  /** Mean EM and F1 (×100, env's score) over rollouts. */
  meanEm: number;
  meanF1: number;
  /** Groups whose rewards are all equal (A^T = 0): no learning signal. */
  zeroStdGroupFraction: number;
  /** Mean memory reward R^M and mean |A^M| over memory segments (0 when memory is off). */
  meanMemoryReward: number;
  meanAbsMemoryAdvantage: number;
  /** Memory segments whose contexts were shortened to fit the model (0 when memory is off). */
  memoryTruncatedFraction: number;
  /** Mean TT and PT (our tokenizer) over rollouts. */
  meanTT: number;
  meanPT: number;
  /** Fraction of rollouts ending in a format failure / answering at all / per finish. */
  formatFailureRate: number;
  answerRate: number;
  /** Mean turns per rollout. */
  meanTurns: number;
}

/** One update's worth of data. S rollouts, T response tokens over all steps. */
export interface TrainBatch {
  /** Steps in trajectory order. */
  steps: StepRecord[];
  /** [steps] rollout index (into rewards / trajAdvantages) of each step. */
  stepSample: Int32Array;
  /** [T] log π_old of each response token (the steps' responseLogprobs, concatenated). */
  oldLogp: Float32Array;
  /** [T] per-token advantage (0 where mask is 0). */
  advantages: Float64Array;
  /** [T] loss mask. */
  mask: Uint8Array;
  /** [steps + 1] token offset of each step. */
  stepOffsets: Int32Array;
  /** [S + 1] token offset of each trajectory. */
  seqOffsets: Int32Array;
  /** [S] R^T and A^T per rollout. */
  rewards: Float64Array;
  trajAdvantages: Float64Array;
  /** Memory segments with R^M, P, ε and A^M; null when memory is off. */
  memory: {
    segments: MemorySegment[];
    rewards: Float64Array;
    memProb: Float64Array;
    baseProb: Float64Array;
    advantages: Float64Array;
  } | null;
  metrics: BatchMetrics;
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length === 0 ? 0 : s / xs.length;
};

/** Assembles one training batch from rollout groups (see the file header). */
export function assembleBatch(
  groups: readonly RolloutGroup[],
  rlConfig: Partial<RlConfig> = {},
  opts: AssembleOptions = {},
): TrainBatch {
  const cfg = resolveRlConfig(rlConfig);
  const useMemory = opts.memory ?? true;
  const rollouts = groups.flatMap((g) => g.rollouts);
  if (rollouts.length === 0)
    throw new Error("assembleBatch: no rollouts; run runGroups on at least one task");

  const rewards = trajectoryRewards(
    rollouts.map((r) => ({
      em: r.score.perObjective.map((o) => o.em),
      f1: r.score.perObjective.map((o) => o.f1),
      formatValid: r.formatValid,
    })),
    cfg.rewardMode,
  );
  const aT = computeAdvantages(
    cfg.estimator,
    rewards,
    rollouts.map((r) => r.groupId),
    { epsilon: cfg.epsilon },
  );

  let memory: TrainBatch["memory"] = null;
  let truncated = 0;
  if (useMemory) {
    const segments: MemorySegment[] = [];
    rollouts.forEach((r, i) => {
      const withMem = r.steps.filter((s) => s.memSpan !== null).length;
      if (withMem > 0 && r.memory === null) {
        throw new Error(
          `assembleBatch: rollout ${i} (group ${r.groupId}, sample ${r.sampleId}) has memories but no memory ` +
            "scores; run runGroups with memoryReward: true (or scoreMemories), or assemble with memory: false",
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
    const rm = memoryRewards(segments);
    const aM = memoryAdvantages(rm.rewards, segments, {
      normalization: cfg.memoryNormalization,
      epsilon: cfg.epsilon,
      stdFloor: cfg.memoryStdFloor,
    });
    memory = { segments, ...rm, advantages: aM.advantages };
  }

  const steps: StepRecord[] = [];
  const sample: number[] = [];
  rollouts.forEach((r, i) => {
    for (const s of r.steps) {
      steps.push(s);
      sample.push(i);
    }
  });
  const routed = routeTokenAdvantages(
    steps.map((s, j) => ({
      sampleIdx: sample[j]!,
      turnIdx: s.stepIdx,
      lossMask: s.lossMask,
      memSpan: s.memSpan,
    })),
    aT.advantages,
    memory && { segments: memory.segments, advantages: memory.advantages },
    { memoryWeight: cfg.memoryWeight },
  );
  // a rollout with no steps has no sequence; keep seqOffsets one entry per rollout
  const seqOffsets = new Int32Array(rollouts.length + 1);
  let o = 0;
  rollouts.forEach((r, i) => {
    for (const s of r.steps) o += s.responseIds.length;
    seqOffsets[i + 1] = o;
  });
  const oldLogp = new Float32Array(routed.mask.length);
  steps.forEach((s, j) => {
    oldLogp.set(s.responseLogprobs, routed.stepOffsets[j]!);
  });

  let lossTokens = 0;
  for (const m of routed.mask) lossTokens += m;
  return {
    steps,
    stepSample: Int32Array.from(sample),
    oldLogp,
    advantages: routed.advantages,
    mask: routed.mask,
    stepOffsets: routed.stepOffsets,
    seqOffsets,
    rewards,
    trajAdvantages: aT.advantages,
    memory,
    metrics: {
      groups: groups.length,
      rollouts: rollouts.length,
      steps: steps.length,
      lossTokens,
      memTokens: routed.memTokenCount,
      meanReward: mean(rewards),
      meanEm: mean(rollouts.map((r) => r.score.em)),
      meanF1: mean(rollouts.map((r) => r.score.f1)),
      zeroStdGroupFraction: aT.zeroStdGroupFraction,
      meanMemoryReward: memory ? mean(memory.rewards) : 0,
      meanAbsMemoryAdvantage: memory ? mean(memory.advantages.map(Math.abs)) : 0,
      memoryTruncatedFraction: memory ? truncated / Math.max(1, memory.segments.length) : 0,
      meanTT: mean(rollouts.map((r) => r.tt)),
      meanPT: mean(rollouts.map((r) => r.pt)),
      formatFailureRate: mean(rollouts.map((r) => (r.finish === "malformed" ? 1 : 0))),
      answerRate: mean(rollouts.map((r) => (r.finish === "answer" ? 1 : 0))),
      meanTurns: mean(rollouts.map((r) => r.steps.length)),
    },
  };
}
