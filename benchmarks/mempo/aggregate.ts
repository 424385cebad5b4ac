/**
 * Reads what the pipeline's runs wrote (eval.json, metrics.jsonl, transcripts.jsonl per seed and run)
 * and aggregates over seeds: per agent and N, F1 / EM / TT / PT (ours and o200k) as mean ± std (sample
 * std, n − 1); per N, MemPO − GRPO per seed and MemPO's TT over the trained ReAct agent's; the
 * P(gold | question, memory) of every memory the evaluated models wrote; the RL curves. Pure reads:
 * nothing here trains or evaluates. Test: mempo_test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalRow } from "@mempo/trainer";
import { seedDir } from "./pipeline.ts";

export interface Stat {
  mean: number;
  std: number;
  values: number[];
}

/** Mean and sample standard deviation (0 for one value). @throws on an empty sample. */
export function stat(values: readonly number[]): Stat {
  if (values.length === 0) throw new Error("stat: empty sample");
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const v = values.length < 2 ? 0 : values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(v), values: [...values] };
}

/** An eval.json row. */
type Row = EvalRow;

export interface Cell {
  agent: string;
  retention: string;
  n: number;
  tasks: number;
  f1: Stat;
  em: Stat;
  tt: Stat;
  pt: Stat;
  ttO200k: Stat | null;
  ptO200k: Stat | null;
  formatFailureRate: Stat;
  answerRate: Stat;
  memP: Stat | null;
}

export interface Comparison {
  n: number;
  /** MemPO − GRPO per seed (F1, EM). */
  f1Diff: Stat;
  emDiff: Stat;
  /** Seeds where MemPO's F1 is above / equal to / below GRPO's. */
  ahead: number;
  tied: number;
  behind: number;
  /** MemPO's TT / the trained ReAct agent's, per seed (ours; o200k); null without a react row. */
  ttRatioVsReact: Stat | null;
  ttRatioVsReactO200k: Stat | null;
}

export interface MemorySample {
  agent: string;
  seed: number;
  n: number;
  turn: number;
  /** P(gold | question, memory), eq. 3, scored by the model that wrote the memory. */
  p: number;
  /** ε: the same with the full history instead of the memory (eq. 4). */
  base: number;
}

export interface CurvePoint {
  algo: string;
  iteration: number;
  reward: Stat;
  f1: Stat;
}

export interface Aggregate {
  seeds: number[];
  cells: Cell[];
  comparisons: Comparison[];
  memories: MemorySample[];
  curves: CurvePoint[];
}

/** Agents in the order tables and plots show them. */
export const AGENT_ORDER = ["sft", "grpo", "mempo", "react", "react-sft", "teacher", "teacher-full"];
export const MAIN_AGENTS = ["sft", "grpo", "mempo", "react"];

const RUNS = ["mempo", "grpo", "react"] as const;

