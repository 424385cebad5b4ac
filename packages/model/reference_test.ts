/**
 * Checks the model against a plain float64 re-implementation of the Hugging Face modelling code
 * (GPT2LMHeadModel, Qwen2ForCausalLM) that reads HF-layout tensors directly: Conv1D weights [in, out],
 * rotate_half RoPE, grouped-query heads. Guards the checkpoint layout and the families' semantics, which
 * a save/load round trip alone cannot.
 */
import { describe, expect, it } from "vitest";
import type { ModelConfig } from "./config.ts";
import { paramsToHf } from "./hf_layout.ts";
import { forwardLogprobs } from "./logprobs.ts";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import type { NamedTensor } from "./safetensors.ts";

type W = Map<string, NamedTensor>;

/** y[o] = Σ_i x[i]·W[i, o] (Conv1D, W [in, out]) or Σ_i x[i]·W[o, i] (Linear, W [out, in]), plus bias. */
function affine(x: number[], w: NamedTensor, bias: NamedTensor | undefined, conv1d: boolean): number[] {
  const [a, b] = w.shape as [number, number];
  const out = conv1d ? b : a;
  const inn = conv1d ? a : b;
  const y = new Array<number>(out).fill(0);
  for (let o = 0; o < out; o++) {
    let s = bias ? bias.data[o]! : 0;
    for (let i = 0; i < inn; i++) s += x[i]! * (conv1d ? w.data[i * out + o]! : w.data[o * inn + i]!);
    y[o] = s;
  }
  return y;
}

