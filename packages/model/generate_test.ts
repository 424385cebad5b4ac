/**
 * Acceptance: KV-cache generation equals generation by full recomputation, token for token, for both
 * families and every registered backend, with mixed prompt lengths in one batch, and with prompts
 * that share prefixes (prefix-tree prefill and the padded prefill alike); reported log-probs
 * equal teacher-forced scoring; seeds reproduce; stop ids and length limits end sequences.
 */
import { full, listBackends, memory, Profiler } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { fusedStep, generate } from "./generate.ts";
import { KvCache } from "./kv_cache.ts";
import { forwardLogprobs } from "./logprobs.ts";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import { Rng } from "@mempo/kernels/random";

function prompts(vocab: number, lens: number[], seed: number): Uint32Array[] {
  const r = new Rng(seed);
  return lens.map((n) => Uint32Array.from({ length: n }, () => Math.floor(r.next() * vocab)));
}

const cases = (["tiny-gpt2", "tiny-llama"] as PresetName[]).flatMap((n) =>
  listBackends().map((b) => [n, b] as const),
);

describe.each(cases)("generate (%s on %s)", (name, backend) => {
  const c = preset(name, { initStd: 0.3 });

  it("with the KV cache equals full recomputation, token for token, with mixed prompt lengths", async () => {
    const m = Model.init(c, { seed: 1, backend });
    const ps = prompts(c.vocabSize, [5, 1, 9, 3, 7], 2);
    for (const sampling of [
      { temperature: 0 },
      { temperature: 1 },
      { temperature: 0.8, topK: 10, topP: 0.9 },
    ]) {
      const opts = { sampling, maxNewTokens: 12, seed: 7, stopIds: [3, 4, 5, 6, 7, 8] };
      const before = memory().tensors;
      const cached = await generate(m, ps, opts);
      expect(memory().tensors).toBe(before);
      const full = await generate(m, ps, { ...opts, useCache: false });
      for (let b = 0; b < ps.length; b++) {
        expect(Array.from(cached[b]!.ids)).toEqual(Array.from(full[b]!.ids));
        expect(cached[b]!.finish).toBe(full[b]!.finish);
        for (let j = 0; j < cached[b]!.logprobs.length; j++)
          expect(cached[b]!.logprobs[j]).toBeCloseTo(full[b]!.logprobs[j]!, 4);
      }
      // some sequences stop early, some run to the limit
      if (sampling.temperature === 1) expect(new Set(cached.map((g) => g.finish)).size).toBe(2);
    }
    m.dispose();
  });

  it("prefills shared prompt prefixes once: same tokens as the padded prefill and full recomputation", async () => {
    const m = Model.init(c, { seed: 6, backend });
    const [q, a, b] = prompts(c.vocabSize, [9, 6, 4], 11);
    const cat = (...xs: Uint32Array[]) => Uint32Array.from(xs.flatMap((x) => Array.from(x)));
    // a question shared by all, duplicates, a prompt that is a prefix of another, a fresh one
    const ps = [cat(q!, a!), q!, cat(q!, a!, b!), cat(q!, a!), cat(q!, b!), b!, cat(q!, a!.subarray(0, 2))];
    for (const sampling of [{ temperature: 0 }, { temperature: 1 }]) {
      const opts = { sampling, maxNewTokens: 10, seed: 3, stopIds: [3, 4, 5] };
      const before = memory().tensors;
      const shared = await generate(m, ps, opts);
      expect(memory().tensors).toBe(before);
      const padded = await generate(m, ps, { ...opts, sharePrefixes: false });
      const full = await generate(m, ps, { ...opts, useCache: false });
      for (let i = 0; i < ps.length; i++) {
        expect(Array.from(shared[i]!.ids)).toEqual(Array.from(full[i]!.ids));
        expect(Array.from(padded[i]!.ids)).toEqual(Array.from(full[i]!.ids));
        expect(shared[i]!.finish).toBe(full[i]!.finish);
        for (let j = 0; j < shared[i]!.logprobs.length; j++)
          expect(shared[i]!.logprobs[j]).toBeCloseTo(full[i]!.logprobs[j]!, 4);
      }
    }
    m.dispose();
  });

  it("reports log-probs equal to teacher-forced scoring, stop tokens and limits", async () => {
    const m = Model.init(c, { seed: 4, backend });
    const ps = prompts(c.vocabSize, [4, 2, 6], 9);
    const gen = await generate(m, ps, {
      sampling: { temperature: 0.9 },
      maxNewTokens: 10,
      seed: 3,
      stopIds: [5],
    });
    for (const g of gen) {
      if (g.finish === "stop") expect(g.ids[g.ids.length - 1]).toBe(5);
      else expect(g.ids.length).toBe(10);
      expect(Array.from(g.ids.subarray(0, -1))).not.toContain(5);
    }
    const pass = await forwardLogprobs(
      m,
      ps.map((p, b) => ({ promptIds: p, responseIds: gen[b]!.ids })),
      { temperature: 0.9, train: false },
    );
    for (let b = 0; b < ps.length; b++)
      for (let j = 0; j < gen[b]!.ids.length; j++)
        expect(pass.logprobs[b]![j]).toBeCloseTo(gen[b]!.logprobs[j]!, 4);
    // seeded: same seed, same tokens; another seed, other tokens
    const again = await generate(m, ps, {
      sampling: { temperature: 0.9 },
      maxNewTokens: 10,
      seed: 3,
      stopIds: [5],
    });
    expect(again.map((g) => Array.from(g.ids))).toEqual(gen.map((g) => Array.from(g.ids)));
    const other = await generate(m, ps, {
      sampling: { temperature: 0.9 },
      maxNewTokens: 10,
      seed: 4,
      stopIds: [5],
    });
    expect(other.map((g) => Array.from(g.ids))).not.toEqual(gen.map((g) => Array.from(g.ids)));
    // maxSeqLen caps generation
    const long = await generate(m, [new Uint32Array(c.maxSeqLen - 3)], { maxNewTokens: 10 });
    expect(long[0]!.ids.length).toBe(3);
    expect(long[0]!.finish).toBe("length");
    m.dispose();
  });

  it("rejects bad prompts clearly", async () => {
    const m = Model.init(c, { backend });
    await expect(generate(m, [new Uint32Array(0)])).rejects.toThrow(/prompt 0 is empty/);
    await expect(generate(m, [Uint32Array.of(1, 999)])).rejects.toThrow(
      /prompt 0\[1\] = 999 is not a token id/,
    );
    await expect(generate(m, [new Uint32Array(c.maxSeqLen)])).rejects.toThrow(/leaves no room/);
    m.dispose();
  });
});

