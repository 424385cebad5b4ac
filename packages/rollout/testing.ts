/** Test fixtures: valid StepRecords and Rollouts of a given shape, and a tiny generated world. Not exported from mod.ts. */
import { BM25Index, buildTasks, generateWorld, type Score, type Task, type World } from "@mempo/env";
import { Tokenizer } from "@mempo/tokenizer";
import type { Rollout } from "./rollout.ts";
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

export const oneObjectiveTask = (id = "t0"): Task => ({
  id,
  question: "Who?",
  objectives: ["Who?"],
  golden: [["Ann", "Anne"]],
  sourceIds: ["q0"],
});

/** A finished rollout whose answer is correct (em = 1) or not, with the given steps. */
export function fakeRollout(o: {
  groupId?: string;
  sampleId?: number;
  correct: boolean;
  steps: StepRecord[];
  task?: Task;
}): Rollout {
  const task = o.task ?? oneObjectiveTask();
  const v = o.correct ? 1 : 0;
  const score: Score = { em: 100 * v, f1: 100 * v, perObjective: [{ em: v, f1: v }], countMismatch: false };
  return {
    groupId: o.groupId ?? "g0",
    sampleId: o.sampleId ?? 0,
    task,
    promptIds: Uint32Array.of(1, 2, 3),
    steps: o.steps,
    observations: o.steps.map(() => new Uint32Array(0)),
    responses: o.steps.map(() => ""),
    finish: "answer",
    failure: null,
    answers: [o.correct ? "Ann" : "Bob"],
    score,
    formatValid: true,
    tt: o.steps.reduce((s, x) => s + x.tokens, 0),
    pt: Math.max(0, ...o.steps.map((x) => x.tokens)),
    o200k: null,
    memory: null,
  };
}

let cached: { world: World; index: BM25Index; tokenizer: Tokenizer; tasks: Task[] } | null = null;

/** A small generated world, its BM25 index, a BPE tokenizer trained on it, and 2-objective tasks. */
export function tinyWorld() {
  if (cached) return cached;
  const world = generateWorld({ seed: 4, entities: 120, questions: 40 });
  const index = BM25Index.build(world.documents);
  const tokenizer = Tokenizer.train(
    world.documents.slice(0, 200).map((d) => d.contents),
    { vocabSize: 600 },
  );
  cached = { world, index, tokenizer, tasks: buildTasks(world.questions, 2) };
  return cached;
}
