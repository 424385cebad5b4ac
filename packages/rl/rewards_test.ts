// Trajectory reward (DESIGN.md §6 eq. 1) and format validity, hand-computed.
// Run: npx vitest run rewards_test.ts
import { describe, expect, it } from "vitest";
import { formatValidity, trajectoryReward, trajectoryRewards } from "./rewards.ts";

describe("trajectoryReward", () => {
  const allRight = { em: [1, 1], f1: [1, 1], formatValid: true };
  const halfRight = { em: [1, 0], f1: [1, 0.5], formatValid: true };
  const malformed = { em: [], f1: [], formatValid: false };

  it("strict: 1 only when every objective is exact and the format valid", () => {
    expect(trajectoryReward(allRight)).toBe(1);
    expect(trajectoryReward(halfRight)).toBe(0);
    expect(trajectoryReward({ ...allRight, formatValid: false })).toBe(0);
    expect(trajectoryReward(malformed, "strict")).toBe(0);
  });

  it("f1: mean per-objective F1 when the format is valid", () => {
    expect(trajectoryReward(halfRight, "f1")).toBe(0.75); // (1 + 0.5) / 2
    expect(trajectoryReward({ em: [0, 1, 0], f1: [0.4, 1, 0.1], formatValid: true }, "f1")).toBeCloseTo(
      0.5,
      12,
    );
    expect(trajectoryReward({ ...halfRight, formatValid: false }, "f1")).toBe(0);
  });

  it("batches and reports format validity", () => {
    expect([...trajectoryRewards([allRight, halfRight, malformed], "f1")]).toEqual([1, 0.75, 0]);
    expect([...trajectoryRewards([allRight, halfRight, malformed])]).toEqual([1, 0, 0]);
    expect([...formatValidity([allRight, malformed])]).toEqual([1, 0]);
  });

  it("rejects inconsistent scores, naming the rollout", () => {
    expect(() => trajectoryRewards([allRight, { em: [1], f1: [1, 1], formatValid: true }])).toThrow(
      /rollout 1: em has 1 objectives but f1 has 2/,
    );
    expect(() => trajectoryReward({ em: [], f1: [], formatValid: true })).toThrow(/no objective scores/);
    expect(() => trajectoryReward({ em: [2], f1: [1], formatValid: true })).toThrow(/objective 0 has em=2/);
    expect(() => trajectoryReward(allRight, "em" as "f1")).toThrow(/unknown reward mode "em"/);
  });
});