describe("the fused decoding step (wasm)", () => {
  // qkv biases, grouped-query attention, prompts of mixed lengths and rows finishing at different steps
  const c = preset("tiny-llama", { initStd: 0.3 });
  const cfg = { ...c, nHeads: 4, nKvHeads: 2, qkvBias: true };

  it("gives the op-by-op step's tokens and log-probs, in one kernel call per step", async () => {
    const m = Model.init(cfg, { seed: 4, backend: "wasm" });
    expect(fusedStep(m)).not.toBeNull();
    const ps = prompts(cfg.vocabSize, [6, 1, 11, 3, 8, 2, 9, 5, 7, 4], 9);
    for (const sampling of [{ temperature: 0 }, { temperature: 1 }]) {
      const opts = { sampling, maxNewTokens: 14, seed: 2, stopIds: [3, 4, 5] };
      const before = memory().tensors;
      const prof = new Profiler().start();
      const fused = await generate(m, ps, opts);
      const rep = prof.stop();
      expect(memory().tensors).toBe(before);
      const steps = rep.kernels.find((k) => k.kernel === "decodeStep")?.calls ?? 0;
      expect(steps).toBeGreaterThan(0);
      // every decoding step is one call (and the sampling softmax): no per-layer kernels
      const decode = rep.phases.find((p) => p.phase === "decode")!;
      expect(decode.kernels.map((k) => k.kernel).sort()).toEqual(["decodeStep", "softmax"]);
      const ops = await generate(m, ps, { ...opts, fusedDecode: false });
      for (let b = 0; b < ps.length; b++) {
        expect(Array.from(fused[b]!.ids)).toEqual(Array.from(ops[b]!.ids));
        expect(fused[b]!.finish).toBe(ops[b]!.finish);
        for (let j = 0; j < fused[b]!.logprobs.length; j++)
          expect(fused[b]!.logprobs[j]).toBeCloseTo(ops[b]!.logprobs[j]!, 5);
      }
    }
    m.dispose();
  });

  it("is left to the op-by-op step where the model is outside it", () => {
    const g = Model.init(preset("tiny-gpt2"), { seed: 1, backend: "wasm" });
    expect(fusedStep(g)).toBeNull();
    g.dispose();
    const t = Model.init(cfg, { seed: 1, backend: "ts" });
    expect(fusedStep(t)).toBeNull();
    t.dispose();
  });

  it("writes every logit of a step placed in reused memory (allocated without clearing)", () => {
    const m = Model.init(cfg, { seed: 4, backend: "wasm" });
    const step = fusedStep(m)!;
    const run = (nanFirst: boolean) => {
      const cache = new KvCache(m, 3, 8);
      // blocks of the output's size filled with NaN and freed: the step's output may get one uncleared
      if (nanFirst) full([3, cfg.vocabSize], Number.NaN, { backend: "wasm" }).dispose();
      const out = step(cache, Int32Array.of(1, 5, 9), Int32Array.of(0, 0, 0));
      const v = Float32Array.from(out.readSync());
      out.dispose();
      cache.dispose();
      return v;
    };
    const fresh = run(false);
    const reused = run(true);
    expect(reused.some(Number.isNaN)).toBe(false);
    expect(Array.from(reused)).toEqual(Array.from(fresh));
    m.dispose();
  });

  it("rejects bad rows clearly", () => {
    const m = Model.init(cfg, { seed: 4, backend: "wasm" });
    const cache = new KvCache(m, 2, 8);
    const step = fusedStep(m)!;
    expect(() => step(cache, Int32Array.of(1, 999), Int32Array.of(0, 1))).toThrow(
      /decodeStep: ids\[1\] = 999 is not a token id in \[0, 64\)/,
    );
    expect(() => step(cache, Int32Array.of(1, 2), Int32Array.of(0, 8))).toThrow(
      /decodeStep: pos\[1\] = 8 is not a cache slot in \[0, 8\)/,
    );
    expect(() => step(cache, Int32Array.of(1, 2, 3), Int32Array.of(0, 1, 2))).toThrow(/does not fit 3 rows/);
    cache.dispose();
    m.dispose();
  });
});
