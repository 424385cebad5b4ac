/**
 * @module @mempo/model — decoder-only transformer (GPT-2 and Llama/Qwen2 families) on @mempo/kernels:
 * configs and presets, forward/backward, KV-cache generation, teacher-forced scoring, training
 * helpers, safetensors checkpoints with HF tensor names. See README.md.
 */
export {
  CONFIG_DEFAULTS,
  type Family,
  headDim,
  type ModelConfig,
  type ModelConfigInput,
  resolveConfig,
  validateConfig,
} from "./config.ts";
export { fromHfConfig, toHfConfig } from "./hf_config.ts";
export { countParams, type InitKind, type ParamSpec, paramSpecs } from "./params_spec.ts";
export { PRESETS, type PresetName, preset } from "./presets.ts";
export { Rng, type RngState } from "./rng.ts";
export {
  type NamedTensor,
  parseSafetensors,
  type SafetensorsFile,
  serializeSafetensors,
} from "./safetensors.ts";
export { resolveSampling, SAMPLING_DEFAULTS, type SamplingConfig, sampleToken } from "./sample.ts";
