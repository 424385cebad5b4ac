// PPO-clip + k3 KL loss (DESIGN.md §6 eq. 7): hand tables for every aggregation mode, and the
// gradient against central finite differences.
// Run: npx vitest run loss_test.ts
import { describe, expect, it } from "vitest";
import { type PolicyLossConfig, type PolicyLossInput, policyLoss } from "./loss.ts";

const L = Math.log;

describe("policyLoss: PPO-clip", () => {
  // One trajectory, three tokens; log-ratio chosen so r = 1.1, 0.7, 1.3.
  const old = new Float64Array([-1, -2, -0.5]);
  const input: PolicyLossInput = {
    logp: Float64Array.from([L(1.1), L(0.7), L(1.3)], (d, t) => old[t]! + d),
    oldLogp: old,
    advantages: new Float64Array([1, -1, 2]),
    mask: Uint8Array.from([1, 1, 1]),
    seqOffsets: [0, 3],
  };

  it("takes the pessimistic branch per token (symmetric ε = 0.2)", () => {
    // t0: r = 1.1 inside [0.8, 1.2] → pg = −1·1.1 = −1.1, d/dlogp = −A·r = −1.1
    // t1: r = 0.7, A = −1: −A·r = 0.7 < −A·0.8 = 0.8 → clipped, pg = 0.8, gradient 0
    // t2: r = 1.3, A = 2: −2.6 < −2·1.2 = −2.4 → clipped, pg = −2.4, gradient 0
    // token-mean: (−1.1 + 0.8 − 2.4)/3 = −0.9
    const r = policyLoss(input, { klCoef: 0, aggregation: "token-mean" });
    expect(r.loss).toBeCloseTo(-0.9, 12);
    expect(r.metrics.pgLoss).toBeCloseTo(-0.9, 12);
    expect(r.grad[0]).toBeCloseTo(-1.1 / 3, 12);
    expect(r.grad[1]).toBe(0);
    expect(r.grad[2]).toBe(0);
    expect(r.metrics.clipFraction).toBeCloseTo(2 / 3, 12);
    expect(r.metrics.clipFractionLow).toBeCloseTo(1 / 3, 12);
    expect(r.metrics.clipFractionHigh).toBeCloseTo(1 / 3, 12);
    // approx KL = mean(old − logp) = −ln(1.1·0.7·1.3)/3 = −ln(1.001)/3 = −0.000333167
    expect(r.metrics.approxKl).toBeCloseTo(-0.000333167, 9);
  });

  it("clips the two sides separately (clip-higher ε_high = 0.28)", () => {
    // t2: r = 1.3 < 1.28? no → still clipped at 1.28: pg = max(−2.6, −2.56) = −2.56
    // loss = (−1.1 + 0.8 − 2.56)/3 = −0.9533333
    const r = policyLoss(input, { klCoef: 0, aggregation: "token-mean", clipHigh: 0.28 });
    expect(r.loss).toBeCloseTo(-0.9533333, 6);
    // ε_high = 0.35: t2 inside → pg = −2.6, gradient −2.6/3; loss = (−1.1 + 0.8 − 2.6)/3 = −0.9666667
    const r2 = policyLoss(input, { klCoef: 0, aggregation: "token-mean", clipHigh: 0.35 });
    expect(r2.loss).toBeCloseTo(-0.9666667, 6);
    expect(r2.grad[2]).toBeCloseTo(-2.6 / 3, 12);
    expect(r2.metrics.clipFractionHigh).toBe(0);
    // ε_low = 0.35: t1 r = 0.7 ≥ 0.65 → unclipped, pg = 0.7, gradient −A·r/3 = 0.7/3
    const r3 = policyLoss(input, { klCoef: 0, aggregation: "token-mean", clipLow: 0.35 });
    expect(r3.grad[1]).toBeCloseTo(0.7 / 3, 12);
    expect(r3.metrics.clipFractionLow).toBe(0);
  });
});