const readJsonl = (file: string): Record<string, unknown>[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

function evalRows(file: string): Row[] {
  if (!existsSync(file)) throw new Error(`mempo bench: ${file} is missing; did the eval step run?`);
  const rows = (JSON.parse(readFileSync(file, "utf8")) as { rows?: Row[] }).rows;
  if (!Array.isArray(rows)) throw new Error(`mempo bench: ${file}: no "rows" array (not a mempo eval.json)`);
  return rows;
}

/** Sort key of an agent: AGENT_ORDER, with MemPO's retention-ablation rows (mempo-full, …) after mempo. */
export const agentRank = (a: string) => {
  const i = AGENT_ORDER.indexOf(a);
  if (i >= 0) return i;
  return a.startsWith("mempo-") ? AGENT_ORDER.indexOf("mempo") + 0.5 : AGENT_ORDER.length;
};

/** Aggregates the experiment under `out` over `seeds`. */
export function aggregate(out: string, seeds: readonly number[]): Aggregate {
  const bySeed = new Map<string, Map<number, Row>>(); // `${agent}|${n}` → seed → row
  const memories: MemorySample[] = [];
  // algo → iteration → seed → point (a rerun's line of the same iteration replaces the earlier one)
  const rl = new Map<string, Map<number, Map<number, { reward: number; f1: number }>>>();
  for (const seed of seeds) {
    for (const run of RUNS) {
      const dir = join(seedDir(out, seed), run);
      for (const r of evalRows(join(dir, "eval.json"))) {
        const key = `${r.agent}|${r.n}`;
        if (!bySeed.has(key)) bySeed.set(key, new Map());
        bySeed.get(key)!.set(seed, r);
      }
      for (const t of readJsonl(join(dir, "transcripts.jsonl"))) {
        for (const m of (t.memoryP as { turn: number; p: number; base: number }[] | undefined) ?? [])
          memories.push({ agent: String(t.agent), seed, n: Number(t.n), turn: m.turn, p: m.p, base: m.base });
      }
      for (const m of readJsonl(join(dir, "metrics.jsonl"))) {
        if (m.stage !== "rl") continue;
        const algo = run === "react" ? "react" : String(m.algo);
        if (!rl.has(algo)) rl.set(algo, new Map());
        const it = Number(m.iteration);
        const at = rl.get(algo)!;
        if (!at.has(it)) at.set(it, new Map());
        at.get(it)!.set(seed, { reward: Number(m.reward), f1: Number(m.f1) });
      }
    }
  }
  const cells: Cell[] = [];
  for (const rows of bySeed.values()) {
    const rs = [...rows.values()];
    const first = rs[0]!;
    const opt = (k: "ttO200k" | "ptO200k" | "memP") =>
      rs.every((r) => r[k] !== undefined) ? stat(rs.map((r) => r[k]!)) : null;
    cells.push({
      agent: first.agent,
      retention: first.retention,
      n: first.n,
      tasks: first.tasks,
      f1: stat(rs.map((r) => r.f1)),
      em: stat(rs.map((r) => r.em)),
      tt: stat(rs.map((r) => r.tt)),
      pt: stat(rs.map((r) => r.pt)),
      ttO200k: opt("ttO200k"),
      ptO200k: opt("ptO200k"),
      formatFailureRate: stat(rs.map((r) => r.formatFailureRate)),
      answerRate: stat(rs.map((r) => r.answerRate)),
      memP: opt("memP"),
    });
  }
  cells.sort(
    (a, b) => a.n - b.n || agentRank(a.agent) - agentRank(b.agent) || a.agent.localeCompare(b.agent),
  );
  const ns = [...new Set(cells.map((c) => c.n))].sort((a, b) => a - b);
  const comparisons: Comparison[] = [];
  for (const n of ns) {
    const get = (agent: string) => bySeed.get(`${agent}|${n}`);
    const mempo = get("mempo");
    const grpo = get("grpo");
    if (!mempo || !grpo) continue;
    const both = seeds.filter((s) => mempo.has(s) && grpo.has(s));
    const d = both.map((s) => mempo.get(s)!.f1 - grpo.get(s)!.f1);
    const react = get("react");
    const withReact = react ? both.filter((s) => react.has(s) && react.get(s)!.tt > 0) : [];
    const ratio = (k: "tt" | "ttO200k") =>
      withReact.length > 0 && withReact.every((s) => react!.get(s)![k] && mempo.get(s)![k] !== undefined)
        ? stat(withReact.map((s) => mempo.get(s)![k]! / react!.get(s)![k]!))
        : null;
    comparisons.push({
      n,
      f1Diff: stat(d),
      emDiff: stat(both.map((s) => mempo.get(s)!.em - grpo.get(s)!.em)),
      ahead: d.filter((x) => x > 0).length,
      tied: d.filter((x) => x === 0).length,
      behind: d.filter((x) => x < 0).length,
      ttRatioVsReact: ratio("tt"),
      ttRatioVsReactO200k: ratio("ttO200k"),
    });
  }
  const curves: CurvePoint[] = [];
  for (const [algo, its] of rl)
    for (const [iteration, bySeedPt] of [...its.entries()].sort((a, b) => a[0] - b[0])) {
      const pts = [...bySeedPt.values()];
      curves.push({
        algo,
        iteration,
        reward: stat(pts.map((p) => p.reward)),
        f1: stat(pts.map((p) => p.f1)),
      });
    }
  return { seeds: [...seeds], cells, comparisons, memories, curves };
}
