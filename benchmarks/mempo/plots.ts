/**
 * Plots of the MemPO benchmark as Vega-Lite specs, rendered headless: Vega-Lite → Vega → an SVG
 * string (vega's `View.toSVG`, no browser, no canvas) → PNG (@resvg/resvg-js, the system's fonts).
 * Each plot is a pure function of the aggregated results, so the same numbers always give the same
 * picture. Test: `npx vitest run mempo/mempo_test.ts` (in benchmarks/).
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { type Aggregate, type Cell, MAIN_AGENTS } from "./aggregate.ts";

/** Renders a Vega-Lite spec to an SVG string (headless: no DOM, no canvas; text widths estimated). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG string to PNG bytes at `scale`× (fonts: the system's, DejaVu Sans on Debian). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Mean ± std against N for some agents: a line per agent with error bars. */
function vsN(
  cells: readonly Cell[],
  agents: readonly string[],
  key: "f1" | "tt",
  title: string,
): TopLevelSpec {
  const values = cells
    .filter((c) => agents.includes(c.agent))
    .map((c) => ({
      agent: c.agent,
      N: c.n,
      mean: c[key].mean,
      lo: c[key].mean - c[key].std,
      hi: c[key].mean + c[key].std,
    }));
  const color = { field: "agent", type: "nominal", sort: [...agents], title: "agent" } as const;
  return {
    $schema: SCHEMA,
    title,
    width: 320,
    height: 220,
    data: { values },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "N", type: "quantitative", title: "objectives N", scale: { zero: false } },
          y: {
            field: "mean",
            type: "quantitative",
            title: key === "f1" ? "F1 (mean ± std over seeds)" : "TT, tokens per episode",
          },
          color,
        },
      },
      {
        mark: { type: "errorbar", ticks: true },
        encoding: {
          x: { field: "N", type: "quantitative" },
          y: { field: "lo", type: "quantitative" },
          y2: { field: "hi" },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}

/** RL reward and F1 against iteration per algorithm (mean over seeds, ± std band). */
function curves(a: Aggregate): TopLevelSpec {
  const values = a.curves.flatMap((p) =>
    (["reward", "f1"] as const).map((k) => ({
      algo: p.algo,
      iteration: p.iteration,
      metric: k === "reward" ? "reward (eq. 1)" : "F1 of the rollouts",
      mean: p[k].mean,
      lo: p[k].mean - p[k].std,
      hi: p[k].mean + p[k].std,
    })),
  );
  return {
    $schema: SCHEMA,
    title: "RL training curves (sampled rollouts)",
    data: { values },
    facet: { column: { field: "metric", type: "nominal", title: null } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: "errorband", opacity: 0.2 },
          encoding: {
            x: { field: "iteration", type: "quantitative" },
            y: { field: "lo", type: "quantitative", title: "mean over seeds" },
            y2: { field: "hi" },
            color: { field: "algo", type: "nominal" },
          },
        },
        {
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "iteration", type: "quantitative" },
            y: { field: "mean", type: "quantitative" },
            color: { field: "algo", type: "nominal" },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** Histograms of log10 P(gold | question, memory) per agent, on the same held-out tasks. */
function memoryHistogram(a: Aggregate, agents: readonly string[]): TopLevelSpec {
  const values = a.memories
    .filter((m) => agents.includes(m.agent))
    .map((m) => ({ agent: m.agent, logp: Math.log10(Math.max(m.p, 1e-12)) }));
  return {
    $schema: SCHEMA,
    title: "P(gold | question, memory) of the evaluated episodes' memories",
    data: { values },
    facet: { row: { field: "agent", type: "nominal", sort: [...agents], title: null } },
    spec: {
      width: 360,
      height: 90,
      mark: { type: "bar" },
      encoding: {
        x: { field: "logp", type: "quantitative", bin: { maxbins: 30 }, title: "log10 P(gold | memory)" },
        y: { aggregate: "count", type: "quantitative", title: "memories" },
        color: { field: "agent", type: "nominal", legend: null },
      },
    },
  } as TopLevelSpec;
}

/** Every plot of the report: name → Vega-Lite spec (skipping plots without data). */
export function plotSpecs(a: Aggregate): Record<string, TopLevelSpec> {
  const out: Record<string, TopLevelSpec> = {};
  const agents = MAIN_AGENTS.filter((x) => a.cells.some((c) => c.agent === x));
  out.f1_vs_n = vsN(a.cells, agents, "f1", "F1 on held-out tasks against N");
  out.tt_vs_n = vsN(a.cells, agents, "tt", "Tokens processed per episode (TT) against N");
  // the retention ablation of the RL model: MemPO's (the experiment), or the run's algorithm
  const algo = a.cells.some((c) => c.agent === "mempo") ? "mempo" : "grpo";
  const ablation = new RegExp(`^${algo}-(last\\d+|full)$`);
  const retention = [algo, ...new Set(a.cells.map((c) => c.agent).filter((x) => ablation.test(x)))];
  const label = algo === "mempo" ? "MemPO" : "GRPO";
  out.retention_f1 = vsN(a.cells, retention, "f1", `Retention ablation (${label} weights): F1`);
  out.retention_tt = vsN(a.cells, retention, "tt", `Retention ablation (${label} weights): TT`);
  if (a.curves.length > 0) out.rl_curves = curves(a);
  const memAgents = ["sft", "grpo", "mempo"].filter((x) => a.memories.some((m) => m.agent === x));
  if (memAgents.length > 0) out.memory_p = memoryHistogram(a, memAgents);
  return out;
}
