/**
 * The BPE merge loop against a plain reference (repeatedly merge the lowest-rank adjacent pair,
 * leftmost on ties) on random merge tables and random pieces, short (flat scan) and long (heap).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BpeModel } from "./bpe.ts";
import { rng } from "./testing.ts";

/** Random merge table over byte ids 0..255 (only 'a'..'e' get merges, so they fire often). */
function randomTable(seed: number, count: number) {
  const r = rng(seed);
  const ids = [97, 98, 99, 100, 101];
  const merges: number[] = [];
  const mergedIds: number[] = [];
  const seen = new Set<string>();
  while (mergedIds.length < count) {
    const a = ids[Math.floor(r() * ids.length)]!;
    const b = ids[Math.floor(r() * ids.length)]!;
    if (seen.has(`${a},${b}`)) continue;
    seen.add(`${a},${b}`);
    merges.push(a, b);
    const id = 256 + mergedIds.length;
    mergedIds.push(id);
    ids.push(id);
  }
  return { merges, mergedIds };
}

function referenceBpe(bytes: number[], merges: number[], mergedIds: number[]): number[] {
  const rank = new Map<string, number>();
  for (let r = 0; r < mergedIds.length; r++) rank.set(`${merges[2 * r]},${merges[2 * r + 1]}`, r);
  const ids = [...bytes];
  for (;;) {
    let best = Number.POSITIVE_INFINITY;
    let at = -1;
    for (let i = 0; i + 1 < ids.length; i++) {
      const q = rank.get(`${ids[i]},${ids[i + 1]}`);
      if (q !== undefined && q < best) {
        best = q;
        at = i;
      }
    }
    if (at < 0) return ids;
    ids.splice(at, 2, mergedIds[best]!);
  }
}

describe("BpeModel", () => {
  const byteIds = Int32Array.from({ length: 256 }, (_, b) => b);
  for (const seed of [1, 2, 3]) {
    const { merges, mergedIds } = randomTable(seed, 60);
    const model = new BpeModel({
      byteIds,
      merges: Int32Array.from(merges),
      mergedIds: Int32Array.from(mergedIds),
    });
    it(`matches the reference on random pieces (table ${seed})`, () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[a-f]{1,200}$/), (s) => {
          const bytes = Array.from(s, (c) => c.charCodeAt(0));
          expect(Array.from(model.encodeUncached(s))).toEqual(referenceBpe(bytes, merges, mergedIds));
        }),
        { numRuns: 300, seed },
      );
      const r = rng(seed);
      for (let k = 0; k < 50; k++) {
        const s = Array.from(
          { length: 65 + Math.floor(r() * 500) },
          () => "abcdef"[Math.floor(r() * 6)],
        ).join("");
        const bytes = Array.from(s, (c) => c.charCodeAt(0));
        expect(Array.from(model.encodeUncached(s))).toEqual(referenceBpe(bytes, merges, mergedIds));
      }
    });
  }

  it("merges the leftmost of equal-rank pairs first (aaa → aa a)", () => {
    const model = new BpeModel({ byteIds, merges: Int32Array.of(97, 97), mergedIds: Int32Array.of(256) });
    expect(Array.from(model.encodeUncached("aaa"))).toEqual([256, 97]);
    expect(Array.from(model.encodeUncached("a".repeat(101)))).toEqual([...Array(50).fill(256), 97]);
  });

  it("rejects merge tables too large for the rank encoding", () => {
    expect(
      () => new BpeModel({ byteIds, merges: new Int32Array(0), mergedIds: new Int32Array(1 << 21) }),
    ).toThrow(/too many merges/);
  });
});
