/**
 * Batched generation with a KV cache: prompts of different lengths in one batch, temperature / top-k /
 * top-p sampling (greedy at temperature 0), stop token ids, a cap on new tokens, per-token log-probs of
 * the sampled tokens and a finish reason. Seeded: the same model, prompts and seed give the same
 * tokens. The generation engine knows only token ids; stopping at `</search>` or `</answer>` is a
 * stop id like any other.
 *
 * Prefill writes each prompt's keys/values to the cache at slots 0…P_b−1: by default through the
 * prefix tree of the prompts (tree_forward.ts: a group's rollouts share their question prompt, so
 * each shared prefix runs once, and prompts are batched by length); with `sharePrefixes: false`, all
 * prompts right-padded in one full causal forward. Each decode step feeds every unfinished
 * sequence's last token at its own position and attends to the cache (one fused kernel per step
 * where the backend has it: `fusedDecode`). Tokens are drawn from probabilities softmax(logits / T)
 * that the backend computes (`sampleFromProbs`). Finished sequences leave the batch (their cache rows
 * are dropped) once they are a quarter of it. `useCache: false` recomputes the whole sequence at
 * every step instead — the reference the cached path is tested against.
 *
 * Test: `npx vitest run generate_test.ts`.
 */
import {
  decodeStep,
  type FloatArray,
  hasDecodeStep,
  hostArray,
  phase,
  scale,
  softmax,
  type Tensor,
  tidy,
} from "@mempo/kernels";
import { type AttendMode, type ForwardBatch, forward } from "./forward.ts";
import { KvCache } from "./kv_cache.ts";
import type { Model } from "./params.ts";
import { Rng } from "@mempo/kernels/random";
import { resolveSampling, type SamplingConfig, sampleFromProbs } from "./sample.ts";
import { hostMemory, type KvSink, treeForward } from "./tree_forward.ts";

export interface GenerateOptions {
  /** Sampling knobs (temperature 1, top-k off, top-p off by default). */
  sampling?: Partial<SamplingConfig>;
  /** Token ids that end a sequence (the stop token is kept in the output); default none. */
  stopIds?: ArrayLike<number>;
  /** Most tokens to generate per sequence; default 64. Also capped by the model's maxSeqLen. */
  maxNewTokens?: number;
  /** Seed of the sampling PRNG; default 0. Ignored when `rng` is given. */
  seed?: number;
  /** A PRNG to draw from (its state advances; save it for an exact resume). */
  rng?: Rng;
  /** Use the KV cache (default true); false recomputes the full sequence each step (reference). */
  useCache?: boolean;
  /** Prefill shared prompt prefixes once (default true); false = one right-padded prefill forward. */
  sharePrefixes?: boolean;
  /**
   * Run each decoding step as one fused kernel where the backend has it (wasm) and the model is
   * Llama-family (default true); false = op by op (forward.ts with the cache). Both compute the same
   * logits up to float32 summation order.
   */
  fusedDecode?: boolean;
}

/** One generated continuation. */
export interface Generation {
  /** Generated ids (the stop token included when finish = "stop"). */
  ids: Uint32Array;
  /** log softmax(logits / T)[id] of each generated token (T = 1 when greedy). */
  logprobs: Float32Array;
  /** "stop": a stop id was produced; "length": maxNewTokens or maxSeqLen was reached. */
  finish: "stop" | "length";
}

/** Generates a continuation of each prompt (prompts may differ in length). */
export async function generate(
  m: Model,
  prompts: readonly ArrayLike<number>[],
  opts: GenerateOptions = {},
): Promise<Generation[]> {
  const c = m.config;
  const sampling = resolveSampling(opts.sampling);
  const maxNew = opts.maxNewTokens ?? 64;
  if (!(Number.isInteger(maxNew) && maxNew >= 1))
    throw new Error(`generate: maxNewTokens must be an integer ≥ 1, got ${maxNew}`);
  const stop = new Set(Array.from(opts.stopIds ?? []));
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const B = prompts.length;
  if (B === 0) return [];
  const limit = new Int32Array(B); // max new tokens of each sequence
  for (let b = 0; b < B; b++) {
    const p = prompts[b]!;
    if (p.length === 0)
      throw new Error(`generate: prompt ${b} is empty; give at least one token (e.g. a BOS id)`);
    if (p.length >= c.maxSeqLen) {
      throw new Error(
        `generate: prompt ${b} has ${p.length} tokens; the model's maxSeqLen ${c.maxSeqLen} leaves no room to generate`,
      );
    }
    for (let i = 0; i < p.length; i++) {
      const id = p[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize)
        throw new Error(`generate: prompt ${b}[${i}] = ${id} is not a token id in [0, ${c.vocabSize})`);
    }
    limit[b] = Math.min(maxNew, c.maxSeqLen - p.length);
  }
  const out = prompts.map(() => ({
    ids: [] as number[],
    logprobs: [] as number[],
    finish: "length" as "stop" | "length",
  }));
  const done = new Uint8Array(B);
  const scratch = new Float64Array(c.vocabSize);
  // the probabilities softmax(logits / T) come from the backend (one exp per vocabulary entry there,
  // not on the host); greedy reads softmax(logits) for its log-prob
  const T = sampling.temperature === 0 ? 1 : sampling.temperature;
  const probs = (logits: Tensor) => tidy(() => softmax(T === 1 ? logits : scale(logits, 1 / T)));
  const take: Take = Object.assign(
    (b: number, row: Float32Array) => {
      const { id, logprob } = sampleFromProbs(row, sampling, rng, scratch);
      const o = out[b]!;
      o.ids.push(id);
      o.logprobs.push(logprob);
      if (stop.has(id)) {
        o.finish = "stop";
        done[b] = 1;
      } else if (o.ids.length >= limit[b]!) done[b] = 1;
    },
    { probs },
  );
  if (opts.useCache ?? true) {
    const fused = (opts.fusedDecode ?? true) ? fusedStep(m) : null;
    await cachedLoop(m, prompts, limit, out, done, take, opts.sharePrefixes ?? true, fused);
  } else await recomputeLoop(m, prompts, out, done, take);
  return out.map((o) => ({
    ids: Uint32Array.from(o.ids),
    logprobs: Float32Array.from(o.logprobs),
    finish: o.finish,
  }));
}

