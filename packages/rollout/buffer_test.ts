import { describe, expect, it } from "vitest";
import { RolloutBuffer } from "./buffer.ts";
import { fakeStep } from "./testing.ts";

const rollout = (groupId: string, sampleId: number, turns: number, policyVersion = 0) =>
  Array.from({ length: turns }, (_, stepIdx) => fakeStep({ groupId, sampleId, stepIdx, policyVersion }));

describe("RolloutBuffer", () => {
  it("hands out a group only when all G rollouts are in, ordered by sampleId", () => {
    const b = new RolloutBuffer(2);
    b.addRollout(rollout("a", 1, 3));
    b.addRollout(rollout("b", 0, 1));
    expect(b.completeGroups).toBe(0);
    expect(b.take(0).groups).toEqual([]);
    b.addRollout(rollout("a", 0, 2));
    const { groups } = b.take(0);
    expect(groups.map((g) => g.groupId)).toEqual(["a"]);
    expect(groups[0]!.rollouts.map((r) => r.length)).toEqual([2, 3]);
    expect(groups[0]!.rollouts[1]![0]!.sampleId).toBe(1);
    expect(b.take(0).groups).toEqual([]); // taken groups are removed
  });

  it("drops groups older than the staleness bound and counts them", () => {
    const b = new RolloutBuffer(1);
    b.addRollout(rollout("old", 0, 1, 3));
    b.addRollout(rollout("new", 0, 1, 5));
    const { groups, dropped } = b.take(6, 1);
    expect(groups.map((g) => g.groupId)).toEqual(["new"]);
    expect(dropped).toBe(1);
  });

  it("rejects duplicate samples, out-of-range samples and out-of-order steps with the reason", () => {
    const b = new RolloutBuffer(2);
    b.addRollout(rollout("a", 0, 1));
    expect(() => b.addRollout(rollout("a", 0, 1))).toThrow(/already has sample 0/);
    expect(() => b.addRollout(rollout("a", 2, 1))).toThrow(/outside 0..1/);
    const bad = rollout("c", 0, 2).reverse();
    expect(() => b.addRollout(bad)).toThrow(/one rollout's steps in order/);
    expect(() => new RolloutBuffer(0)).toThrow(/groupSize/);
  });
});
