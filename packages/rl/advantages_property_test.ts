// Invariants of the advantage estimators (fast-check): permuting rollouts inside a group permutes
// their advantages the same way, and adding a constant to every reward changes nothing. Covers GRPO,
// RLOO, REINFORCE-baseline and the MemPO memory advantage (pooled and per-turn).
// Rewards are multiples of 1/8 so sums are exact and "all equal" never depends on round-off.
// Run: npx vitest run advantages_property_test.ts
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { advantageEstimators } from "./advantages.ts";
import { type MemoryKey, memoryAdvantages } from "./memory.ts";

const reward = fc.integer({ min: -16, max: 16 }).map((k) => k / 8);
const shift = fc.integer({ min: -40, max: 40 }).map((k) => k / 8);

/** A batch: groups of 1–6 rollouts, interleaved in a random order (groups not contiguous). */
const batch = fc
  .array(fc.array(reward, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 })
  .chain((groups) => {
    const flat = groups.flatMap((rs, g) => rs.map((r) => ({ g, r })));
    return fc.shuffledSubarray(flat, { minLength: flat.length, maxLength: flat.length });
  });

/** A permutation π of rollout indices that maps each rollout to one of the same group. */
function withinGroupPermutation(groupIds: number[], seed: number): number[] {
  const pi = groupIds.map((_, i) => i);
  const byGroup = new Map<number, number[]>();
  groupIds.forEach((g, i) => {
    byGroup.set(g, [...(byGroup.get(g) ?? []), i]);
  });
  let s = seed >>> 0;
  for (const members of byGroup.values()) {
    const shuffled = [...members];
    for (let k = shuffled.length - 1; k > 0; k--) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const j = s % (k + 1);
      [shuffled[k], shuffled[j]] = [shuffled[j]!, shuffled[k]!];
    }
    members.forEach((from, k) => {
      pi[from] = shuffled[k]!;
    });
  }
  return pi;
}

const expectClose = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-9);
};

describe("trajectory advantage invariants", () => {
  for (const [name, estimator] of advantageEstimators) {
    it(`${name}: permuting rollouts within groups permutes advantages`, () => {
      fc.assert(
        fc.property(batch, fc.integer(), (rows, seed) => {
          const rewards = Float64Array.from(rows, (x) => x.r);
          const groupIds = rows.map((x) => x.g);
          const pi = withinGroupPermutation(groupIds, seed);
          const permuted = new Float64Array(rewards.length);
          pi.forEach((to, from) => {
            permuted[to] = rewards[from]!;
          });
          const a = estimator(rewards, groupIds).advantages;
          const b = estimator(permuted, groupIds).advantages;
          expectClose(
            pi.map((to) => b[to]!),
            a,
          );
        }),
      );
    });

    it(`${name}: adding a constant to every reward changes nothing`, () => {
      fc.assert(
        fc.property(batch, shift, (rows, c) => {
          const rewards = Float64Array.from(rows, (x) => x.r);
          const groupIds = rows.map((x) => x.g);
          const a = estimator(rewards, groupIds);
          const b = estimator(
            rewards.map((r) => r + c),
            groupIds,
          );
          expectClose(b.advantages, a.advantages);
          expect(b.zeroStdGroupFraction).toBe(a.zeroStdGroupFraction);
        }),
      );
    });
  }
});

/** Memory segments: per group, G rollouts with 1–4 turns each; segment order shuffled. */
const memoryBatch = fc
  .array(fc.array(fc.array(reward, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((groups) => {
    let sample = 0;
    const segs = groups.flatMap((rollouts, g) =>
      rollouts.flatMap((turns) => {
        const i = sample++;
        return turns.map((r, t) => ({ groupId: g, sampleIdx: i, turnIdx: t, r }));
      }),
    );
    return fc.shuffledSubarray(segs, { minLength: segs.length, maxLength: segs.length });
  });

describe("memory advantage invariants", () => {
  for (const normalization of ["pooled", "per-turn"] as const) {
    it(`${normalization}: relabelling rollouts within a group moves each segment's advantage with it`, () => {
      fc.assert(
        fc.property(memoryBatch, fc.integer(), (segs, seed) => {
          const n = Math.max(...segs.map((s) => s.sampleIdx)) + 1;
          const groupOf: number[] = new Array(n).fill(0);
          for (const s of segs) groupOf[s.sampleIdx] = s.groupId;
          const pi = withinGroupPermutation(groupOf, seed);
          const keys: MemoryKey[] = segs;
          const relabelled: MemoryKey[] = segs.map((s) => ({ ...s, sampleIdx: pi[s.sampleIdx]! }));
          const rewards = segs.map((s) => s.r);
          // the relabelled batch is also listed in another order: segment k moves to position σ(k)
          const sigma = withinGroupPermutation(new Array(segs.length).fill(0), seed ^ 0x9e3779b9);
          const keys2: MemoryKey[] = new Array(segs.length);
          const rewards2: number[] = new Array(segs.length);
          sigma.forEach((to, k) => {
            keys2[to] = relabelled[k]!;
            rewards2[to] = rewards[k]!;
          });
          const a = memoryAdvantages(rewards, keys, { normalization }).advantages;
          const b = memoryAdvantages(rewards2, keys2, { normalization }).advantages;
          expectClose(
            sigma.map((to) => b[to]!),
            a,
          );
        }),
      );
    });

    it(`${normalization}: adding a constant to every memory reward changes nothing`, () => {
      fc.assert(
        fc.property(memoryBatch, shift, (segs, c) => {
          const rewards = segs.map((s) => s.r);
          const a = memoryAdvantages(rewards, segs, { normalization }).advantages;
          const b = memoryAdvantages(
            rewards.map((r) => r + c),
            segs,
            { normalization },
          ).advantages;
          expectClose(b, a);
        }),
      );
    });
  }
});