/** Hands sequence b its next token's probability row; `probs` makes those rows from logits [n, V]. */
type Take = ((b: number, row: Float32Array) => void) & { probs: (logits: Tensor) => Tensor };
type Out = { ids: number[] }[];

/** Hands row i of logits [n, V], as probabilities, to take(seqOf[i]) for unfinished sequences, in order. */
async function sampleRows(
  logits: Tensor,
  seqOf: ArrayLike<number>,
  done: Uint8Array,
  take: Take,
): Promise<void> {
  const V = logits.shape[1]!;
  const p = take.probs(logits);
  logits.dispose();
  try {
    // Host-memory backends: sample straight from the tensor's storage (nothing runs on the backend
    // until p is disposed). read() would allocate and fill a fresh array every step (a step's 16 × 2,048
    // probabilities: 128 KiB, ≈ 0.3 ms per step with the allocation and its garbage collection).
    const view = p.backend.hostMemory ? p.data : await p.read();
    const host = view instanceof Float32Array ? view : Float32Array.from(view);
    for (let i = 0; i < seqOf.length; i++) {
      const b = seqOf[i]!;
      if (done[b]) continue;
      take(b, host.subarray(i * V, (i + 1) * V));
    }
  } finally {
    p.dispose();
  }
}

async function cachedLoop(
  m: Model,
  prompts: readonly ArrayLike<number>[],
  limit: Int32Array,
  out: Out,
  done: Uint8Array,
  take: Take,
  share: boolean,
  fused: FusedStep | null,
): Promise<void> {
  const B = prompts.length;
  let Tp = 0;
  let Tmax = 0; // the last token fed sits at P_b + limit_b − 2; slots up to there are needed
  for (let b = 0; b < B; b++) {
    Tp = Math.max(Tp, prompts[b]!.length);
    Tmax = Math.max(Tmax, prompts[b]!.length + limit[b]!);
  }
  let active = Int32Array.from({ length: B }, (_, b) => b); // sequence of each cache row
  const cache = share
    ? await phase("prefill", () => treePrefill(m, prompts, Tmax, take))
    : new KvCache(m, B, Tmax);
  try {
    if (!share) {
      // Prefill: all prompts right-padded to Tp at positions 0…
      const ids = new Int32Array(B * Tp);
      const rows = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const p = prompts[b]!;
        for (let t = 0; t < p.length; t++) ids[b * Tp + t] = p[t]!;
        rows[b] = b * Tp + p.length - 1;
      }
      const prefill: ForwardBatch = { B, T: Tp, ids, pos: new Int32Array(B), rows };
      const promptLens = Int32Array.from(prompts, (p) => p.length);
      await phase("prefill", () =>
        sampleRows(run(m, prefill, { kind: "full", keyEnd: promptLens, cache }), active, done, take),
      );
    }
    for (;;) {
      const live = active.filter((b) => !done[b]);
      if (live.length === 0) break;
      if (live.length <= (active.length * 3) / 4) {
        const keepRows = Int32Array.from(live, (b) => active.indexOf(b));
        cache.select(keepRows);
        active = live;
      }
      const n = active.length;
      const step = new Int32Array(n);
      const pos = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const b = active[i]!;
        const gen = out[b]!.ids;
        step[i] = done[b] ? 0 : gen[gen.length - 1]!;
        pos[i] = prompts[b]!.length + gen.length - 1;
      }
      const batch: ForwardBatch = {
        B: n,
        T: 1,
        ids: step,
        pos,
        rows: Int32Array.from({ length: n }, (_, i) => i),
      };
      await phase("decode", () =>
        sampleRows(
          fused ? fused(cache, step, pos) : run(m, batch, { kind: "cache", cache, pos }),
          active,
          done,
          take,
        ),
      );
    }
  } finally {
    cache.dispose();
  }
}

/**
 * Prefill through the prompts' prefix tree: returns the cache [B, Hkv, Tmax, Dh] holding every
 * prompt's keys/values and hands each prompt's last-position probabilities to `take`, in prompt order.
 */
