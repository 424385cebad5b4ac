/**
 * Mapping between {@link ModelConfig} and a Hugging Face `config.json`: `GPT2Config` (n_embd, n_layer,
 * n_head, n_positions, n_inner, vocab_size, layer_norm_epsilon) and `Qwen2Config` / `LlamaConfig`
 * (hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size,
 * rms_norm_eps, rope_theta, tie_word_embeddings, max_position_embeddings). A llama-family config with
 * q/k/v bias is written as Qwen2, without as Llama. Features this model lacks (rope scaling, sliding
 * windows, output-projection bias, other activations) are refused with the field name.
 *
 * Test: `npx vitest run config_test.ts` (the "HF config.json mapping" cases).
 */
import { type ModelConfig, resolveConfig } from "./config.ts";

/** HF config.json for a model config (plain JSON object). */
export function toHfConfig(c: ModelConfig): Record<string, unknown> {
  if (c.family === "gpt2") {
    return {
      architectures: ["GPT2LMHeadModel"],
      model_type: "gpt2",
      vocab_size: c.vocabSize,
      n_embd: c.dModel,
      n_layer: c.nLayers,
      n_head: c.nHeads,
      n_inner: c.dFf === 4 * c.dModel ? null : c.dFf,
      n_positions: c.maxSeqLen,
      n_ctx: c.maxSeqLen,
      layer_norm_epsilon: c.normEps,
      activation_function: "gelu_new",
      tie_word_embeddings: c.tieEmbeddings,
      initializer_range: c.initStd,
      torch_dtype: "float32",
    };
  }
  const qwen = c.qkvBias;
  return {
    architectures: [qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"],
    model_type: qwen ? "qwen2" : "llama",
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFf,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieEmbeddings,
    hidden_act: "silu",
    initializer_range: c.initStd,
    ...(qwen ? { use_sliding_window: false } : { attention_bias: false }),
    torch_dtype: "float32",
  };
}

/**
 * Model config from a HF config.json object.
 * @param where a label for errors (the file path).
 * @throws Error naming the file and field when the config is unsupported or malformed.
 */
export function fromHfConfig(j: Record<string, unknown>, where = "config.json"): ModelConfig {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (j === null || typeof j !== "object") fail("expected a JSON object");
  const type = j.model_type;
  const num = (k: string, dflt?: number): number => {
    const v = j[k] ?? dflt;
    if (typeof v !== "number") fail(`field "${k}" must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = j[k] ?? dflt;
    if (typeof v !== "boolean") fail(`field "${k}" must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const wrap = (f: () => ModelConfig): ModelConfig => {
    try {
      return f();
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  if (type === "gpt2") {
    const act = j.activation_function ?? "gelu_new";
    if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") {
      fail(`activation_function "${act}" is not supported (the gpt2 family uses the tanh GELU, "gelu_new")`);
    }
    const d = num("n_embd");
    return wrap(() =>
      resolveConfig({
        family: "gpt2",
        vocabSize: num("vocab_size"),
        dModel: d,
        nLayers: num("n_layer"),
        nHeads: num("n_head"),
        dFf: j.n_inner == null ? 4 * d : num("n_inner"),
        maxSeqLen: num("n_positions"),
        normEps: num("layer_norm_epsilon", 1e-5),
        tieEmbeddings: bool("tie_word_embeddings", true),
        initStd: num("initializer_range", 0.02),
      }),
    );
  }
  if (type === "qwen2" || type === "llama") {
    const act = j.hidden_act ?? "silu";
    if (act !== "silu") fail(`hidden_act "${act}" is not supported (SwiGLU with "silu" is)`);
    if (j.rope_scaling != null)
      fail(`rope_scaling ${JSON.stringify(j.rope_scaling)} is not supported; only plain RoPE is`);
    if (j.use_sliding_window === true) fail("use_sliding_window: true is not supported; set it to false");
    if (type === "llama" && j.attention_bias === true)
      fail("attention_bias: true (bias on o_proj too) is not supported");
    if (type === "llama" && j.mlp_bias === true) fail("mlp_bias: true is not supported");
    const d = num("hidden_size");
    const heads = num("num_attention_heads");
    if (j.head_dim != null && j.head_dim !== d / heads) {
      fail(
        `head_dim ${j.head_dim} differs from hidden_size / num_attention_heads = ${d / heads}; not supported`,
      );
    }
    return wrap(() =>
      resolveConfig({
        family: "llama",
        vocabSize: num("vocab_size"),
        dModel: d,
        nLayers: num("num_hidden_layers"),
        nHeads: heads,
        nKvHeads: num("num_key_value_heads", heads),
        dFf: num("intermediate_size"),
        maxSeqLen: num("max_position_embeddings", type === "qwen2" ? 32768 : 2048), // HF class defaults
        normEps: num("rms_norm_eps", 1e-6),
        ropeTheta: num("rope_theta", 10000),
        tieEmbeddings: bool("tie_word_embeddings", false),
        qkvBias: type === "qwen2",
        initStd: num("initializer_range", 0.02),
      }),
    );
  }
  return fail(`model_type ${JSON.stringify(type)} is not supported; use "gpt2", "qwen2" or "llama"`);
}
