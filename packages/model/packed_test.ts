/**
 * Packed rows (batch.ts packShared): items sharing a prefix run as one row — the prefix once, each
 * item's rest as a segment — and give the same log-probs and gradients as the right-padded batch
 * (an independent path), for both families (rope positions; learned position embeddings) and on
 * every backend that implements packed rows.
 */
import { findBackend, listBackends } from "@mempo/kernels";
import { describe, expect, it } from "vitest";
import { packBatch, packShared, packsRows, type SeqItem } from "./batch.ts";
import { type PresetName, preset } from "./presets.ts";
import { expectSameLogprobsAndGrads, logprobsAndGrads, randomItems } from "./testing.ts";

/** Items whose prompts start with the same 13 tokens (one of them is only that prefix). */
function sharedItems(V: number): SeqItem[] {
  const rest = randomItems(5, V, 17, 9, 11);
  const prefix = Array.from({ length: 13 }, (_, i) => (7 * i + 3) % V);
  return rest.map((it, i) => ({
    promptIds: [...prefix, ...(i === 3 ? [] : Array.from(it.promptIds).slice(0, 3 + i))],
    responseIds: it.responseIds,
  }));
}

describe("packShared layout", () => {
  it("holds the common prefix once, each rest at its own positions, rows in item order", () => {
    const items: SeqItem[] = [
      { promptIds: [5, 6, 7, 1], responseIds: [2, 3] },
      { promptIds: [5, 6, 7], responseIds: [4] },
      { promptIds: [5, 6, 7, 8, 9], responseIds: [1, 1, 2] },
    ];
    const p = packShared(items, 10, 64);
    // inputs: [5 6 7 1 2], [5 6 7], [5 6 7 8 9 1 1]; L = min(P) − 1 = 2 → prefix [5 6]
    expect(Array.from(p.ids)).toEqual([5, 6, 7, 1, 2, 7, 7, 8, 9, 1, 1]);
    expect(Array.from(p.packed!.positions)).toEqual([0, 1, 2, 3, 4, 2, 2, 3, 4, 5, 6]);
    expect(Array.from(p.packed!.segStart)).toEqual([0, 0, 2, 2, 2, 5, 6, 6, 6, 6, 6]);
    expect(p.packed!.prefixLen[0]).toBe(2);
    // each row predicts the same target as in the padded batch
    const plain = packBatch(items, 10, 64);
    expect(Array.from(p.targets)).toEqual(Array.from(plain.targets));
    const at = (b: { ids: Int32Array }, r: number) => b.ids[r];
    expect(Array.from(p.rows, (r) => at(p, r))).toEqual(Array.from(plain.rows, (r) => at(plain, r)));
  });
});

const backends = listBackends().filter((b) => packsRows(findBackend(b)));
const cases = (["tiny-gpt2", "tiny-llama"] as PresetName[]).flatMap((n) =>
  backends.map((b) => [n, b] as const),
);

describe.each(cases)("%s on %s: packed rows equal the padded batch", (name, backend) => {
  it("log-probs and gradients", async () => {
    const c = preset(name, { initStd: 0.3 });
    const items = sharedItems(c.vocabSize);
    expect(packShared(items, c.vocabSize, c.maxSeqLen).packed?.prefixLen[0]).toBe(12); // really shared
    const dLogp = (j: number) => Math.cos(j + 1);
    const ref = await logprobsAndGrads(c, backend, items, dLogp, { sharePrefix: false });
    expectSameLogprobsAndGrads(await logprobsAndGrads(c, backend, items, dLogp, { sharePrefix: true }), ref);
  });
});
