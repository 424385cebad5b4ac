/**
 * Parameter names and shapes for both families. Names are the Hugging Face tensor names
 * (`GPT2LMHeadModel` / `Qwen2ForCausalLM`), so a checkpoint maps one to one. Every weight matrix is
 * held in the Linear layout [out, in]; GPT-2's Conv1D matrices are stored [in, out] in HF files, which
 * `conv1d: true` marks so that checkpoint I/O transposes them.
 *
 * Test: `npx vitest run presets_test.ts` (parameter counts against known models).
 */
import { type ModelConfig, headDim } from "./config.ts";

/** How a parameter starts: N(0, initStd), N(0, initStd / √(2·nLayers)) for residual outputs, 0 or 1. */
export type InitKind = "normal" | "residual" | "zeros" | "ones";

export interface ParamSpec {
  /** HF tensor name, e.g. `transformer.h.0.attn.c_attn.weight`. */
  name: string;
  /** Shape as held by the model ([out, in] for matrices). */
  shape: number[];
  init: InitKind;
  /** Stored transposed ([in, out]) in HF GPT-2 files. */
  conv1d: boolean;
}

/** All parameters of a model, in a fixed order (embeddings, blocks 0…L-1, final norm, head). */
export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const d = c.dModel;
  const out: ParamSpec[] = [];
  const p = (name: string, shape: number[], init: InitKind, conv1d = false) =>
    out.push({ name, shape, init, conv1d });
  if (c.family === "gpt2") {
    p("transformer.wte.weight", [c.vocabSize, d], "normal");
    p("transformer.wpe.weight", [c.maxSeqLen, d], "normal");
    for (let l = 0; l < c.nLayers; l++) {
      const h = `transformer.h.${l}`;
      p(`${h}.ln_1.weight`, [d], "ones");
      p(`${h}.ln_1.bias`, [d], "zeros");
      p(`${h}.attn.c_attn.weight`, [3 * d, d], "normal", true);
      p(`${h}.attn.c_attn.bias`, [3 * d], "zeros");
      p(`${h}.attn.c_proj.weight`, [d, d], "residual", true);
      p(`${h}.attn.c_proj.bias`, [d], "zeros");
      p(`${h}.ln_2.weight`, [d], "ones");
      p(`${h}.ln_2.bias`, [d], "zeros");
      p(`${h}.mlp.c_fc.weight`, [c.dFf, d], "normal", true);
      p(`${h}.mlp.c_fc.bias`, [c.dFf], "zeros");
      p(`${h}.mlp.c_proj.weight`, [d, c.dFf], "residual", true);
      p(`${h}.mlp.c_proj.bias`, [d], "zeros");
    }
    p("transformer.ln_f.weight", [d], "ones");
    p("transformer.ln_f.bias", [d], "zeros");
  } else {
    const hd = headDim(c);
    const q = c.nHeads * hd;
    const kv = c.nKvHeads * hd;
    p("model.embed_tokens.weight", [c.vocabSize, d], "normal");
    for (let l = 0; l < c.nLayers; l++) {
      const h = `model.layers.${l}`;
      p(`${h}.input_layernorm.weight`, [d], "ones");
      p(`${h}.self_attn.q_proj.weight`, [q, d], "normal");
      if (c.qkvBias) p(`${h}.self_attn.q_proj.bias`, [q], "zeros");
      p(`${h}.self_attn.k_proj.weight`, [kv, d], "normal");
      if (c.qkvBias) p(`${h}.self_attn.k_proj.bias`, [kv], "zeros");
      p(`${h}.self_attn.v_proj.weight`, [kv, d], "normal");
      if (c.qkvBias) p(`${h}.self_attn.v_proj.bias`, [kv], "zeros");
      p(`${h}.self_attn.o_proj.weight`, [d, q], "residual");
      p(`${h}.post_attention_layernorm.weight`, [d], "ones");
      p(`${h}.mlp.gate_proj.weight`, [c.dFf, d], "normal");
      p(`${h}.mlp.up_proj.weight`, [c.dFf, d], "normal");
      p(`${h}.mlp.down_proj.weight`, [d, c.dFf], "residual");
    }
    p("model.norm.weight", [d], "ones");
  }
  if (!c.tieEmbeddings) p("lm_head.weight", [c.vocabSize, d], "normal");
  return out;
}

/** Total number of parameters (tied embeddings counted once). */
export function countParams(c: ModelConfig): number {
  return paramSpecs(c).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
}
