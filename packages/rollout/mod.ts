/**
 * @module @mempo/rollout — where the model meets the environment: step records, the token-level
 * rollout runner (G rollouts per task, one batched generate per turn), MemPO's memory-reward inputs,
 * rollouts as the inputs of @mempo/rl's equations and their routed advantages as a training batch, the
 * learner step and micro-batch packing. See README.md.
 */
export const PACKAGE = "@mempo/rollout";

export { type PackOptions, packBatches } from "./batch.ts";
export { DEFAULT_ROLLOUT_CONFIG, type RolloutConfig, resolveRolloutConfig } from "./config.ts";
export {
  accumulatePolicyGradient,
  type LearnerOptions,
  type LearnerResult,
  learnerStep,
  type Optimizer,
} from "./learner.ts";
export {
  canonicalAnswer,
  goldTargetIds,
  type MemoryContexts,
  memoryContexts,
  scoreMemories,
} from "./memory_contexts.ts";
export { ModelPolicy, type ModelPolicyOptions, modelPolicy } from "./model_policy.ts";
export type { GenerateRequest, Policy, PolicyGeneration, Sampling, ScoreRequest } from "./policy.ts";
export { findMemSpan, type ProtocolIds, protocolIds } from "./protocol_ids.ts";
export type { FormatFailure, MemoryScore, Rollout, RolloutFinish, RolloutGroup } from "./rollout.ts";
export { questionPromptIds, type RolloutEnv, runGroups, turnContext, turnSeed } from "./runner.ts";
export {
  type Respond,
  type ScriptedPolicy,
  type ScriptedPolicyOptions,
  scriptedPolicy,
  teacherPolicy,
} from "./scripted_policy.ts";
export { type FinishReason, type StepRecord, stepSequence, validateStepRecord } from "./step.ts";
export { groupIds, memorySegments, objectiveScores, type TrainBatch, tokenBatch } from "./train_batch.ts";
export {
  collectInTaskOrder,
  type ExecutorStats,
  InProcessExecutor,
  type InProcessOptions,
  jobSeed,
  planJobs,
  type RolloutExecutor,
  type RolloutJob,
  type VersionedPolicy,
} from "./queue/executor.ts";
export { DEFAULT_QUEUE, type GroupJobData, type GroupJobResult } from "./queue/jobs.ts";
export {
  type LoadedPolicy,
  localPolicyDir,
  type ModelLoaderOptions,
  modelLoader,
  PolicyCache,
  type PolicyLease,
  type PolicyLoader,
  PolicyTooOldError,
  type PublishedPolicy,
  policyKey,
  writePolicy,
} from "./queue/publish.ts";
export { QueueExecutor, type QueueExecutorOptions } from "./queue/queue_executor.ts";
export { decodeGroups, encodeGroups, WIRE_FORMAT, type WireGroup, WireError } from "./queue/wire.ts";
export {
  loadWorkerEnv,
  type RunningWorker,
  runWorker,
  type WorkerOptions,
  type WorkerStats,
} from "./queue/worker.ts";
