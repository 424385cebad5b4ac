/**
 * Hugging Face Split pre-tokenizer behaviours and `invert` (pretokenize.ts forEachSplit), on the
 * tokenizers library's own documented example ("the-final--countdown" split on "-"), and a
 * tiktoken-converted layout (Split Removed + invert: true, as gpt-4o's tokenizer.json) encoding
 * exactly as the Isolated spelling of the same pattern.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, forEachSplit, PATTERNS } from "./pretokenize.ts";
import type { SplitBehavior } from "./spec.ts";
import { Tokenizer } from "./tokenizer.ts";

const pieces = (pattern: string, text: string, behavior: SplitBehavior, invert = false) => {
  const out: string[] = [];
  forEachSplit(compilePattern(pattern), text, behavior, invert, (p) => out.push(p));
  return out;
};

describe("Split behaviours (tokenizers' documented example)", () => {
  it.each([
    ["Removed", ["the", "final", "countdown"]],
    ["Isolated", ["the", "-", "final", "-", "-", "countdown"]],
    ["MergedWithPrevious", ["the-", "final-", "-", "countdown"]],
    ["MergedWithNext", ["the", "-final", "-", "-countdown"]],
    ["Contiguous", ["the", "-", "final", "--", "countdown"]],
  ] as const)("%s", (behavior, want) => {
    expect(pieces("-", "the-final--countdown", behavior)).toEqual(want);
  });

  it("invert swaps matches and gaps", () => {
    expect(pieces("-", "the-final--countdown", "Removed", true)).toEqual(["-", "-", "-"]);
    expect(pieces("\\w+", "the-final--countdown", "Removed", true)).toEqual(["the", "final", "countdown"]);
  });
});

describe("a tiktoken-converted tokenizer.json (Split Removed + invert)", () => {
  it("loads and encodes as the Isolated spelling of the same pattern", () => {
    const base = Tokenizer.train(["the quick brown fox jumps over 12345 lazy dogs!\n\n  ok"], {
      vocabSize: 300,
      pattern: PATTERNS.cl100k,
    });
    const json = base.toJSON() as Record<string, unknown>;
    const split = (behavior: string, invert: boolean) => ({
      ...json,
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [
          { type: "Split", pattern: { Regex: PATTERNS.cl100k }, behavior, invert },
          { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
    });
    const tiktoken = Tokenizer.fromJSON(split("Removed", true));
    const isolated = Tokenizer.fromJSON(split("Isolated", false));
    for (const text of ["the quick brown fox", "12345 lazy dogs!\n\n  ok", "  spaces   and\ttabs\r\n"]) {
      expect(Array.from(tiktoken.encode(text))).toEqual(Array.from(isolated.encode(text)));
      expect(tiktoken.decode(tiktoken.encode(text))).toBe(text);
    }
    const round = Tokenizer.fromJSON(tiktoken.toJSON());
    expect(
      (round.toJSON() as { pre_tokenizer: { pretokenizers: { behavior: string; invert: boolean }[] } })
        .pre_tokenizer.pretokenizers[0],
    ).toMatchObject({ behavior: "Removed", invert: true });
  });
});
