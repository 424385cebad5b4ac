import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packShared } from "@mempo/model";
import { packBatches } from "./batch.ts";
import { fakeStep } from "./testing.ts";

describe("packBatches", () => {
  it("hand-checked packing: lengths 10, 8, 5, 4, 3 under 20 padded tokens", () => {
    // sorted by length: 10(i0) 8(i1) 5(i2) 4(i3) 3(i4)
    // [10, 8] → 2×10 = 20 ok; +5 → 3×10 = 30 > 20 → close. [5, 4, 3] → 3×5 = 15 ok.
    const steps = [10, 8, 5, 4, 3].map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
    expect(packBatches(steps, { maxTokens: 20 })).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(packBatches(steps, { maxTokens: 20, maxRows: 2 })).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("packed: step order kept, packed positions under the budget: lengths 10, 8, 5, 4, 3 under 20", () => {
    // fakeStep prompts are 1 … P, so two steps share min(P_a, P_b) − 1 tokens; a batch of n steps with
    // shared prefix L costs Σ len − (n − 1)·L.
    // [10] L 8; +8: L 6, 18 − 6 = 12; +5: L 3, 23 − 2·3 = 17; +4: L 2, 27 − 3·2 = 21 > 20 → close.
    // [4] L 2; +3: L 1, 7 − 1 = 6.
    const steps = [10, 8, 5, 4, 3].map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
    expect(packBatches(steps, { maxTokens: 20, packed: true })).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    // [3] L 1; +10: L 1, 13 − 1 = 12; +4: L 1, 17 − 2 = 15 > 14 → close; [4] L 2; +9: L 2, 13 − 2 = 11.
    const mixed = [3, 10, 4, 9].map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
    expect(packBatches(mixed, { maxTokens: 14, packed: true })).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it("packed: a batch holding a quarter of the budget ends where the next task group begins", () => {
    // prompt = instruction (5) + the group's question (3) + the step's own tail (2); response 2: 12 tokens
    const instruction = [1, 2, 3, 4, 5];
    const step = (group: number, i: number) =>
      fakeStep({
        groupId: `g${group}`,
        promptIds: Uint32Array.from([...instruction, 50 + group, 60 + group, 70 + group, 200 + i, 300 + i]),
        responseIds: Uint32Array.of(900, 901),
      });
    const steps = [step(0, 0), step(0, 1), step(1, 2), step(1, 3)];
    // [s0, s1] share 8 tokens: 24 − 8 = 16 ≥ 40 / 4, so s2 (another group) starts a batch
    expect(packBatches(steps, { maxTokens: 40, packed: true })).toEqual([
      [0, 1],
      [2, 3],
    ]);
    // 16 < 200 / 4: the groups share a batch (4 steps sharing the instruction: 48 − 3·5 = 33)
    expect(packBatches(steps, { maxTokens: 200, packed: true })).toEqual([[0, 1, 2, 3]]);
  });

  it("packed: every batch's packed row (packShared) fits the budget (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            group: fc.integer({ min: 0, max: 3 }),
            prompt: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 30 }),
            response: fc.integer({ min: 1, max: 10 }),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 120 }),
        (specs, budget) => {
          const steps = specs.map((s) =>
            fakeStep({
              groupId: `g${s.group}`,
              promptIds: Uint32Array.from(s.prompt),
              responseLen: s.response,
            }),
          );
          const batches = packBatches(steps, { maxTokens: budget, packed: true });
          expect(batches.flat()).toEqual(specs.map((_, i) => i));
          for (const b of batches) {
            if (b.length < 2) continue;
            const row = packShared(
              b.map((i) => steps[i]!),
              512,
              1024,
            );
            expect(row.T).toBeLessThanOrEqual(budget);
          }
        },
      ),
    );
  });

  it("every step lands in exactly one batch within the budget (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (lens, budget) => {
          const steps = lens.map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
          const batches = packBatches(steps, { maxTokens: budget });
          expect(batches.flat().sort((a, b) => a - b)).toEqual(lens.map((_, i) => i));
          for (const b of batches) {
            const width = Math.max(...b.map((i) => lens[i]!));
            if (b.length > 1) expect(b.length * width).toBeLessThanOrEqual(budget);
          }
        },
      ),
    );
  });
});
