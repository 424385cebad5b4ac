/**
 * Policy: what the rollout runner drives. Two batched calls and a version number, so the same runner
 * works with the real model (`modelPolicy`, model_policy.ts) and with scripted policies in tests
 * (scripted_policy.ts). Everything is token ids: prompts in, response ids and their log-probs out.
 */

/** Sampling knobs, as @mempo/model's `SamplingConfig` (every field optional). */
export interface Sampling {
  /** Softmax temperature; 0 = greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 = off. */
  topK?: number;
  /** Nucleus sampling; 1 = off. */
  topP?: number;
}

export interface GenerateRequest {
  /** Most tokens to generate per prompt. */
  maxNewTokens: number;
  /** Token ids that end a response (kept as its last token). */
  stopIds: readonly number[];
  sampling: Sampling;
  /** Seed of the sampling PRNG for this call. */
  seed: number;
}

/** One generated response. */
export interface PolicyGeneration {
  /** Generated ids, the stop id included when finish = "stop". [R] */
  ids: Uint32Array;
  /** log π of each generated token under the sampling policy. [R] */
  logprobs: Float32Array;
  /** "stop": a stop id ended it; "length": the token budget did. */
  finish: "stop" | "length";
}

export interface Policy {
  /** One response per prompt, in order (one batched call for every active rollout of a turn). */
  generate(prompts: readonly Uint32Array[], req: GenerateRequest): Promise<PolicyGeneration[]>;
  /**
   * Teacher-forced log-probs: out[i][j] = log π(targets[i][j] | contexts[i], targets[i][<j]),
   * no sampling, no gradient. [targets[i].length] per item.
   */
  score(
    contexts: readonly Uint32Array[],
    targets: readonly Uint32Array[],
    opts?: ScoreRequest,
  ): Promise<Float32Array[]>;
  /** Version of the weights (stored in every StepRecord for staleness bounds). */
  readonly version: number;
  /**
   * Longest sequence the policy processes (the model's maxSeqLen): a prompt plus what is generated
   * after it, or a scoring context plus its target. A rollout whose next prompt leaves no room to
   * generate ends with finish "context-overflow"; memory-reward contexts are shortened to fit
   * (memory_contexts.ts). Default unbounded.
   */
  readonly maxTokens?: number;
}

/** Options of {@link Policy.score}. */
export interface ScoreRequest {
  /**
   * Softmax temperature of the scored distribution: the rollouts' sampling temperature, so scores
   * are log-probs of the distribution the tokens were drawn from (≤ 0 means 1). Default 1.
   */
  temperature?: number;
}
