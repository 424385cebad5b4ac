import { describe, expect, it } from "vitest";
import { type MalformedReason, parseTurn } from "./parse.ts";

describe("parseTurn: well-formed turns", () => {
  it("a search turn", () => {
    expect(parseTurn("<mem>\nQ1 x: y\n</mem>\n<think> t </think>\n<search> Alma born </search>")).toEqual({
      kind: "search",
      mem: "Q1 x: y",
      think: "t",
      query: "Alma born",
    });
  });
  it("an answer turn, split on ';'", () => {
    expect(parseTurn("<mem>m</mem><think>t</think><answer>Paris; 1947</answer>\n")).toEqual({
      kind: "answer",
      mem: "m",
      think: "t",
      answers: ["Paris", "1947"],
    });
  });
  it("without <mem> when it is not required (ReAct)", () => {
    expect(parseTurn("<think>t</think><search>q</search>", { requireMem: false })).toMatchObject({
      kind: "search",
      mem: null,
    });
  });
  it("without <think> when it is not required", () => {
    expect(parseTurn("<mem>m</mem><answer>a</answer>", { requireThink: false })).toMatchObject({
      kind: "answer",
      think: null,
    });
  });
});

describe("parseTurn: one case per malformed class", () => {
  const cases: [MalformedReason, string][] = [
    ["empty", "  \n "],
    ["truncated-tag", "<mem>m</mem><think>t</think><sea"],
    ["information-tag", "<mem>m</mem><think>t</think><information>Doc 1</information><search>q</search>"],
    ["stray-closing-tag", "</mem><think>t</think><search>q</search>"],
    ["nested-tag", "<mem>m <think>t</think></mem><search>q</search>"],
    ["nested-tag", "<mem>m</think><search>q</search>"],
    ["duplicate-tag", "<mem>a</mem><mem>b</mem><think>t</think><search>q</search>"],
    ["both-actions", "<mem>m</mem><think>t</think><search>q</search><answer>a</answer>"],
    ["wrong-order", "<think>t</think><mem>m</mem><search>q</search>"],
    ["wrong-order", "<mem>m</mem><search>q</search><think>t</think>"],
    ["unclosed-tag", "<mem>m</mem><think>t</think><search>what is"],
    ["text-outside-tags", "Sure! <mem>m</mem><think>t</think><search>q</search>"],
    ["text-outside-tags", "<mem>m</mem> so <think>t</think><search>q</search>"],
    ["text-outside-tags", "<mem>m</mem><think>t</think><search>q</search> and more"],
    ["missing-action", "<mem>m</mem><think>t</think>"],
    ["missing-action", "just some text"],
    ["missing-mem", "<think>t</think><search>q</search>"],
    ["missing-think", "<mem>m</mem><search>q</search>"],
    ["empty-query", "<mem>m</mem><think>t</think><search>   </search>"],
    ["empty-answer", "<mem>m</mem><think>t</think><answer></answer>"],
  ];
  it.each(cases)("%s: %j", (reason, text) => {
    const p = parseTurn(text);
    expect(p.kind).toBe("malformed");
    if (p.kind === "malformed") {
      expect(p.reason).toBe(reason);
      expect(p.detail.length).toBeGreaterThan(0);
    }
  });
  it("never throws on arbitrary text", () => {
    const pieces = [
      "<mem>",
      "</mem>",
      "<think>",
      "</think>",
      "<search>",
      "</search>",
      "<answer>",
      "</answer>",
      "x",
      " ",
      "<",
      "</",
    ];
    let state = 12345;
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = i % 9;
      for (let j = 0; j < n; j++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        s += pieces[state % pieces.length];
      }
      const p = parseTurn(s);
      expect(["search", "answer", "malformed"]).toContain(p.kind);
    }
  });
});
