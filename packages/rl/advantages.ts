/**
 * Group advantage estimators (DESIGN.md §6 eq. 2), registered by name as in verl's `core_algos`.
 *
 * Every estimator maps one scalar reward per rollout plus the rollout's group id (the task it
 * answers; groups need not be contiguous) to one scalar advantage per rollout. routing.ts then
 * broadcasts it to the rollout's tokens.
 *
 * Test: `npx vitest run advantages_test.ts advantages_property_test.ts`
 * Simplifications: outcome rewards only (no per-token returns, no critic), no batch-level whitening.
 */

/** [N] one scalar reward per rollout. */
export type Rewards = ArrayLike<number>;
/** [N] group id per rollout: finite numbers or strings (e.g. StepRecord.groupId); equal id = same group. */
export type GroupIds = ArrayLike<number> | readonly string[];

/** Options shared by the estimators. */
export interface AdvantageOptions {
  /** Added to the std in the denominator (GRPO, eq. 2). Default 1e-6. */
  epsilon?: number;
  /** GRPO only: divide by (std + ε). false gives Dr.GRPO's unscaled A = R − mean. Default true. */
  normalizeByStd?: boolean;
  /**
   * GRPO only: divide by (max(std, stdFloor) + ε), so rewards that differ by less than the floor
   * give proportionally small advantages instead of ±1-sized ones. Default 0 (eq. 2 as written).
   */
  stdFloor?: number;
}

export interface AdvantageResult {
  /** [N] advantage per rollout, in the order of the rewards. */
  advantages: Float64Array;
  /** number of distinct group ids. */
  numGroups: number;
  /**
   * Fraction of groups whose rewards are all equal (singleton groups included): they carry no
   * learning signal and their advantages are exactly 0. Log it (DESIGN.md §6 eq. 2).
   */
  zeroStdGroupFraction: number;
}

/** (rewards [N], groupIds [N], options) → advantages [N]. */
export type AdvantageEstimator = (
  rewards: Rewards,
  groupIds: GroupIds,
  options?: AdvantageOptions,
) => AdvantageResult;

export const DEFAULT_EPSILON = 1e-6;

/**
 * Rollout indices of each group, in order of first appearance.
 * @param groupIds [N]
 * @returns one index list per group
 */
export function groupMembers(groupIds: GroupIds): number[][] {
  const byId = new Map<number | string, number[]>();
  for (let i = 0; i < groupIds.length; i++) {
    const id = groupIds[i]!;
    if (typeof id !== "string" && !Number.isFinite(id)) {
      throw new Error(`advantages: groupIds[${i}] is ${id}; give every rollout a finite group id`);
    }
    const members = byId.get(id);
    if (members) members.push(i);
    else byId.set(id, [i]);
  }
  return [...byId.values()];
}

function checkInputs(rewards: Rewards, groupIds: GroupIds, who: string): void {
  if (rewards.length !== groupIds.length) {
    throw new Error(
      `${who}: rewards has ${rewards.length} entries but groupIds has ${groupIds.length}; pass one group id per rollout`,
    );
  }
  for (let i = 0; i < rewards.length; i++) {
    if (!Number.isFinite(rewards[i]!)) {
      throw new Error(`${who}: rewards[${i}] is ${rewards[i]}; rewards must be finite numbers`);
    }
  }
}

/** Runs `fill(members, mean)` on every group that has ≥ 2 distinct rewards; others stay 0. */
function perGroup(
  who: string,
  rewards: Rewards,
  groupIds: GroupIds,
  fill: (members: number[], mean: number, out: Float64Array) => void,
): AdvantageResult {
  checkInputs(rewards, groupIds, who);
  const out = new Float64Array(rewards.length);
  const groups = groupMembers(groupIds);
  let degenerate = 0;
  for (const members of groups) {
    const first = rewards[members[0]!]!;
    let sum = 0;
    let allEqual = true;
    for (const i of members) {
      const r = rewards[i]!;
      sum += r;
      if (r !== first) allEqual = false;
    }
    if (allEqual) {
      degenerate++; // singleton or equal rewards: advantage exactly 0 (no float residue)
      continue;
    }
    fill(members, sum / members.length, out);
  }
  return {
    advantages: out,
    numGroups: groups.length,
    zeroStdGroupFraction: groups.length === 0 ? 0 : degenerate / groups.length,
  };
}

/**
 * GRPO (eq. 2): A_i = (R_i − mean_g R) / (std_g R + ε), over the rollouts of i's group g.
 * std is the unbiased sample std √(Σ(R−mean)²/(n−1)), as torch.std in verl's GRPO; a singleton
 * group (std undefined) and an all-equal group give A = 0.
 * @param rewards [N]  @param groupIds [N]  @returns advantages [N]
 */
export const grpoAdvantages: AdvantageEstimator = (rewards, groupIds, options = {}) => {
  const eps = options.epsilon ?? DEFAULT_EPSILON;
  const byStd = options.normalizeByStd ?? true;
  const floor = options.stdFloor ?? 0;
  return perGroup("grpo", rewards, groupIds, (members, mean, out) => {
    let ss = 0;
    for (const i of members) ss += (rewards[i]! - mean) ** 2;
    const denom = byStd ? Math.max(Math.sqrt(ss / (members.length - 1)), floor) + eps : 1;
    for (const i of members) out[i] = (rewards[i]! - mean) / denom;
  });
};

/**
 * RLOO: A_i = R_i − mean_{j≠i} R_j = n/(n−1) · (R_i − mean_g R) (leave-one-out baseline).
 * Singleton and all-equal groups give 0.
 * @param rewards [N]  @param groupIds [N]  @returns advantages [N]
 */
export const rlooAdvantages: AdvantageEstimator = (rewards, groupIds) =>
  perGroup("rloo", rewards, groupIds, (members, mean, out) => {
    const n = members.length;
    for (const i of members) out[i] = (n / (n - 1)) * (rewards[i]! - mean);
  });

/**
 * REINFORCE with the group-mean baseline: A_i = R_i − mean_g R. A singleton group gives 0.
 * @param rewards [N]  @param groupIds [N]  @returns advantages [N]
 */
export const reinforceBaselineAdvantages: AdvantageEstimator = (rewards, groupIds) =>
  perGroup("reinforce-baseline", rewards, groupIds, (members, mean, out) => {
    for (const i of members) out[i] = rewards[i]! - mean;
  });

/** Estimators by name: `grpo`, `rloo`, `reinforce-baseline`. Add one with `registerAdvantageEstimator`. */
export const advantageEstimators = new Map<string, AdvantageEstimator>([
  ["grpo", grpoAdvantages],
  ["rloo", rlooAdvantages],
  ["reinforce-baseline", reinforceBaselineAdvantages],
]);

export function registerAdvantageEstimator(name: string, estimator: AdvantageEstimator): void {
  advantageEstimators.set(name, estimator);
}

/**
 * Runs the estimator registered under `name`.
 * @param rewards [N]  @param groupIds [N]  @returns advantages [N] and the zero-std group fraction
 */
export function computeAdvantages(
  name: string,
  rewards: Rewards,
  groupIds: GroupIds,
  options?: AdvantageOptions,
): AdvantageResult {
  const estimator = advantageEstimators.get(name);
  if (!estimator) {
    throw new Error(
      `computeAdvantages: unknown estimator "${name}"; known: ${[...advantageEstimators.keys()].join(", ")}`,
    );
  }
  return estimator(rewards, groupIds, options);
}
