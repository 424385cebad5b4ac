/**
 * Policy loss (DESIGN.md §6 eq. 7): PPO-clip on per-token ratios plus β·k3 KL to a reference,
 * aggregated by a named mode, with its exact gradient d loss / d logp for every token.
 *
 * Every aggregation mode is linear in the per-token losses, loss = Σ_t w_t ℓ_t, so a mode is just a
 * weight per token (registry `lossAggregations`) and the gradient is w_t · dℓ_t/dlogp_t.
 *
 * Test: `npx vitest run loss_test.ts` (gradients checked against central finite differences).
 * Simplifications: no dual-clip, no entropy bonus; the log-ratio is clamped to ±20 (as verl does),
 * where the gradient is 0.
 */

/** Float32Array or Float64Array (any array of numbers is accepted). */
export type FloatArray = ArrayLike<number>;

export interface PolicyLossConfig {
  /** ε_low: ratios below 1 − ε_low are clipped. Default 0.2. */
  clipLow: number;
  /** ε_high: ratios above 1 + ε_high are clipped (DAPO's clip-higher uses 0.28). Default 0.2. */
  clipHigh: number;
  /** β on the k3 KL to the reference policy; 0 needs no refLogp. Default 0.001. */
  klCoef: number;
  /** name in `lossAggregations`. Default `seq-mean-token-mean` (the paper). */
  aggregation: string;
  /** constant divisor for `seq-mean-token-sum-norm` (the generation budget in tokens). Default 0 = unset. */
  maxLength: number;
}

export const DEFAULT_POLICY_LOSS_CONFIG: Readonly<PolicyLossConfig> = Object.freeze({
  clipLow: 0.2,
  clipHigh: 0.2,
  klCoef: 0.001,
  aggregation: "seq-mean-token-mean",
  maxLength: 0,
});

/** T = total tokens, S = trajectories. */
export interface PolicyLossInput {
  /** [T] log π_θ of each token (the quantity the gradient is taken with respect to). */
  logp: FloatArray;
  /** [T] log π_old (the rollout policy). */
  oldLogp: FloatArray;
  /** [T] log π_ref; may be omitted when klCoef is 0. */
  refLogp?: FloatArray;
  /** [T] per-token advantage (routing.ts). */
  advantages: FloatArray;
  /** [T] 1 = loss token, 0 = masked (values there are ignored, may be NaN). */
  mask: Uint8Array;
  /** [S + 1] token offset of each trajectory; seqOffsets[0] = 0, seqOffsets[S] = T. */
  seqOffsets: ArrayLike<number>;
}

export interface PolicyLossMetrics {
  /** Σ w_t · pg_t (the clipped surrogate, negated). */
  pgLoss: number;
  /** Σ w_t · k3_t (before β). */
  klLoss: number;
  /** fraction of loss tokens where the clipped branch was taken (zero gradient), as verl's pg_clipfrac. */
  clipFraction: number;
  /** …of which with r < 1 − ε_low (A < 0). */
  clipFractionLow: number;
  /** …of which with r > 1 + ε_high (A > 0). */
  clipFractionHigh: number;
  /** token mean of log π_old − log π_θ (verl's ppo_kl). */
  approxKl: number;
  /** token mean of k3 to the reference. */
  refKl: number;
  lossTokens: number;
  sequences: number;
}

export interface PolicyLossOutput {
  /** scalar to minimise: pgLoss + β · klLoss. */
  loss: number;
  /** [T] d loss / d logp_t; 0 on masked tokens. */
  grad: Float64Array;
  metrics: PolicyLossMetrics;
}

/** (mask [T], seqOffsets [S+1], config) → per-token weights w [T] (0 on masked tokens). */
export type LossAggregation = (
  mask: Uint8Array,
  seqOffsets: ArrayLike<number>,
  config: PolicyLossConfig,
) => Float64Array;

/** token-mean (DAPO): w_t = 1 / (number of loss tokens in the batch). */
const tokenMean: LossAggregation = (mask) => {
  let n = 0;
  for (let t = 0; t < mask.length; t++) n += mask[t]! ? 1 : 0;
  const w = new Float64Array(mask.length);
  for (let t = 0; t < mask.length; t++) if (mask[t]) w[t] = 1 / n;
  return w;
};

/** seq-mean-token-mean (paper): w_t = 1 / (S' · n_s); S' = trajectories with ≥ 1 loss token. */
const seqMeanTokenMean: LossAggregation = (mask, seqOffsets) => {
  const w = new Float64Array(mask.length);
  const counts: number[] = [];
  for (let s = 0; s + 1 < seqOffsets.length; s++) {
    let n = 0;
    for (let t = seqOffsets[s]!; t < seqOffsets[s + 1]!; t++) n += mask[t]! ? 1 : 0;
    counts.push(n);
  }
  const nonEmpty = counts.filter((n) => n > 0).length;
  counts.forEach((n, s) => {
    for (let t = seqOffsets[s]!; t < seqOffsets[s + 1]!; t++) if (mask[t]) w[t] = 1 / (nonEmpty * n);
  });
  return w;
};

/** seq-mean-token-sum-norm (Dr.GRPO): w_t = 1 / (S · maxLength), a constant over all loss tokens. */
const seqMeanTokenSumNorm: LossAggregation = (mask, seqOffsets, config) => {
  if (!(config.maxLength > 0)) {
    throw new Error(
      `policyLoss: aggregation "seq-mean-token-sum-norm" needs maxLength > 0 (got ${config.maxLength}); set it to the generation budget`,
    );
  }
  const sequences = seqOffsets.length - 1;
  const w = new Float64Array(mask.length);
  for (let t = 0; t < mask.length; t++) if (mask[t]) w[t] = 1 / (sequences * config.maxLength);
  return w;
};

