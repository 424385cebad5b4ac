/**
 * Sampling one token from a row of logits: temperature, top-k and top-p (nucleus) truncation, greedy
 * at temperature 0, driven by the seeded {@link Rng} so a run is reproducible.
 *
 * The reported log-prob is log softmax(logits / T)[id] over the whole vocabulary (T = 1 when greedy):
 * the same quantity the training path computes (see `tokenLogprobs` with the same temperature), so
 * PPO ratios π_θ / π_old compare like with like. Top-k / top-p change which tokens can be drawn, not
 * the reported log-prob.
 *
 * Test: `npx vitest run sample_test.ts`.
 */
import type { Rng } from "@mempo/kernels/random";

/** Sampling knobs (defaults in {@link SAMPLING_DEFAULTS}). */
export interface SamplingConfig {
  /** Softmax temperature; 0 = greedy (argmax, ties to the lowest id). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 = off. */
  topP: number;
}

export const SAMPLING_DEFAULTS: SamplingConfig = { temperature: 1, topK: 0, topP: 1 };

/** Validates and fills a partial sampling config. */
export function resolveSampling(s: Partial<SamplingConfig> = {}): SamplingConfig {
  const c = { ...SAMPLING_DEFAULTS, ...s };
  if (!(Number.isFinite(c.temperature) && c.temperature >= 0)) {
    throw new Error(`sampling: temperature must be a finite number ≥ 0 (0 = greedy), got ${c.temperature}`);
  }
  if (!(Number.isInteger(c.topK) && c.topK >= 0))
    throw new Error(`sampling: topK must be an integer ≥ 0 (0 = off), got ${c.topK}`);
  if (!(c.topP > 0 && c.topP <= 1))
    throw new Error(`sampling: topP must be in (0, 1] (1 = off), got ${c.topP}`);
  return c;
}

/**
 * Draws one token id from `logits` (length V). `scratch` (≥ V entries) avoids an allocation per call.
 * @returns the id and its log-prob under softmax(logits / T) (T = 1 when greedy).
 */
export function sampleToken(
  logits: Float32Array,
  cfg: SamplingConfig,
  rng: Rng,
  scratch?: Float64Array,
): { id: number; logprob: number } {
  const V = logits.length;
  const T = cfg.temperature === 0 ? 1 : cfg.temperature;
  let best = 0;
  let m = -Infinity;
  for (let i = 0; i < V; i++) {
    if (logits[i]! > m) {
      m = logits[i]!;
      best = i;
    }
  }
  if (!Number.isFinite(m)) throw new Error(`sampleToken: logits row has no finite maximum (max = ${m})`);
  const invT = 1 / T;
  const p = scratch && scratch.length >= V ? scratch.subarray(0, V) : new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const e = Math.exp((logits[i]! - m) * invT);
    p[i] = e;
    sum += e;
  }
  const logZ = Math.log(sum);
  return draw(p, sum, best, cfg, rng, (id) => (logits[id]! - m) * invT - logZ);
}

/**
 * Draws one token from a row of probabilities `probs` = softmax(logits / T) (T = 1 when greedy)
 * computed elsewhere — generation computes them on the backend, which spares the host an exp per
 * vocabulary entry. Same knobs, same tie rules and the same draws from `rng` as {@link sampleToken};
 * the log-prob is log(probs[id] / Σ probs).
 */
export function sampleFromProbs(
  probs: Float32Array,
  cfg: SamplingConfig,
  rng: Rng,
  scratch?: Float64Array,
): { id: number; logprob: number } {
  const V = probs.length;
  const p = scratch && scratch.length >= V ? scratch.subarray(0, V) : new Float64Array(V);
  let best = 0;
  let top = -1;
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const x = probs[i]!;
    p[i] = x;
    sum += x;
    if (x > top) {
      top = x;
      best = i;
    }
  }
  if (!(sum > 0 && Number.isFinite(sum)))
    throw new Error(`sampleFromProbs: the probabilities sum to ${sum}; expected a finite positive total`);
  const logZ = Math.log(sum);
  return draw(p, sum, best, cfg, rng, (id) => Math.log(p[id]!) - logZ);
}

/** The draw both samplers share: weights p (Σ = sum), the argmax `best`, log-probs from `lp`. */
function draw(
  p: Float64Array,
  sum: number,
  best: number,
  cfg: SamplingConfig,
  rng: Rng,
  lp: (id: number) => number,
): { id: number; logprob: number } {
  const V = p.length;
  if (cfg.temperature === 0) return { id: best, logprob: lp(best) };

  const truncK = cfg.topK > 0 && cfg.topK < V;
  if (!truncK && cfg.topP >= 1) {
    let u = rng.next() * sum;
    for (let i = 0; i < V; i++) {
      u -= p[i]!;
      if (u < 0) return { id: i, logprob: lp(i) };
    }
    return { id: best, logprob: lp(best) }; // rounding left u ≥ 0: the mass ends at the last token
  }
  // Candidates in descending probability (ties: lower id first).
  const cand = truncK ? topKIndices(p, cfg.topK) : sortedIndices(p);
  let keep = cand.length;
  if (cfg.topP < 1) {
    const target = cfg.topP * sum;
    let acc = 0;
    for (let j = 0; j < cand.length; j++) {
      acc += p[cand[j]!]!;
      if (acc >= target) {
        keep = j + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let j = 0; j < keep; j++) mass += p[cand[j]!]!;
  let u = rng.next() * mass;
  for (let j = 0; j < keep; j++) {
    u -= p[cand[j]!]!;
    if (u < 0) return { id: cand[j]!, logprob: lp(cand[j]!) };
  }
  return { id: cand[0]!, logprob: lp(cand[0]!) };
}

function sortedIndices(p: Float64Array): Uint32Array {
  const idx = new Uint32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => p[b]! - p[a]! || a - b);
}

/** Indices of the k largest entries, in descending order (a size-k min-heap, O(V log k)). */
function topKIndices(p: Float64Array, k: number): Uint32Array {
  const heap = new Uint32Array(k);
  let n = 0;
  // "less" = worse candidate: smaller p, or equal p and larger id.
  const less = (a: number, b: number) => p[a]! < p[b]! || (p[a] === p[b] && a > b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let s = i;
      if (l < n && less(heap[l]!, heap[s]!)) s = l;
      if (r < n && less(heap[r]!, heap[s]!)) s = r;
      if (s === i) return;
      const t = heap[i]!;
      heap[i] = heap[s]!;
      heap[s] = t;
      i = s;
    }
  };
  for (let i = 0; i < p.length; i++) {
    if (n < k) {
      let j = n++;
      heap[j] = i;
      while (j > 0) {
        const par = (j - 1) >> 1;
        if (!less(heap[j]!, heap[par]!)) break;
        const t = heap[j]!;
        heap[j] = heap[par]!;
        heap[par] = t;
        j = par;
      }
    } else if (less(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => p[b]! - p[a]! || a - b);
}
