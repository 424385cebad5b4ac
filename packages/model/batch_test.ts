import { describe, expect, it } from "vitest";
import { packBatch, unpack } from "./batch.ts";

describe("packBatch", () => {
  it("right-pads and lists the rows that predict response tokens", () => {
    const p = packBatch(
      [
        { promptIds: [1, 2], responseIds: [3, 4, 5] }, // input 1 2 3 4, rows predict 3 4 5 at t = 1, 2, 3
        { promptIds: [7], responseIds: [8] }, // input 7, row t = 0 predicts 8
      ],
      10,
      16,
    );
    expect(p.T).toBe(4);
    expect(Array.from(p.ids)).toEqual([1, 2, 3, 4, 7, 0, 0, 0]);
    expect(Array.from(p.lens)).toEqual([4, 1]);
    expect(Array.from(p.rows)).toEqual([1, 2, 3, 4]);
    expect(Array.from(p.targets)).toEqual([3, 4, 5, 8]);
    expect(Array.from(p.offsets)).toEqual([0, 3, 4]);
    expect(unpack([0.5, 1, 2, 3], p.offsets).map((a) => Array.from(a))).toEqual([[0.5, 1, 2], [3]]);
  });

  it("names the item and field on bad input", () => {
    expect(() => packBatch([], 10, 16)).toThrow(/empty batch/);
    expect(() => packBatch([{ promptIds: [], responseIds: [1] }], 10, 16)).toThrow(
      /item 0: promptIds is empty/,
    );
    expect(() => packBatch([{ promptIds: [1], responseIds: [1], lossMask: [1, 1] }], 10, 16)).toThrow(
      /item 0: lossMask has 2 entries but responseIds has 1/,
    );
    expect(() =>
      packBatch(
        [
          { promptIds: [1], responseIds: [1] },
          { promptIds: [1], responseIds: [12] },
        ],
        10,
        16,
      ),
    ).toThrow(/item 1: responseIds\[0\] = 12 is not a token id in \[0, 10\)/);
    expect(() =>
      packBatch([{ promptIds: new Array(10).fill(1), responseIds: new Array(7).fill(1) }], 10, 16),
    ).toThrow(/17 tokens exceeds the model's maxSeqLen 16/);
  });
});
