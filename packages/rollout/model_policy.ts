/**
 * `modelPolicy`: @mempo/model's transformer as a rollout Policy. `generate` is the model's batched
 * KV-cache generation (stop ids, per-token log-probs at the sampling temperature, finish reason);
 * `score` is its batched teacher-forced scoring at the requested temperature (default 1; the policy's distribution,
 * for MemPO's memory reward), by default prefix-sharing: the question prompt of a group and the
 * nested full-history baselines of a rollout run through the model once (`scoreShared`; same
 * log-probs as plain scoring up to float round-off); likewise generation's prefill runs a group's
 * shared question prompt once. Bump `version` after each optimizer step.
 * Test: `npx vitest run model_policy_test.ts`.
 */
import { generate, type Model, score } from "@mempo/model";
import type { GenerateRequest, Policy, PolicyGeneration, ScoreRequest } from "./policy.ts";

export interface ModelPolicyOptions {
  /** Padded positions per scoring forward (B·T). Default 8192. */
  maxBatchTokens?: number;
  /**
   * Run shared prefixes once: scoring through @mempo/model `scoreShared`, generation with the
   * prefix-tree prefill; false = plain `score` and the padded prefill. Same results. Default true.
   */
  sharePrefixes?: boolean;
  /** Initial version. Default 0. */
  version?: number;
}

export class ModelPolicy implements Policy {
  /** Weights version: set it (e.g. to the optimizer step) after each update. */
  version: number;
  readonly maxTokens: number;
  readonly #maxBatchTokens: number;
  readonly #sharePrefixes: boolean;

  constructor(
    readonly model: Model,
    opts: ModelPolicyOptions = {},
  ) {
    this.version = opts.version ?? 0;
    this.#maxBatchTokens = opts.maxBatchTokens ?? 8192;
    this.#sharePrefixes = opts.sharePrefixes ?? true;
    this.maxTokens = model.config.maxSeqLen;
  }

  generate(prompts: readonly Uint32Array[], req: GenerateRequest): Promise<PolicyGeneration[]> {
    return generate(this.model, prompts, {
      sampling: req.sampling,
      stopIds: req.stopIds,
      maxNewTokens: req.maxNewTokens,
      seed: req.seed,
      sharePrefixes: this.#sharePrefixes,
    });
  }

  score(
    contexts: readonly Uint32Array[],
    targets: readonly Uint32Array[],
    opts: ScoreRequest = {},
  ): Promise<Float32Array[]> {
    const t = opts.temperature;
    return score(this.model, contexts, targets, {
      temperature: t !== undefined && t > 0 ? t : 1,
      maxBatchTokens: this.#maxBatchTokens,
      sharePrefixes: this.#sharePrefixes,
    });
  }
}

/** The model as a Policy (see ModelPolicy). */
export function modelPolicy(model: Model, opts: ModelPolicyOptions = {}): ModelPolicy {
  return new ModelPolicy(model, opts);
}
