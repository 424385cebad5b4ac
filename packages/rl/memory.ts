/**
 * MemPO's memory-level reward and advantage (DESIGN.md §6 eqs. 3–5).
 *
 * Input per memory segment m_{i,t}: the gold answer's per-token log-probs, teacher-forced by the
 * rollout policy (a) after (question, m_{i,t}, `<answer>`) and (b) after (question, full history
 * before turn t, `<answer>`). The model calls that produce them live in @mempo/rollout.
 *
 * Test: `npx vitest run memory_test.ts`
 * Simplifications: the probability is the plain geometric mean over the answer's tokens (no length
 * or temperature correction); normalisation reuses GRPO's mean/std (sample std, same ε).
 */
import { type AdvantageResult, DEFAULT_EPSILON, grpoAdvantages } from "./advantages.ts";

/** Identifies a memory segment: rollout i's `<mem>` written at turn t, in group g. */
export interface MemoryKey {
  /** group (task) of the rollout: a number or a string, used consistently within a batch. */
  groupId: number | string;
  /** rollout index i (the index into the trajectory rewards/advantages). */
  sampleIdx: number;
  /** turn index t (0- or 1-based, as long as it is consistent within a batch). */
  turnIdx: number;
}

export interface MemorySegment extends MemoryKey {
  /** [L] log π(a_l | q, m_{i,t}, `<answer>`, a_<l) for the L gold-answer tokens. */
  memLogprobs: ArrayLike<number>;
  /** [L] log π(a_l | q, h_{i,<t}, `<answer>`, a_<l): full uncompressed history (question alone at the first turn). */
  baseLogprobs: ArrayLike<number>;
}

/** `pooled`: one normalisation over all memory segments of a group (default); `per-turn`: per (group, turn). */
export type MemoryNormalization = "pooled" | "per-turn";

export interface MemoryAdvantageOptions {
  /** Default `pooled`. */
  normalization?: MemoryNormalization;
  /** Added to the std. Default 1e-6. */
  epsilon?: number;
  /**
   * Lower bound on the std in eq. 5's denominator (default 0, the paper's eq. 5). R^M is a
   * difference of probabilities; when every memory of a group makes the gold answer about equally
   * (un)likely, std ≈ 0.01 and plain normalisation still gives |A^M| ≈ 0.75. A floor of ~0.05–0.1
   * keeps such noise small.
   */
  stdFloor?: number;
}

export interface MemoryAdvantageResult extends AdvantageResult {
  /** mean |A^M| over the segments (a training metric). */
  meanAbsAdvantage: number;
}

/**
 * Eq. 3: geometric-mean probability of the answer tokens, exp((1/L) Σ_l logp_l).
 * @param logprobs [L], L ≥ 1 (−Infinity allowed: probability 0)
 */
export function answerProbability(logprobs: ArrayLike<number>, where = "answerProbability"): number {
  if (logprobs.length === 0) {
    throw new Error(`${where}: no answer log-probs; score the gold answer's tokens (L ≥ 1)`);
  }
  let sum = 0;
  for (let l = 0; l < logprobs.length; l++) {
    const lp = logprobs[l]!;
    if (Number.isNaN(lp) || lp > 1e-3) {
      // a small positive value is float32 round-off of log_softmax and is accepted
      throw new Error(`${where}: logprobs[${l}] is ${lp}; log-probabilities must be ≤ 0`);
    }
    sum += lp;
  }
  return Math.exp(sum / logprobs.length);
}

/**
 * Eq. 4: R^M_{i,t} = P_{i,t} − ε_{i,t}.
 * @param segments [M]
 * @returns rewards [M], memProb P [M], baseProb ε [M]
 */
export function memoryRewards(segments: readonly MemorySegment[]): {
  rewards: Float64Array;
  memProb: Float64Array;
  baseProb: Float64Array;
} {
  const m = segments.length;
  const rewards = new Float64Array(m);
  const memProb = new Float64Array(m);
  const baseProb = new Float64Array(m);
  for (let s = 0; s < m; s++) {
    const seg = segments[s]!;
    const where = `memoryRewards: segment ${s} (sample ${seg.sampleIdx}, turn ${seg.turnIdx})`;
    if (seg.memLogprobs.length !== seg.baseLogprobs.length) {
      throw new Error(
        `${where}: memLogprobs has ${seg.memLogprobs.length} tokens but baseLogprobs has ${seg.baseLogprobs.length}; score the same gold answer ids in both contexts`,
      );
    }
    memProb[s] = answerProbability(seg.memLogprobs, where);
    baseProb[s] = answerProbability(seg.baseLogprobs, where);
    rewards[s] = memProb[s]! - baseProb[s]!;
  }
  return { rewards, memProb, baseProb };
}

/**
 * Eq. 5: A^M = (R^M − mean) / (max(std, stdFloor) + ε) over the memory segments of a group — all turns of all its
 * rollouts (`pooled`) or one turn index at a time (`per-turn`). Sample std; singleton or all-equal
 * sets give 0.
 * @param rewards [M] R^M per segment
 * @param keys [M] the segment each reward belongs to
 * @returns advantages [M], aligned with `keys`
 */
export function memoryAdvantages(
  rewards: ArrayLike<number>,
  keys: readonly MemoryKey[],
  options: MemoryAdvantageOptions = {},
): MemoryAdvantageResult {
  if (rewards.length !== keys.length) {
    throw new Error(
      `memoryAdvantages: ${rewards.length} rewards but ${keys.length} keys; pass one key per reward`,
    );
  }
  const normalization = options.normalization ?? "pooled";
  if (normalization !== "pooled" && normalization !== "per-turn") {
    throw new Error(`memoryAdvantages: unknown normalization "${normalization}"; use "pooled" or "per-turn"`);
  }
  // one dense set id per group (pooled) or per (group, turn) (per-turn)
  const setIds = new Int32Array(keys.length);
  const dense = new Map<string, number>();
  for (let s = 0; s < keys.length; s++) {
    const key = keys[s]!;
    const group = `${typeof key.groupId}:${key.groupId}`;
    const k = normalization === "pooled" ? group : `${group}:${key.turnIdx}`;
    let id = dense.get(k);
    if (id === undefined) {
      id = dense.size;
      dense.set(k, id);
    }
    setIds[s] = id;
  }
  const res = grpoAdvantages(rewards, setIds, {
    epsilon: options.epsilon ?? DEFAULT_EPSILON,
    stdFloor: options.stdFloor ?? 0,
  });
  let abs = 0;
  for (const a of res.advantages) abs += Math.abs(a);
  return { ...res, meanAbsAdvantage: keys.length === 0 ? 0 : abs / keys.length };
}
