/**
 * @jax-js/jax as a peer of the model bench: the transformer of peer_torch.py (= @mempo/model's forward
 * for both families: RMSNorm, half-rotation RoPE, grouped-query attention, SwiGLU and optional q/k/v
 * bias for llama; LayerNorm, GELU (tanh), learned positions and biases everywhere for gpt2; tied or
 * untied head) written in jax-js numpy/nn, on its "wasm" device, and timed on the bench's shapes.
 *
 * - train: one `jit` of forward + `valueAndGrad` (causal-LM cross-entropy on every token: inputs
 *   ids[:, :-1], targets ids[:, 1:], as peer_torch) + global-norm clipping to 1.0 + AdamW written in
 *   jax-js numpy with peer_torch's torch.optim.AdamW hyper-parameters (lr 1e-4, betas 0.9 / 0.999, eps
 *   1e-8, weight decay 0.1 on every parameter). Median step over the measured steps after 2 warm-up
 *   steps; a step ends when the loss, the gradient norm and every new parameter and moment are ready.
 * - decode: batched greedy decoding with a KV cache of fixed size [B, Tmax, Hkv, Dh] per layer (Tmax =
 *   prompt + new tokens; jax-js's `jit` compiles per shape, so a growing cache would recompile every
 *   step): one jit for the prefill (causal attention over the prompt, keys/values padded into the
 *   cache) and one for a decode step (the new key/value written at `pos` with a position mask,
 *   `where(arange(Tmax) == pos, k, cache)`, attention over the whole cache with `keyValueSeqLengths` =
 *   pos + 1). The layout [B, T, H, Dh] is the one `nn.dotProductAttention` takes (no transposes).
 *   Each step's tokens are read to the host (as ours does; a stop-id check needs them). Timed as
 *   peer_torch.py does, directly: the N − 1 steps after the prefill (its first token on the host and
 *   its caches ready), the median of DECODE.reps after 1 warm-up — the quantity main.ts measures for
 *   ours as time(N new tokens) − time(1 new token); a difference of two jax-js prefills (≈ 3 s each
 *   at batch 64) would drown the ≈ 1.5 s of decode in their noise.
 *
 * Simplifications: all prompts of a batch have the same length (one decode position per step, as in
 * the bench); a decode step attends over all Tmax cache slots, masked (the JAX idiom; peer_torch slices
 * the cache to pos + 1, ours reads pos + 1 keys); the loss is −mean Σ oneHot(target) · logSoftmax(logits)
 * and gpt2's position rows are `tile`d over the batch (jax-js 0.1.25 cannot jit the gradient of
 * `takeAlongAxis`, nor of an embedding `take` whose cotangent went through a reshape: "routine
 * primitive scatter input is not imm"). The bench's weights are @mempo/model's seed-1 initialisation
 * (main.ts's ours), its ids main.ts's formula. jax-js runs single-threaded under Node (its wasm thread pool needs a global `Worker`, which
 * Node 20 lacks). Weights come in @mempo/model's names and layout ([out, in] matrices, `x · Wᵀ`), so
 * the same values can be loaded into both (peer_jax_test.ts).
 *
 * Loading under Node 20: ../jax.ts. jax-js arrays are move-only: every use but the last takes `.ref`.
 *
 * Test: `cd benchmarks && npx vitest run model/peer_jax_test.ts` (same loss, gradient norm and greedy
 * tokens as @mempo/model on the same weights).
 */
import { layerNames, Model, type ModelConfig, paramSpecs } from "@mempo/model";
import { type Jax, jaxVersion, loadJax } from "../jax.ts";
import { median } from "../mod.ts";

// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is re-exported through namespaces
type JArray = any;
type Params = Record<string, JArray>;

