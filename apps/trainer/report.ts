/**
 * The evaluation table: printed to the console, written as eval.json (rows + the resolved config)
 * and report.md (the table, plus the SFT and RL curves summarised from metrics.jsonl). Every number
 * comes from this run's files; nothing is typed in by hand.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Run } from "./run_dir.ts";

/** One agent on the held-out N-objective tasks. */
export interface EvalRow {
  agent: string;
  /** Checkpoint evaluated ("sft", "rl") or "scripted" for the teacher. */
  weights: string;
  /** Context retention: mem, full, last-<k>. */
  retention: string;
  /** Objectives per task. */
  n: number;
  tasks: number;
  /** F1 / EM ×100 under `data.scoring`, mean over tasks. */
  f1: number;
  em: number;
  /** Mean tokens processed over an episode / mean peak context (our tokenizer). */
  tt: number;
  pt: number;
  turns: number;
  answerRate: number;
  formatFailureRate: number;
  seconds: number;
  /** TT / PT counted with o200k_base (--eval.o200k). */
  ttO200k?: number;
  ptO200k?: number;
  /** Mean P(gold | question, memory) over the episodes' memories, and how many (--eval.memoryScores). */
  memP?: number;
  memories?: number;
}

const COLUMNS: [string, (r: EvalRow) => string][] = [
  ["agent", (r) => r.agent],
  ["weights", (r) => r.weights],
  ["retention", (r) => r.retention],
  ["N", (r) => String(r.n)],
  ["tasks", (r) => String(r.tasks)],
  ["F1", (r) => r.f1.toFixed(1)],
  ["EM", (r) => r.em.toFixed(1)],
  ["TT", (r) => r.tt.toFixed(0)],
  ["PT", (r) => r.pt.toFixed(0)],
  ["turns", (r) => r.turns.toFixed(1)],
  ["answered", (r) => `${(100 * r.answerRate).toFixed(0)}%`],
  ["format fail", (r) => `${(100 * r.formatFailureRate).toFixed(0)}%`],
];

/** Columns shown only when some row has them (--eval.o200k, --eval.memoryScores). */
const OPTIONAL: [string, (r: EvalRow) => string, (r: EvalRow) => boolean][] = [
  ["TT o200k", (r) => r.ttO200k?.toFixed(0) ?? "", (r) => r.ttO200k !== undefined],
  ["PT o200k", (r) => r.ptO200k?.toFixed(0) ?? "", (r) => r.ptO200k !== undefined],
  ["P(gold|mem)", (r) => r.memP?.toFixed(4) ?? "", (r) => r.memP !== undefined],
];

const columns = (rows: readonly EvalRow[]): [string, (r: EvalRow) => string][] => [
  ...COLUMNS,
  ...OPTIONAL.filter(([, , has]) => rows.some(has)).map(
    ([h, f]) => [h, f] as [string, (r: EvalRow) => string],
  ),
];

/** Rows sorted by N, then in evaluation order. */
const byN = (rows: readonly EvalRow[]) => [...rows].sort((a, b) => a.n - b.n);

/** A fixed-width console table. */
export function textTable(rows: readonly EvalRow[]): string {
  const COLUMNS = columns(rows);
  const cells = [COLUMNS.map(([h]) => h), ...byN(rows).map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, j) => Math.max(...cells.map((c) => c[j]!.length)));
  return cells
    .map((c) => c.map((s, j) => (j < 3 ? s.padEnd(widths[j]!) : s.padStart(widths[j]!))).join("  "))
    .join("\n");
}

