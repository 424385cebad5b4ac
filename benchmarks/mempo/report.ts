/**
 * The MemPO benchmark's words: the results table (mean ± std over seeds), the per-N verdicts (does
 * MemPO beat GRPO, by how much, with the spread; MemPO's TT against the trained ReAct agent's), the
 * memory-probability summary and sample transcripts. Every sentence is computed from the numbers —
 * nothing is typed in — so the report says whatever the run found. Test: mempo_test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Aggregate, agentRank, type Cell, type Comparison, type Stat } from "./aggregate.ts";
import { seedDir } from "./pipeline.ts";

const pm = (s: Stat, d = 1) => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;
const signed = (x: number, d = 1) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(d)}`;

/** F1 below this (×100) for both agents: the models have not learned the task at this N. */
export const UNLEARNED_F1 = 5;

/** The results table, one row per agent and N. */
export function resultsTable(cells: readonly Cell[]): string {
  const o200k = cells.some((c) => c.ttO200k);
  const head = [
    "N",
    "agent",
    "retention",
    "F1",
    "EM",
    "TT",
    "PT",
    ...(o200k ? ["TT o200k", "PT o200k"] : []),
    "format fail",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i > 0 && i < 3 ? "---" : "---:")).join("|")}|`,
  ];
  for (const c of cells)
    lines.push(
      `| ${[
        c.n,
        `\`${c.agent}\``,
        c.retention,
        pm(c.f1),
        pm(c.em),
        pm(c.tt, 0),
        pm(c.pt, 0),
        ...(o200k ? [c.ttO200k ? pm(c.ttO200k, 0) : "", c.ptO200k ? pm(c.ptO200k, 0) : ""] : []),
        `${(100 * c.formatFailureRate.mean).toFixed(0)}%`,
      ].join(" | ")} |`,
    );
  return lines.join("\n");
}

/** One plain sentence per N on MemPO against GRPO, from the per-seed differences. */
export function verdict(c: Comparison, cells: readonly Cell[]): string {
  const cell = (agent: string) => cells.find((x) => x.agent === agent && x.n === c.n);
  const m = cell("mempo")!;
  const g = cell("grpo")!;
  const seeds = c.f1Diff.values.length;
  const diff = `${signed(c.f1Diff.mean)} F1 (± ${c.f1Diff.std.toFixed(1)} over ${seeds} seeds; EM ${signed(c.emDiff.mean)} ± ${c.emDiff.std.toFixed(1)})`;
  const scores = `MemPO ${pm(m.f1)} vs GRPO ${pm(g.f1)}`;
  let s: string;
  if (c.ahead === seeds) s = `MemPO beats GRPO in every seed: ${diff}; ${scores}.`;
  else if (c.behind === seeds)
    s = `MemPO does not beat GRPO: it is behind in every seed, ${diff}; ${scores}.`;
  else if (c.tied === seeds) s = `MemPO and GRPO tie in every seed (${scores}).`;
  else if (c.f1Diff.mean > 0)
    s = `MemPO is ahead of GRPO on average but not consistently (ahead in ${c.ahead}, behind in ${c.behind}, tied in ${c.tied} of ${seeds} seeds): ${diff}; ${scores}.`;
  else
    s = `MemPO does not beat GRPO (ahead in ${c.ahead}, behind in ${c.behind}, tied in ${c.tied} of ${seeds} seeds): ${diff}; ${scores}.`;
  if (Math.abs(c.f1Diff.mean) <= c.f1Diff.std && c.tied !== seeds && seeds > 1)
    s += " The difference is within one standard deviation of the seeds.";
  if (m.f1.mean < UNLEARNED_F1 && g.f1.mean < UNLEARNED_F1)
    s += ` Both are below ${UNLEARNED_F1} F1: the models have not learned the task at this N, so this says nothing about the algorithms yet.`;
  const r = cell("react");
  if (c.ttRatioVsReact && r) {
    const x = c.ttRatioVsReact;
    const fewer =
      x.mean < 1 ? `${(100 * (1 - x.mean)).toFixed(0)}% fewer` : `${(100 * (x.mean - 1)).toFixed(0)}% more`;
    const ofMeans = m.tt.mean / r.tt.mean;
    const range = `${Math.min(...x.values).toFixed(2)}–${Math.max(...x.values).toFixed(2)}×`;
    s +=
      ` Tokens: MemPO processes ${x.mean.toFixed(2)} ± ${x.std.toFixed(2)}× the trained ReAct agent's TT (${fewer}; ` +
      `per seed ${range}; mean TT ${m.tt.mean.toFixed(0)} vs ${r.tt.mean.toFixed(0)} tokens per episode, ${ofMeans.toFixed(2)}×` +
      (c.ttRatioVsReactO200k ? `; ${c.ttRatioVsReactO200k.mean.toFixed(2)}× in o200k tokens` : "") +
      `) at F1 ${m.f1.mean.toFixed(1)} vs ${r.f1.mean.toFixed(1)}.`;
    if ((x.mean - 1) * (ofMeans - 1) < 0)
      s +=
        " The mean of the seeds' ratios and the ratio of the mean TTs point opposite ways: a seed whose episodes are very short or very long dominates one of them.";
    if (m.f1.mean < UNLEARNED_F1 && r.f1.mean < UNLEARNED_F1)
      s +=
        " With neither agent solving the tasks, tokens measure how each fails (answering at once, or running out of turns), not what memory saves.";
  }
  return s;
}