export interface JaxModelPeer {
  version: string;
  /** jax-js device and threads. */
  device: string;
  trainStepS?: number;
  trainTokensPerS?: number;
  /** The DECODE.newTokens − 1 decode steps after the prefill (= time(N new tokens) − time(1 new token)). */
  decodeS?: number;
  decodeTokensPerS?: number;
  /** The prefill: until the first token is on the host and the caches are ready. */
  prefillS?: number;
  /**
   * The first calls, which trace and compile (seconds): the first train step, the first prefill and
   * the first decode loop (DECODE.newTokens − 1 steps).
   */
  compileS: { train?: number; prefill?: number; decode?: number };
  /** Parts jax-js failed on, with its message (the other parts are still measured). */
  errors: Record<string, string>;
}

/** The shapes main.ts passes. */
export interface TrainShape {
  batch: number;
  seqLen: number;
  steps: number;
}
export interface DecodeShape {
  batch: number;
  promptLen: number;
  newTokens: number;
  reps: number;
}

/** peer_torch.py's torch.optim.AdamW(lr=1e-4, weight_decay=0.1) (default betas and eps) and clip_grad_norm_(1.0). */
export const ADAMW = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, maxNorm: 1.0 };

/** RoPE tables cos, sin [T, Dh] (rotate_half layout: the Dh/2 frequencies twice), in float64 then f32. */
export function ropeTables(c: ModelConfig, T: number): { cos: Float32Array; sin: Float32Array } {
  const Dh = c.dModel / c.nHeads;
  const half = Dh / 2;
  const cos = new Float32Array(T * Dh);
  const sin = new Float32Array(T * Dh);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const a = t * c.ropeTheta ** ((-2 * i) / Dh);
      cos[t * Dh + i] = cos[t * Dh + half + i] = Math.cos(a);
      sin[t * Dh + i] = sin[t * Dh + half + i] = Math.sin(a);
    }
  return { cos, sin };
}

/** The model in jax-js: its parameters on the device and the jit-compiled train step, prefill and decode step. */
export interface JaxModel {
  /**
   * One training step on ids [B, T + 1] (row-major): loss and gradient norm before the update (the
   * gradient is clipped to ADAMW.maxNorm), then AdamW. Resolves when everything is computed.
   */
  trainStep(ids: Int32Array, B: number, T: number): Promise<{ loss: number; gradNorm: number }>;
  /**
   * Greedy decoding of prompts [B, P] (row-major): the new tokens [newTokens][B], the prefill's time
   * (until the first token is on the host and the caches are ready) and the decode's (the other
   * newTokens − 1 steps, each ending with its tokens on the host), seconds.
   */
  generate(
    prompts: Int32Array,
    B: number,
    P: number,
    newTokens: number,
  ): Promise<{ tokens: Int32Array[]; prefillS: number; decodeS: number }>;
  dispose(): void;
}