/** Aggregation modes by name. */
export const lossAggregations = new Map<string, LossAggregation>([
  ["seq-mean-token-mean", seqMeanTokenMean],
  ["token-mean", tokenMean],
  ["seq-mean-token-sum-norm", seqMeanTokenSumNorm],
]);

function checkInput(x: PolicyLossInput, beta: number): number {
  const T = x.mask.length;
  const arrays: [string, FloatArray | undefined][] = [
    ["logp", x.logp],
    ["oldLogp", x.oldLogp],
    ["advantages", x.advantages],
    ["refLogp", beta !== 0 ? x.refLogp : undefined],
  ];
  if (beta !== 0 && !x.refLogp)
    throw new Error(`policyLoss: klCoef is ${beta} but refLogp is missing; pass it or set klCoef 0`);
  for (const [name, a] of arrays) {
    if (a && a.length !== T)
      throw new Error(`policyLoss: ${name} has ${a.length} tokens but mask has ${T}; align them`);
  }
  const off = x.seqOffsets;
  if (off.length < 1 || off[0] !== 0 || off[off.length - 1] !== T) {
    throw new Error(`policyLoss: seqOffsets must start at 0 and end at ${T} (the token count)`);
  }
  for (let s = 1; s < off.length; s++) {
    if (!(off[s]! >= off[s - 1]!)) throw new Error(`policyLoss: seqOffsets[${s}] = ${off[s]} decreases`);
  }
  return T;
}

/**
 * Eq. 7. Per loss token t (r_t = exp(logp_t − oldLogp_t), A_t its advantage):
 *   pg_t = max(−A_t r_t, −A_t clip(r_t, 1 − ε_low, 1 + ε_high))
 *   k3_t = exp(ref_t − logp_t) − (ref_t − logp_t) − 1
 *   loss = Σ_t w_t (pg_t + β k3_t),  w from the aggregation mode.
 * Gradient: d pg_t/d logp_t = −A_t r_t on the unclipped branch, 0 on the clipped one;
 *           d k3_t/d logp_t = 1 − exp(ref_t − logp_t).
 * @returns loss, grad [T], metrics
 */
export function policyLoss(input: PolicyLossInput, config: Partial<PolicyLossConfig> = {}): PolicyLossOutput {
  const cfg: PolicyLossConfig = { ...DEFAULT_POLICY_LOSS_CONFIG, ...config };
  const aggregate = lossAggregations.get(cfg.aggregation);
  if (!aggregate) {
    throw new Error(
      `policyLoss: unknown aggregation "${cfg.aggregation}"; known: ${[...lossAggregations.keys()].join(", ")}`,
    );
  }
  const beta = cfg.klCoef;
  const T = checkInput(input, beta);
  const { logp, oldLogp, refLogp, advantages, mask } = input;
  const w = aggregate(mask, input.seqOffsets, cfg);
  const grad = new Float64Array(T);
  const lo = 1 - cfg.clipLow;
  const hi = 1 + cfg.clipHigh;
  let pgLoss = 0;
  let klLoss = 0;
  let tokens = 0;
  let clipped = 0;
  let clippedLow = 0;
  let clippedHigh = 0;
  let k1Sum = 0;
  let k3Sum = 0;
  for (let t = 0; t < T; t++) {
    if (!mask[t]) continue;
    const lp = logp[t]!;
    const a = advantages[t]!;
    const lr = lp - oldLogp[t]!;
    if (Number.isNaN(lr) || Number.isNaN(a)) {
      throw new Error(
        `policyLoss: token ${t} has logp=${lp}, oldLogp=${oldLogp[t]}, advantage=${a}; loss tokens must be finite`,
      );
    }
    tokens++;
    const lrc = Math.min(20, Math.max(-20, lr));
    const r = Math.exp(lrc);
    const dr = lrc === lr ? r : 0; // d r / d logp
    const pg1 = -a * r;
    const rc = Math.min(hi, Math.max(lo, r));
    const pg2 = -a * rc;
    let pg: number;
    let dpg: number;
    if (pg2 > pg1) {
      pg = pg2;
      dpg = 0;
      clipped++;
      if (r < lo) clippedLow++;
      else clippedHigh++;
    } else {
      pg = pg1;
      dpg = -a * dr;
    }
    let k3 = 0;
    let dk3 = 0;
    if (beta !== 0) {
      const d = refLogp![t]! - lp;
      const e = Math.exp(d);
      k3 = e - d - 1;
      dk3 = 1 - e;
    }
    k1Sum += -lr;
    k3Sum += k3;
    pgLoss += w[t]! * pg;
    klLoss += w[t]! * k3;
    grad[t] = w[t]! * (dpg + beta * dk3);
  }
  const perToken = (x: number) => (tokens === 0 ? 0 : x / tokens);
  return {
    loss: pgLoss + beta * klLoss,
    grad,
    metrics: {
      pgLoss,
      klLoss,
      clipFraction: perToken(clipped),
      clipFractionLow: perToken(clippedLow),
      clipFractionHigh: perToken(clippedHigh),
      approxKl: perToken(k1Sum),
      refKl: perToken(k3Sum),
      lossTokens: tokens,
      sequences: input.seqOffsets.length - 1,
    },
  };
}
