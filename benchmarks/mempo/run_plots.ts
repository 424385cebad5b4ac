/**
 * Plots for one trainer run directory (`mempo train` / `mempo eval`): F1 and TT against N per agent,
 * the RL curve, and the P(gold | memory) histogram when eval scored memories (`--eval.memoryScores`),
 * written to `<run>/plots/*.svg|png` and embedded in the run's report.md (a "Plots" section, replaced
 * on every call). The same plots as the experiment's, over one seed.
 *
 *   npx tsx benchmarks/mempo/run_plots.ts --run runs/2026-…
 *
 * Test: mempo_test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalRow } from "@mempo/trainer";
import { type Aggregate, type Cell, type CurvePoint, type MemorySample, stat } from "./aggregate.ts";
import { plotSpecs, svgToPng, toSvg } from "./plots.ts";

const readJsonl = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

/** An eval.json row. */
type Row = EvalRow;

/** One run's evaluation, RL curve and memory scores as a one-seed Aggregate. */
export function runAggregate(dir: string): Aggregate {
  const file = join(dir, "eval.json");
  if (!existsSync(file)) throw new Error(`run plots: ${file} is missing; run mempo eval --run ${dir} first`);
  const rows = (JSON.parse(readFileSync(file, "utf8")) as { rows?: Row[] }).rows;
  if (!Array.isArray(rows)) throw new Error(`run plots: ${file} has no "rows" (not a mempo eval.json)`);
  const one = (x: number | undefined) => (x === undefined ? null : stat([x]));
  const cells: Cell[] = rows.map((r) => ({
    agent: r.agent,
    retention: r.retention,
    n: r.n,
    tasks: r.tasks,
    f1: stat([r.f1]),
    em: stat([r.em]),
    tt: stat([r.tt]),
    pt: stat([r.pt]),
    ttO200k: one(r.ttO200k),
    ptO200k: one(r.ptO200k),
    formatFailureRate: stat([r.formatFailureRate]),
    answerRate: stat([r.answerRate]),
    memP: one(r.memP),
  }));
  const curves: CurvePoint[] = readJsonl(join(dir, "metrics.jsonl"))
    .filter((m) => m.stage === "rl")
    .map((m) => ({
      algo: String(m.algo),
      iteration: Number(m.iteration),
      reward: stat([Number(m.reward)]),
      f1: stat([Number(m.f1)]),
    }));
  const memories: MemorySample[] = readJsonl(join(dir, "transcripts.jsonl")).flatMap((t) =>
    ((t.memoryP as { turn: number; p: number; base: number }[] | undefined) ?? []).map((m) => ({
      agent: String(t.agent),
      seed: 0,
      n: Number(t.n),
      turn: m.turn,
      p: m.p,
      base: m.base,
    })),
  );
  return { seeds: [0], cells, comparisons: [], memories, curves };
}

const MARK = "\n## Plots\n";

/** Writes the run's plots and (re)writes the Plots section of its report.md; returns the plot names. */
export async function plotRun(dir: string): Promise<string[]> {
  const a = runAggregate(dir);
  const out = join(dir, "plots");
  mkdirSync(out, { recursive: true });
  const names: string[] = [];
  for (const [name, spec] of Object.entries(plotSpecs(a))) {
    if (!hasData(name, a)) continue;
    const svg = await toSvg(spec);
    writeFileSync(join(out, `${name}.svg`), svg);
    writeFileSync(join(out, `${name}.png`), svgToPng(svg));
    names.push(name);
  }
  const report = join(dir, "report.md");
  const before = existsSync(report) ? readFileSync(report, "utf8") : "# mempo run report\n";
  const at = before.indexOf(MARK);
  const body = at < 0 ? before.trimEnd() : before.slice(0, at).trimEnd();
  const section = names.map((n) => `![${n}](plots/${n}.svg)`).join("\n\n");
  writeFileSync(report, `${body}\n${MARK}\n${section}\n`);
  return names;
}

/** The retention plots need the ablation rows; the others have their own data checks in plotSpecs. */
function hasData(name: string, a: Aggregate): boolean {
  if (name.startsWith("retention_"))
    return a.cells.some((c) => /^(mempo|grpo)-(last\d+|full)$/.test(c.agent));
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--run");
  const dir = i > 0 ? process.argv[i + 1] : undefined;
  if (!dir) {
    console.error("run plots: pass the run directory: --run DIR");
    process.exitCode = 2;
  } else {
    try {
      console.log(
        `run plots: ${(await plotRun(dir)).join(", ")} → ${join(dir, "plots")}, ${join(dir, "report.md")}`,
      );
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
  }
}