/** Builds the model from weights in @mempo/model's names and layout. */
export function buildJaxModel(jax: Jax, c: ModelConfig, weights: Map<string, Float32Array>): JaxModel {
  const { numpy: np, nn } = jax;
  const gpt2 = c.family === "gpt2";
  const d = c.dModel;
  const H = c.nHeads;
  const Hkv = c.nKvHeads;
  const Dh = d / H;
  const dkv = Hkv * Dh;
  const V = c.vocabSize;
  const eps = c.normEps;
  const layers = Array.from({ length: c.nLayers }, (_, l) => layerNames(c, l));
  const embed = gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight";
  const posName = gpt2 ? "transformer.wpe.weight" : undefined;
  const normF = gpt2 ? "transformer.ln_f.weight" : "model.norm.weight";
  const normFBias = gpt2 ? "transformer.ln_f.bias" : undefined;
  const head = c.tieEmbeddings ? embed : "lm_head.weight";

  const arr = (a: Float32Array | Int32Array, shape: number[]) =>
    np.array(a, { shape, dtype: a instanceof Int32Array ? np.int32 : np.float32 });
  let params: Params = {};
  const shapes = new Map<string, number[]>();
  for (const { name, shape } of paramSpecs(c)) {
    const a = weights.get(name);
    if (a === undefined || a.length !== shape.reduce((x, y) => x * y, 1))
      throw new Error(
        `jax peer: weight "${name}" [${shape}] is ${a === undefined ? "missing" : `${a.length} values`}`,
      );
    shapes.set(name, shape);
    params[name] = arr(a, shape);
  }
  const zerosTree = () => Object.fromEntries([...shapes].map(([n, s]) => [n, np.zeros(s)])) as Params;
  let m1 = zerosTree();
  let m2 = zerosTree();
  let t = 0;

  // --- the model (every function consumes its array arguments) ---
  const linear = (x: JArray, w: JArray, b?: JArray) => {
    const y = np.matmul(x, w.transpose());
    return b === undefined ? y : y.add(b);
  };
  const norm = (x: JArray, w: JArray, b?: JArray) => {
    if (!gpt2) {
      const ms = np.square(x.ref).mean(-1, { keepdims: true });
      return x.div(np.sqrt(ms.add(eps))).mul(w);
    }
    const mu = x.ref.mean(-1, { keepdims: true });
    const xc = x.sub(mu);
    const va = np.square(xc.ref).mean(-1, { keepdims: true });
    return xc
      .div(np.sqrt(va.add(eps)))
      .mul(w)
      .add(b);
  };
  /** x [B, T, h, Dh] rotated by cos/sin [1, T, 1, Dh] (borrowed: not consumed). */
  const rope = (x: JArray, cos: JArray, sin: JArray) => {
    const rot = np.concatenate(
      [x.ref.slice([], [], [], [Dh / 2, Dh]).neg(), x.ref.slice([], [], [], [0, Dh / 2])],
      -1,
    );
    return x.mul(cos.ref).add(rot.mul(sin.ref));
  };
  /** How a block attends: q [B,T,H,Dh], k/v [B,T,Hkv,Dh] of layer l → [B,T,H,Dh]. */
  type Attend = (q: JArray, k: JArray, v: JArray, l: number) => JArray;
  /** One block on x [B·T, d]; `p` is consumed only in the entries the block reads. */
  const block = (p: Params, l: number, x: JArray, B: number, T: number, attend: Attend, r?: Rope) => {
    const L = layers[l]!;
    const get = (n: string | undefined) => (n === undefined ? undefined : p[n]);
    const h = norm(x.ref, p[L.norm1], get(L.norm1Bias));
    let q: JArray;
    let k: JArray;
    let v: JArray;
    if (L.qkv) [q, k, v] = np.split(linear(h, p[L.qkv], get(L.qkvBias)), [d, d + dkv], -1);
    else {
      q = linear(h.ref, p[L.q!], get(L.qBias));
      k = linear(h.ref, p[L.k!], get(L.kBias));
      v = linear(h, p[L.v!], get(L.vBias));
    }
    q = q.reshape([B, T, H, Dh]);
    k = k.reshape([B, T, Hkv, Dh]);
    v = v.reshape([B, T, Hkv, Dh]);
    if (r) {
      q = rope(q, r.cos, r.sin);
      k = rope(k, r.cos, r.sin);
    }
    const att = attend(q, k, v, l).reshape([B * T, d]);
    x = x.add(linear(att, p[L.o], get(L.oBias)));
    const h2 = norm(x.ref, p[L.norm2], get(L.norm2Bias));
    const mlp = L.fc
      ? linear(nn.gelu(linear(h2, p[L.fc], get(L.fcBias))), p[L.proj!], get(L.projBias))
      : linear(nn.silu(linear(h2.ref, p[L.gate!])).mul(linear(h2, p[L.up!])), p[L.down!]);
    return x.add(mlp);
  };
  type Rope = { cos: JArray; sin: JArray };
  /**
   * Token (+ learned position) embeddings of ids [B, T] at positions 0…T−1, or at `at` (int32 [1],
   * a decode step: jax-js cannot jit the gradient of `take` of the position table, hence a slice
   * when training), the blocks, the final norm and the head (on each sequence's last row only when
   * `lastOnly`) → logits [rows, V].
   */
  const model = (
    p: Params,
    ids: JArray,
    B: number,
    T: number,
    at: JArray | undefined,
    r: Rope | undefined,
    attend: Attend,
    lastOnly: boolean,
  ) => {
    let x = np.take(c.tieEmbeddings ? p[embed].ref : p[embed], ids.reshape([B * T]), 0);
    // rows b·T + t get position t: the table's first T rows tiled B times (a reshape to [B, T, d]
    // and a broadcast add instead fails to jit in the gradient: "scatter input is not imm")
    if (posName) x = x.add(at ? np.take(p[posName], at, 0) : np.tile(p[posName].slice([0, T]), [B, 1]));
    else at?.dispose();
    for (let l = 0; l < c.nLayers; l++) x = block(p, l, x, B, T, attend, r);
    if (r) {
      r.cos.dispose();
      r.sin.dispose();
    }
    if (lastOnly) x = x.reshape([B, T, d]).slice([], T - 1);
    return linear(norm(x, p[normF], normFBias ? p[normFBias] : undefined), p[head]);
  };
  const causal: Attend = (q, k, v) => nn.dotProductAttention(q, k, v, { isCausal: true });
  const ropeOf = (cos: JArray | undefined, sin: JArray | undefined, T: number): Rope | undefined =>
    cos === undefined ? undefined : { cos: cos.reshape([1, T, 1, Dh]), sin: sin.reshape([1, T, 1, Dh]) };

  // --- training: loss, gradient, clipping and AdamW in one jit ---
  const lossFn = (p: Params, ids: JArray, tgt: JArray, cos?: JArray, sin?: JArray) => {
    const [B, T] = ids.shape as [number, number];
    const logits = model(p, ids, B, T, undefined, ropeOf(cos, sin, T), causal, false);
    return nn
      .logSoftmax(logits, -1)
      .mul(nn.oneHot(tgt.reshape([B * T]), V))
      .sum()
      .mul(-1 / (B * T));
  };
  const trainJit = jax.jit(
    (
      p: Params,
      m: Params,
      v: Params,
      ids: JArray,
      tgt: JArray,
      bc1: JArray,
      bc2: JArray,
      cos?: JArray,
      sin?: JArray,
    ) => {
      const { lr, beta1, beta2, eps: e, weightDecay, maxNorm } = ADAMW;
      // (no undefined arguments: grad stops the gradient of each non-differentiated one)
      const rope = cos === undefined ? [] : [cos, sin];
      const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), ids, tgt, ...rope);
      const names = Object.keys(p);
      let sq: JArray = null;
      for (const n of names) {
        const s = np.square(g[n].ref).sum();
        sq = sq === null ? s : sq.add(s);
      }
      const gnorm = np.sqrt(sq);
      // torch.nn.utils.clip_grad_norm_: coef = min(1, maxNorm / (norm + 1e-6))
      const coef = np.minimum(np.reciprocal(gnorm.ref.add(1e-6)).mul(maxNorm), 1);
      const P: Params = {};
      const M: Params = {};
      const Vv: Params = {};
      for (const n of names) {
        const gi = g[n].mul(coef.ref);
        M[n] = m[n].mul(beta1).add(gi.ref.mul(1 - beta1));
        Vv[n] = v[n].mul(beta2).add(np.square(gi).mul(1 - beta2));
        const upd = M[n].ref.div(bc1.ref).div(np.sqrt(Vv[n].ref.div(bc2.ref)).add(e));
        P[n] = p[n].mul(1 - lr * weightDecay).sub(upd.mul(lr));
      }
      coef.dispose();
      bc1.dispose();
      bc2.dispose();
      return [loss, gnorm, P, M, Vv];
    },
  );

  // --- decoding: prefill and one step, each one jit, with a fixed-size cache ---
  const prefillJit = jax.jit(
    (S: number, p: Params, ids: JArray, cos?: JArray, sin?: JArray) => {
      const [B, P] = ids.shape as [number, number];
      const kc: JArray[] = [];
      const vc: JArray[] = [];
      const attend: Attend = (q, k, v) => {
        const pad = [
          [0, 0],
          [0, S - P],
          [0, 0],
          [0, 0],
        ];
        kc.push(np.pad(k.ref, pad));
        vc.push(np.pad(v.ref, pad));
        return nn.dotProductAttention(q, k, v, { isCausal: true });
      };
      const logits = model(p, ids, B, P, undefined, ropeOf(cos, sin, P), attend, true);
      return [np.argmax(logits, -1), kc, vc];
    },
    { staticArgnums: [0] },
  );
  const stepJit = jax.jit(
    (p: Params, tok: JArray, pos: JArray, kc: JArray[], vc: JArray[], cosTab?: JArray, sinTab?: JArray) => {
      const B = tok.shape[0] as number;
      const S = kc[0].shape[1] as number;
      const at = pos.ref.reshape([1]);
      let r: Rope | undefined;
      if (cosTab !== undefined) r = ropeOf(np.take(cosTab, at.ref, 0), np.take(sinTab, at.ref, 0), 1);
      const mask = np.arange(S).reshape([1, S, 1, 1]).equal(pos.ref);
      const lens = np.broadcastTo(pos.add(1), [B]);
      const kc2: JArray[] = [];
      const vc2: JArray[] = [];
      const attend: Attend = (q, k, v, l) => {
        const kn = np.where(mask.ref, k, kc[l]);
        const vn = np.where(mask.ref, v, vc[l]);
        kc2.push(kn.ref);
        vc2.push(vn.ref);
        return nn.dotProductAttention(q, kn, vn, { keyValueSeqLengths: lens.ref });
      };
      const logits = model(p, tok.reshape([B, 1]), B, 1, at, r, attend, false);
      mask.dispose();
      lens.dispose();
      return [np.argmax(logits, -1), kc2, vc2];
    },
  );

  const tables = (T: number): JArray[] => {
    if (gpt2) return [];
    const { cos, sin } = ropeTables(c, T);
    return [arr(cos, [T, Dh]), arr(sin, [T, Dh])];
  };

  return {
    async trainStep(ids, B, T) {
      const inp = new Int32Array(B * T);
      const tgt = new Int32Array(B * T);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < T; j++) {
          inp[b * T + j] = ids[b * (T + 1) + j]!;
          tgt[b * T + j] = ids[b * (T + 1) + j + 1]!;
        }
      t++;
      const { beta1, beta2 } = ADAMW;
      const bc1 = np.array(1 - beta1 ** t);
      const bc2 = np.array(1 - beta2 ** t);
      const [loss, gnorm, P, M, Vv] = trainJit(
        params,
        m1,
        m2,
        arr(inp, [B, T]),
        arr(tgt, [B, T]),
        bc1,
        bc2,
        ...tables(T),
      );
      params = P;
      m1 = M;
      m2 = Vv;
      await jax.blockUntilReady([P, M, Vv]);
      const l = (await loss.data())[0] as number;
      const gn = (await gnorm.data())[0] as number;
      return { loss: l, gradNorm: gn };
    },
    async generate(prompts, B, P, newTokens) {
      const t0 = performance.now();
      const S = P + newTokens;
      const [cosTab, sinTab] = tables(S);
      const out: Int32Array[] = [];
      let [tok, kc, vc] = prefillJit(
        S,
        jax.tree.ref(params),
        arr(prompts, [B, P]),
        ...(cosTab ? [cosTab.ref.slice([0, P]), sinTab.ref.slice([0, P])] : []),
      );
      out.push(Int32Array.from(await tok.ref.data()));
      await jax.blockUntilReady([kc, vc]); // jax-js dispatches lazily: the caches are the prefill's work
      const t1 = performance.now();
      for (let i = 0; i < newTokens - 1; i++) {
        [tok, kc, vc] = stepJit(
          jax.tree.ref(params),
          tok,
          np.array(P + i, { dtype: np.int32 }),
          kc,
          vc,
          ...(cosTab ? [cosTab.ref, sinTab.ref] : []),
        );
        out.push(Int32Array.from(await tok.ref.data()));
      }
      const t2 = performance.now();
      tok.dispose();
      jax.tree.dispose([kc, vc]);
      cosTab?.dispose();
      sinTab?.dispose();
      return { tokens: out, prefillS: (t1 - t0) / 1e3, decodeS: (t2 - t1) / 1e3 };
    },
    dispose() {
      jax.tree.dispose([params, m1, m2]);
      for (const f of [trainJit, prefillJit, stepJit]) f.dispose?.();
    },
  };
}

