/**
 * @module @mempo/rl — MemPO's math (DESIGN.md §6) as pure functions over typed arrays: trajectory
 * rewards, group advantages (GRPO / RLOO / REINFORCE-baseline), the memory reward and advantage,
 * token advantage routing, and the PPO-clip + k3-KL loss with its gradient. See README.md and
 * docs/algorithm.md.
 */
export const PACKAGE = "@mempo/rl";

export {
  type AdvantageEstimator,
  type AdvantageOptions,
  type AdvantageResult,
  advantageEstimators,
  computeAdvantages,
  DEFAULT_EPSILON,
  type GroupIds,
  groupMembers,
  grpoAdvantages,
  type Rewards,
  registerAdvantageEstimator,
  reinforceBaselineAdvantages,
  rlooAdvantages,
} from "./advantages.ts";
export { DEFAULT_RL_CONFIG, type RlConfig, resolveRlConfig } from "./config.ts";
export {
  DEFAULT_POLICY_LOSS_CONFIG,
  type FloatArray,
  type LossAggregation,
  lossAggregations,
  type PolicyLossConfig,
  type PolicyLossInput,
  type PolicyLossMetrics,
  type PolicyLossOutput,
  policyLoss,
} from "./loss.ts";
export {
  answerProbability,
  type MemoryAdvantageOptions,
  type MemoryAdvantageResult,
  type MemoryKey,
  type MemoryNormalization,
  type MemorySegment,
  memoryAdvantages,
  memoryRewards,
} from "./memory.ts";
export {
  formatValidity,
  type ObjectiveScores,
  type RewardMode,
  trajectoryReward,
  trajectoryRewards,
} from "./rewards.ts";
export {
  type MemoryAdvantages,
  type RoutedAdvantages,
  type RoutingOptions,
  routeTokenAdvantages,
  type StepTokens,
} from "./routing.ts";
