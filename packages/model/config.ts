/**
 * Model configuration: one object describes a decoder-only transformer of either family, with
 * documented defaults and validation that says which field is wrong and how to fix it.
 *
 * Families:
 * - `gpt2`: learned position table, LayerNorm (with bias), GELU (tanh approximation) MLP, biases on
 *   every linear layer, tied embeddings by default.
 * - `llama`: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, optional q/k/v bias (Qwen2 has it,
 *   Llama has none), optional tied embeddings.
 *
 * Test: `npx vitest run config_test.ts`.
 */

export type Family = "gpt2" | "llama";

/** A fully resolved model configuration (every field present). */
export interface ModelConfig {
  /** Architecture family; see the file header. */
  family: Family;
  /** Number of token ids (rows of the embedding table). */
  vocabSize: number;
  /** Width of the residual stream (HF `n_embd` / `hidden_size`). */
  dModel: number;
  /** Number of transformer blocks (HF `n_layer` / `num_hidden_layers`). */
  nLayers: number;
  /** Query heads; `dModel` must be divisible by it. Head size = dModel / nHeads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention); divides nHeads. Always nHeads for gpt2. */
  nKvHeads: number;
  /** Hidden width of the MLP (HF `n_inner` / `intermediate_size`). */
  dFf: number;
  /** Longest sequence (prompt + generated) the model accepts; gpt2 has a position table this long. */
  maxSeqLen: number;
  /** Epsilon of LayerNorm / RMSNorm. */
  normEps: number;
  /** RoPE base frequency (llama only). */
  ropeTheta: number;
  /** Output projection shares the token-embedding matrix. */
  tieEmbeddings: boolean;
  /** Bias on the q/k/v projections (llama family; gpt2 always has biases). */
  qkvBias: boolean;
  /** Standard deviation of the normal initialisation of weight matrices. */
  initStd: number;
}

/** Defaults for every field but `family`; applied by {@link resolveConfig}. */
export const CONFIG_DEFAULTS: Omit<ModelConfig, "family" | "nKvHeads" | "dFf" | "qkvBias" | "normEps"> = {
  vocabSize: 4096, // the project's own BPE vocabulary size
  dModel: 128, // residual width
  nLayers: 4, // transformer blocks
  nHeads: 4, // attention heads (head size 32)
  maxSeqLen: 1024, // longest context + generation
  ropeTheta: 10000, // RoPE base (llama)
  tieEmbeddings: true, // share embedding and output matrices
  initStd: 0.02, // GPT-2 initialisation scale
};

/** What a caller may pass: the family plus any subset of the fields. */
export type ModelConfigInput = Partial<ModelConfig> & { family: Family };

/** Every field of a ModelConfig. */
export const MODEL_CONFIG_FIELDS = [
  "family",
  "vocabSize",
  "dModel",
  "nLayers",
  "nHeads",
  "nKvHeads",
  "dFf",
  "maxSeqLen",
  "normEps",
  "ropeTheta",
  "tieEmbeddings",
  "qkvBias",
  "initStd",
] as const satisfies readonly (keyof ModelConfig)[];

/**
 * Fills defaults and validates. Family-dependent defaults: `nKvHeads` = nHeads; `dFf` = 4·dModel
 * (gpt2) or the Llama rule round_up(8/3·dModel, 64) (llama); `normEps` 1e-5 (gpt2) / 1e-6 (llama);
 * `qkvBias` false for llama.
 * @throws Error naming the field, the value and the fix.
 */
export function resolveConfig(input: ModelConfigInput): ModelConfig {
  if (input === null || typeof input !== "object")
    throw new Error(`model config: expected an object, got ${String(input)}`);
  const family = input.family;
  if (family !== "gpt2" && family !== "llama") {
    throw new Error(`model config: family must be "gpt2" or "llama", got ${JSON.stringify(family)}`);
  }
  const known = new Set<string>(MODEL_CONFIG_FIELDS);
  for (const k of Object.keys(input)) {
    if (!known.has(k))
      throw new Error(`model config: unknown field "${k}"; known fields: ${[...known].join(", ")}`);
  }
  const d = input.dModel ?? CONFIG_DEFAULTS.dModel;
  const c: ModelConfig = {
    ...CONFIG_DEFAULTS,
    nKvHeads: input.nHeads ?? CONFIG_DEFAULTS.nHeads,
    dFf: family === "gpt2" ? 4 * d : Math.ceil((8 * d) / 3 / 64) * 64,
    normEps: family === "gpt2" ? 1e-5 : 1e-6,
    qkvBias: false,
    ...stripUndefined(input),
    family,
  };
  validateConfig(c);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks a resolved config; throws with the field name, the bad value and how to fix it. */
export function validateConfig(c: ModelConfig): void {
  const int = (k: keyof ModelConfig, min: number) => {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`model config: ${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
  };
  const pos = (k: keyof ModelConfig) => {
    const v = c[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new Error(`model config: ${k} must be a finite number > 0, got ${JSON.stringify(v)}`);
    }
  };
  const bool = (k: keyof ModelConfig) => {
    if (typeof c[k] !== "boolean")
      throw new Error(`model config: ${k} must be true or false, got ${JSON.stringify(c[k])}`);
  };
  for (const k of ["vocabSize", "dModel", "nLayers", "nHeads", "nKvHeads", "dFf", "maxSeqLen"] as const)
    int(k, 1);
  for (const k of ["normEps", "ropeTheta", "initStd"] as const) pos(k);
  bool("tieEmbeddings");
  bool("qkvBias");
  if (c.dModel % c.nHeads !== 0) {
    throw new Error(
      `model config: dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads}); pick nHeads among its divisors`,
    );
  }
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new Error(
      `model config: nHeads (${c.nHeads}) must be divisible by nKvHeads (${c.nKvHeads}) for grouped-query attention`,
    );
  }
  if (c.family === "gpt2" && c.nKvHeads !== c.nHeads) {
    throw new Error(
      `model config: gpt2 family has no grouped-query attention; nKvHeads (${c.nKvHeads}) must equal nHeads (${c.nHeads})`,
    );
  }
  if (c.family === "gpt2" && c.qkvBias) {
    // gpt2 always has biases; the flag is a llama-family option. Accept only the default to avoid ambiguity.
    throw new Error(
      "model config: qkvBias is a llama-family option (gpt2 always has biases); leave it false for gpt2",
    );
  }
  if (c.family === "llama" && (c.dModel / c.nHeads) % 2 !== 0) {
    throw new Error(`model config: RoPE needs an even head size; dModel / nHeads = ${c.dModel / c.nHeads}`);
  }
}

/** Head size (dModel / nHeads). */
export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}
