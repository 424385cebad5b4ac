/**
 * Stage 1, data: two seeded fictional encyclopedias (@mempo/env). The training world
 * (`data.worldSeed`, `data.entities`) gives `data.trainTasks` training tasks, their objective counts taken in turn from
 * `data.trainObjectives`; a second
 * world generated from another seed (`data.evalWorldSeed`, `data.evalEntities`) gives, for each N in
 * `data.evalObjectives`, `data.evalTasks` held-out N-objective tasks (no question shared between two
 * N). Held-out tasks are about entities never seen in training and are answered by searching the
 * evaluation world's own index, so F1 measures searching and reading, not recall from the weights.
 * Each world is written as corpus.jsonl / qa.jsonl and its BM25 index (`eval_*` for the evaluation
 * world). `loadData` reads the same artifacts back for the single-stage commands.
 *
 * Your own data instead (`--data.qa FILE`, FlashRAG QA JSONL; `--data.corpus FILE`, a FlashRAG corpus,
 * and/or `--data.retriever URL`, a Search-R1 /retrieve server): the questions are copied to qa.jsonl and
 * chunked MEM1-style, in file order: first the held-out tasks (`data.evalTasks` per N), then up to
 * `data.trainTasks` training tasks from what is left. The corpus is read in place (not copied); its
 * BM25 index goes to index.bin, and searches go to that index or, with `data.retriever`, to the server.
 * Such questions carry no generator plans (metadata.hops), so there is no scripted teacher: no SFT
 * data and no teacher line in the evaluation (`hasTeacherPlans`).
 *
 * Simplification: RL samples its prompts from the same training tasks the teacher solved for SFT.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import {
  BM25Index,
  HttpRetriever,
  type Retriever,
  buildTasks,
  collect,
  type Document,
  generateWorld,
  makeTask,
  type QARecord,
  type Task,
} from "@mempo/env";
import { loadBM25Index, readCorpus, readQA, saveBM25Index, writeJsonl } from "@mempo/env/node";
import { z } from "zod";
import type { Config } from "../config.ts";
import { type Run, readJsonSync, requireFile } from "../run_dir.ts";

/** One world: its passages, questions (the generator's carry the teacher's plans) and where to search. */
export interface WorldData {
  documents: Document[];
  qa: QARecord[];
  /** The BM25 index, or a Search-R1 server (`data.retriever`). */
  index: Retriever;
}

/** Whether the run uses the user's QA file (`--data.qa`) instead of the generated worlds. */
export const userData = (cfg: Config["data"]) => cfg.qa !== "";

/** Whether every question carries the generator's plan (metadata.hops) the scripted teacher follows. */
export function hasTeacherPlans(qa: readonly QARecord[]): boolean {
  return qa.length > 0 && qa.every((q) => Array.isArray(q.metadata?.hops));
}

/** The training world (its fields) and the evaluation world. */
export interface Data extends WorldData {
  /** Training tasks, objective counts in turn from `data.trainObjectives` (training world). */
  train: Task[];
  /** The held-out world the evaluation tasks are about and search in. */
  evalWorld: WorldData;
  /** Held-out tasks per objective count, in `data.evalObjectives` order. */
  eval: { n: number; tasks: Task[] }[];
}

/** Turn budget of an N-objective task: turnsPerObjective·N + extraTurns (2N + 2 by default). */
export function maxTurns(cfg: Config["data"], n: number): number {
  return cfg.turnsPerObjective * n + cfg.extraTurns;
}

/** Questions each world must hold for the configured tasks. */
export function questionsNeeded(cfg: Config["data"]): { train: number; eval: number } {
  return {
    train: trainCounts(cfg).reduce((s, n) => s + n, 0),
    eval: cfg.evalTasks * cfg.evalObjectives.reduce((s, n) => s + n, 0),
  };
}

/** Objective count of each training task: `data.trainObjectives` in turn. */
export function trainCounts(cfg: Config["data"]): number[] {
  return Array.from(
    { length: cfg.trainTasks },
    (_, i) => cfg.trainObjectives[i % cfg.trainObjectives.length]!,
  );
}

function makeWorld(
  seed: number,
  entities: number,
  questions: number,
  flag: string,
): WorldData & { index: BM25Index } {
  const world = generateWorld({ seed, entities, questions });
  if (world.questions.length < questions) {
    throw new Error(
      `data: the world of seed ${seed} has ${world.questions.length} distinct questions but the tasks need ${questions}; ` +
        `raise --data.${flag} (now ${entities}) or lower --data.trainTasks / --data.evalTasks`,
    );
  }
  return { documents: world.documents, qa: world.questions, index: BM25Index.build(world.documents) };
}

