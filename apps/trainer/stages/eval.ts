/**
 * Stage 5, evaluation on the held-out N-objective tasks (N = `data.evalObjectives`, turn budget
 * 2N + 2), about the held-out world's entities and searched in its index: greedy decoding (`eval.temperature` 0), one rollout per task, every task of one N batched
 * per turn (@mempo/rollout's runGroups). Agents (`agent.kind` mem):
 *   sft          the SFT model, `mem` retention (only the previous turn is kept); off with --eval.sft false
 *   mempo|grpo   the RL model (named by --rl.algo), `mem` retention
 *   <algo>-full  the same RL weights with `full` retention (every earlier turn kept): the retention
 *                ablation, out of the weights' training distribution — not a ReAct baseline
 *   <algo>-last<k> the same with the last k turns kept (--eval.lastK k)
 * and with `--agent.kind react` (the trained ReAct baseline: no `<mem>`, `full` retention):
 *   react-sft    its SFT model;  react  its RL model
 *   teacher      the scripted teacher with its default imperfections, as a reference line, under `mem`
 *                and (teacher-full) `full` retention: the same behaviour, the full history's token cost
 * Per agent and N: F1 and EM (×100, MEM1 scoring), TT (tokens processed over the episode) and PT (peak
 * context), with our tokenizer (and o200k_base with --eval.o200k), plus answer and format-failure
 * rates; with --eval.memoryScores, P(gold | question, memory) of every `<mem>` (eq. 3, scored by the
 * model that wrote it). Writes eval.json and report.md, and every model episode (responses,
 * observations, answers, score, each memory's P) to transcripts.jsonl.
 *
 * With `--model.from DIR` (any HF model directory, e.g. on the user's data) that model is the one agent
 * (`model`, `mem` retention) and the run needs no checkpoint. Without generator plans there is no
 * teacher line; a retrieval line says how often a gold alias is in the top-k passages of each question
 * searched on its own (`retrieval` in eval.json), i.e. how much the retriever alone allows.
 * Scoring: `data.scoring` (mem1 or squad), named in eval.json and report.md.
 *
 * Simplification: the `<algo>-full` and `-last<k>` agents still write `<mem>` (same weights); only the
 * retention policy and the instruction's "only your previous turn is shown" line change.
 */
import { appendFileSync, existsSync, rmSync } from "node:fs";
import {
  codecCounter,
  normalizeMem1,
  type RetentionPolicy,
  type Retriever,
  type Task,
  tokenUsage,
} from "@mempo/env";
import { openaiCounter } from "@mempo/env/node";
import type { Model } from "@mempo/model";
import { loadModel } from "@mempo/model/node";
import { modelPolicy, type Rollout, type RolloutGroup, runGroups } from "@mempo/rollout";
import type { Tokenizer } from "@mempo/tokenizer";
import { loadRunModel } from "../checkpoint.ts";
import { agentProtocol } from "../config.ts";
import { startProgress } from "../progress.ts";
import { type EvalRow, writeEvalReport } from "../report.ts";
import { type Run, requireFile, round } from "../run_dir.ts";
import { type Data, hasTeacherPlans, maxTurns } from "./data.ts";
import { teacherEpisodes } from "./teacher.ts";

/** How an evaluated agent acts: its context policy (k for last-k) and whether it writes `<mem>`. */
export interface Protocol {
  retention: RetentionPolicy;
  k: number;
  useMem: boolean;
}

export interface ModelAgent extends Protocol {
  agent: string;
  weights: "sft" | "rl" | "from";
}

/** A retention's name in tables: mem, full, last-3. */
export const retentionName = (p: Pick<Protocol, "retention" | "k">) =>
  p.retention === "last-k" ? `last-${p.k}` : p.retention;

/** The model agents to evaluate, given which checkpoints the run has (or the one `model.from` names). */
export function evalAgents(run: Run): ModelAgent[] {
  const mem = { retention: "mem", k: 1, useMem: true } as const;
  if (run.config.model.from !== "") return [{ agent: "model", weights: "from", ...mem }];
  const c = run.config;
  const hasRl = existsSync(run.path("rl"));
  const agents: ModelAgent[] = [];
  if (c.agent.kind === "react") {
    const react = { retention: "full", k: 1, useMem: false } as const;
    if (c.eval.sft || !hasRl) agents.push({ agent: "react-sft", weights: "sft", ...react });
    if (hasRl) agents.push({ agent: "react", weights: "rl", ...react });
    return agents;
  }
  if (c.eval.sft || !hasRl) agents.push({ agent: "sft", weights: "sft", ...mem });
  const weights = hasRl ? "rl" : "sft";
  const name = hasRl ? c.rl.algo : "sft";
  if (hasRl) agents.push({ agent: name, weights, ...mem });
  if (c.eval.lastK > 0)
    agents.push({
      agent: `${name}-last${c.eval.lastK}`,
      weights,
      retention: "last-k",
      k: c.eval.lastK,
      useMem: true,
    });
  if (c.eval.fullHistory)
    agents.push({ agent: `${name}-full`, weights, retention: "full", k: 1, useMem: true });
  return agents;
}