async function treePrefill(
  m: Model,
  prompts: readonly ArrayLike<number>[],
  Tmax: number,
  take: Take,
): Promise<KvCache> {
  const c = m.config;
  const B = prompts.length;
  const V = c.vocabSize;
  // host-memory backends: the runs go straight into the generation cache
  // each prompt's slots are written by the prefill, every later one by the decoding step that reads it
  const direct = hostMemory(m) ? new KvCache(m, B, Tmax, undefined, { zero: false }) : null;
  const host = () =>
    Array.from(
      { length: c.nLayers },
      () => hostArray(m.dtype, B * c.nKvHeads * Tmax * (c.dModel / c.nHeads)) as FloatArray,
    );
  const sink: KvSink = direct ? { Tmax, cache: direct } : { Tmax, k: host(), v: host() };
  const last = new Float32Array(B * V);
  try {
    await treeForward(
      m,
      prompts.map((p) => Int32Array.from(p)),
      {
        from: Int32Array.from(prompts, (p) => p.length - 1),
        to: Int32Array.from(prompts, (p) => p.length),
        sink,
        async head(logits, rows) {
          const p = take.probs(logits);
          const host = await p.read();
          p.dispose();
          rows.forEach((r, k) => {
            last.set(host.subarray(k * V, (k + 1) * V), r.seq * V);
          });
        },
      },
    );
  } catch (e) {
    direct?.dispose();
    throw e;
  }
  const cache = direct ?? new KvCache(m, B, Tmax, sink as { k: FloatArray[]; v: FloatArray[] });
  for (let b = 0; b < B; b++) take(b, last.subarray(b * V, (b + 1) * V));
  return cache;
}

/** A decoding step on the cache: rows feed ids at positions pos; returns the logits [n, V]. */
type FusedStep = (cache: KvCache, ids: Int32Array, pos: Int32Array) => Tensor;

/**
 * The backend's fused decoding step for this model (kernels' decodeStep), or null where there is
 * none or the model is outside what it computes (Llama family: RMSNorm, rope, separate q/k/v, SwiGLU,
 * no output-projection or norm biases).
 */
export function fusedStep(m: Model): FusedStep | null {
  const c = m.config;
  if (c.family !== "llama" || m.names.pos || m.names.normFBias || !hasDecodeStep(m.backend)) return null;
  const names = m.layers;
  if (
    names.some(
      (L) => !L.q || !L.k || !L.v || !L.gate || !L.up || !L.down || L.oBias || L.norm1Bias || L.norm2Bias,
    )
  )
    return null;
  const Dh = c.dModel / c.nHeads;
  const dFf = m.p(names[0]!.gate!).shape[0]!;
  if (Dh % 2 !== 0 || [c.dModel, c.nKvHeads * Dh, dFf, c.vocabSize].some((x) => x % 4 !== 0)) return null;
  const opt = (name: string | undefined) => (name ? m.p(name) : null);
  return (cache, ids, pos) =>
    decodeStep({
      ids,
      pos,
      embed: m.p(m.names.embed),
      layers: names.map((L, l) => ({
        ...{ norm1: m.p(L.norm1), q: m.p(L.q!), k: m.p(L.k!), v: m.p(L.v!) },
        ...{
          qBias: opt(L.qBias),
          kBias: opt(L.kBias),
          vBias: opt(L.vBias),
          o: m.p(L.o),
          norm2: m.p(L.norm2),
        },
        ...{
          gate: m.p(L.gate!),
          up: m.p(L.up!),
          down: m.p(L.down!),
          kCache: cache.k[l]!,
          vCache: cache.v[l]!,
        },
      })),
      normF: m.p(m.names.normF),
      head: m.p(m.names.head),
      H: c.nHeads,
      Hkv: c.nKvHeads,
      eps: c.normEps,
      ropeTheta: c.ropeTheta,
    });
}

function run(m: Model, batch: ForwardBatch, mode: AttendMode): Tensor {
  return tidy(() => forward(m, batch, mode, false).logits);
}

async function recomputeLoop(
  m: Model,
  prompts: readonly ArrayLike<number>[],
  out: Out,
  done: Uint8Array,
  take: Take,
): Promise<void> {
  const B = prompts.length;
  for (;;) {
    if (done.every((d) => d === 1)) break;
    const lens = Int32Array.from({ length: B }, (_, b) => prompts[b]!.length + out[b]!.ids.length);
    const T = Math.max(...lens);
    const ids = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const p = prompts[b]!;
      const g = out[b]!.ids;
      for (let t = 0; t < lens[b]!; t++) ids[b * T + t] = t < p.length ? p[t]! : g[t - p.length]!;
    }
    const rows = Int32Array.from({ length: B }, (_, b) => b * T + lens[b]! - 1);
    const batch: ForwardBatch = { B, T, ids, pos: new Int32Array(B), rows };
    await sampleRows(
      run(m, batch, { kind: "full", keyEnd: lens }),
      Int32Array.from({ length: B }, (_, b) => b),
      done,
      take,
    );
  }
}
