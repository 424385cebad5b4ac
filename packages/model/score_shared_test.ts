/**
 * Acceptance: prefix-sharing scoring equals plain `score` (max |Δ logp| ≤ 1e-4) for both families on
 * every registered backend — random contexts that share prefixes of every depth (duplicates, contexts
 * that are prefixes of others, empty targets), MemPO-shaped groups (one question prompt, nested
 * full-history baselines, memory contexts, one gold target), small budgets that force many batches,
 * and temperature ≠ 1; no tensor is leaked; bad input fails like `score`.
 */
import { listBackends, memory } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { Model } from "./params.ts";
import { type PresetName, preset } from "./presets.ts";
import { Rng } from "@mempo/kernels/random";
import { type ScoreOptions, score } from "./score.ts";
import { scoreShared } from "./score_shared.ts";

interface Case {
  contexts: number[][];
  targets: number[][];
}

/** Contexts grown from earlier ones cut at a random depth, plus a few fresh ones. */
function randomShared(vocab: number, n: number, seed: number, maxLen: number): Case {
  const r = new Rng(seed);
  const ids = (k: number) => Array.from({ length: k }, () => Math.floor(r.next() * vocab));
  const golds = [ids(3), ids(1), ids(5)];
  const contexts: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < n; i++) {
    const target = r.next() < 0.7 ? golds[Math.floor(r.next() * 3)]! : ids(Math.floor(r.next() * 5));
    let ctx: number[];
    if (contexts.length > 0 && r.next() < 0.85) {
      const base = contexts[Math.floor(r.next() * contexts.length)]!;
      const cut = Math.floor(r.next() * (base.length + 1));
      ctx = [...base.slice(0, cut), ...ids(Math.floor(r.next() * 7))];
    } else ctx = ids(1 + Math.floor(r.next() * 10));
    if (ctx.length === 0) ctx = ids(1);
    contexts.push(ctx.slice(0, maxLen - target.length));
    targets.push(target);
  }
  return { contexts, targets };
}

/** A MemPO group: per rollout, (question ++ <mem> ++ m_t ++ A) and (question ++ blocks < t ++ A). */
function mempoGroup(vocab: number, rollouts: number, turns: number, seed: number): Case {
  const r = new Rng(seed);
  const ids = (k: number) => Array.from({ length: k }, () => 3 + Math.floor(r.next() * (vocab - 3)));
  const [MEM, ANSWER] = [1, 2];
  const question = ids(6);
  const gold = ids(3);
  const contexts: number[][] = [];
  for (let g = 0; g < rollouts; g++) {
    const history: number[] = [];
    for (let t = 0; t < turns; t++) {
      contexts.push([...question, MEM, ...ids(1 + Math.floor(r.next() * 4)), ANSWER]);
      contexts.push([...question, ...history, ANSWER]);
      history.push(...(r.next() < 0.3 && g > 0 ? [4, 5, 6] : ids(2 + Math.floor(r.next() * 5))));
    }
  }
  return { contexts, targets: contexts.map(() => gold) };
}

async function maxDiff(m: Model, k: Case, opts: ScoreOptions = {}): Promise<number> {
  const before = memory().tensors;
  const ref = await score(m, k.contexts, k.targets, { temperature: opts.temperature });
  const got = await scoreShared(m, k.contexts, k.targets, opts);
  expect(memory().tensors).toBe(before);
  expect(got.length).toBe(ref.length);
  let d = 0;
  got.forEach((g, i) => {
    expect(g.length).toBe(k.targets[i]!.length);
    for (let j = 0; j < g.length; j++) d = Math.max(d, Math.abs(g[j]! - ref[i]![j]!));
  });
  return d;
}

const cases = (["tiny-gpt2", "tiny-llama"] as PresetName[]).flatMap((n) =>
  listBackends().map((b) => [n, b] as const),
);

describe.each(cases)("scoreShared (%s on %s)", (name, backend) => {
  const c = preset(name, { initStd: 0.3 });

  it("equals score on random contexts sharing prefixes of every depth", async () => {
    const m = Model.init(c, { seed: 3, backend });
    for (const seed of [1, 2]) {
      const k = randomShared(c.vocabSize, 40, seed, c.maxSeqLen);
      expect(await maxDiff(m, k)).toBeLessThanOrEqual(1e-4);
      // tight budgets: many batches per wave, ancestors copied into many caches
      expect(await maxDiff(m, k, { maxBatchTokens: 16, maxCacheTokens: 64 })).toBeLessThanOrEqual(1e-4);
    }
    m.dispose();
  });

  it("equals score on MemPO-shaped groups, at temperature 0.7 too", async () => {
    const m = Model.init(c, { seed: 5, backend });
    const k = mempoGroup(c.vocabSize, 3, 5, 4);
    expect(await maxDiff(m, k)).toBeLessThanOrEqual(1e-4);
    expect(await maxDiff(m, k, { temperature: 0.7 })).toBeLessThanOrEqual(1e-4);
    // through score's option
    const a = await score(m, k.contexts, k.targets, { sharePrefixes: true });
    const b = await scoreShared(m, k.contexts, k.targets);
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    m.dispose();
  });

  it.runIf(backend === "ts")("equals score to float64 round-off on an f64 model", async () => {
    const m = Model.init(c, { seed: 7, backend, dtype: "f64" });
    const k = randomShared(c.vocabSize, 30, 9, c.maxSeqLen);
    expect(await maxDiff(m, k, { maxBatchTokens: 24 })).toBeLessThanOrEqual(1e-6);
    m.dispose();
  });

  it("rejects bad input like score", async () => {
    const m = Model.init(c, { backend });
    await expect(scoreShared(m, [[1]], [])).rejects.toThrow(/1 contexts but 0 targets/);
    await expect(scoreShared(m, [[]], [[1]])).rejects.toThrow(/context 0 is empty/);
    await expect(scoreShared(m, [[1, 999]], [[1]])).rejects.toThrow(
      /contexts\[0\]\[1\] = 999 is not a token id/,
    );
    await expect(scoreShared(m, [[1]], [[1, -2]])).rejects.toThrow(/targets\[0\]\[1\] = -2/);
    await expect(scoreShared(m, [new Array(c.maxSeqLen).fill(1)], [[1]])).rejects.toThrow(
      /exceeds the model's maxSeqLen/,
    );
    expect(await scoreShared(m, [[1], [2]], [[], []])).toEqual([new Float32Array(0), new Float32Array(0)]);
    m.dispose();
  });
});
