/**
 * The model object: a config plus its parameters as kernel tensors on one backend, keyed by HF tensor
 * name (see params_spec.ts), gradient buffers of the same shapes, and the per-layer name table the
 * forward and backward passes use. Initialisation is seeded: N(0, initStd) for matrices and
 * embeddings, N(0, initStd/√(2·nLayers)) for the projections into the residual stream (GPT-2), ones
 * for norm weights, zeros for biases.
 *
 * Test: `npx vitest run gradcheck_test.ts presets_test.ts checkpoint_test.ts` (gradients, parameter
 * counts and names, save and load).
 */
import { type Backend, keep, type Tensor, tensor, zeros } from "@mempo/kernels";
import type { ModelConfig } from "./config.ts";
import { paramSpecs } from "./params_spec.ts";
import { Rng } from "@mempo/kernels/random";

export interface ModelOptions {
  /** Backend (or its name) for the parameters; default the kernels' current backend. */
  backend?: Backend | string;
  /** Float type of parameters and activations: "f32", or "f64" (ts backend) for gradient checks. */
  dtype?: "f32" | "f64";
  /** Initialisation seed; default 0. */
  seed?: number;
}

/** Parameter names of one block, by role (undefined where the family has no such tensor). */
export interface LayerNames {
  norm1: string;
  norm1Bias?: string;
  /** GPT-2's fused q/k/v projection [3d, d]. */
  qkv?: string;
  qkvBias?: string;
  q?: string;
  qBias?: string;
  k?: string;
  kBias?: string;
  v?: string;
  vBias?: string;
  o: string;
  oBias?: string;
  norm2: string;
  norm2Bias?: string;
  /** GPT-2 MLP in/out; Llama gate/up/down. */
  fc?: string;
  fcBias?: string;
  proj?: string;
  projBias?: string;
  gate?: string;
  up?: string;
  down?: string;
}

/** Per-layer parameter names. */
export function layerNames(c: ModelConfig, l: number): LayerNames {
  if (c.family === "gpt2") {
    const h = `transformer.h.${l}`;
    return {
      norm1: `${h}.ln_1.weight`,
      norm1Bias: `${h}.ln_1.bias`,
      qkv: `${h}.attn.c_attn.weight`,
      qkvBias: `${h}.attn.c_attn.bias`,
      o: `${h}.attn.c_proj.weight`,
      oBias: `${h}.attn.c_proj.bias`,
      norm2: `${h}.ln_2.weight`,
      norm2Bias: `${h}.ln_2.bias`,
      fc: `${h}.mlp.c_fc.weight`,
      fcBias: `${h}.mlp.c_fc.bias`,
      proj: `${h}.mlp.c_proj.weight`,
      projBias: `${h}.mlp.c_proj.bias`,
    };
  }
  const h = `model.layers.${l}`;
  const bias = (n: string) => (c.qkvBias ? `${h}.self_attn.${n}_proj.bias` : undefined);
  return {
    norm1: `${h}.input_layernorm.weight`,
    q: `${h}.self_attn.q_proj.weight`,
    qBias: bias("q"),
    k: `${h}.self_attn.k_proj.weight`,
    kBias: bias("k"),
    v: `${h}.self_attn.v_proj.weight`,
    vBias: bias("v"),
    o: `${h}.self_attn.o_proj.weight`,
    norm2: `${h}.post_attention_layernorm.weight`,
    gate: `${h}.mlp.gate_proj.weight`,
    up: `${h}.mlp.up_proj.weight`,
    down: `${h}.mlp.down_proj.weight`,
  };
}

/** Names of the non-block parameters. */
export function globalNames(c: ModelConfig): {
  embed: string;
  pos?: string;
  normF: string;
  normFBias?: string;
  head: string;
} {
  if (c.family === "gpt2") {
    return {
      embed: "transformer.wte.weight",
      pos: "transformer.wpe.weight",
      normF: "transformer.ln_f.weight",
      normFBias: "transformer.ln_f.bias",
      head: c.tieEmbeddings ? "transformer.wte.weight" : "lm_head.weight",
    };
  }
  return {
    embed: "model.embed_tokens.weight",
    normF: "model.norm.weight",
    head: c.tieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",
  };
}

export class Model {
  readonly config: ModelConfig;
  readonly backend: Backend;
  readonly dtype: "f32" | "f64";
  /** Parameters by HF name, in {@link paramSpecs} order. */
  readonly params: Map<string, Tensor>;
  /** Gradient accumulators (same names and shapes); allocated by {@link Model.grads}. */
  #grads: Map<string, Tensor> | null = null;
  readonly layers: LayerNames[];
  readonly names: ReturnType<typeof globalNames>;