/** Weights for the bench: @mempo/model's seeded initialisation (seed 1, as main.ts's `ours`), on the host. */
export async function benchWeights(c: ModelConfig): Promise<Map<string, Float32Array>> {
  const m = Model.init(c, { seed: 1, backend: "ts" });
  try {
    return await m.toArrays();
  } finally {
    m.dispose();
  }
}

/** Deterministic token ids in [0, V) (the formula main.ts uses for ours). */
export function benchIds(n: number, s: number, V: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7919 + s * 104729) % V);
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The jax-js peer of one preset, compiled once, measured in rounds (main.ts alternates them with ours). */
export interface JaxModelPeerSession {
  /** One round: TRAIN.steps + 2 train steps (2 warm-up), DECODE.reps + 1 decodes (1 warm-up), as peer_torch. */
  round(): Promise<JaxModelPeer>;
  close(): void;
}

/** Loads jax-js and builds the model of `config` (main.ts's weights); or why it could not. */
export async function openJaxModelPeer(
  config: ModelConfig,
  train: TrainShape,
  decode: DecodeShape,
): Promise<JaxModelPeerSession | string> {
  let jm: JaxModel;
  try {
    jm = buildJaxModel(await loadJax(), config, await benchWeights(config));
  } catch (e) {
    return `jax-js failed: ${msg(e)}`;
  }
  const V = config.vocabSize;
  const compileS: JaxModelPeer["compileS"] = {};
  const version = jaxVersion();
  return {
    async round() {
      const out: JaxModelPeer = { version, device: "wasm, 1 thread", compileS, errors: {} };
      try {
        const { batch: B, seqLen: T } = train;
        const ids = new Int32Array(B * (T + 1));
        for (let b = 0; b < B; b++) ids.set(benchIds(T + 1, b + 1, V), b * (T + 1));
        const steps: number[] = [];
        for (let s = 0; s < train.steps + 2; s++) {
          const t0 = performance.now();
          await jm.trainStep(ids, B, T);
          const dt = (performance.now() - t0) / 1e3;
          compileS.train ??= dt;
          if (s >= 2) steps.push(dt);
        }
        out.trainStepS = median(steps);
        out.trainTokensPerS = (B * T) / out.trainStepS;
      } catch (e) {
        out.errors.train = msg(e);
      }
      try {
        const { batch: B, promptLen: P, newTokens: N } = decode;
        const prompts = new Int32Array(B * P);
        for (let b = 0; b < B; b++) prompts.set(benchIds(P, b + 7, V), b * P);
        const dec: number[] = [];
        const pre: number[] = [];
        for (let r = 0; r < decode.reps + 1; r++) {
          const g = await jm.generate(prompts, B, P, N);
          compileS.prefill ??= g.prefillS;
          compileS.decode ??= g.decodeS;
          if (r === 0) continue;
          dec.push(g.decodeS);
          pre.push(g.prefillS);
        }
        out.decodeS = median(dec);
        out.prefillS = median(pre);
        out.decodeTokensPerS = (B * (N - 1)) / out.decodeS;
      } catch (e) {
        out.errors.decode = msg(e);
      }
      return out;
    },
    close() {
      jm.dispose();
    },
  };
}

/** One round of the jax-js peer (open, round, close); or why it could not run. */
export async function runJaxModelPeer(
  config: ModelConfig,
  train: TrainShape,
  decode: DecodeShape,
): Promise<JaxModelPeer | string> {
  const s = await openJaxModelPeer(config, train, decode);
  if (typeof s === "string") return s;
  try {
    return await s.round();
  } finally {
    s.close();
  }
}