/** A Markdown table. */
export function markdownTable(rows: readonly EvalRow[]): string {
  const COLUMNS = columns(rows);
  const head = `| ${COLUMNS.map(([h]) => h).join(" | ")} |`;
  const rule = `|${COLUMNS.map((_, j) => (j < 3 ? "---" : "---:")).join("|")}|`;
  return [head, rule, ...byN(rows).map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(" | ")} |`)].join("\n");
}

/** Reads metrics.jsonl (empty when absent) as the run stands now: see {@link currentMetrics}. */
export function readMetrics(run: Run): Record<string, unknown>[] {
  const p = run.path("metrics");
  if (!existsSync(p)) return [];
  return currentMetrics(
    readFileSync(p, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

/**
 * The SFT, learning-curve and RL lines of the checkpoints as they stand after reruns and resumes: per
 * stage, a later attempt's line replaces an earlier one of the same step, and steps past the latest
 * attempt's last one (left by an earlier, longer attempt) are dropped. Other lines pass through.
 */
export function currentMetrics(metrics: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const stepOf = (m: Record<string, unknown>) => Number(m.stage === "rl" ? m.iteration : m.step);
  const kept = new Map<string, Map<number, Record<string, unknown>>>();
  const lastAttempt = new Map<string, number>();
  const out: Record<string, unknown>[] = [];
  for (const m of metrics) {
    const stage = String(m.stage);
    if (stage !== "sft" && stage !== "sft-eval" && stage !== "rl") {
      out.push(m);
      continue;
    }
    const attempt = Number(m.attempt ?? 1);
    if (attempt > (lastAttempt.get(stage) ?? 0)) {
      // a new attempt of this stage: it replaces every step from its first one on
      const byStep = kept.get(stage) ?? new Map<number, Record<string, unknown>>();
      for (const k of byStep.keys()) if (k >= stepOf(m)) byStep.delete(k);
      kept.set(stage, byStep);
      lastAttempt.set(stage, attempt);
    }
    kept.get(stage)!.set(stepOf(m), m);
  }
  for (const byStep of kept.values())
    out.push(...[...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m));
  return out;
}

/** Training curves in a few lines: SFT loss first/last, RL reward and F1 over the first and last iterations. */
export function trainingSummary(metrics: readonly Record<string, unknown>[]): string[] {
  const out: string[] = [];
  const num = (r: Record<string, unknown>, k: string) => Number(r[k]);
  const avg = (rs: Record<string, unknown>[], k: string) => rs.reduce((s, r) => s + num(r, k), 0) / rs.length;
  const sft = metrics.filter((m) => m.stage === "sft");
  if (sft.length > 0) {
    const k = Math.min(10, sft.length);
    out.push(
      `SFT: ${sft.length} steps; loss (mean of ${k} steps) ${avg(sft.slice(0, k), "loss").toFixed(3)} at the start → ` +
        `${avg(sft.slice(-k), "loss").toFixed(3)} at the end.`,
    );
  }
  const rl = metrics.filter((m) => m.stage === "rl");
  if (rl.length > 0) {
    const k = Math.max(1, Math.min(3, Math.floor(rl.length / 2)));
    const f = (rs: Record<string, unknown>[]) =>
      `reward ${avg(rs, "reward").toFixed(3)}, F1 ${avg(rs, "f1").toFixed(1)}, format failures ${(100 * avg(rs, "formatFailureRate")).toFixed(0)}%, ` +
      `groups with equal rewards ${(100 * avg(rs, "zeroStdGroupFraction")).toFixed(0)}%, |A^M| ${avg(rs, "absMemoryAdvantage").toFixed(3)}`;
    out.push(
      `RL (${String(rl[0]!.algo)}): ${rl.length} iterations; first ${k}: ${f(rl.slice(0, k))}; last ${k}: ${f(rl.slice(-k))}.`,
    );
  }
  return out;
}

/** The learning curve (held-out F1 during SFT) and the RL curve (per iteration), as Markdown tables. */
export function curveTables(metrics: readonly Record<string, unknown>[]): string[] {
  const out: string[] = [];
  const curve = metrics.filter((m) => m.stage === "sft-eval");
  if (curve.length > 0) {
    out.push(
      "### Learning curve (SFT)",
      "",
      `Greedy F1 on the first ${String(curve[0]!.tasks)} held-out N = ${String(curve[0]!.n)} tasks during SFT ` +
        "(minutes since the run started, evaluation time included).",
      "",
      "| SFT step | minutes | held-out F1 |",
      "|---:|---:|---:|",
      ...curve.map((m) => `| ${m.step} | ${Number(m.minutes).toFixed(1)} | ${Number(m.f1).toFixed(1)} |`),
      "",
    );
  }
  const rl = metrics.filter((m) => m.stage === "rl");
  if (rl.length > 0) {
    out.push(
      "### RL curve",
      "",
      "Per iteration, over its sampled rollouts (temperature `rl.temperature`): trajectory reward, F1, the share of " +
        "groups whose rewards were all equal (no GRPO signal), mean |A^M|, KL to the SFT reference.",
      "",
      "| iteration | reward | F1 | format fail | equal-reward groups | mean |A^M| | KL |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      ...rl.map(
        (m) =>
          `| ${m.iteration} | ${Number(m.reward).toFixed(3)} | ${Number(m.f1).toFixed(1)} | ` +
          `${(100 * Number(m.formatFailureRate)).toFixed(0)}% | ${(100 * Number(m.zeroStdGroupFraction)).toFixed(0)}% | ` +
          `${Number(m.absMemoryAdvantage).toFixed(3)} | ${Number(m.refKl).toFixed(4)} |`,
      ),
      "",
    );
  }
  return out;
}

/** How often the retriever alone finds a gold alias in its top-k (eval.ts, retrievalRecall). */
export interface RetrievalLine {
  topk: number;
  questions: number;
  recall: number;
}

export async function writeEvalReport(
  run: Run,
  rows: readonly EvalRow[],
  retrieval: RetrievalLine | null = null,
): Promise<void> {
  const table = textTable(rows);
  const c = run.config;
  const scoring = c.data.scoring;
  const searched = c.data.retriever !== "" ? `the retrieval server ${c.data.retriever}` : "BM25";
  run.log(`\neval (held-out tasks, greedy; ${scoring} scoring):\n${table}\n`);
  writeFileSync(
    run.path("eval"),
    `${JSON.stringify({ scoring, retriever: searched, rows, retrieval, config: run.config }, null, 2)}\n`,
  );
  const where =
    c.data.qa !== ""
      ? `The tasks are ${c.data.qa}'s questions, MEM1-style (N per task), searched with ${searched}. `
      : `The tasks are about a held-out world (seed ${c.data.evalWorldSeed}; training world seed ${c.data.worldSeed}): ` +
        "no entity was seen in training. ";
  const scoringText =
    scoring === "mem1"
      ? "MEM1 scoring (eval.py: punctuation → space, articles kept, token-set F1)"
      : "SQuAD scoring, as Search-R1 (punctuation and articles removed, multiset token F1)";
  const md = [
    `# mempo run report`,
    "",
    `Run directory: \`${run.dir}\` (profile \`${c.profile}\`, model \`${c.model.from || c.model.preset}\`, base \`${c.model.base || "none"}\`, backend \`${c.backend}\`).`,
    "",
    "## Training",
    "",
    ...trainingSummary(readMetrics(run)).map((l) => `- ${l}`),
    "",
    ...curveTables(readMetrics(run)),
    "## Evaluation on held-out tasks",
    "",
    `Greedy decoding (temperature ${c.eval.temperature}), one episode per task, turn budget ` +
      `${c.data.turnsPerObjective}·N + ${c.data.extraTurns}, top-${c.data.topk} passages per search. ` +
      where +
      `F1/EM: ${scoringText} ×100. TT: tokens processed over an episode (Σ prompt + response per turn); ` +
      "PT: peak single-turn context; both with this run's tokenizer. `<algo>-full` / `-last<k>` = the RL " +
      "weights with the full history / the last k turns kept (the retention ablation); `react` = the agent trained " +
      "without `<mem>` on the full history (`--agent.kind react`); `teacher` = the scripted teacher with this run's " +
      "imperfection settings.",
    "",
    markdownTable(rows),
    "",
    ...(retrieval
      ? [
          `Retrieval alone: a gold alias is in the top-${retrieval.topk} passages of ${(100 * retrieval.recall).toFixed(1)}% ` +
            `of the ${retrieval.questions} held-out questions (each searched on its own).`,
          "",
        ]
      : []),
  ].join("\n");
  writeFileSync(run.path("report"), md);
}
