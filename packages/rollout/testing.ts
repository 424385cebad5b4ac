/** Test fixture: a valid StepRecord with the given shape. Not exported from mod.ts. */
import type { StepRecord } from "./step.ts";

export function fakeStep({
  promptLen: p = 3,
  responseLen: r = 2,
  ...o
}: Partial<StepRecord> & { promptLen?: number; responseLen?: number } = {}): StepRecord {
  return {
    groupId: "g0",
    sampleId: 0,
    stepIdx: 0,
    promptIds: new Uint32Array(p).map((_, i) => i + 1),
    responseIds: new Uint32Array(r).map((_, i) => 100 + i),
    responseLogprobs: new Float32Array(r).fill(-0.5),
    memSpan: null,
    lossMask: new Uint8Array(r).fill(1),
    policyVersion: 0,
    finish: "stop",
    tokens: p + r,
    ...o,
  };
}
