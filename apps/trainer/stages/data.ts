/**
 * Stage 1, data: the seeded fictional encyclopedia (@mempo/env), written as corpus.jsonl / qa.jsonl,
 * its BM25 index, and the tasks: `data.trainTasks` 2-objective training tasks from the first
 * questions, then for each N in `data.evalObjectives` `data.evalTasks` held-out N-objective tasks from
 * the questions after them (no question is shared between training and evaluation, or between two N).
 * `loadData` reads the same artifacts back for the single-stage commands.
 *
 * Simplification: RL samples its prompts from the same training tasks the teacher solved for SFT.
 */
import { readFile, writeFile } from "node:fs/promises";
import {
  BM25Index,
  buildTasks,
  collect,
  type Document,
  generateWorld,
  type QARecord,
  readCorpus,
  readQA,
  type Task,
  writeJsonl,
} from "@mempo/env";
import type { Config } from "../config.ts";
import { type Run, requireFile } from "../run_dir.ts";

export interface Data {
  documents: Document[];
  qa: QARecord[];
  index: BM25Index;
  /** 2-objective training tasks. */
  train: Task[];
  /** Held-out tasks per objective count, in `data.evalObjectives` order. */
  eval: { n: number; tasks: Task[] }[];
}

/** Turn budget of an N-objective task: turnsPerObjective·N + extraTurns (2N + 2 by default). */
export function maxTurns(cfg: Config["data"], n: number): number {
  return cfg.turnsPerObjective * n + cfg.extraTurns;
}

/** Questions the world must hold for the configured tasks. */
export function questionsNeeded(cfg: Config["data"]): number {
  return 2 * cfg.trainTasks + cfg.evalTasks * cfg.evalObjectives.reduce((s, n) => s + n, 0);
}

export async function dataStage(run: Run): Promise<Data> {
  const cfg = run.config.data;
  const needed = questionsNeeded(cfg);
  const world = generateWorld({ seed: cfg.worldSeed, entities: cfg.entities, questions: needed });
  if (world.questions.length < needed) {
    throw new Error(
      `data: the world has ${world.questions.length} distinct questions but the tasks need ${needed}; ` +
        `raise --data.entities (now ${cfg.entities}) or lower --data.trainTasks / --data.evalTasks`,
    );
  }
  const index = BM25Index.build(world.documents);
  const { train, eval: evalSets } = splitTasks(world.questions, cfg);
  await writeJsonl(run.path("corpus"), world.documents);
  await writeJsonl(run.path("qa"), world.questions);
  await index.save(run.path("index"));
  await writeTasks(run, train, evalSets);
  run.log(
    `data: ${world.documents.length} passages, ${world.questions.length} questions → ` +
      `${train.length} training tasks (N = 2), held-out ${evalSets.map((e) => `${e.tasks.length} × N = ${e.n}`).join(", ")}`,
  );
  run.metric({ stage: "data", passages: world.documents.length, questions: world.questions.length });
  return { documents: world.documents, qa: world.questions, index, train, eval: evalSets };
}

/** Consecutive question chunks: training first, then each evaluation N (MEM1 task builder). */
export function splitTasks(qa: readonly QARecord[], cfg: Config["data"]): Pick<Data, "train" | "eval"> {
  let at = 2 * cfg.trainTasks;
  const train = buildTasks(qa.slice(0, at), 2, { idPrefix: "train-" });
  const evalSets = cfg.evalObjectives.map((n) => {
    const tasks = buildTasks(qa.slice(at, at + n * cfg.evalTasks), n, { idPrefix: `eval-n${n}-` });
    at += n * cfg.evalTasks;
    return { n, tasks };
  });
  return { train, eval: evalSets };
}

async function writeTasks(run: Run, train: Task[], evalSets: Data["eval"]): Promise<void> {
  const body = { train, eval: Object.fromEntries(evalSets.map((e) => [String(e.n), e.tasks])) };
  await writeFile(run.path("tasks"), `${JSON.stringify(body)}\n`);
}

/** Reads the data stage's artifacts from the run directory. */
export async function loadData(run: Run): Promise<Data> {
  const documents = await collect(readCorpus(requireFile(run, "corpus", "data")));
  const qa = await collect(readQA(requireFile(run, "qa", "data")));
  const index = await BM25Index.load(requireFile(run, "index", "data"));
  const t = JSON.parse(await readFile(requireFile(run, "tasks", "data"), "utf8")) as {
    train: Task[];
    eval: Record<string, Task[]>;
  };
  const evalSets = Object.entries(t.eval)
    .map(([n, tasks]) => ({ n: Number(n), tasks }))
    .sort((a, b) => a.n - b.n);
  return { documents, qa, index, train: t.train, eval: evalSets };
}
