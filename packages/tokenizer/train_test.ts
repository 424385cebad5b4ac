/**
 * Training: the incremental trainer learns exactly the merges of a plain reference trainer that
 * recounts every pair after each merge (same tie-break), with the documented id layout.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, forEachPiece, PATTERNS } from "./pretokenize.ts";
import { SPECIAL_TOKENS } from "./special.ts";
import { syntheticCorpus } from "./testing.ts";
import { Tokenizer } from "./tokenizer.ts";
import { mergeWord, trainSpec } from "./train.ts";

/** Full recount per merge: slow and obviously right. Returns merges as [a, b] id pairs. */
function referenceTrain(
  texts: string[],
  vocabSize: number,
  K: number,
  minFrequency: number,
): [number, number][] {
  const re = compilePattern(PATTERNS.gpt2);
  const counts = new Map<string, number>();
  const specials = /<\/?(?:mem|think|search|information|answer)>|<bos>|<eos>|<pad>/;
  for (const t of texts) {
    for (const seg of t.split(specials))
      forEachPiece(re, seg, (p) => counts.set(p, (counts.get(p) ?? 0) + 1));
  }
  let words: { ids: Int32Array; c: number }[] = [...counts].map(([p, c]) => ({
    ids: Int32Array.from(new TextEncoder().encode(p), (b) => K + b),
    c,
  }));
  const merges: [number, number][] = [];
  for (let id = K + 256; id < vocabSize; id++) {
    const pc = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.ids.length; i++) {
        const k = `${w.ids[i]},${w.ids[i + 1]}`;
        pc.set(k, (pc.get(k) ?? 0) + w.c);
      }
    }
    let best: [number, number] | null = null;
    let bestC = 0;
    for (const [k, c] of pc) {
      const [a, b] = k.split(",").map(Number) as [number, number];
      if (c > bestC || (c === bestC && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestC = c;
      }
    }
    if (best === null || bestC < minFrequency) break;
    merges.push(best);
    const [a, b] = best;
    words = words.map((w) => ({ ids: mergeWord(w.ids, a, b, id), c: w.c }));
  }
  return merges;
}

const corpus = syntheticCorpus(11, 60_000);

describe("train", () => {
  it("learns the same merges as a full-recount reference", () => {
    const spec = trainSpec(corpus, { vocabSize: 13 + 256 + 250, specialTokens: SPECIAL_TOKENS });
    const pairs: [number, number][] = [];
    for (let r = 0; r < spec.mergedIds.length; r++)
      pairs.push([spec.merges[2 * r]!, spec.merges[2 * r + 1]!]);
    expect(pairs).toEqual(referenceTrain(corpus, 13 + 256 + 250, 13, 2));
    expect(pairs.length).toBe(250);
  });

  it("lays out ids: special tokens 0..12, bytes 13..268, then merges", () => {
    const tok = Tokenizer.train(corpus, { vocabSize: 400 });
    expect(tok.vocabSize).toBe(400);
    SPECIAL_TOKENS.forEach((t, i) => {
      expect(tok.id(t)).toBe(i);
      expect(tok.isSpecial(i)).toBe(true);
    });
    expect(tok.isSpecial(13)).toBe(false);
    expect(Array.from(tok.encode("A"))).toEqual([13 + 65]);
    expect(Array.from(tok.tokenBytes(13 + 200))).toEqual([200]);
    // every merge id decodes to the concatenation of its parts and no merge yields a special id
    const spec = trainSpec(corpus, { vocabSize: 400 });
    expect(Math.min(...spec.mergedIds)).toBe(269);
    expect(Math.min(...spec.merges)).toBeGreaterThanOrEqual(13);
  });

  it("never learns across or inside special tokens in the training text", () => {
    const text = "<mem>x</mem>".repeat(200);
    const spec = trainSpec([text], { vocabSize: 300 });
    const learned = Array.from(spec.mergedIds, (id) => new TextDecoder().decode(spec.vocab[id]));
    expect(learned).toEqual([]); // only single "x" pieces remain: nothing to merge
    const spec2 = trainSpec(["<mem>hello</mem> ".repeat(50)], { vocabSize: 300, specialTokens: [] });
    expect(spec2.mergedIds.length).toBeGreaterThan(0); // without special tokens, "<" "mem" ">" merge
  });

  it("stops early when no pair is frequent enough, and supports other patterns", () => {
    const tok = Tokenizer.train(["ab ab ab cd"], { vocabSize: 1000 });
    expect(tok.vocabSize).toBe(13 + 256 + 2); // "ab", " ab"... cd occurs once
    for (const pattern of ["cl100k", "qwen2"] as const) {
      const t = Tokenizer.train(corpus, { vocabSize: 350, pattern });
      expect(t.decode(t.encode(corpus[0]!))).toBe(corpus[0]);
    }
  });

  it("rejects bad options with a clear message", () => {
    expect(() => Tokenizer.train(["x"], { vocabSize: 100 })).toThrow(/vocabSize must be an integer from 269/);
    expect(() => Tokenizer.train(["x"], { vocabSize: 300, specialTokens: ["<a>", "<a>"] })).toThrow(
      /distinct/,
    );
  });
});
