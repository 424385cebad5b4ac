import fc from "fast-check";
import { describe, expect, it } from "vitest";
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

  it("packed: step order kept, Σ tokens under the budget: lengths 10, 8, 5, 4, 3 under 20", () => {
    // [10, 8] = 18; +5 = 23 > 20 → close; [5, 4, 3] = 12
    const steps = [10, 8, 5, 4, 3].map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
    expect(packBatches(steps, { maxTokens: 20, packed: true })).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    const mixed = [3, 10, 4, 9].map((n) => fakeStep({ promptLen: n - 1, responseLen: 1 }));
    expect(packBatches(mixed, { maxTokens: 14, packed: true })).toEqual([
      [0, 1],
      [2, 3],
    ]);
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
