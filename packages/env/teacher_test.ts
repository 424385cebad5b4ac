import { describe, expect, it } from "vitest";
import { BM25Index } from "./bm25.ts";
import { runEpisode } from "./episode.ts";
import { buildTasks } from "./tasks.ts";
import {
  ANSWER_THOUGHT,
  memoryFacts,
  PERFECT_TEACHER_CONFIG,
  Teacher,
  type TeacherConfig,
} from "./teacher.ts";
import { generateWorld } from "./world/generate.ts";

const world = generateWorld({ seed: 3, entities: 600, questions: 480 });
const index = BM25Index.build(world.documents);

async function meanF1(n: number, cfg: Partial<TeacherConfig>, policy: "mem" | "full" = "mem") {
  const teacher = new Teacher(world.questions, cfg);
  const tasks = buildTasks(world.questions, n).slice(0, 240 / n);
  let f1 = 0;
  let valid = 0;
  for (const task of tasks) {
    const ep = await runEpisode(teacher.agentFor(task), task, index, {
      maxTurns: 2 * n + 2,
      topk: 3,
      policy,
    });
    f1 += ep.score.f1;
    valid += ep.formatValid ? 1 : 0;
  }
  return { f1: f1 / tasks.length, valid: valid / tasks.length };
}

describe("scripted teacher", () => {
  it.each([2, 6])("with imperfections off scores ≥ 95 F1 on %i-objective tasks using BM25", async (n) => {
    const r = await meanF1(n, PERFECT_TEACHER_CONFIG);
    expect(r.valid).toBe(1);
    expect(r.f1).toBeGreaterThanOrEqual(95);
  });

  it("with the default imperfections scores clearly lower but stays well-formed", async () => {
    const perfect = await meanF1(6, PERFECT_TEACHER_CONFIG);
    const imperfect = await meanF1(6, {});
    expect(imperfect.valid).toBe(1);
    expect(imperfect.f1).toBeLessThan(perfect.f1 - 5);
    expect(imperfect.f1).toBeGreaterThan(40);
  });

  it("also solves tasks when the whole history is kept", async () => {
    expect((await meanF1(2, PERFECT_TEACHER_CONFIG, "full")).f1).toBeGreaterThanOrEqual(95);
  });

  it("is deterministic for a seed", async () => {
    const task = buildTasks(world.questions, 3)[1]!;
    const run = async () =>
      (await runEpisode(new Teacher(world.questions).agentFor(task), task, index, { maxTurns: 8 })).turns.map(
        (t) => t.response,
      );
    expect(await run()).toEqual(await run());
  });

  it("reads facts from its last <mem> only (an open question's `asks` line is not a fact)", () => {
    const ctx =
      "<mem> example </mem>\n<mem>\nQ1 founder of X: Alma R. Vetterling\nQ1 asks: Who?\nnoise\n</mem><think>t</think>";
    expect([...memoryFacts(ctx)]).toEqual([["Q1 founder of X", "Alma R. Vetterling"]]);
  });

  it("keeps each unanswered question in <mem> until its answer is known (openQuestions)", async () => {
    const task = buildTasks(world.questions, 3)[0]!;
    const ep = await runEpisode(
      new Teacher(world.questions, PERFECT_TEACHER_CONFIG).agentFor(task),
      task,
      index,
      {
        maxTurns: 8,
        topk: 3,
      },
    );
    const asks = (r: string) => r.split("\n").filter((l) => / asks: /.test(l));
    expect(asks(ep.turns[0]!.response)).toEqual(task.objectives.map((q, i) => `Q${i + 1} asks: ${q}`));
    const last = ep.turns[ep.turns.length - 1]!.response;
    expect(last).toContain("<answer>");
    // the layout a memory score can reproduce (rl.memoryLayout think): </mem>, the thought, <answer>
    expect(last).toContain(`</mem>\n<think>${ANSWER_THOUGHT}</think>\n<answer> `);
    expect(asks(last)).toEqual([]);
    const closed = new Teacher(world.questions, { ...PERFECT_TEACHER_CONFIG, openQuestions: false });
    const ep2 = await runEpisode(closed.agentFor(task), task, index, { maxTurns: 8, topk: 3 });
    expect(asks(ep2.turns[0]!.response)).toEqual([]);
  });

  it("needs generated QA records (with hops) for its plans", () => {
    const t = new Teacher([{ id: "x", question: "Q?", golden_answers: ["a"] }]);
    expect(() =>
      t.agentFor({ id: "t", question: "Q?", objectives: ["Q?"], golden: [["a"]], sourceIds: ["x"] }),
    ).toThrow(/no plan for question 'x'/);
  });
});
