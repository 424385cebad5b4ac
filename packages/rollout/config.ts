/**
 * The rollout runner's configuration: one object with documented defaults. `resolveRolloutConfig`
 * fills the defaults and validates; store the result with the run. Test: runner_test.ts.
 */
import { type RetentionPolicy, SCORINGS, type ScoringName } from "@mempo/env";
import type { Sampling } from "./policy.ts";

export interface RolloutConfig {
  /** G, rollouts per task (one GRPO group). Default 8. */
  groupSize: number;
  /** Turn budget of a rollout; answering later is a failure. Default 8. */
  maxTurns: number;
  /** Context retention: "mem" (MemPO: prompt + previous turn), "full", "last-k". Default "mem". */
  retention: RetentionPolicy;
  /** k of "last-k". Default 1. */
  k: number;
  /** Documents per search. Default 3. */
  topk: number;
  /** Generation budget per turn in tokens. Default 256. */
  maxNewTokens: number;
  /** Sampling of the rollout policy. Default temperature 1, no top-k / top-p. */
  sampling: Sampling;
  /** Seed of the sampling; turn t of a call uses a seed derived from (seed, t). Default 0. */
  seed: number;
  /** The agent writes `<mem>` (default true); false = ReAct baseline, no `<mem>` required or scored. */
  useMem: boolean;
  /**
   * Also score every memory (`scoreMemories`) with the rollout policy before returning (default false).
   * For rollouts run elsewhere (queue workers), where the learner does not hold the policy that wrote
   * them; in process, the RL loop calls `scoreMemories` itself.
   */
  memoryReward: boolean;
  /**
   * Text put between the memory (or the history) and `<answer>` in both memory-reward contexts, e.g.
   * `"\n<think>I have an answer for every question.</think>\n"` to score the gold answer in the layout the
   * agent writes. Default "" (eq. 3 as written: `…</mem><answer>`). Tags are special tokens.
   */
  memoryBridge: string;
  /** Also count TT/PT with OpenAI's o200k_base (slower; default false). */
  countO200k: boolean;
  /** Prefix of the group ids (`prefix + task.id`), e.g. `"it12/"` to keep iterations apart. Default "". */
  groupIdPrefix: string;
  /** Answer scoring rule (@mempo/env SCORINGS): "mem1" (MEM1 eval.py, default) or "squad". */
  scoring: ScoringName;
}

export const DEFAULT_ROLLOUT_CONFIG: Readonly<RolloutConfig> = Object.freeze({
  groupSize: 8,
  maxTurns: 8,
  retention: "mem",
  k: 1,
  topk: 3,
  maxNewTokens: 256,
  sampling: Object.freeze({ temperature: 1 }),
  seed: 0,
  useMem: true,
  memoryReward: false,
  memoryBridge: "",
  countO200k: false,
  groupIdPrefix: "",
  scoring: "mem1",
});

/** Defaults overlaid with `overrides`, validated; errors name the field and the allowed values. */
export function resolveRolloutConfig(overrides: Partial<RolloutConfig> = {}): RolloutConfig {
  const c: RolloutConfig = { ...DEFAULT_ROLLOUT_CONFIG, ...overrides };
  const fail = (field: keyof RolloutConfig, why: string): never => {
    throw new Error(`rollout config: ${field} = ${JSON.stringify(c[field])}: ${why}`);
  };
  const posInt = (field: "groupSize" | "maxTurns" | "k" | "topk" | "maxNewTokens") => {
    if (!Number.isInteger(c[field]) || c[field] < 1) fail(field, "must be an integer ≥ 1");
  };
  posInt("groupSize");
  posInt("maxTurns");
  posInt("k");
  posInt("topk");
  posInt("maxNewTokens");
  if (c.retention !== "mem" && c.retention !== "full" && c.retention !== "last-k")
    fail("retention", 'use "mem", "full" or "last-k"');
  if (!Number.isInteger(c.seed)) fail("seed", "must be an integer");
  if (!(SCORINGS as readonly string[]).includes(c.scoring)) fail("scoring", `use ${SCORINGS.join(" or ")}`);
  return c;
}
