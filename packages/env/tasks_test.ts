import { describe, expect, it } from "vitest";
import type { QARecord } from "./corpus_io.ts";
import { buildTasks } from "./tasks.ts";

const qa: QARecord[] = Array.from({ length: 7 }, (_, i) => ({
  id: `q${i}`,
  question: `Question ${i}?`,
  golden_answers: [`a${i}`, `alias${i}`],
}));

describe("MEM1 task builder", () => {
  it("joins consecutive chunks with '; ' and keeps one alias list per objective", () => {
    const tasks = buildTasks(qa, 3);
    expect(tasks).toHaveLength(2); // remainder of 1 dropped
    expect(tasks[0]).toEqual({
      id: "mo3-0",
      question: "Question 0?; Question 1?; Question 2?",
      objectives: ["Question 0?", "Question 1?", "Question 2?"],
      golden: [
        ["a0", "alias0"],
        ["a1", "alias1"],
        ["a2", "alias2"],
      ],
      sourceIds: ["q0", "q1", "q2"],
    });
    expect(tasks[1]!.sourceIds).toEqual(["q3", "q4", "q5"]);
  });
  it("keeps the remainder on request; N = 1 and 16 work", () => {
    expect(buildTasks(qa, 3, { dropRemainder: false, idPrefix: "t" }).map((t) => t.id)).toEqual([
      "t0",
      "t1",
      "t2",
    ]);
    expect(buildTasks(qa, 1)).toHaveLength(7);
    expect(buildTasks([...qa, ...qa, ...qa], 16)).toHaveLength(1);
  });
  it("rejects N outside 1..16", () => {
    for (const n of [0, 17, 2.5]) expect(() => buildTasks(qa, n)).toThrow(/1\.\.16/);
  });
});
