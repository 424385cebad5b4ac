// Spec: embedding gather and scatter-add backward on every backend vs ts; finite differences.
import { describe, expect, it } from "vitest";
import { randint, tensor } from "../create.ts";
import { embedding, embeddingBackward, gatherRows, gatherRowsBackward } from "../ops/embedding.ts";
import { backends, crossCheck, gradCheck, rnd, rnd64 } from "./harness.ts";

describe("embedding: hand-computed values", () => {
  it("gathers rows and scatter-adds repeated ids", () => {
    const table = tensor([0, 1, 10, 11, 20, 21], [3, 2]);
    const ids = tensor([2, 0, 2], [3], { dtype: "i32" });
    expect(Array.from(embedding(ids, table).readSync())).toEqual([20, 21, 0, 1, 20, 21]);
    const d = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(Array.from(embeddingBackward(d, ids, 3).readSync())).toEqual([3, 4, 0, 0, 6, 8]);
  });
  it("keeps the ids' shape: ids [B,T] → [B,T,D]", () => {
    const out = embedding(randint([2, 5], 7, { seed: 1 }), rnd([7, 3], 2));
    expect(out.shape).toEqual([2, 5, 3]);
  });
  it("rejects out-of-range ids", () => {
    expect(() => embedding(tensor([5], [1], { dtype: "i32" }), rnd([3, 2], 1))).toThrow(
      /id 5 .*outside the vocabulary \[0, 3\)/,
    );
  });
});

describe.each(backends())("embedding on %s", (name) => {
  it.each([
    [1, 1, 1],
    [7, 33, 5],
    [129, 17, 64],
    [3000, 50, 16],
  ])("N=%i V=%i D=%i matches ts, accumulate included", (N, V, D) => {
    const ids = randint([N], V, { seed: N });
    const table = rnd([V, D], 1);
    const d = rnd([N, D], 2);
    const acc = rnd([V, D], 3);
    crossCheck(name, [ids, table, d, acc], ([ids, table, d, acc]) => [
      embedding(ids!, table!),
      embeddingBackward(d!, ids!, V),
      embeddingBackward(d!, ids!, V, { into: acc! }),
    ]);
  });
  // Backends whose ids live on a device (webgpu) cannot check them without a read-back; the host-memory
  // ones (ts, wasm, tfjs on wasm/cpu) throw like the reference.
  it.each([2, 5000])("rejects out-of-range ids, forward and backward (N=%i; host-memory backends)", (N) => {
    const ids = new Int32Array(N);
    ids[N - 1] = 3;
    const bad = tensor(ids, [N], { dtype: "i32", backend: name });
    if (bad.backend.hostMemory !== true) return;
    const at = new RegExp(`id 3 at position ${N - 1} .*\\[0, 3\\)`);
    expect(() => embedding(bad, rnd([3, 2], 1, name))).toThrow(at);
    expect(() => embeddingBackward(rnd([N, 2], 2, name), bad, 3)).toThrow(at);
  });
});

describe("embedding backward: float64 finite differences", () => {
  it("d table", () => {
    const ids = tensor([1, 3, 1, 0], [4], { dtype: "i32" });
    const err = gradCheck(
      [rnd64([5, 3], 1)],
      ([t]) => embedding(ids, t!),
      (d) => [embeddingBackward(d, ids, 5)],
    );
    expect(err).toBeLessThan(1e-7);
  });
});

describe("gatherRows", () => {
  it("picks rows and scatters the gradient back", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const rows = tensor([2, 2, 0], [3], { dtype: "i32" });
    expect(Array.from(gatherRows(x, rows).readSync())).toEqual([5, 6, 5, 6, 1, 2]);
    expect(Array.from(gatherRowsBackward(tensor([1, 1, 1, 1, 1, 1], [3, 2]), rows, 3).readSync())).toEqual([
      1, 1, 0, 0, 2, 2,
    ]);
  });
});