/** Quantiles of a sample (nearest rank). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}

/** The memory-probability summary: per agent, how many memories and their P quantiles. */
export function memoryTable(a: Aggregate): string {
  const agents = [...new Set(a.memories.map((m) => m.agent))].sort((x, y) => agentRank(x) - agentRank(y));
  if (agents.length === 0)
    return "No memories were scored (the evaluated agents wrote no well-formed `<mem>`).";
  const fmt = (x: number) => (x >= 0.01 ? x.toFixed(3) : x.toExponential(1));
  const lines = [
    "| agent | memories | median P | 90th pct P | mean P | mean P − ε | P > ε |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const agent of agents) {
    const ms = a.memories.filter((m) => m.agent === agent);
    const ps = ms.map((m) => m.p);
    const mean = ps.reduce((s, x) => s + x, 0) / ps.length;
    const gain = ms.reduce((s, m) => s + m.p - m.base, 0) / ms.length;
    const above = ms.filter((m) => m.p > m.base).length / ms.length;
    lines.push(
      `| \`${agent}\` | ${ms.length} | ${fmt(quantile(ps, 0.5))} | ${fmt(quantile(ps, 0.9))} | ${fmt(mean)} | ${signed(gain, 4)} | ${(100 * above).toFixed(0)}% |`,
    );
  }
  return lines.join("\n");
}

/** Where each agent's transcripts are, by run directory. */
const AGENT_RUN: Record<string, string> = { grpo: "grpo", react: "react", "react-sft": "react" };
const runOf = (agent: string) => AGENT_RUN[agent] ?? "mempo";

/**
 * Sample episodes of one agent (the first task of each N, seed `seed`) as Markdown: each turn's
 * decoded response, its `<mem>` and that memory's P(gold | memory), and the observation it got.
 */
export function sampleTranscripts(out: string, seed: number, agent: string, perN = 1): string | null {
  const file = join(seedDir(out, seed), runOf(agent), "transcripts.jsonl");
  if (!existsSync(file)) return null;
  const eps = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((t) => t.agent === agent);
  if (eps.length === 0) return null;
  const lines = [`# Sample episodes: \`${agent}\` (seed ${seed})`, ""];
  const seen = new Map<number, number>();
  for (const e of eps) {
    const n = Number(e.n);
    if ((seen.get(n) ?? 0) >= perN) continue;
    seen.set(n, (seen.get(n) ?? 0) + 1);
    const mp = new Map(
      ((e.memoryP as { turn: number; p: number; base: number }[]) ?? []).map((m) => [m.turn, m]),
    );
    lines.push(
      `## N = ${n}, task ${String(e.task)}: F1 ${Number(e.f1).toFixed(1)}, finish ${String(e.finish)}`,
      "",
      `Gold: ${(e.golden as string[]).join("; ")}. Answers: ${e.answers ? (e.answers as string[]).join("; ") : "none"}.`,
      "",
    );
    (e.responses as string[]).forEach((resp, t) => {
      const m = mp.get(t);
      const mem = /<mem>([\s\S]*?)<\/mem>/.exec(resp)?.[1]?.trim();
      lines.push(`### turn ${t + 1}`, "");
      if (mem !== undefined)
        lines.push(
          `memory${m ? ` — P(gold | memory) = ${m.p.toExponential(2)}, ε (full history) = ${m.base.toExponential(2)}` : ""}:`,
          "",
          "```",
          mem,
          "```",
          "",
        );
      lines.push("response:", "", "```", resp, "```", "");
      const obs = (e.observations as string[])[t];
      if (obs) lines.push("observation:", "", "```", obs.trim(), "```", "");
    });
  }
  return lines.join("\n");
}
