/**
 * The learner step: current log-probs of every step (each turn scored in its own context, DESIGN.md
 * §6.7), the PPO-clip + k3 loss from @mempo/rl, d loss / d logp back through the model in
 * micro-batches, gradient clipping and one optimizer step.
 *
 * Micro-batching is exact: every aggregation mode of `policyLoss` weights token t by a constant that
 * depends only on the mask, and token t's loss depends only on its own log-prob, so the gradient of
 * a micro-batch's tokens can be computed from the full batch's arrays before the other micro-batches'
 * log-probs are known. Each micro-batch runs one forward (activations kept), one `policyLoss` over the
 * full arrays (O(T), cheap) and one backward; gradients accumulate in the model until the step.
 *
 * Test: `npx vitest run learner_test.ts` (finite differences; the loss falls on a fixed batch).
 */
import { phase } from "@mempo/kernels";
import { forwardLogprobs, type Model, packsRows } from "@mempo/model";
import {
  DEFAULT_POLICY_LOSS_CONFIG,
  type PolicyLossConfig,
  type PolicyLossMetrics,
  policyLoss,
} from "@mempo/rl";
import { packBatches } from "./batch.ts";
import type { Policy } from "./policy.ts";
import type { TrainBatch } from "./train_batch.ts";

export interface LearnerOptions {
  /** Reference policy for the KL term (needed when klCoef > 0): its `score` gives log π_ref. */
  refPolicy?: Pick<Policy, "score">;
  /** Padded tokens (rows × longest row) per forward/backward micro-batch. Default 8192. */
  microBatchTokens?: number;
  /**
   * Softmax temperature of the policy's and the reference's log-probs: the rollouts' sampling
   * temperature (0 = greedy → 1), so with identical weights the KL to the reference is 0. Default 1.
   */
  temperature?: number;
}

export interface LearnerResult {
  loss: number;
  metrics: PolicyLossMetrics;
  /** [T] current log-probs of the batch's response tokens. */
  logp: Float64Array;
  /** Forward/backward micro-batches run. */
  microBatches: number;
  /** Positions the micro-batches ran through the model (rows × length of each, packed or padded). */
  positions: number;
}

/** The optimizer surface learnerStep needs (@mempo/model's AdamW). */
export interface Optimizer {
  step(): { lr: number; gradNorm: number };
}

/** log π_ref of the batch's response tokens, flat [T]; cached on the batch for further epochs. */
async function refLogprobs(
  batch: TrainBatch,
  ref: Pick<Policy, "score">,
  temperature: number,
): Promise<Float64Array> {
  const cache = batch as TrainBatch & { refLogp?: Float64Array };
  if (cache.refLogp) return cache.refLogp;
  const lp = await phase("reference-scoring", () =>
    ref.score(
      batch.steps.map((s) => s.promptIds),
      batch.steps.map((s) => s.responseIds),
      { temperature },
    ),
  );
  const out = new Float64Array(batch.oldLogp.length);
  batch.steps.forEach((s, j) => {
    const a = lp[j];
    if (a === undefined || a.length !== s.responseIds.length)
      throw new Error(`learnerStep: refPolicy.score gave a wrong-sized result for step ${j}`);
    out.set(a, batch.stepOffsets[j]!);
  });
  cache.refLogp = out;
  return out;
}

/**
 * Computes the loss and accumulates its gradient into `model.grads()` without stepping (for
 * gradient accumulation over several batches, and for gradient checks).
 */
export async function accumulatePolicyGradient(
  model: Model,
  batch: TrainBatch,
  loss: Partial<PolicyLossConfig> = {},
  opts: LearnerOptions = {},
): Promise<LearnerResult> {
  const temperature = opts.temperature && opts.temperature > 0 ? opts.temperature : 1;
  const klCoef = loss.klCoef ?? DEFAULT_POLICY_LOSS_CONFIG.klCoef;
  let refLogp: Float64Array | undefined;
  if (klCoef > 0) {
    if (!opts.refPolicy) {
      throw new Error(
        `learnerStep: klCoef is ${klCoef} but no refPolicy was given; pass the reference model's policy or set klCoef 0`,
      );
    }
    refLogp = await refLogprobs(batch, opts.refPolicy, temperature);
  }
  // placeholders: a token's gradient depends only on its own log-prob (see the header)
  const logp = Float64Array.from(batch.oldLogp);
  const input = {
    logp,
    oldLogp: batch.oldLogp,
    refLogp,
    advantages: batch.advantages,
    mask: batch.mask,
    seqOffsets: batch.seqOffsets,
  };
  // Packed rows where the backend runs them (forwardLogprobs packs each micro-batch into one row).
  const micro = packBatches(batch.steps, {
    maxTokens: opts.microBatchTokens ?? 8192,
    packed: packsRows(model.backend),
  });
  let positions = 0;
  for (const idx of micro) {
    const steps = idx.map((j) => batch.steps[j]!);
    const pass = await forwardLogprobs(model, steps, { temperature });
    positions += pass.packed.B * pass.packed.T;
    const off = pass.packed.offsets; // pass.flat is in the model's precision (float64 for an f64 model)
    idx.forEach((j, k) => {
      const at = batch.stepOffsets[j]!;
      for (let t = off[k]!; t < off[k + 1]!; t++) logp[at + t - off[k]!] = Number(pass.flat[t]);
    });
    const { grad } = phase("loss", () => policyLoss(input, loss));
    pass.backward(idx.map((j) => grad.subarray(batch.stepOffsets[j]!, batch.stepOffsets[j + 1]!)));
  }
  const out = policyLoss(input, loss);
  return { loss: out.loss, metrics: out.metrics, logp, microBatches: micro.length, positions };
}

/**
 * One update: `accumulatePolicyGradient`, then `optimizer.step()` (AdamW clips the global gradient
 * norm, updates and zeroes the gradients). Call it several times on one batch for PPO epochs: the
 * ratios stay relative to the rollout log-probs.
 */
export async function learnerStep(
  model: Model,
  optimizer: Optimizer,
  batch: TrainBatch,
  loss: Partial<PolicyLossConfig> = {},
  opts: LearnerOptions = {},
): Promise<LearnerResult & { lr: number; gradNorm: number }> {
  const res = await accumulatePolicyGradient(model, batch, loss, opts);
  const { lr, gradNorm } = optimizer.step();
  return { ...res, lr, gradNorm };
}
