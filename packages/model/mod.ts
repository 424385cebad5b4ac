/**
 * @module @mempo/model — decoder-only transformer (GPT-2 and Llama/Qwen2 families) on @mempo/kernels:
 * configs and presets, forward/backward, KV-cache generation, teacher-forced scoring, training
 * helpers, safetensors with HF tensor names. See README.md. No file access here, so it bundles for
 * browsers: checkpoint directories and safetensors files are in `@mempo/model/node`.
 */
export const PACKAGE = "@mempo/model";
export { type PackedBatch, packBatch, packShared, packsRows, type SeqItem } from "./batch.ts";
export { freeSaved, backward } from "./backward.ts";
export {
  CONFIG_DEFAULTS,
  type Family,
  headDim,
  MODEL_CONFIG_FIELDS,
  type ModelConfig,
  type ModelConfigInput,
  resolveConfig,
  validateConfig,
} from "./config.ts";
export {
  type AttendMode,
  type ForwardBatch,
  type ForwardSaved,
  forward,
  type PackedRows,
} from "./forward.ts";
export { type GenerateOptions, type Generation, generate } from "./generate.ts";
export { fromHfConfig, toHfConfig } from "./hf_config.ts";
export { paramsFromHf, paramsToHf } from "./hf_layout.ts";
export { KvCache } from "./kv_cache.ts";
export { forwardLogprobs, type LogprobOptions, type LogprobPass, sftStep } from "./logprobs.ts";
export { layerNames, Model, type ModelOptions } from "./params.ts";
export { countParams, type InitKind, type ParamSpec, paramSpecs } from "./params_spec.ts";
export { PRESETS, type PresetName, preset } from "./presets.ts";
export { Rng, type RngState } from "@mempo/kernels/random";
export {
  floatToBf16,
  type NamedTensor,
  parseSafetensors,
  type SafetensorsFile,
  serializeSafetensors,
} from "./safetensors.ts";
export {
  resolveSampling,
  SAMPLING_DEFAULTS,
  type SamplingConfig,
  sampleFromProbs,
  sampleToken,
} from "./sample.ts";
export { learningRate, type ScheduleConfig } from "./schedule.ts";
export { buildPrefixTree, type PrefixNode, type PrefixTree, treeTokens } from "./prefix_tree.ts";
export { type ScoreOptions, score } from "./score.ts";
export { scoreShared } from "./score_shared.ts";
export { AdamW, type OptimizerState, resolveTrainConfig, TRAIN_DEFAULTS, type TrainConfig } from "./train.ts";
