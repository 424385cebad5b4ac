/**
 * Named model configurations, from test-sized to GPT-2 124M and Qwen2-0.5B shapes. `preset(name,
 * overrides)` resolves and validates. Parameter counts are in README.md and checked by presets_test.ts
 * against the published numbers (GPT-2 124,439,808; Qwen2-0.5B 494,032,768).
 */
import { type ModelConfig, type ModelConfigInput, resolveConfig } from "./config.ts";

export const PRESETS = {
  /** Smallest GPT-2-family model, for unit tests and gradient checks. */
  "tiny-gpt2": { family: "gpt2", vocabSize: 64, dModel: 16, nLayers: 2, nHeads: 2, maxSeqLen: 64 },
  /** Smallest Llama/Qwen2-family model (GQA 4:2, q/k/v bias, untied head), for tests. */
  "tiny-llama": {
    family: "llama",
    vocabSize: 64,
    dModel: 16,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    dFf: 32,
    maxSeqLen: 64,
    qkvBias: true,
    tieEmbeddings: false,
  },
  /** The default policy trained from scratch on CPU (Qwen2-style, ≈2.4M parameters). */
  default: {
    family: "llama",
    vocabSize: 4096,
    dModel: 192,
    nLayers: 4,
    nHeads: 6,
    nKvHeads: 2,
    dFf: 512,
    maxSeqLen: 2048,
    qkvBias: true,
    tieEmbeddings: true,
  },
  /** GPT-2-family counterpart of `default` (≈2.6M parameters). */
  "small-gpt2": { family: "gpt2", vocabSize: 4096, dModel: 192, nLayers: 4, nHeads: 6, maxSeqLen: 1024 },
  /** GPT-2 124M shapes (HF `gpt2`). */
  gpt2: { family: "gpt2", vocabSize: 50257, dModel: 768, nLayers: 12, nHeads: 12, maxSeqLen: 1024 },
  /** Qwen2-0.5B shapes (HF `Qwen/Qwen2-0.5B`). */
  "qwen2-0.5b": {
    family: "llama",
    vocabSize: 151936,
    dModel: 896,
    nLayers: 24,
    nHeads: 14,
    nKvHeads: 2,
    dFf: 4864,
    maxSeqLen: 32768,
    normEps: 1e-6,
    ropeTheta: 1000000,
    qkvBias: true,
    tieEmbeddings: true,
  },
} as const satisfies Record<string, ModelConfigInput>;

export type PresetName = keyof typeof PRESETS;

/** A preset by name with optional overrides, resolved and validated. */
export function preset(name: PresetName, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base = PRESETS[name] as ModelConfigInput | undefined;
  if (base === undefined)
    throw new Error(`unknown model preset "${name}"; known: ${Object.keys(PRESETS).join(", ")}`);
  return resolveConfig({ ...base, ...overrides });
}
