/**
 * Trajectory reward R^T (DESIGN.md §6 eq. 1) and the format-validity signal.
 *
 * The per-objective scores come from @mempo/env's `score(answer, golden) → {em, f1}`; this file only
 * turns them into one scalar per rollout, so rl stays free of text handling.
 *
 * Test: `npx vitest run rewards_test.ts`
 * Simplifications: no partial credit for format (a malformed episode scores 0), no length penalty.
 */

/** `strict`: 1 iff every objective is an exact match (paper default); `f1`: mean per-objective F1. */
export type RewardMode = "strict" | "f1";

/** One rollout's final-answer scores. */
export interface ObjectiveScores {
  /** [K] exact match per objective, each 0 or 1. May be empty when formatValid is false. */
  em: ArrayLike<number>;
  /** [K] token F1 per objective, each in [0, 1]. May be empty when formatValid is false. */
  f1: ArrayLike<number>;
  /** false when the episode ended in a protocol/format failure (no parsable answer, wrong count…). */
  formatValid: boolean;
}

function checkScores(s: ObjectiveScores, where: string): void {
  if (s.em.length !== s.f1.length) {
    throw new Error(
      `${where}: em has ${s.em.length} objectives but f1 has ${s.f1.length}; pass one {em, f1} per objective`,
    );
  }
  if (s.em.length === 0) {
    throw new Error(
      `${where}: formatValid is true but no objective scores were given; a task has ≥ 1 objective`,
    );
  }
  for (let k = 0; k < s.em.length; k++) {
    const em = s.em[k]!;
    const f1 = s.f1[k]!;
    if (!(em >= 0 && em <= 1) || !(f1 >= 0 && f1 <= 1)) {
      throw new Error(`${where}: objective ${k} has em=${em}, f1=${f1}; scores must lie in [0, 1]`);
    }
  }
}

/**
 * R^T for one rollout (eq. 1): 0 when the format is invalid; otherwise `strict` → 1 if all em are 1
 * else 0, `f1` → mean of the per-objective F1.
 */
export function trajectoryReward(
  scores: ObjectiveScores,
  mode: RewardMode = "strict",
  where = "trajectoryReward",
): number {
  if (!scores.formatValid) return 0;
  checkScores(scores, where);
  const k = scores.em.length;
  if (mode === "strict") {
    for (let j = 0; j < k; j++) if (scores.em[j] !== 1) return 0;
    return 1;
  }
  if (mode === "f1") {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += scores.f1[j]!;
    return sum / k;
  }
  throw new Error(`trajectoryReward: unknown reward mode "${mode}"; use "strict" or "f1"`);
}

/**
 * R^T for a batch (eq. 1).
 * @param scores [N] one entry per rollout
 * @returns [N] rewards
 */
export function trajectoryRewards(
  scores: readonly ObjectiveScores[],
  mode: RewardMode = "strict",
): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    out[i] = trajectoryReward(scores[i]!, mode, `trajectoryRewards: rollout ${i}`);
  }
  return out;
}

/**
 * Format-validity signal per rollout: 1 when the protocol was followed, else 0 (log its mean).
 * @param scores [N]  @returns [N]
 */
export function formatValidity(scores: readonly ObjectiveScores[]): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]!.formatValid ? 1 : 0;
  return out;
}
