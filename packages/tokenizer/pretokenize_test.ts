/**
 * Pre-tokenizer patterns: the Oniguruma → JavaScript translation, and hand-checked splits for
 * the gpt2, cl100k and qwen2 patterns.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, forEachPiece, PATTERNS, translatePattern } from "./pretokenize.ts";

const split = (source: string, text: string) => {
  const out: string[] = [];
  forEachPiece(compilePattern(source), text, (p) => out.push(p));
  return out;
};

describe("translatePattern", () => {
  it("expands (?i:...) into explicit case classes", () => {
    expect(translatePattern("(?i:'s|'ll)|x")).toBe("(?:'[sS]|'[lL][lL])|x");
    expect(translatePattern(String.raw`(?i:\p{L}a)`)).toBe(String.raw`(?:\p{L}[aA])`);
  });

  it("drops possessive quantifiers and keeps lazy ones", () => {
    expect(translatePattern(String.raw`\p{L}++|a*+b?+|c{1,3}+|d+?`)).toBe(String.raw`\p{L}+|a*b?|c{1,3}|d+?`);
  });

  it("leaves classes, escapes and group syntax alone", () => {
    const s = String.raw`[^\r\n\p{L}\p{N}]?(?=x)(?!\S)[a-z+?]\\+`;
    expect(translatePattern(s)).toBe(s);
  });

  it("rejects what it cannot translate", () => {
    expect(() => translatePattern("(?i)abc")).toThrow(/inline flag groups/);
    expect(() => translatePattern("(?i:[a-z])")).toThrow(/inside a character class/);
    expect(() => translatePattern("[abc")).toThrow(/unterminated character class/);
    expect(() => compilePattern("a{2,1}")).toThrow(/not a valid regex/);
  });
});

describe("patterns", () => {
  const text = "I'LL say: Hello  world!! 12345\n\n  x";
  it("gpt2", () => {
    expect(split(PATTERNS.gpt2, text)).toEqual([
      "I",
      "'",
      "LL",
      " say",
      ":",
      " Hello",
      " ",
      " world",
      "!!",
      " 12345",
      "\n\n ",
      " x",
    ]);
  });
  it("cl100k", () => {
    expect(split(PATTERNS.cl100k, text)).toEqual([
      "I",
      "'LL",
      " say",
      ":",
      " Hello",
      " ",
      " world",
      "!!",
      " ",
      "123",
      "45",
      "\n\n",
      " ",
      " x",
    ]);
  });
  it("qwen2", () => {
    expect(split(PATTERNS.qwen2, "ab12 x")).toEqual(["ab", "1", "2", " x"]);
  });
  it("keeps gaps between matches as pieces and never splits a surrogate pair", () => {
    expect(split("b", "abcb")).toEqual(["a", "b", "c", "b"]);
    expect(split("x*", "😀x😀")).toEqual(["😀", "x", "😀"]);
  });
});