export async function dataStage(run: Run): Promise<Data> {
  const cfg = run.config.data;
  if (userData(cfg)) return userDataStage(run);
  if (cfg.corpus !== "" || cfg.retriever !== "") {
    throw new Error(
      `data: --data.${cfg.corpus !== "" ? "corpus" : "retriever"} needs the questions too: --data.qa FILE (FlashRAG QA JSONL)`,
    );
  }
  if (cfg.evalWorldSeed === cfg.worldSeed) {
    throw new Error(
      `data: --data.evalWorldSeed equals --data.worldSeed (${cfg.worldSeed}); the held-out world must come from another seed`,
    );
  }
  const needed = questionsNeeded(cfg);
  const world = makeWorld(cfg.worldSeed, cfg.entities, needed.train, "entities");
  const evalWorld = makeWorld(cfg.evalWorldSeed, cfg.evalEntities, needed.eval, "evalEntities");
  const { train, eval: evalSets } = splitTasks(world.qa, evalWorld.qa, cfg);
  await writeJsonl(run.path("corpus"), world.documents);
  await writeJsonl(run.path("qa"), world.qa);
  await saveBM25Index(world.index, run.path("index"));
  await writeJsonl(run.path("evalCorpus"), evalWorld.documents);
  await writeJsonl(run.path("evalQa"), evalWorld.qa);
  await saveBM25Index(evalWorld.index, run.path("evalIndex"));
  await writeTasks(run, train, evalSets);
  run.log(
    `data: training world ${world.documents.length} passages → ${train.length} training tasks (N = ${cfg.trainObjectives.join("/")}); ` +
      `held-out world (seed ${cfg.evalWorldSeed}) ${evalWorld.documents.length} passages → ` +
      evalSets.map((e) => `${e.tasks.length} × N = ${e.n}`).join(", "),
  );
  run.metric({
    stage: "data",
    passages: world.documents.length,
    questions: world.qa.length,
    evalPassages: evalWorld.documents.length,
    evalQuestions: evalWorld.qa.length,
  });
  return { ...world, train, evalWorld, eval: evalSets };
}

/** The user's corpus (streamed) and its BM25 index, or none when only a retrieval server is given. */
async function userCorpus(cfg: Config["data"]): Promise<Document[]> {
  if (cfg.corpus === "") return [];
  return collect(readCorpus(cfg.corpus));
}

/** Where searches go: the retrieval server (`data.retriever`), else the index. */
function searchWith(cfg: Config["data"], index: BM25Index | null, where: string): Retriever {
  if (cfg.retriever !== "") return new HttpRetriever({ url: cfg.retriever });
  if (index === null)
    throw new Error(
      `${where}: no BM25 index; run \`mempo data --data.corpus FILE\` or give --data.retriever URL`,
    );
  return index;
}

/** `mempo data --data.qa FILE [--data.corpus FILE] [--data.retriever URL]`: tasks from the user's data. */
async function userDataStage(run: Run): Promise<Data> {
  const cfg = run.config.data;
  if (cfg.corpus === "" && cfg.retriever === "") {
    throw new Error(
      "data: --data.qa needs passages to search: --data.corpus FILE (FlashRAG corpus JSONL, searched with BM25) " +
        "or --data.retriever http://HOST:PORT/retrieve (a Search-R1 retrieval server)",
    );
  }
  const qa = await collect(readQA(cfg.qa));
  const { train, eval: evalSets } = userTasks(qa, cfg);
  const documents = await userCorpus(cfg);
  let index: BM25Index | null = null;
  if (documents.length > 0) {
    index = BM25Index.build(documents);
    await saveBM25Index(index, run.path("index"));
  }
  await writeJsonl(run.path("qa"), qa);
  await writeTasks(run, train, evalSets);
  const searched = cfg.retriever !== "" ? `the retrieval server ${cfg.retriever}` : "BM25";
  run.log(
    `data: ${qa.length} questions from ${cfg.qa}` +
      (cfg.corpus !== "" ? `, ${documents.length} passages from ${cfg.corpus}` : "") +
      ` → held-out ${evalSets.map((e) => `${e.tasks.length} × N = ${e.n}`).join(", ")}; ${train.length} training tasks; searched with ${searched}` +
      (hasTeacherPlans(qa)
        ? ""
        : ". No scripted teacher for these questions (no metadata.hops): evaluate a model with mempo eval --model.from DIR, or run mempo rl --model.from SFT_DIR"),
  );
  run.metric({ stage: "data", passages: documents.length, questions: qa.length, user: true });
  const world = { documents, qa, index: searchWith(cfg, index, "data") };
  return { ...world, train, evalWorld: world, eval: evalSets };
}

