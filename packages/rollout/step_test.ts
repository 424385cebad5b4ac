import { describe, expect, it } from "vitest";
import { stepSequence, validateStepRecord } from "./step.ts";
import { fakeStep } from "./testing.ts";

describe("StepRecord", () => {
  it("a consistent record validates and its sequence is prompt ++ response", () => {
    const s = fakeStep({ promptLen: 3, responseLen: 2, memSpan: [0, 2] });
    expect(() => validateStepRecord(s)).not.toThrow();
    expect([...stepSequence(s)]).toEqual([1, 2, 3, 100, 101]);
  });

  it.each([
    ["responseLogprobs", { responseLogprobs: new Float32Array(3) }, /responseLogprobs.*length 3.*has 2/],
    ["lossMask", { lossMask: new Uint8Array(1) }, /lossMask.*length 1/],
    ["memSpan", { memSpan: [1, 5] as [number, number] }, /memSpan.*\[1, 5\).*2 response tokens/],
    ["tokens", { tokens: 4 }, /tokens.*is 4.*3 \+ 2/],
    ["positive logprob", { responseLogprobs: new Float32Array([-1, 0.5]) }, /\[1\] = 0.5/],
    ["stepIdx", { stepIdx: -1 }, /stepIdx.*-1/],
  ])("names the bad field: %s", (_, patch, msg) => {
    expect(() => validateStepRecord(fakeStep(patch), "file.jsonl:7")).toThrow(msg);
    expect(() => validateStepRecord(fakeStep(patch), "file.jsonl:7")).toThrow(/^file.jsonl:7 \(group g0/);
  });
});