export async function evalStage(run: Run, data: Data, tok: Tokenizer): Promise<EvalRow[]> {
  const cfg = run.config.eval;
  if (run.config.model.from === "") requireFile(run, "sft", "sft");
  const agents = evalAgents(run);
  rmSync(run.path("transcripts"), { force: true });
  const rows: EvalRow[] = [];
  const models = new Map<string, Model>();
  const progress = startProgress("eval", agents.length * data.eval.length, { ...run.config.log, every: 1 });
  let done = 0;
  for (const a of agents) {
    if (!models.has(a.weights)) models.set(a.weights, await evalModel(run, a.weights));
    for (const { n, tasks } of data.eval) {
      const t0 = performance.now();
      const groups = await heldOutEpisodes(run, data, tok, models.get(a.weights)!, tasks, a);
      const row = summarize(
        a,
        n,
        groups.flatMap((g) => g.rollouts),
        (performance.now() - t0) / 1000,
      );
      rows.push(row);
      run.metric({ stage: "eval", ...row });
      const lines = groups.flatMap((g) =>
        g.rollouts.map((r) =>
          JSON.stringify({
            agent: a.agent,
            n,
            task: r.task.id,
            objectives: r.task.objectives,
            golden: r.task.golden.map((x) => x[0]),
            f1: r.score.f1,
            finish: r.finish,
            answers: r.answers,
            responses: r.responses,
            observations: r.observations.map((o) => tok.decode(o)),
            ...(r.memory
              ? {
                  memoryP: r.memory.map((m) => ({
                    turn: m.stepIdx,
                    p: Number(geoMeanP(m.memLogprobs).toPrecision(4)),
                    base: Number(geoMeanP(m.baseLogprobs).toPrecision(4)),
                  })),
                }
              : {}),
          }),
        ),
      );
      appendFileSync(run.path("transcripts"), `${lines.join("\n")}\n`);
      progress.tick(++done, { agent: a.agent, N: n, F1: row.f1, TT: row.tt });
    }
  }
  progress.done();
  for (const m of models.values()) m.dispose();
  if (cfg.teacher && hasTeacherPlans(data.evalWorld.qa)) rows.push(...(await teacherRows(run, data, tok)));
  else if (cfg.teacher)
    run.log("eval: no teacher line: the questions carry no generator plans (metadata.hops) to script it");
  const retrieval = await retrievalRecall(data.evalWorld.index, data.eval, run.config.data.topk);
  run.log(
    `eval: a gold alias is in the top-${retrieval.topk} passages of ${(100 * retrieval.recall).toFixed(1)}% of the ${retrieval.questions} held-out questions`,
  );
  await writeEvalReport(run, rows, retrieval);
  return rows;
}

/** A checkpoint's model (verified), saying which step it is and warning when rl/ is short of `rl.iterations`. */
async function evalModel(run: Run, weights: ModelAgent["weights"]): Promise<Model> {
  if (weights === "from") {
    const model = await loadModel(run.config.model.from, { backend: run.config.backend });
    run.log(`eval: the model in ${run.config.model.from} (${model.numParams()} parameters)`);
    return model;
  }
  const { model, manifest } = await loadRunModel(run.path(weights), run.config.backend);
  const want = run.config.rl.iterations;
  if (weights === "sft") run.log(`eval: sft/ after ${manifest.step} SFT steps`);
  else run.log(`eval: rl/ at RL iteration ${manifest.step} of ${want}`);
  if (weights === "rl" && manifest.step < want) {
    run.log(
      `eval: warning: rl/ holds iteration ${manifest.step}, short of --rl.iterations ${want} (RL stopped early?); ` +
        `the ${run.config.rl.algo} rows are that checkpoint's. Finish it with mempo rl --run ${run.dir} --resume ${run.path("rl")}`,
    );
  }
  return model;
}

/**
 * One episode per held-out task (`eval.temperature`, greedy by default), searched in the held-out world,
 * in the run's agent protocol unless `protocol` says otherwise; memories scored with `eval.memoryScores`.
 */
export function heldOutEpisodes(
  run: Run,
  data: Data,
  tok: Tokenizer,
  model: Model,
  tasks: readonly Task[],
  protocol: Protocol = { ...agentProtocol(run.config.agent.kind), k: 1 },
): Promise<RolloutGroup[]> {
  const cfg = run.config.eval;
  const n = tasks[0]?.objectives.length ?? 1;
  return runGroups(
    modelPolicy(model),
    tasks,
    {
      groupSize: 1,
      maxTurns: maxTurns(run.config.data, n),
      retention: protocol.retention,
      k: protocol.k,
      useMem: protocol.useMem,
      topk: run.config.data.topk,
      maxNewTokens: cfg.maxNewTokens,
      sampling: { temperature: cfg.temperature },
      seed: run.config.seed,
      memoryReward: cfg.memoryScores && protocol.useMem,
      countO200k: cfg.o200k,
      scoring: run.config.data.scoring,
    },
    { retriever: data.evalWorld.index, tokenizer: tok },
  );
}