describe("policyLoss: k3 KL", () => {
  it("matches exp(ref − logp) − (ref − logp) − 1 and its derivative", () => {
    // A = 0, so only the KL term acts. ref − logp = ln 2: k3 = 2 − 0.6931472 − 1 = 0.3068528, dk3/dlogp = 1 − 2 = −1
    //                                   ref − logp = −ln 2: k3 = 0.5 + 0.6931472 − 1 = 0.1931472, dk3/dlogp = 0.5
    const logp = new Float64Array([-1, -1]);
    const r = policyLoss(
      {
        logp,
        oldLogp: logp,
        refLogp: new Float64Array([-1 + L(2), -1 - L(2)]),
        advantages: new Float64Array(2),
        mask: Uint8Array.from([1, 1]),
        seqOffsets: [0, 2],
      },
      { klCoef: 0.1 },
    );
    expect(r.metrics.klLoss).toBeCloseTo((0.3068528 + 0.1931472) / 2, 7); // = 0.25
    expect(r.metrics.refKl).toBeCloseTo(0.25, 7);
    expect(r.loss).toBeCloseTo(0.025, 8); // β · 0.25
    expect(r.grad[0]).toBeCloseTo((0.1 * -1) / 2, 12);
    expect(r.grad[1]).toBeCloseTo((0.1 * 0.5) / 2, 12);
  });
});

