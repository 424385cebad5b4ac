/**
 * The package's one config object: every knob of rewards, advantages, routing and the loss, with
 * its default. The trainer resolves CLI flags over it and stores the result with each run.
 *
 * Test: `npx vitest run config_test.ts`
 */
import { advantageEstimators } from "./advantages.ts";
import { DEFAULT_POLICY_LOSS_CONFIG, lossAggregations, type PolicyLossConfig } from "./loss.ts";
import type { MemoryNormalization } from "./memory.ts";
import type { RewardMode } from "./rewards.ts";

export interface RlConfig extends PolicyLossConfig {
  /** trajectory reward (eq. 1): `strict` (all objectives exact, paper) or `f1`. Default `strict`. */
  rewardMode: RewardMode;
  /** advantage estimator name (eq. 2): `grpo` | `rloo` | `reinforce-baseline`. Default `grpo`. */
  estimator: string;
  /** ε added to the std in GRPO and memory normalisation (eqs. 2, 5). Default 1e-6. */
  epsilon: number;
  /** memory advantage normalisation (eq. 5): `pooled` (default) or `per-turn`. */
  memoryNormalization: MemoryNormalization;
  /** weight w on A^M in the token advantage (eq. 6); 0 = plain GRPO baseline. Default 1. */
  memoryWeight: number;
  /** lower bound on the std in the memory normalisation (eq. 5); 0 = the paper's eq. 5. Default 0. */
  memoryStdFloor: number;
}

export const DEFAULT_RL_CONFIG: Readonly<RlConfig> = Object.freeze({
  rewardMode: "strict",
  estimator: "grpo",
  epsilon: 1e-6,
  memoryNormalization: "pooled",
  memoryWeight: 1,
  memoryStdFloor: 0,
  ...DEFAULT_POLICY_LOSS_CONFIG,
});

/** Defaults overlaid with `overrides`, validated; throws naming the bad field and its allowed values. */
export function resolveRlConfig(overrides: Partial<RlConfig> = {}): RlConfig {
  const c: RlConfig = { ...DEFAULT_RL_CONFIG, ...overrides };
  const fail = (field: string, why: string) => {
    throw new Error(`rl config: ${field} = ${JSON.stringify(c[field as keyof RlConfig])}: ${why}`);
  };
  if (c.rewardMode !== "strict" && c.rewardMode !== "f1") fail("rewardMode", 'use "strict" or "f1"');
  if (!advantageEstimators.has(c.estimator))
    fail("estimator", `use one of ${[...advantageEstimators.keys()].join(", ")}`);
  if (c.memoryNormalization !== "pooled" && c.memoryNormalization !== "per-turn") {
    fail("memoryNormalization", 'use "pooled" or "per-turn"');
  }
  if (!lossAggregations.has(c.aggregation))
    fail("aggregation", `use one of ${[...lossAggregations.keys()].join(", ")}`);
  if (!(c.epsilon > 0)) fail("epsilon", "must be > 0");
  if (!(c.clipLow >= 0 && c.clipLow < 1)) fail("clipLow", "must be in [0, 1)");
  if (!(c.clipHigh >= 0)) fail("clipHigh", "must be ≥ 0");
  if (!(c.klCoef >= 0)) fail("klCoef", "must be ≥ 0");
  if (!Number.isFinite(c.memoryWeight)) fail("memoryWeight", "must be a finite number");
  if (!(c.memoryStdFloor >= 0)) fail("memoryStdFloor", "must be ≥ 0");
  if (c.aggregation === "seq-mean-token-sum-norm" && !(c.maxLength > 0)) {
    fail("maxLength", "seq-mean-token-sum-norm needs the generation budget in tokens (> 0)");
  }
  return c;
}
