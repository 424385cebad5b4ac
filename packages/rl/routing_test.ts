// Token advantage routing (DESIGN.md §6 eq. 6), hand-computed.
// Run: npx vitest run routing_test.ts
import { describe, expect, it } from "vitest";
import { routeTokenAdvantages, type StepTokens } from "./routing.ts";

const u8 = (...xs: number[]) => Uint8Array.from(xs);

describe("routeTokenAdvantages", () => {
  // rollout 0: A^T = 1; rollout 1: A^T = −2.
  const trajAdv = new Float64Array([1, -2]);
  const memory = {
    segments: [
      { sampleIdx: 0, turnIdx: 0 },
      { sampleIdx: 1, turnIdx: 0 },
      { sampleIdx: 0, turnIdx: 1 },
    ],
    advantages: [0.5, 3, -1],
  };
  const steps: StepTokens[] = [
    // response: <mem> m m </mem> <think> ... — span [1, 4) = content + closing tag
    { sampleIdx: 0, turnIdx: 0, lossMask: u8(1, 1, 1, 1, 1), memSpan: [1, 4] },
    // a masked token inside the span and a masked tail
    { sampleIdx: 0, turnIdx: 1, lossMask: u8(1, 0, 1, 1, 0, 0), memSpan: [1, 3] },
    // an empty response (generation produced nothing)
    { sampleIdx: 1, turnIdx: 0, lossMask: u8(), memSpan: null },
    // no memory span: every generated token gets A^T
    { sampleIdx: 1, turnIdx: 1, lossMask: u8(0, 1, 1), memSpan: null },
  ];

  it("adds A^M inside the memory span, A^T elsewhere, 0 on masked tokens", () => {
    const r = routeTokenAdvantages(steps, trajAdv, memory);
    expect([...r.advantages]).toEqual([
      1,
      1.5,
      1.5,
      1.5,
      1, // step 0: A^T = 1, A^M = 0.5 on tokens 1..3
      1,
      0,
      0,
      1,
      0,
      0, //    step 1: A^M = −1 on token 2 (token 1 masked), tail masked
      //                      step 2: empty
      0,
      -2,
      -2, //           step 3: A^T = −2, first token masked
    ]);
    expect([...r.mask]).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1]);
    expect([...r.stepOffsets]).toEqual([0, 5, 11, 11, 14]);
    expect([...r.seqOffsets]).toEqual([0, 11, 14]);
    expect([...r.seqSampleIdx]).toEqual([0, 1]);
    expect(r.memTokenCount).toBe(4);
  });

  it("scales A^M by memoryWeight and drops it without memory (GRPO)", () => {
    const half = routeTokenAdvantages(steps.slice(0, 1), trajAdv, memory, { memoryWeight: 0.5 });
    expect([...half.advantages]).toEqual([1, 1.25, 1.25, 1.25, 1]);
    const grpo = routeTokenAdvantages(steps, trajAdv);
    expect([...grpo.advantages]).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, -2, -2]);
    expect(grpo.memTokenCount).toBe(0);
  });

  it("handles no steps at all", () => {
    const r = routeTokenAdvantages([], trajAdv);
    expect(r.advantages.length).toBe(0);
    expect([...r.seqOffsets]).toEqual([0]);
  });

  it("rejects bad layouts with the step named", () => {
    const s0 = steps[0]!;
    expect(() => routeTokenAdvantages([s0, steps[3]!, { ...s0, turnIdx: 1 }], trajAdv)).toThrow(
      /step 2 \(sample 0, turn 1\): sample 0 reappears/,
    );
    expect(() => routeTokenAdvantages([{ ...s0, memSpan: [2, 6] }], trajAdv)).toThrow(
      /memSpan \[2, 6\) is not inside the response \[0, 5\)/,
    );
    expect(() => routeTokenAdvantages([{ ...s0, turnIdx: 7 }], trajAdv, memory)).toThrow(
      /no memory advantage/,
    );
    expect(() => routeTokenAdvantages([{ ...s0, sampleIdx: 2 }], trajAdv)).toThrow(/sampleIdx is outside/);
  });
});
