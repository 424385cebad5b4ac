/**
 * The ids-not-text invariant: concatIds, and reencodeDiffers on canonical, non-canonical and
 * non-UTF-8 id sequences.
 */
import { describe, expect, it } from "vitest";
import { concatIds, reencodeDiffers } from "./prefix.ts";
import { r50kTokenizer } from "./testing.ts";

const tok = r50kTokenizer();

describe("concatIds", () => {
  it("concatenates id arrays of any kind", () => {
    expect(Array.from(concatIds(Uint32Array.of(1, 2), [3], new Int32Array(0), [4, 5]))).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(concatIds().length).toBe(0);
  });
});

describe("reencodeDiffers", () => {
  it("is null for what encode produced, special tokens included", () => {
    expect(reencodeDiffers(tok, tok.encode("The answer is Paris.<|endoftext|>"))).toBeNull();
    expect(reencodeDiffers(tok, [])).toBeNull();
  });

  it("explains a non-canonical tokenization (the model sampled ' hel' + 'lo')", () => {
    const hel = tok.encode(" hel");
    const lo = tok.encode("lo");
    const ids = concatIds(tok.encode("say"), hel, lo);
    const d = reencodeDiffers(tok, ids);
    expect(d).not.toBeNull();
    expect(d!.at).toBe(1);
    expect(Array.from(d!.reencoded)).toEqual(Array.from(tok.encode("say hello")));
    expect(d!.reason).toMatch(/non-canonical tokenization: at position 1/);
  });

  it("explains ids that are not valid UTF-8 (half an emoji)", () => {
    const rocket = tok.encode("🚀");
    expect(rocket.length).toBeGreaterThan(1);
    const d = reencodeDiffers(tok, rocket.subarray(0, 1));
    expect(d?.reason).toMatch(/not decode to valid UTF-8/);
  });

  it("shows why prompt ids ++ response ids must not be re-encoded as one text", () => {
    // encode(prompt) ++ encode(response) is a valid sequence, yet encoding the joined text merges
    // across the boundary: the rollout keeps the ids it has instead.
    const prompt = tok.encode("Answer: hel");
    const response = tok.encode("lo");
    const joined = concatIds(prompt, response);
    expect(Array.from(tok.encode(tok.decode(joined)))).not.toEqual(Array.from(joined));
    expect(reencodeDiffers(tok, joined)).not.toBeNull();
  });
});
