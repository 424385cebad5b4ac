import { describe, expect, it } from "vitest";
import { Rng } from "@mempo/kernels/random";
import { resolveSampling, sampleFromProbs, sampleToken } from "./sample.ts";

const logits = Float32Array.from([1, 3, 2, 0.5, 3]);
function logSoftmax(x: Float32Array, T: number): number[] {
  const z = Array.from(x, (v) => v / T);
  const m = Math.max(...z);
  const s = z.reduce((a, v) => a + Math.exp(v - m), 0);
  return z.map((v) => v - m - Math.log(s));
}

describe("sampleToken", () => {
  it("is greedy at temperature 0 (ties to the lowest id) with the T=1 log-prob", () => {
    const r = sampleToken(logits, resolveSampling({ temperature: 0 }), new Rng(1));
    expect(r.id).toBe(1);
    expect(r.logprob).toBeCloseTo(logSoftmax(logits, 1)[1]!, 6);
  });

  it("draws from softmax(logits / T) and reports its log-prob", () => {
    const cfg = resolveSampling({ temperature: 0.7 });
    const rng = new Rng(3);
    const counts = new Array(5).fill(0);
    const lp = logSoftmax(logits, 0.7);
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const r = sampleToken(logits, cfg, rng);
      counts[r.id]++;
      expect(r.logprob).toBeCloseTo(lp[r.id]!, 5);
    }
    for (let i = 0; i < 5; i++) expect(Math.abs(counts[i] / n - Math.exp(lp[i]!))).toBeLessThan(0.015);
  });

  it("top-k keeps only the k most likely ids", () => {
    const cfg = resolveSampling({ topK: 2 });
    const rng = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, cfg, rng).id);
    expect([...seen].sort()).toEqual([1, 4]);
  });

  it("top-p keeps the smallest nucleus reaching p", () => {
    // p = [0.052, 0.387, 0.142, 0.032, 0.387]: top-2 = 0.774, top-3 = 0.916.
    const rng = new Rng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, resolveSampling({ topP: 0.8 }), rng).id);
    expect([...seen].sort()).toEqual([1, 2, 4]);
    seen.clear();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, resolveSampling({ topP: 0.6 }), rng).id);
    expect([...seen].sort()).toEqual([1, 4]);
  });

  it("is reproducible for a seed", () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from(
        { length: 20 },
        () => sampleToken(logits, resolveSampling({ topK: 3, topP: 0.9 }), rng).id,
      );
    };
    expect(draw(11)).toEqual(draw(11));
  });

  it("validates the config", () => {
    expect(() => resolveSampling({ temperature: -1 })).toThrow(/temperature/);
    expect(() => resolveSampling({ topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => resolveSampling({ topK: 1.5 })).toThrow(/topK/);
  });
});

describe("sampleFromProbs", () => {
  const probsOf = (x: Float32Array, T: number) => Float32Array.from(logSoftmax(x, T), Math.exp);

  it("draws what sampleToken draws from the same logits and random numbers", () => {
    const r = new Rng(9);
    let same = 0;
    let n = 0;
    for (const cfg of [
      resolveSampling({ temperature: 0 }),
      resolveSampling({ temperature: 1 }),
      resolveSampling({ temperature: 0.7, topK: 20 }),
      resolveSampling({ temperature: 1.3, topP: 0.9 }),
    ]) {
      for (let row = 0; row < 200; row++) {
        const x = Float32Array.from({ length: 300 }, () => (r.next() - 0.5) * 16);
        const p = probsOf(x, cfg.temperature === 0 ? 1 : cfg.temperature);
        const a = sampleToken(x, cfg, new Rng(row));
        const b = sampleFromProbs(p, cfg, new Rng(row));
        n++;
        if (a.id === b.id) {
          same++;
          expect(b.logprob).toBeCloseTo(a.logprob, 5);
        }
      }
    }
    // float32 probabilities can move a draw that lands within ≈ 1e-7 of a boundary
    expect(same).toBeGreaterThanOrEqual(n - 1);
  });

  it("is greedy at temperature 0 with ties to the lowest id, and rejects rows without mass", () => {
    const p = Float32Array.from([0.1, 0.4, 0.1, 0.4]);
    const r = sampleFromProbs(p, resolveSampling({ temperature: 0 }), new Rng(1));
    expect(r).toEqual({
      id: 1,
      logprob: Math.log(Math.fround(0.4)) - Math.log(2 * Math.fround(0.1) + 2 * Math.fround(0.4)),
    });
    expect(() => sampleFromProbs(new Float32Array(4), resolveSampling({}), new Rng(1))).toThrow(
      /sum to 0; expected a finite positive total/,
    );
  });
});
