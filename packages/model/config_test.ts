import { describe, expect, it } from "vitest";
import { resolveConfig } from "./config.ts";
import { fromHfConfig, toHfConfig } from "./hf_config.ts";
import { PRESETS, type PresetName, preset } from "./presets.ts";

describe("resolveConfig", () => {
  it("fills family-dependent defaults", () => {
    const g = resolveConfig({ family: "gpt2", dModel: 64, nHeads: 4 });
    expect(g.dFf).toBe(256);
    expect(g.nKvHeads).toBe(4);
    expect(g.normEps).toBe(1e-5);
    const l = resolveConfig({ family: "llama", dModel: 96, nHeads: 4 });
    expect(l.dFf).toBe(256); // round_up(8/3·96 = 256, 64)
    expect(l.normEps).toBe(1e-6);
    expect(l.qkvBias).toBe(false);
  });

  it("rejects bad fields with the field name and value", () => {
    expect(() => resolveConfig({ family: "gpt2", dModel: 30, nHeads: 4 })).toThrow(
      /dModel \(30\) must be divisible by nHeads \(4\)/,
    );
    expect(() => resolveConfig({ family: "llama", nHeads: 4, nKvHeads: 3 })).toThrow(
      /nHeads \(4\) must be divisible by nKvHeads \(3\)/,
    );
    expect(() => resolveConfig({ family: "gpt2", nKvHeads: 2 })).toThrow(
      /gpt2 family has no grouped-query attention/,
    );
    expect(() => resolveConfig({ family: "gpt2", vocabSize: 0 })).toThrow(
      /vocabSize must be an integer ≥ 1, got 0/,
    );
    expect(() => resolveConfig({ family: "gpt2", normEps: -1 })).toThrow(
      /normEps must be a finite number > 0/,
    );
    expect(() => resolveConfig({ family: "bert" as "gpt2" })).toThrow(/family must be "gpt2" or "llama"/);
    expect(() => resolveConfig({ family: "gpt2", dmodel: 3 } as never)).toThrow(/unknown field "dmodel"/);
    expect(() => resolveConfig({ family: "llama", dModel: 12, nHeads: 4 })).toThrow(/even head size/);
  });
});

describe("HF config.json mapping", () => {
  it("round-trips every preset", () => {
    for (const name of Object.keys(PRESETS) as PresetName[]) {
      const c = preset(name);
      expect(fromHfConfig(toHfConfig(c))).toEqual(c);
    }
  });

  it("reads the published GPT-2 and Qwen2-0.5B configs", () => {
    const gpt2 = {
      activation_function: "gelu_new",
      architectures: ["GPT2LMHeadModel"],
      initializer_range: 0.02,
      layer_norm_epsilon: 1e-5,
      model_type: "gpt2",
      n_ctx: 1024,
      n_embd: 768,
      n_head: 12,
      n_layer: 12,
      n_positions: 1024,
      vocab_size: 50257,
    };
    expect(fromHfConfig(gpt2)).toEqual(preset("gpt2"));
    const qwen = {
      architectures: ["Qwen2ForCausalLM"],
      hidden_act: "silu",
      hidden_size: 896,
      initializer_range: 0.02,
      intermediate_size: 4864,
      max_position_embeddings: 32768,
      max_window_layers: 24,
      model_type: "qwen2",
      num_attention_heads: 14,
      num_hidden_layers: 24,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000.0,
      sliding_window: 32768,
      tie_word_embeddings: true,
      torch_dtype: "bfloat16",
      use_cache: true,
      use_sliding_window: false,
      vocab_size: 151936,
    };
    expect(fromHfConfig(qwen)).toEqual(preset("qwen2-0.5b"));
  });

  it("refuses unsupported features, naming the file and field", () => {
    expect(() => fromHfConfig({ model_type: "bert" }, "/m/config.json")).toThrow(
      /\/m\/config.json: model_type "bert"/,
    );
    const q = toHfConfig(preset("tiny-llama"));
    expect(() => fromHfConfig({ ...q, rope_scaling: { type: "linear" } })).toThrow(/rope_scaling/);
    expect(() => fromHfConfig({ ...q, hidden_size: "x" })).toThrow(/field "hidden_size" must be a number/);
    expect(() => fromHfConfig({ ...q, num_key_value_heads: 3 })).toThrow(/divisible by nKvHeads/);
  });
});
