/**
 * countTokens agrees with gpt-tokenizer's encoders, counts special-token lookalikes as text, and
 * loads each encoding only on first use.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { countTokens } from "./count.ts";

const loadedEncodings = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((k) =>
    /gpt-tokenizer[\\/]cjs[\\/]encoding[\\/]/.test(k),
  );

describe("countTokens", () => {
  it("loads an encoding only when first used", () => {
    expect(loadedEncodings()).toEqual([]);
    expect(countTokens("hello world", "cl100k_base")).toBe(2);
    expect(loadedEncodings().map((k) => k.replace(/.*[\\/]/, ""))).toEqual(["cl100k_base.js"]);
  });

  it("counts as o200k_base and cl100k_base do", () => {
    expect(countTokens("", "o200k_base")).toBe(0);
    expect(countTokens("hello world", "o200k_base")).toBe(2);
    const text = "<mem>Paris is the capital of France.</mem> 東京 🚀 ok";
    for (const enc of ["o200k_base", "cl100k_base"] as const) {
      const api = createRequire(import.meta.url)(`gpt-tokenizer/encoding/${enc}`);
      expect(countTokens(text, enc)).toBe(api.encode(text).length);
    }
  });

  it("treats OpenAI special-token text as plain text instead of throwing", () => {
    expect(countTokens("<|endoftext|>", "o200k_base")).toBeGreaterThan(1);
  });

  it("rejects unknown encodings", () => {
    expect(() => countTokens("x", "p50k_base" as "o200k_base")).toThrow(/unknown encoding "p50k_base"/);
  });
});