function layerNorm(
  x: number[],
  w: NamedTensor,
  b: NamedTensor | undefined,
  eps: number,
  rms: boolean,
): number[] {
  const n = x.length;
  const mean = rms ? 0 : x.reduce((s, v) => s + v, 0) / n;
  const varr = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const r = 1 / Math.sqrt(varr + eps);
  return x.map((v, i) => (v - mean) * r * w.data[i]! + (b ? b.data[i]! : 0));
}

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** log softmax(logits)[next token] at every position of `ids`, per HF semantics. */
function referenceLogprobs(c: ModelConfig, w: W, ids: number[]): number[] {
  const g = (n: string) => {
    const t = w.get(n);
    if (!t) throw new Error(`reference: missing ${n}`);
    return t;
  };
  const gpt2 = c.family === "gpt2";
  const d = c.dModel;
  const H = c.nHeads;
  const Hkv = c.nKvHeads;
  const Dh = d / H;
  const T = ids.length;
  let xs = ids.map((id, t) =>
    Array.from({ length: d }, (_, i) =>
      gpt2
        ? g("transformer.wte.weight").data[id * d + i]! + g("transformer.wpe.weight").data[t * d + i]!
        : g("model.embed_tokens.weight").data[id * d + i]!,
    ),
  );
  const rope = (u: number[], t: number) => {
    const o = [...u];
    for (let i = 0; i < Dh / 2; i++) {
      const ang = t * c.ropeTheta ** ((-2 * i) / Dh);
      o[i] = u[i]! * Math.cos(ang) - u[i + Dh / 2]! * Math.sin(ang);
      o[i + Dh / 2] = u[i + Dh / 2]! * Math.cos(ang) + u[i]! * Math.sin(ang);
    }
    return o;
  };
  for (let l = 0; l < c.nLayers; l++) {
    const p = gpt2 ? `transformer.h.${l}.` : `model.layers.${l}.`;
    const qs: number[][] = [];
    const ks: number[][] = [];
    const vs: number[][] = [];
    for (let t = 0; t < T; t++) {
      const h = gpt2
        ? layerNorm(xs[t]!, g(`${p}ln_1.weight`), g(`${p}ln_1.bias`), c.normEps, false)
        : layerNorm(xs[t]!, g(`${p}input_layernorm.weight`), undefined, c.normEps, true);
      if (gpt2) {
        const qkv = affine(h, g(`${p}attn.c_attn.weight`), g(`${p}attn.c_attn.bias`), true);
        qs.push(qkv.slice(0, d));
        ks.push(qkv.slice(d, 2 * d));
        vs.push(qkv.slice(2 * d));
      } else {
        const q = affine(h, g(`${p}self_attn.q_proj.weight`), w.get(`${p}self_attn.q_proj.bias`), false);
        const k = affine(h, g(`${p}self_attn.k_proj.weight`), w.get(`${p}self_attn.k_proj.bias`), false);
        const v = affine(h, g(`${p}self_attn.v_proj.weight`), w.get(`${p}self_attn.v_proj.bias`), false);
        qs.push(Array.from({ length: H }, (_, hh) => rope(q.slice(hh * Dh, (hh + 1) * Dh), t)).flat());
        ks.push(Array.from({ length: Hkv }, (_, hh) => rope(k.slice(hh * Dh, (hh + 1) * Dh), t)).flat());
        vs.push(v);
      }
    }
    xs = xs.map((x, t) => {
      const y = new Array<number>(d).fill(0);
      for (let hh = 0; hh < H; hh++) {
        const kv = Math.floor(hh / (H / Hkv));
        const s = Array.from({ length: t + 1 }, (_, j) => {
          let dot = 0;
          for (let i = 0; i < Dh; i++) dot += qs[t]![hh * Dh + i]! * ks[j]![kv * Dh + i]!;
          return dot / Math.sqrt(Dh);
        });
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j <= t; j++)
          for (let i = 0; i < Dh; i++) y[hh * Dh + i]! += (e[j]! / z) * vs[j]![kv * Dh + i]!;
      }
      const o = gpt2
        ? affine(y, g(`${p}attn.c_proj.weight`), g(`${p}attn.c_proj.bias`), true)
        : affine(y, g(`${p}self_attn.o_proj.weight`), undefined, false);
      const x2 = x.map((v, i) => v + o[i]!);
      if (gpt2) {
        const h2 = layerNorm(x2, g(`${p}ln_2.weight`), g(`${p}ln_2.bias`), c.normEps, false);
        const a = affine(h2, g(`${p}mlp.c_fc.weight`), g(`${p}mlp.c_fc.bias`), true).map(geluTanh);
        const m = affine(a, g(`${p}mlp.c_proj.weight`), g(`${p}mlp.c_proj.bias`), true);
        return x2.map((v, i) => v + m[i]!);
      }
      const h2 = layerNorm(x2, g(`${p}post_attention_layernorm.weight`), undefined, c.normEps, true);
      const gate = affine(h2, g(`${p}mlp.gate_proj.weight`), undefined, false);
      const up = affine(h2, g(`${p}mlp.up_proj.weight`), undefined, false);
      const m = affine(
        gate.map((v, i) => silu(v) * up[i]!),
        g(`${p}mlp.down_proj.weight`),
        undefined,
        false,
      );
      return x2.map((v, i) => v + m[i]!);
    });
  }
  const head = c.tieEmbeddings
    ? g(gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight")
    : g("lm_head.weight");
  const out: number[] = [];
  for (let t = 0; t + 1 < T; t++) {
    const h = gpt2
      ? layerNorm(xs[t]!, g("transformer.ln_f.weight"), g("transformer.ln_f.bias"), c.normEps, false)
      : layerNorm(xs[t]!, g("model.norm.weight"), undefined, c.normEps, true);
    const logits = affine(h, head, undefined, false);
    const mx = Math.max(...logits);
    const lse = mx + Math.log(logits.reduce((a, v) => a + Math.exp(v - mx), 0));
    out.push(logits[ids[t + 1]!]! - lse);
  }
  return out;
}

describe.each(["tiny-gpt2", "tiny-llama"] as PresetName[])(
  "matches the HF modelling semantics (%s)",
  (name) => {
    it("log-probs equal a float64 reference reading HF-layout tensors", async () => {
      const c = preset(name, { initStd: 0.3, ropeTheta: 500 });
      const m = Model.init(c, { seed: 12 });
      const hf = new Map(paramsToHf(c, await m.toArrays()));
      const ids = [3, 17, 42, 5, 9, 33, 60, 1, 0, 25, 7];
      const want = referenceLogprobs(c, hf, ids);
      const got = (
        await forwardLogprobs(m, [{ promptIds: ids.slice(0, 1), responseIds: ids.slice(1) }], {
          train: false,
        })
      ).logprobs[0]!;
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j]!, 4);
      m.dispose();
    });
  },
);