/** Recall of the retriever alone: per held-out question, is a gold alias (MEM1-normalized) in its top-k passages? */
export async function retrievalRecall(
  retriever: Retriever,
  sets: Data["eval"],
  topk: number,
): Promise<{ topk: number; questions: number; recall: number }> {
  const items = sets.flatMap((s) =>
    s.tasks.flatMap((t) => t.objectives.map((q, i) => ({ q, gold: t.golden[i]! }))),
  );
  if (items.length === 0) return { topk, questions: 0, recall: 0 };
  const hits = await retriever.search(
    items.map((x) => x.q),
    topk,
  );
  let found = 0;
  items.forEach((x, i) => {
    const text = ` ${normalizeMem1(hits[i]!.map((h) => h.document.contents).join(" "))} `;
    if (x.gold.some((a) => normalizeMem1(a) !== "" && text.includes(` ${normalizeMem1(a)} `))) found += 1;
  });
  return { topk, questions: items.length, recall: round(found / items.length, 4) };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

/** P = exp(mean log-prob) of a scored target (eq. 3): the geometric mean of its token probabilities. */
export const geoMeanP = (lps: ArrayLike<number>) =>
  lps.length === 0 ? 0 : Math.exp(Array.from(lps).reduce((s, x) => s + x, 0) / lps.length);

function summarize(a: ModelAgent, n: number, rs: readonly Rollout[], seconds: number): EvalRow {
  const o200k = rs.filter((r) => r.o200k !== null).map((r) => r.o200k!);
  const memP = rs.flatMap((r) => (r.memory ?? []).map((m) => geoMeanP(m.memLogprobs)));
  return {
    agent: a.agent,
    weights: a.weights,
    retention: retentionName(a),
    n,
    tasks: rs.length,
    f1: round(mean(rs.map((r) => r.score.f1)), 2),
    em: round(mean(rs.map((r) => r.score.em)), 2),
    tt: round(mean(rs.map((r) => r.tt)), 1),
    pt: round(mean(rs.map((r) => r.pt)), 1),
    turns: round(mean(rs.map((r) => r.steps.length)), 2),
    answerRate: round(mean(rs.map((r) => (r.finish === "answer" ? 1 : 0))), 3),
    formatFailureRate: round(mean(rs.map((r) => (r.formatValid ? 0 : 1))), 3),
    seconds: round(seconds, 1),
    ...(o200k.length > 0
      ? { ttO200k: round(mean(o200k.map((u) => u.tt)), 1), ptO200k: round(mean(o200k.map((u) => u.pt)), 1) }
      : {}),
    ...(memP.length > 0 ? { memP: Number(mean(memP).toPrecision(4)), memories: memP.length } : {}),
  };
}

/** The scripted teacher on the same tasks (text episodes; TT/PT counted with our tokenizer). */
async function teacherRows(run: Run, data: Data, tok: Tokenizer): Promise<EvalRow[]> {
  const counter = codecCounter("ours", tok);
  const o200k = run.config.eval.o200k ? openaiCounter("o200k_base") : null;
  const rows: EvalRow[] = [];
  for (const retention of ["mem", "full"] as const)
    for (const { n, tasks } of data.eval) {
      const t0 = performance.now();
      const eps = await teacherEpisodes(data.evalWorld, run.config, tasks, retention);
      const usage = eps.map((e) => tokenUsage(e.turns, counter));
      const usageO200k = o200k ? eps.map((e) => tokenUsage(e.turns, o200k)) : [];
      rows.push({
        agent: retention === "mem" ? "teacher" : "teacher-full",
        weights: "scripted",
        retention,
        n,
        tasks: eps.length,
        f1: round(mean(eps.map((e) => e.score.f1)), 2),
        em: round(mean(eps.map((e) => e.score.em)), 2),
        tt: round(mean(usage.map((u) => u.tt)), 1),
        pt: round(mean(usage.map((u) => u.pt)), 1),
        turns: round(mean(eps.map((e) => e.turns.length)), 2),
        answerRate: round(mean(eps.map((e) => (e.finish === "answer" ? 1 : 0))), 3),
        formatFailureRate: round(mean(eps.map((e) => (e.formatValid ? 0 : 1))), 3),
        seconds: round((performance.now() - t0) / 1000, 1),
        ...(o200k
          ? {
              ttO200k: round(mean(usageO200k.map((u) => u.tt)), 1),
              ptO200k: round(mean(usageO200k.map((u) => u.pt)), 1),
            }
          : {}),
      });
    }
  return rows;
}
