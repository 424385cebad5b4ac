import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeAnalyzer } from "./analyzer.ts";
import { BM25Index } from "./bm25.ts";
import { loadBM25Index, saveBM25Index } from "./bm25_file.ts";
import type { Document } from "./corpus_io.ts";
import { Rng } from "@mempo/kernels/random";
import { generateWorld } from "./world/generate.ts";
import { questionMeta } from "./world/questions.ts";

/** Brute-force BM25 over analyzed documents: the reference the index must match. */
function reference(docs: Document[], query: string, k1: number, b: number, stopwords: boolean): number[] {
  const an = makeAnalyzer({ stopwords });
  const toks = docs.map((d) => an(d.contents));
  const avgdl = toks.reduce((s, t) => s + t.length, 0) / docs.length;
  return toks.map((t) => {
    let s = 0;
    for (const w of an(query)) {
      const df = toks.filter((x) => x.includes(w)).length;
      if (df === 0) continue;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      const tf = t.filter((x) => x === w).length;
      s += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * t.length) / avgdl));
    }
    return s;
  });
}

describe("BM25Index", () => {
  it("matches a hand-computed score", async () => {
    const docs = [
      { id: "d0", contents: "apple banana" },
      { id: "d1", contents: "apple apple cherry" },
      { id: "d2", contents: "banana" },
    ];
    const idx = BM25Index.build(docs, { stopwords: false });
    // idf = ln(1 + (3 − 2 + .5)/(2 + .5)) = ln 1.6; avgdl = 2
    // d0: tf 1, norm .9·(.6 + .4·1) = .9  → ln1.6 · 1.9/1.9      = 0.4700036
    // d1: tf 2, norm .9·(.6 + .4·1.5) = 1.08 → ln1.6 · 3.8/3.08 = 0.5798746
    const [hits] = await idx.search(["apple"], 5);
    expect(hits!.map((h) => h.document.id)).toEqual(["d1", "d0"]);
    expect(hits![0]!.score).toBeCloseTo(Math.log(1.6) * (3.8 / 3.08), 12);
    expect(hits![1]!.score).toBeCloseTo(Math.log(1.6), 12);
    expect(idx.idf("apple")).toBeCloseTo(Math.log(1.6), 12);
  });

  it("matches the brute-force reference on random corpora (both parameter sets)", () => {
    const rng = new Rng(3);
    const vocab = "alpha beta gamma delta epsilon zeta eta theta iota kappa the of and".split(" ");
    const docs: Document[] = Array.from({ length: 60 }, (_, i) => ({
      id: String(i),
      contents: Array.from({ length: rng.int(1, 15) }, () => rng.pick(vocab)).join(
        rng.pick([" ", ", ", "-"]),
      ),
    }));
    for (const [k1, b, stopwords] of [
      [0.9, 0.4, true],
      [1.2, 0.75, false],
    ] as const) {
      const idx = BM25Index.build(docs, { k1, b, stopwords });
      for (let q = 0; q < 20; q++) {
        const query = Array.from({ length: rng.int(1, 4) }, () => rng.pick(vocab)).join(" ");
        const ref = reference(docs, query, k1, b, stopwords);
        const want = ref
          .map((s, i) => ({ i, s }))
          .filter((x) => x.s > 0)
          .sort((x, y) => y.s - x.s || x.i - y.i)
          .slice(0, 7);
        const got = idx.searchIndices(query, 7);
        expect(got.map((g) => g.index)).toEqual(want.map((w) => w.i));
        for (const [j, g] of got.entries()) expect(g.score).toBeCloseTo(want[j]!.s, 9);
      }
    }
  });

  it("returns nothing for unknown terms and topk 0; breaks ties by corpus order", async () => {
    const idx = BM25Index.build([
      { id: "a", contents: "same words" },
      { id: "b", contents: "same words" },
    ]);
    expect(await idx.search(["nothing here", "same"], 0)).toEqual([[], []]);
    expect((await idx.search(["zzz"], 3))[0]).toEqual([]);
    expect((await idx.search(["words"], 3))[0]!.map((h) => h.document.id)).toEqual(["a", "b"]);
  });

  it("saves and loads (same results), and rejects other files and versions", async () => {
    const w = generateWorld({ entities: 60, questions: 20 });
    const idx = BM25Index.build(w.documents, { k1: 1.2, b: 0.75 });
    const path = join(mkdtempSync(join(tmpdir(), "mempo-bm25-")), "index.bin");
    await saveBM25Index(idx, path);
    const back = await loadBM25Index(path);
    expect(back.config).toEqual(idx.config);
    expect(back.numDocs).toBe(idx.numDocs);
    const qs = w.questions.map((q) => q.question);
    expect(await back.search(qs, 5)).toEqual(await idx.search(qs, 5));
    expect(() => BM25Index.fromBytes(new Uint8Array(20), "x.bin")).toThrow(/x\.bin: not a BM25 index file/);
    const bytes = idx.toBytes();
    const patched = bytes.slice();
    const at = Buffer.from(patched).indexOf('"version":1');
    patched[at + '"version":'.length] = "9".charCodeAt(0);
    expect(() => BM25Index.fromBytes(patched, "y.bin")).toThrow(/y\.bin: index format version 9.*rebuild/);
  });

  it("refuses a truncated, padded or overlapping index instead of searching a part of it", () => {
    const w = generateWorld({ entities: 60, questions: 20 });
    const bytes = BM25Index.build(w.documents).toBytes();
    expect(() => BM25Index.fromBytes(bytes.subarray(0, bytes.length - 1000), "index.bin")).toThrow(
      /index\.bin: section "\w+" \[\d+, \d+\) runs past the end of the data.*truncated or corrupt: rebuild it/,
    );
    expect(() => BM25Index.fromBytes(bytes.subarray(0, bytes.length - 4), "index.bin")).toThrow(
      /section "docLens" .* runs past the end/,
    );
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes);
    expect(() => BM25Index.fromBytes(padded, "index.bin")).toThrow(
      /the data is \d+ bytes but its sections end at/,
    );
    // the header's docs section moved 4 bytes back: it overlaps the terms section
    const text = Buffer.from(bytes).toString("latin1");
    const m = /"docs":\[(\d+),/.exec(text)!;
    const moved = String(Number(m[1]) - 4).padStart(m[1]!.length, " ");
    const overlapping = Buffer.from(text.replace(m[0], `"docs":[${moved},`), "latin1");
    expect(() => BM25Index.fromBytes(overlapping, "index.bin")).toThrow(
      /section "docs" at \d+ overlaps the previous section/,
    );
  });

  it("puts the gold passage in the top 3 for ≥ 90% of single-hop questions", async () => {
    const w = generateWorld({ seed: 11, entities: 800, questions: 500, twoHopFraction: 0 });
    const idx = BM25Index.build(w.documents);
    const hits = await idx.search(
      w.questions.map((q) => q.question),
      3,
    );
    let ok = 0;
    w.questions.forEach((q, i) => {
      const gold = questionMeta(q)!.hops[0]!.passageIds;
      if (hits[i]!.some((h) => gold.includes(h.document.id))) ok += 1;
    });
    expect(ok / w.questions.length).toBeGreaterThanOrEqual(0.9);
  });
});
