/**
 * Round trip properties (fast-check): decode(encode(s)) === s for every well-formed string, with
 * and without allowSpecial; for ill-formed strings (lone surrogates) the result equals
 * TextDecoder(TextEncoder(s)) (a leading U+FEFF kept), i.e. each lone surrogate becomes U+FFFD.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SPECIAL_TOKENS } from "./special.ts";
import { r50kTokenizer, syntheticCorpus } from "./testing.ts";
import { Tokenizer } from "./tokenizer.ts";

const trained = Tokenizer.train(syntheticCorpus(9, 80_000), { vocabSize: 700 });
const trainedQwen = Tokenizer.train(syntheticCorpus(9, 80_000), { vocabSize: 700, pattern: "qwen2" });
const r50k = r50kTokenizer();
const viaUtf8 = (s: string) =>
  new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(s));
/** Each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, spelled out). */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
/** Any UTF-16 code unit (lone surrogates included) or any code point. */
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
/** Strings mixing arbitrary text with special tokens, so tags sit next to any character. */
const withTags = (units: fc.Arbitrary<string>) =>
  fc.array(fc.oneof(units, fc.constantFrom(...SPECIAL_TOKENS)), { maxLength: 8 }).map((xs) => xs.join(""));

describe.each([
  ["trained (gpt2 pattern)", trained],
  ["trained (qwen2 pattern)", trainedQwen],
  ["r50k_base", r50k],
])("round trip: %s", (_name, tok) => {
  it("is exact for well-formed strings (graphemes with tags; any code points)", () => {
    fc.assert(
      fc.property(
        withTags(fc.string({ unit: "grapheme", maxLength: 40 })),
        fc.boolean(),
        (s, allowSpecial) => {
          expect(tok.decode(tok.encode(s, { allowSpecial }))).toBe(s);
        },
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      // a leading U+FEFF is text, not a byte-order mark to drop
      { numRuns: 400, examples: [["\uFEFF"], ["\uFEFFQ1 asks"], ["a\uFEFF"]] },
    );
  });

  it("follows TextEncoder/TextDecoder for any string (lone surrogates → U+FFFD)", () => {
    fc.assert(
      fc.property(withTags(fc.string({ unit: anyUnit, maxLength: 40 })), fc.boolean(), (s, allowSpecial) => {
        const out = tok.decode(tok.encode(s, { allowSpecial }));
        expect(out).toBe(viaUtf8(s));
        expect(out).toBe(wellFormed(s));
      }),
      { numRuns: 400 },
    );
  });
});

describe("lone surrogates, spelled out", () => {
  it("become the bytes of U+FFFD, as TextEncoder does", () => {
    for (const tok of [trained, r50k]) {
      expect(tok.decode(tok.encode("a\ud800b"))).toBe("a\ufffdb");
      expect(tok.decode(tok.encode("\udc00"))).toBe("\ufffd");
      expect(tok.decode(tok.encode("x\ud83d"))).toBe("x\ufffd");
      expect(Array.from(tok.encode("a\ud800b"))).toEqual(Array.from(tok.encode("a\ufffdb")));
    }
  });
});
