/**
 * The jax-js peer (peer_jax.ts) is the same model as @mempo/model: on the same weights (Model.init,
 * then norm weights and biases perturbed so that every one of them matters) and the same ids, its
 * training step's loss equals `sftStep`'s to 1e-4 and its pre-clip gradient norm equals the one
 * `AdamW.step` reports, and its greedy KV-cache decode gives the tokens of `generate` at temperature 0.
 * Tiny configs of both families (the `default` and `small-gpt2` presets shrunk, and `tiny-llama` for
 * an untied head), our model on the "ts" backend.
 *
 * Test: `cd benchmarks && npx vitest run model/peer_jax_test.ts`.
 */
import { AdamW, generate, Model, type ModelConfig, paramSpecs, preset, sftStep } from "@mempo/model";
import { beforeAll, describe, expect, it } from "vitest";
import { loadJax } from "../jax.ts";
import { buildJaxModel } from "./peer_jax.ts";

// initStd 0.3: with GPT-2's 0.02, a tied head mostly echoes the current token, and greedy decoding
// would repeat it (a weak check of the cache)
const shrink = { vocabSize: 96, dModel: 48, nLayers: 2, maxSeqLen: 64, initStd: 0.3 };
const CASES: [string, ModelConfig][] = [
  [
    "default shrunk (llama: RMSNorm, RoPE, GQA 6:2, q/k/v bias, SwiGLU, tied head)",
    preset("default", { ...shrink, dFf: 64 }),
  ],
  ["tiny-llama (GQA 4:2, untied head)", preset("tiny-llama", { initStd: 0.3 })],
  ["small-gpt2 shrunk (LayerNorm, GELU, learned positions, tied head)", preset("small-gpt2", shrink)],
];

/** Model.init's weights with the ones/zeros (norm weights, biases) moved off 1 and 0. */
async function weights(c: ModelConfig): Promise<Map<string, Float32Array>> {
  const m = Model.init(c, { seed: 1, backend: "ts" });
  const w = await m.toArrays();
  m.dispose();
  let s = 12345;
  const u = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  for (const spec of paramSpecs(c)) {
    if (spec.init !== "ones" && spec.init !== "zeros") continue;
    const a = w.get(spec.name)!;
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + 0.2 * u();
  }
  return w;
}

const ids = (n: number, s: number, V: number) =>
  Uint32Array.from({ length: n }, (_, i) => (i * 7919 + s * 104729 + i * i * 31) % V);

// biome-ignore lint/suspicious/noExplicitAny: the jax-js module
let jax: any;
beforeAll(async () => {
  jax = await loadJax();
});

describe("jax-js model peer = @mempo/model on the same weights", () => {
  it.each(CASES)("%s", async (_, c) => {
    const w = await weights(c);
    const m = Model.fromArrays(c, w, { backend: "ts" });
    const jm = buildJaxModel(jax, c, w);
    try {
      const V = c.vocabSize;
      // greedy decode: B prompts of P tokens, N new tokens
      const B = 3;
      const P = 5;
      const N = 6;
      const prompts = Array.from({ length: B }, (_, b) => ids(P, b + 3, V));
      const ours = await generate(m, prompts, { maxNewTokens: N, sampling: { temperature: 0 } });
      const flat = new Int32Array(B * P);
      for (let b = 0; b < B; b++) flat.set(prompts[b]!, b * P);
      const theirs = (await jm.generate(flat, B, P, N)).tokens;
      const tokens = (b: number) => Array.from(theirs, (step) => step[b]!);
      for (let b = 0; b < B; b++) expect(tokens(b)).toEqual(Array.from(ours[b]!.ids));
      // every sequence changes token along the way: the cache and the positions are exercised
      for (let b = 0; b < B; b++) expect(new Set(tokens(b)).size).toBeGreaterThan(1);

      // one training step: loss on every token, and the gradient's global norm before clipping
      const T = 11;
      const rows = Array.from({ length: B }, (_, b) => ids(T + 1, b + 11, V));
      const items = rows.map((r) => ({ promptIds: r.subarray(0, 1), responseIds: r.subarray(1) }));
      const { loss } = await sftStep(m, items);
      const opt = new AdamW(m);
      const { gradNorm } = opt.step();
      opt.dispose();
      const all = new Int32Array(B * (T + 1));
      for (let b = 0; b < B; b++) all.set(rows[b]!, b * (T + 1));
      const j = await jm.trainStep(all, B, T);
      expect(loss).toBeGreaterThan(1); // a real cross-entropy (≈ log V at random weights)
      expect(Math.abs(j.loss - loss)).toBeLessThan(1e-4);
      expect(Math.abs(j.gradNorm - gradNorm) / gradNorm).toBeLessThan(1e-3);
      // a second step runs on the updated parameters (AdamW moved them: the loss changes)
      const j2 = await jm.trainStep(all, B, T);
      expect(j2.loss).not.toBe(j.loss);
      expect(Math.abs(j2.loss - j.loss)).toBeLessThan(0.5);
    } finally {
      m.dispose();
      jm.dispose();
    }
  });
});