describe("policyLoss: aggregation modes", () => {
  // On-policy (r = 1, no clipping, β = 0) so ℓ_t = −A_t.
  // Trajectories: [A = 4] | [] (empty) | [1, masked, 2, 3]; mask zeros carry NaN to prove they are ignored.
  const adv = new Float64Array([4, 1, Number.NaN, 2, 3]);
  const logp = new Float64Array([-1, -1, Number.NaN, -1, -1]);
  const base: PolicyLossInput = {
    logp,
    oldLogp: logp,
    advantages: adv,
    mask: Uint8Array.from([1, 1, 0, 1, 1]),
    seqOffsets: Int32Array.from([0, 1, 1, 5]),
  };
  const run = (aggregation: string, extra: Partial<PolicyLossConfig> = {}) =>
    policyLoss(base, { klCoef: 0, aggregation, ...extra });

  it("token-mean: Σ ℓ / loss tokens", () => {
    const r = run("token-mean"); // −(4 + 1 + 2 + 3)/4 = −2.5; every weight 1/4
    expect(r.loss).toBeCloseTo(-2.5, 12);
    expect([...r.grad]).toEqual([-1, -0.25, 0, -0.5, -0.75]);
  });
  it("seq-mean-token-mean: mean over non-empty trajectories of their token mean", () => {
    const r = run("seq-mean-token-mean"); // −(4/1 + 6/3)/2 = −3; weights 1/2 and 1/6
    expect(r.loss).toBeCloseTo(-3, 12);
    const want = [-2, -1 / 6, 0, -2 / 6, -3 / 6];
    for (let t = 0; t < 5; t++) expect(r.grad[t]).toBeCloseTo(want[t]!, 12);
    expect(r.metrics.sequences).toBe(3);
    expect(r.metrics.lossTokens).toBe(4);
  });
  it("seq-mean-token-sum-norm: Σ_s (Σ_t ℓ)/maxLength over all S trajectories", () => {
    const r = run("seq-mean-token-sum-norm", { maxLength: 5 }); // −(4 + 0 + 6)/(3·5) = −0.6666667
    expect(r.loss).toBeCloseTo(-2 / 3, 12);
    const want = [-4 / 15, -1 / 15, 0, -2 / 15, -3 / 15];
    for (let t = 0; t < 5; t++) expect(r.grad[t]).toBeCloseTo(want[t]!, 12);
    expect(() => run("seq-mean-token-sum-norm")).toThrow(/needs maxLength > 0/);
  });
  it("gives 0 loss and gradient when nothing is trained on", () => {
    for (const mode of ["token-mean", "seq-mean-token-mean"]) {
      const r = policyLoss({ ...base, mask: new Uint8Array(5) }, { aggregation: mode, klCoef: 0 });
      expect(r.loss).toBe(0);
      expect([...r.grad]).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

/** mulberry32: small seeded PRNG so the finite-difference points are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("policyLoss: gradient = central finite differences", () => {
  const clipLow = 0.2;
  const clipHigh = 0.28;
  /** Random batch: 4 trajectories (one empty), ~25% masked, log-ratios kept ≥ 0.03 away from the clip edges. */
  function batch(seed: number): PolicyLossInput {
    const rand = rng(seed);
    const lens = [7, 0, 12, 5];
    const T = lens.reduce((a, b) => a + b, 0);
    const seqOffsets = [0];
    for (const n of lens) seqOffsets.push(seqOffsets[seqOffsets.length - 1]! + n);
    const logp = new Float64Array(T);
    const oldLogp = new Float64Array(T);
    const refLogp = new Float64Array(T);
    const advantages = new Float64Array(T);
    const mask = new Uint8Array(T);
    const edges = [Math.log(1 - clipLow), Math.log(1 + clipHigh)];
    for (let t = 0; t < T; t++) {
      oldLogp[t] = -0.1 - 4 * rand();
      let lr: number;
      do lr = (rand() - 0.5) * 1.2;
      while (edges.some((e) => Math.abs(lr - e) < 0.03));
      logp[t] = oldLogp[t]! + lr;
      refLogp[t] = logp[t]! + (rand() - 0.5) * 2;
      advantages[t] = (rand() - 0.5) * 4;
      mask[t] = rand() < 0.75 ? 1 : 0;
    }
    return { logp, oldLogp, refLogp, advantages, mask, seqOffsets };
  }

  for (const aggregation of ["seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm"]) {
    it(aggregation, () => {
      const cfg = { clipLow, clipHigh, klCoef: 0.05, aggregation, maxLength: 16 };
      for (const seed of [1, 2, 3]) {
        const x = batch(seed);
        const { grad, metrics } = policyLoss(x, cfg);
        expect(metrics.clipFraction).toBeGreaterThan(0); // the clipped branch is exercised
        expect(metrics.clipFraction).toBeLessThan(1);
        const h = 1e-6;
        for (let t = 0; t < x.logp.length; t++) {
          const plus = Float64Array.from(x.logp);
          const minus = Float64Array.from(x.logp);
          plus[t]! += h;
          minus[t]! -= h;
          const fd =
            (policyLoss({ ...x, logp: plus }, cfg).loss - policyLoss({ ...x, logp: minus }, cfg).loss) /
            (2 * h);
          expect(Math.abs(grad[t]! - fd)).toBeLessThan(1e-7);
          if (!x.mask[t]) expect(grad[t]).toBe(0);
        }
      }
    });
  }
});

describe("policyLoss: input checks", () => {
  const x: PolicyLossInput = {
    logp: new Float32Array([-1, -2]),
    oldLogp: new Float32Array([-1, -2]),
    advantages: new Float32Array([1, 1]),
    mask: Uint8Array.from([1, 1]),
    seqOffsets: [0, 2],
  };
  it("says what is wrong", () => {
    expect(() => policyLoss(x)).toThrow(/klCoef is 0.001 but refLogp is missing/);
    expect(() => policyLoss({ ...x, advantages: new Float32Array(3) }, { klCoef: 0 })).toThrow(
      /advantages has 3 tokens but mask has 2/,
    );
    expect(() => policyLoss({ ...x, seqOffsets: [0, 1] }, { klCoef: 0 })).toThrow(/end at 2/);
    expect(() => policyLoss({ ...x, seqOffsets: [0, 2, 1, 2] }, { klCoef: 0 })).toThrow(
      /seqOffsets\[2\] = 1 decreases/,
    );
    expect(() => policyLoss(x, { klCoef: 0, aggregation: "sum" })).toThrow(
      /unknown aggregation "sum"; known:/,
    );
    expect(() => policyLoss({ ...x, logp: new Float32Array([Number.NaN, 0]) }, { klCoef: 0 })).toThrow(
      /token 0/,
    );
  });
});