/** MEM1-style tasks from the user's questions in file order: held-out tasks first, training tasks from the rest. */
export function userTasks(qa: readonly QARecord[], cfg: Config["data"]): Pick<Data, "train" | "eval"> {
  const needed = questionsNeeded(cfg).eval;
  if (qa.length < needed) {
    throw new Error(
      `data: ${cfg.qa} has ${qa.length} questions but the held-out tasks need ${needed} ` +
        `(--data.evalTasks ${cfg.evalTasks} per N × N = ${cfg.evalObjectives.join("+")}); lower --data.evalTasks or --data.evalObjectives`,
    );
  }
  let at = 0;
  const evalSets = cfg.evalObjectives.map((n) => {
    const tasks = buildTasks(qa.slice(at, at + n * cfg.evalTasks), n, { idPrefix: `eval-n${n}-` });
    at += n * cfg.evalTasks;
    return { n, tasks };
  });
  const train: Task[] = [];
  for (const n of trainCounts(cfg)) {
    if (at + n > qa.length) break;
    train.push(makeTask(`train-${train.length}`, qa.slice(at, at + n)));
    at += n;
  }
  return { train, eval: evalSets };
}

/** Training tasks from the training world's questions; consecutive chunks of the held-out world's per N. */
export function splitTasks(
  trainQa: readonly QARecord[],
  evalQa: readonly QARecord[],
  cfg: Config["data"],
): Pick<Data, "train" | "eval"> {
  const train: Task[] = [];
  let from = 0;
  trainCounts(cfg).forEach((n, i) => {
    train.push(makeTask(`train-${i}`, trainQa.slice(from, from + n)));
    from += n;
  });
  let at = 0;
  const evalSets = cfg.evalObjectives.map((n) => {
    const tasks = buildTasks(evalQa.slice(at, at + n * cfg.evalTasks), n, { idPrefix: `eval-n${n}-` });
    at += n * cfg.evalTasks;
    return { n, tasks };
  });
  return { train, eval: evalSets };
}

async function writeTasks(run: Run, train: Task[], evalSets: Data["eval"]): Promise<void> {
  const body = { train, eval: Object.fromEntries(evalSets.map((e) => [String(e.n), e.tasks])) };
  await writeFile(run.path("tasks"), `${JSON.stringify(body)}\n`);
}

async function loadWorld(run: Run, files: ["corpus", "qa", "index"] | ["evalCorpus", "evalQa", "evalIndex"]) {
  const documents = await collect(readCorpus(requireFile(run, files[0], "data")));
  const qa = await collect(readQA(requireFile(run, files[1], "data")));
  const index = await loadBM25Index(requireFile(run, files[2], "data"));
  return { documents, qa, index };
}

const taskSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  objectives: z.array(z.string().min(1)).min(1),
  golden: z.array(z.array(z.string()).min(1)).min(1),
  sourceIds: z.array(z.string()),
});

/** tasks.json: training tasks and held-out tasks keyed by objective count. */
const tasksFileSchema = z.object({
  train: z.array(taskSchema),
  eval: z.record(z.string().regex(/^[1-9]\d*$/, "keys are objective counts"), z.array(taskSchema)),
});

/**
 * Reads and validates tasks.json.
 * @throws Error naming the file, the field and what is wrong.
 */
export function readTasks(file: string): z.infer<typeof tasksFileSchema> {
  const parsed = tasksFileSchema.safeParse(readJsonSync(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${file}: field "${issue.path.join(".") || "(file)"}" ${issue.message}; rebuild the data (mempo data --out DIR)`,
    );
  }
  for (const [where, t] of [
    ...parsed.data.train.map((t, i) => [`train.${i}`, t] as const),
    ...Object.entries(parsed.data.eval).flatMap(([n, ts]) =>
      ts.map((t, i) => [`eval.${n}.${i}`, t] as const),
    ),
  ]) {
    if (t.golden.length !== t.objectives.length)
      throw new Error(
        `${file}: task ${where} (${t.id}) has ${t.objectives.length} objectives but ${t.golden.length} golden answer lists; rebuild the data`,
      );
  }
  return parsed.data;
}

/** Reads the data stage's artifacts from the run directory. */
export async function loadData(run: Run): Promise<Data> {
  const cfg = run.config.data;
  if (userData(cfg)) {
    const qa = await collect(readQA(requireFile(run, "qa", "data")));
    const documents = await userCorpus(cfg);
    const index = existsSync(run.path("index")) ? await loadBM25Index(run.path("index")) : null;
    const world = { documents, qa, index: searchWith(cfg, index, run.path("index")) };
    const t = readTasks(requireFile(run, "tasks", "data"));
    const evalSets = Object.entries(t.eval)
      .map(([n, tasks]) => ({ n: Number(n), tasks }))
      .sort((a, b) => a.n - b.n);
    return { ...world, train: t.train, evalWorld: world, eval: evalSets };
  }
  const world = await loadWorld(run, ["corpus", "qa", "index"]);
  const evalWorld = await loadWorld(run, ["evalCorpus", "evalQa", "evalIndex"]);
  const t = readTasks(requireFile(run, "tasks", "data"));
  const evalSets = Object.entries(t.eval)
    .map(([n, tasks]) => ({ n: Number(n), tasks }))
    .sort((a, b) => a.n - b.n);
  return { ...world, train: t.train, evalWorld, eval: evalSets };
}
