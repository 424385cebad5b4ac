import { describe, expect, it } from "vitest";
import {
  exactMatch,
  normalizeAnswer,
  normalizeMem1,
  score,
  scoreObjective,
  splitAnswers,
  tokenF1,
  tokenSetF1,
} from "./scoring.ts";

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
    expect(scoreObjective("Alma Vetterling", ["Alma R. Vetterling", "Alma Vetterling"], "squad")).toEqual({
      em: 1,
      f1: 1,
    });
    const s = scoreObjective("412", ["412 km", "412"], "squad");
    expect(s.em).toBe(1);
    expect(scoreObjective("412 miles", ["412 km", "412"], "squad").f1).toBeCloseTo(2 / 3, 12); // vs "412": P 1/2, R 1
  });
});

describe("normalizeMem1 (MEM1 eval.py preprocess_text)", () => {
  it.each([
    ["The  Cat's hat!", "the cat s hat"],
    ["An apple a day", "an apple a day"],
    ["Hello, World.", "hello world"],
    ["A-B", "a b"],
    ["  the\tthe\nend ", "the the end"],
    ["2,201,600", "2 201 600"],
    ["Alma R. Vetterling", "alma r vetterling"],
    ["", ""],
  ])("%j → %j", (input, want) => {
    expect(normalizeMem1(input)).toBe(want);
  });
});

describe("mem1 and squad disagree where MEM1 and SQuAD do (hand-computed)", () => {
  it.each([
    // prediction, gold, mem1 {em, f1}, squad {em, f1}
    ["the Beatles", "Beatles", [0, 2 / 3], [1, 1]], // articles kept: P 1/2, R 1
    ["nineteen forty seven", "nineteen forty-seven", [1, 1], [0, 0.4]], // '-' → space vs deleted
    ["x x y", "x y y", [0, 1], [0, 2 / 3]], // sets {x, y} = {x, y}; multisets share 2 of 3
    ["2,201,600", "2201600", [0, 0], [1, 1]],
    ["the", "a", [0, 0], [1, 0]],
    ["rock-and-roll music", "rock and roll", [0, 6 / 7], [0, 0]], // P 3/4, R 1
  ])("%j vs %j", (p, g, mem1, squad) => {
    const m = scoreObjective(p as string, [g as string], "mem1");
    const q = scoreObjective(p as string, [g as string], "squad");
    expect(m.em).toBe((mem1 as number[])[0]);
    expect(m.f1).toBeCloseTo((mem1 as number[])[1]!, 12);
    expect(q.em).toBe((squad as number[])[0]);
    expect(q.f1).toBeCloseTo((squad as number[])[1]!, 12);
  });

  it("token-set F1 is 0 for an empty answer or alias", () => {
    expect(tokenSetF1("", "x")).toBe(0);
    expect(tokenSetF1("!!", "x")).toBe(0);
    expect(tokenSetF1("x", "...")).toBe(0);
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
    const s = score("paris ; nineteen forty seven", golden, "squad");
    expect(s.em).toBeCloseTo(50, 12);
    expect(s.f1).toBeCloseTo(70, 12); // (1 + 0.4) / 2
    expect(s.countMismatch).toBe(false);
    expect(score("paris ; nineteen forty seven", golden, "mem1")).toMatchObject({ em: 100, f1: 100 });
    const d = score("paris ; the nineteen forty seven", golden); // default mem1: P 3/4, R 1 → F1 6/7
    expect(d.em).toBe(50);
    expect(d.f1).toBeCloseTo((100 + 600 / 7) / 2, 10);
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
