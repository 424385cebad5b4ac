import { describe, expect, it } from "vitest";
import {
  BM25Index,
  buildTasks,
  generateWorld,
  PERFECT_TEACHER_CONFIG,
  runEpisode,
  Teacher,
} from "@mempo/env";
import { configSchema } from "./config.ts";
import type { Data } from "./stages/data.ts";
import { iterationTasks, memoryBridge } from "./stages/rl.ts";

/** Only `train` is read by iterationTasks: tasks with 1…4 objectives, 5 of each. */
const data = {
  train: Array.from({ length: 20 }, (_, i) => ({
    id: `t${i}`,
    objectives: Array.from({ length: (i % 4) + 1 }, (_, j) => `q${i}.${j}`),
  })),
} as unknown as Data;

describe("rl task draw", () => {
  it("draws tasksPerIteration distinct tasks, the same for the same (seed, iteration)", () => {
    const cfg = configSchema.parse({ rl: { tasksPerIteration: 6 } });
    const a = iterationTasks(data, cfg, 3);
    expect(a).toHaveLength(6);
    expect(new Set(a).size).toBe(6);
    expect(iterationTasks(data, cfg, 3)).toEqual(a);
    expect(iterationTasks(data, cfg, 4)).not.toEqual(a);
  });

  it("rl.objectives keeps only tasks with those objective counts", () => {
    const cfg = configSchema.parse({ rl: { tasksPerIteration: 8, objectives: [1, 3] } });
    for (let it = 0; it < 5; it++) {
      const drawn = iterationTasks(data, cfg, it);
      expect(drawn).toHaveLength(8);
      for (const t of drawn) expect([1, 3]).toContain(t.objectives.length);
    }
    // more than the pool holds: every task of the pool once
    const all = iterationTasks(
      data,
      configSchema.parse({ rl: { tasksPerIteration: 50, objectives: [2] } }),
      0,
    );
    expect(all.map((t) => t.objectives.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it("an objective count no training task has is a clear error", () => {
    const cfg = configSchema.parse({ rl: { objectives: [7] } });
    expect(() => iterationTasks(data, cfg, 0)).toThrow(
      /no training task has 7 objectives.*--rl\.objectives.*1, 2, 3, 4/,
    );
  });
});

describe("memory-score layout", () => {
  it("think = what the teacher writes between </mem> and <answer> in its final turn", async () => {
    expect(memoryBridge("answer")).toBe("");
    const world = generateWorld({ seed: 5, entities: 200, questions: 40 });
    const task = buildTasks(world.questions, 2)[0]!;
    const teacher = new Teacher(world.questions, PERFECT_TEACHER_CONFIG);
    const ep = await runEpisode(teacher.agentFor(task), task, BM25Index.build(world.documents), {
      maxTurns: 6,
      topk: 3,
    });
    const last = ep.turns[ep.turns.length - 1]!.response;
    expect(ep.score.f1).toBe(100);
    expect(last).toContain(`</mem>${memoryBridge("think")}<answer>`);
  });
});
