import { describe, expect, it } from "vitest";
import { exactMatch, normalizeAnswer, score, scoreObjective, splitAnswers, tokenF1 } from "./scoring.ts";

describe("normalizeAnswer (SQuAD)", () => {
  it.each([
    ["The  Cat's hat!", "cats hat"],
    ["An apple a day", "apple day"],
    ["theater", "theater"],
    ["Hello, World.", "hello world"],
    ["A-B", "ab"],
    ["  the\tthe\nend ", "end"],
    ["2,201,600", "2201600"],
    ["Alma R. Vetterling", "alma r vetterling"],
    ["", ""],
  ])("%j → %j", (input, want) => {
    expect(normalizeAnswer(input)).toBe(want);
  });
});

describe("exact match and token F1 (hand-computed)", () => {
  it.each([
    // prediction, gold, EM, F1
    ["the big red dog", "big dog", 0, 0.8], // P = 2/3, R = 1
    ["x x y", "x y y", 0, 2 / 3], // Counter overlap: x 1 + y 1 = 2 of 3 each
    ["Alma Vetterling", "Alma R. Vetterling", 0, 0.8], // P = 1, R = 2/3
    ["nineteen forty seven", "nineteen forty-seven", 0, 0.4], // P = 1/3, R = 1/2
    ["Paris", "paris.", 1, 1],
    ["", "x", 0, 0],
    ["the", "a", 1, 0], // both normalize to "" (SQuAD v1.1 gives F1 0 without overlap)
    ["blue", "red", 0, 0],
  ])("%j vs %j", (p, g, em, f1) => {
    expect(exactMatch(p as string, g as string)).toBe(em);
    expect(tokenF1(p as string, g as string)).toBeCloseTo(f1 as number, 12);
  });

  it("takes the best alias per objective", () => {
    expect(scoreObjective("Alma Vetterling", ["Alma R. Vetterling", "Alma Vetterling"])).toEqual({
      em: 1,
      f1: 1,
    });
    const s = scoreObjective("412", ["412 km", "412"]);
    expect(s.em).toBe(1);
    expect(scoreObjective("412 miles", ["412 km", "412"]).f1).toBeCloseTo(2 / 3, 12); // vs "412": P 1/2, R 1
  });
});

describe("score (MEM1 multi-objective)", () => {
  const golden = [["Paris"], ["1947", "nineteen forty-seven"]];
  it("all correct", () => {
    expect(score("Paris; 1947", golden)).toEqual({
      em: 100,
      f1: 100,
      perObjective: [
        { em: 1, f1: 1 },
        { em: 1, f1: 1 },
      ],
      countMismatch: false,
    });
  });
  it("partial credit is the per-objective mean ×100", () => {
    const s = score("paris ; nineteen forty seven", golden);
    expect(s.em).toBeCloseTo(50, 12);
    expect(s.f1).toBeCloseTo(70, 12); // (1 + 0.4) / 2
    expect(s.countMismatch).toBe(false);
  });
  it("a count mismatch scores every objective 0", () => {
    for (const a of ["Paris", "Paris; 1947; extra", "Paris; 1947;"]) {
      const s = score(a, golden);
      expect(s).toMatchObject({ em: 0, f1: 0, countMismatch: true });
      expect(s.perObjective).toEqual([
        { em: 0, f1: 0 },
        { em: 0, f1: 0 },
      ]);
    }
  });
  it("accepts pre-split answers and splits on ';' with trimming", () => {
    expect(splitAnswers(" a ;b;  c")).toEqual(["a", "b", "c"]);
    expect(score(["Paris", "1947"], golden).em).toBe(100);
  });
  it("order matters", () => {
    expect(score("1947; Paris", golden).em).toBe(0);
  });
});
