/**
 * `modelPolicy`: @mempo/model's transformer as a rollout Policy. `generate` is the model's batched
 * KV-cache generation (stop ids, per-token log-probs at the sampling temperature, finish reason);
 * `score` is its batched teacher-forced scoring at temperature 1 (the policy's own distribution,
 * for MemPO's memory reward). Bump `version` after each optimizer step.
 * Test: `npx vitest run model_policy_test.ts`.
 */
import { generate, type Model, score } from "@mempo/model";
import type { GenerateRequest, Policy, PolicyGeneration } from "./policy.ts";

export interface ModelPolicyOptions {
  /** Padded positions per scoring forward (B·T). Default 8192. */
  maxBatchTokens?: number;
  /** Initial version. Default 0. */
  version?: number;
}

export class ModelPolicy implements Policy {
  /** Weights version: set it (e.g. to the optimizer step) after each update. */
  version: number;
  readonly maxTokens: number;
  readonly #maxBatchTokens: number;

  constructor(
    readonly model: Model,
    opts: ModelPolicyOptions = {},
  ) {
    this.version = opts.version ?? 0;
    this.#maxBatchTokens = opts.maxBatchTokens ?? 8192;
    this.maxTokens = model.config.maxSeqLen;
  }

  generate(prompts: readonly Uint32Array[], req: GenerateRequest): Promise<PolicyGeneration[]> {
    return generate(this.model, prompts, {
      sampling: req.sampling,
      stopIds: req.stopIds,
      maxNewTokens: req.maxNewTokens,
      seed: req.seed,
    });
  }

  score(contexts: readonly Uint32Array[], targets: readonly Uint32Array[]): Promise<Float32Array[]> {
    return score(this.model, contexts, targets, { maxBatchTokens: this.#maxBatchTokens });
  }
}

/** The model as a Policy (see ModelPolicy). */
export function modelPolicy(model: Model, opts: ModelPolicyOptions = {}): ModelPolicy {
  return new ModelPolicy(model, opts);
}
