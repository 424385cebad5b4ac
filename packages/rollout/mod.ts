/**
 * @module @mempo/rollout — step records, the rollout buffer and micro-batch packing.
 */
export { packBatches, type PackOptions } from "./batch.ts";
export { type Group, RolloutBuffer } from "./buffer.ts";
export { type FinishReason, type StepRecord, stepSequence, validateStepRecord } from "./step.ts";