  private constructor(config: ModelConfig, params: Map<string, Tensor>, dtype: "f32" | "f64") {
    this.config = config;
    this.params = params;
    this.dtype = dtype;
    const first = params.values().next().value as Tensor;
    this.backend = first.backend;
    this.layers = Array.from({ length: config.nLayers }, (_, l) => layerNames(config, l));
    this.names = globalNames(config);
  }

  /** A freshly initialised model (seeded; identical on every backend). */
  static init(config: ModelConfig, opts: ModelOptions = {}): Model {
    const rng = new Rng(opts.seed ?? 0);
    const arrays = new Map<string, Float32Array>();
    const resid = config.initStd / Math.sqrt(2 * config.nLayers);
    for (const s of paramSpecs(config)) {
      const n = s.shape.reduce((a, d) => a * d, 1);
      const a = new Float32Array(n);
      if (s.init === "ones") a.fill(1);
      else if (s.init === "normal" || s.init === "residual") {
        const std = s.init === "normal" ? config.initStd : resid;
        for (let i = 0; i < n; i++) a[i] = std * rng.normal();
      }
      arrays.set(s.name, a);
    }
    return Model.fromArrays(config, arrays, opts);
  }

  /**
   * A model holding the given values (model layout, see params_spec.ts).
   * @throws Error naming a missing or mis-sized parameter.
   */
  static fromArrays(
    config: ModelConfig,
    arrays: Map<string, ArrayLike<number>>,
    opts: ModelOptions = {},
  ): Model {
    const dtype = opts.dtype ?? "f32";
    const params = new Map<string, Tensor>();
    for (const s of paramSpecs(config)) {
      const a = arrays.get(s.name);
      const n = s.shape.reduce((x, y) => x * y, 1);
      if (a === undefined) throw new Error(`model: parameter "${s.name}" is missing (shape [${s.shape}])`);
      if (a.length !== n)
        throw new Error(
          `model: parameter "${s.name}" has ${a.length} values but shape [${s.shape}] needs ${n}`,
        );
      params.set(s.name, keep(tensor(a, s.shape, { backend: opts.backend, dtype })));
    }
    return new Model(config, params, dtype);
  }

  /** The parameter called `name`; throws listing similar names when unknown. */
  p(name: string): Tensor {
    const t = this.params.get(name);
    if (t === undefined) throw new Error(`model: no parameter "${name}"`);
    return t;
  }

  /** Gradient accumulators, allocated (zeroed) on first use. */
  grads(): Map<string, Tensor> {
    if (this.#grads === null) {
      this.#grads = new Map();
      for (const [n, t] of this.params)
        this.#grads.set(n, keep(zeros(t.shape, { backend: this.backend, dtype: this.dtype })));
    }
    return this.#grads;
  }

  /** The gradient of parameter `name`. */
  g(name: string): Tensor {
    const t = this.grads().get(name);
    if (t === undefined) throw new Error(`model: no gradient for "${name}"`);
    return t;
  }

  /** Copies of all parameters to the host (model layout), by name. */
  async toArrays(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [n, t] of this.params) {
      const d = await t.read();
      out.set(n, d instanceof Float32Array ? d : Float32Array.from(d));
    }
    return out;
  }

  /**
   * Overwrites the parameters in place from host arrays (model layout), e.g. to sync a rollout worker
   * to newly published policy weights. Every parameter must be present with the right size.
   */
  setFromArrays(arrays: Map<string, ArrayLike<number>>): void {
    for (const [n, t] of this.params) {
      const a = arrays.get(n);
      if (a === undefined) throw new Error(`model.setFromArrays: parameter "${n}" is missing`);
      if (a.length !== t.size)
        throw new Error(
          `model.setFromArrays: parameter "${n}" has ${a.length} values, expected ${t.size} (shape [${t.shape}])`,
        );
      t.write(a);
    }
  }

  /** An independent copy (same config and values; no gradients), e.g. a frozen reference policy. */
  async clone(opts: Omit<ModelOptions, "seed"> = {}): Promise<Model> {
    return Model.fromArrays(this.config, await this.toArrays(), {
      backend: this.backend,
      dtype: this.dtype,
      ...opts,
    });
  }

  /** Number of parameters. */
  numParams(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.size;
    return n;
  }

  /** Frees parameters and gradients. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    if (this.#grads) for (const t of this.#grads.values()) t.dispose();
    this.#grads = null;
  }
}
