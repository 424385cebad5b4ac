/**
 * Parity with gpt-tokenizer: GPT-2's r50k_base merges loaded into our encoder give the same ids
 * as gpt-tokenizer's own r50k_base encoder on ≥ 1 MB of seeded synthetic text (prose, code,
 * JSON, non-Latin scripts, emoji), and on long pieces that take the heap merge path. The same
 * holds for cl100k_base's ranks with our `cl100k` pattern.
 */
import { describe, expect, it } from "vitest";
import { PATTERNS } from "./pretokenize.ts";
import { r50kTokenizer, ranksToTokenizerJSON, referenceR50k, syntheticCorpus } from "./testing.ts";
import { Tokenizer } from "./tokenizer.ts";

const tok = r50kTokenizer();
const gptEncode = referenceR50k.encode;

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe("r50k_base parity with gpt-tokenizer", () => {
  it("gives identical ids on 1 MB of varied text", () => {
    const docs = syntheticCorpus(20240601, 1 << 20);
    const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d), 0);
    expect(bytes).toBeGreaterThanOrEqual(1 << 20);
    let tokens = 0;
    for (const [i, doc] of docs.entries()) {
      const ours = tok.encode(doc, { allowSpecial: false });
      const theirs = gptEncode(doc);
      const at = firstMismatch(ours, theirs);
      if (at >= 0) {
        const ctx = JSON.stringify(tok.decode(ours.subarray(Math.max(0, at - 3), at + 3)));
        throw new Error(`doc ${i}: ids differ at ${at} near ${ctx}: ours ${ours[at]}, theirs ${theirs[at]}`);
      }
      expect(tok.decode(ours)).toBe(doc);
      tokens += ours.length;
    }
    expect(tokens).toBeGreaterThan(200_000);
  });

  it("matches on long pieces (heap merge path) and whole documents in one call", () => {
    const long = [
      " ".repeat(5000) + "x",
      "a".repeat(3000),
      "ab".repeat(1500) + "!",
      "=".repeat(777),
      "\n".repeat(300) + "end",
      "😀".repeat(100),
      "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch".repeat(20),
      syntheticCorpus(7, 30_000).join(""),
    ];
    for (const s of long) expect(Array.from(tok.encode(s))).toEqual(gptEncode(s));
  });

  it("encodes <|endoftext|> as its single id when special tokens are allowed", () => {
    const ids = tok.encode("a<|endoftext|>b");
    expect(Array.from(ids)).toEqual([64, 50256, 65]);
    expect(tok.isSpecial(50256)).toBe(true);
    expect(Array.from(tok.encode("a<|endoftext|>b", { allowSpecial: false }))).toEqual(
      gptEncode("a<|endoftext|>b"),
    );
  });
});

describe("cl100k_base parity with gpt-tokenizer (the cl100k pattern, Split + ByteLevel)", () => {
  it("gives identical ids on 256 KB of varied text", async () => {
    const ranks = (await import("gpt-tokenizer/bpeRanks/cl100k_base")).default;
    const cl100k = await import("gpt-tokenizer/encoding/cl100k_base");
    const preTokenizer = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PATTERNS.cl100k }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    const tok = Tokenizer.fromJSON(ranksToTokenizerJSON(ranks, preTokenizer, []), "cl100k_base");
    for (const [i, doc] of syntheticCorpus(99, 1 << 18).entries()) {
      const ours = tok.encode(doc);
      const theirs = cl100k.encode(doc, { disallowedSpecial: new Set() });
      const at = firstMismatch(ours, theirs);
      if (at >= 0) throw new Error(`doc ${i}: ids differ at ${at}: ours ${ours[at]}, theirs ${theirs[at]}`);
    }
  });
});
