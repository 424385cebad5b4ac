/**
 * The MemPO benchmark: the paper's central table in miniature. Per seed one SFT checkpoint, then GRPO
 * (A^M off) and MemPO with the same RL budget, and the trained ReAct baseline (SFT without `<mem>` on
 * the full history, GRPO with full retention); all evaluated on held-out tasks at N = 2…10. Writes, in
 * the experiment directory: report.md (table as mean ± std over seeds, per-N verdicts, the retention
 * ablation, P(gold | memory), plots), plots/*.svg|png, samples/<agent>.md (decoded episodes) and
 * logs/; and the results JSON (machine, load average, seeds, flags, every number) with a copy of the
 * report, plots and samples in the folder of the same name, for docs/benchmarks.md: results/out/mempo.json
 * (full), out/mempo-medium.json (git-ignored; report.ts publishes them with their folders to results/),
 * quick/mempo.json.
 *
 *   npx tsx benchmarks/mempo/main.ts --quick        # smoke-sized, 3 seeds: a few minutes on 2 cores
 *   npx tsx benchmarks/mempo/main.ts --mode medium  # the shipped base, a few hundred tasks: about an hour
 *   npx tsx benchmarks/mempo/main.ts                # the default profile, 3 seeds: hours (docs/benchmarks.md)
 *   npx tsx benchmarks/mempo/main.ts --seeds 2      # one seed of it (others in the folder are kept)
 *   npx tsx benchmarks/mempo/main.ts --jobs 1       # seeds one after another (default: side by side, see below)
 *   npx tsx benchmarks/mempo/main.ts --report-only --out DIR   # re-aggregate a finished experiment
 *   npx tsx benchmarks/report.ts                    # then: publish to results/ and regenerate docs/benchmarks.md
 * Flags: --quick (or MEMPO_BENCH_QUICK=1), --mode quick|medium|full, --out DIR (default benchmarks/mempo/runs/<mode>),
 * --seeds 1,2,3, --results FILE, --jobs N|auto (or MEMPO_BENCH_JOBS). Test: `npx vitest run mempo/mempo_test.ts` in
 * benchmarks/.
 *
 * Seeds side by side (`--jobs`, default `auto` = every seed at once while there are at most two seeds
 * per core, else one job per core): each seed's commands run in a child process of this script
 * (`--steps-only`) with the cores shared out (MEMPO_THREADS = cores / jobs, at least 1, unless
 * MEMPO_THREADS is set). On 2 cores two single-threaded seeds keep both cores busy without the thread
 * pool's end-of-kernel waits: the full experiment's seeds 2 and 3 took 59 and 60 min side by side, where
 * seed 1 alone on 2 threads took 82 (docs/experiments/mempo-full-2026-12-02.md). A third seed started
 * after two others runs alone on one thread with the other core idle (the thread count is fixed when a
 * seed starts): in a later full run seeds 1 and 2 took 66.6 and 66.1 min side by side and seed 3 then
 * 56.4 min alone, 122.5 min in all, where three at once would share the two cores for ≈ 95 min
 * (189 core-minutes / 2; estimated, not measured).
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { main as mempo } from "@mempo/trainer";
import { machineInfo, outDir, RESULTS_DIR } from "../mod.ts";
import { aggregate } from "./aggregate.ts";
import { type Mode, MODES, plan, runPlan, seedDir } from "./pipeline.ts";
import { plotSpecs, svgToPng, toSvg } from "./plots.ts";
import { memoryTable, resultsTable, sampleTranscripts, verdict } from "./report.ts";

const here = import.meta.dirname;

export interface BenchOptions {
  mode: Mode;
  out: string;
  seeds: number[];
  /** The results JSON; its plots go to `<results without .json>/`. */
  results: string;
  reportOnly: boolean;
  /** Seeds run side by side, each in its own process (default 1: in this process, one after another). */
  jobs?: number;
  /** Run the seeds' commands and write their seconds.json, no report (what a job's process does). */
  stepsOnly?: boolean;
}

/** Parses the bench's flags. @throws Error naming a bad flag or value. */
export function parseArgs(argv: readonly string[], env = process.env): BenchOptions {
  const at = argv.indexOf("--mode");
  const named = at >= 0 ? argv[at + 1] : undefined;
  if (named !== undefined && !(named in MODES))
    throw new Error(`mempo bench: --mode ${named}: use one of ${Object.keys(MODES).join(", ")}`);
  const mode: Mode =
    (named as Mode | undefined) ??
    (argv.includes("--quick") || env.MEMPO_BENCH_QUICK === "1" ? "quick" : "full");
  const o: BenchOptions = {
    mode,
    out: join(here, "runs", mode),
    seeds: [...MODES[mode].seeds],
    results: join(outDir(mode === "quick"), `mempo${mode === "medium" ? "-medium" : ""}.json`),
    reportOnly: argv.includes("--report-only"),
    stepsOnly: argv.includes("--steps-only"),
  };
  let jobs = env.MEMPO_BENCH_JOBS ?? "auto";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick" || a === "--report-only" || a === "--steps-only") continue;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`mempo bench: ${a} needs a value`);
    i++;
    if (a === "--mode") continue;
    if (a === "--out") o.out = resolve(v);
    else if (a === "--results") o.results = resolve(v);
    else if (a === "--seeds") {
      o.seeds = v.split(",").map((s) => {
        if (!/^\d+$/.test(s.trim())) throw new Error(`mempo bench: --seeds ${v}: use integers like 1,2,3`);
        return Number(s);
      });
    } else if (a === "--jobs") jobs = v;
    else
      throw new Error(
        `mempo bench: unknown flag ${a}; use --quick, --mode quick|medium|full, --out DIR, --seeds 1,2,3, --results FILE, --jobs N|auto, --report-only`,
      );
  }
  if (jobs === "auto") o.jobs = autoJobs(o.seeds.length, availableParallelism());
  else if (/^[1-9]\d*$/.test(jobs)) o.jobs = Number(jobs);
  else throw new Error(`mempo bench: --jobs ${jobs}: use a positive integer or auto (MEMPO_BENCH_JOBS too)`);
  return o;
}

/** `--jobs auto`: every seed at once up to two seeds per core (no core idles at the end), else one per core. */
export function autoJobs(seeds: number, cores: number): number {
  return Math.max(1, seeds <= 2 * cores ? seeds : cores);
}

/**
 * Runs each seed's commands in a child process of this script, at most `jobs` at a time, the cores
 * shared out between those running (MEMPO_THREADS, unless set); each writes its seconds.json. Rejects
 * naming the first seed that failed (the others are stopped) and where its logs are.
 */
async function runSeedsApart(o: BenchOptions, jobs: number): Promise<void> {
  const queue = [...o.seeds];
  const running = new Map<number, ReturnType<typeof spawn>>();
  const cores = availableParallelism();
  await new Promise<void>((resolveAll, rejectAll) => {
    let failed = false;
    const next = () => {
      if (failed) return;
      if (queue.length === 0 && running.size === 0) return resolveAll();
      while (running.size < jobs && queue.length > 0) {
        const seed = queue.shift()!;
        const share = Math.min(jobs, running.size + 1 + queue.length);
        const threads = process.env.MEMPO_THREADS ?? String(Math.max(1, Math.floor(cores / share)));
        const argv = ["--mode", o.mode, "--out", o.out, "--seeds", String(seed), "--steps-only"];
        const child = spawn(process.execPath, ["--import", "tsx", join(here, "main.ts"), ...argv], {
          cwd: dirname(here),
          env: { ...process.env, MEMPO_THREADS: threads },
          stdio: ["ignore", "pipe", "pipe"],
        });
        // through this process's streams (so whoever captures them, e.g. a test, sees the seeds' lines)
        child.stdout?.on("data", (b: Buffer) => process.stdout.write(b));
        child.stderr?.on("data", (b: Buffer) => process.stderr.write(b));
        running.set(seed, child);
        const done = (why: string | null) => {
          running.delete(seed);
          if (why !== null && !failed) {
            failed = true;
            for (const c of running.values()) c.kill("SIGTERM");
            return rejectAll(
              new Error(`mempo bench: seed ${seed} ${why}; its logs are in ${join(o.out, "logs")}`),
            );
          }
          next();
        };
        child.on("error", (e) => done(`could not start: ${e.message}`));
        child.on("exit", (code, signal) => done(code === 0 ? null : `exited with ${signal ?? code}`));
      }
    };
    next();
  });
}

/** Runs (unless reportOnly) and reports the experiment; resolves to the results object. */
export async function bench(o: BenchOptions): Promise<Record<string, unknown>> {
  const mode = o.mode;
  const m = MODES[mode];
  const load0 = loadavg();
  const t0 = performance.now();
  let seconds: Record<string, number> = {};
  const jobs = Math.min(o.jobs ?? 1, o.seeds.length);
  if (!o.reportOnly) {
    // only these seeds' directories are redone: an experiment can be run a seed at a time
    // (--seeds 1, then --seeds 2 …, then --report-only over all of them)
    for (const seed of o.seeds) rmSync(seedDir(o.out, seed), { recursive: true, force: true });
    if (jobs > 1 && !o.stepsOnly) {
      await runSeedsApart(o, jobs);
      seconds = Object.assign(
        {},
        ...o.seeds.map((seed) =>
          JSON.parse(readFileSync(join(seedDir(o.out, seed), "seconds.json"), "utf8")),
        ),
      );
    } else {
      const steps = plan({ ...m, seeds: o.seeds, out: o.out });
      ({ seconds } = await runPlan(steps, o.out, (argv) => mempo(argv)));
      for (const seed of o.seeds) {
        const own = Object.fromEntries(
          Object.entries(seconds).filter(([k]) => k.startsWith(`seed-${seed}/`)),
        );
        writeFileSync(join(seedDir(o.out, seed), "seconds.json"), `${JSON.stringify(own, null, 1)}\n`);
      }
    }
    if (o.stepsOnly) return { seconds };
  }
  let totalSeconds = Math.round((performance.now() - t0) / 100) / 10;
  // --report-only keeps what the run measured: its date, machine, load average and durations (from the
  // results file, else its committed copy where that is results/out/'s), and records when it re-aggregated
  let measured: Record<string, unknown> = {};
  const committed = join(RESULTS_DIR, basename(o.results));
  const prevFile = existsSync(o.results)
    ? o.results
    : dirname(o.results) === outDir(false) && existsSync(committed)
      ? committed
      : undefined;
  if (o.reportOnly && prevFile !== undefined) {
    const prev = JSON.parse(readFileSync(prevFile, "utf8")) as Record<string, unknown>;
    measured = {
      date: prev.date,
      reported: new Date().toISOString(),
      machine: prev.machine,
      loadavg: prev.loadavg,
      jobs: prev.jobs,
    };
    const sec = prev.seconds as { total: number; steps: Record<string, number> } | undefined;
    if (sec) ({ total: totalSeconds, steps: seconds } = sec);
  }
  if (o.reportOnly) {
    // each seed's step durations, as its run recorded them (seeds run separately included)
    const bySeed = o.seeds
      .map((seed) => join(seedDir(o.out, seed), "seconds.json"))
      .filter((f) => existsSync(f));
    if (bySeed.length === o.seeds.length) {
      seconds = Object.assign({}, ...bySeed.map((f) => JSON.parse(readFileSync(f, "utf8"))));
      totalSeconds = Math.round(Object.values(seconds).reduce((x, y) => x + y, 0) * 10) / 10;
    }
  }
  const a = aggregate(o.out, o.seeds);
  // plots: into the experiment directory, and beside the results JSON
  const plotsDir = join(o.out, "plots");
  const resultsPlots = o.results.replace(/\.json$/, "");
  for (const d of [plotsDir, resultsPlots]) mkdirSync(d, { recursive: true });
  const plots: string[] = [];
  for (const [name, spec] of Object.entries(plotSpecs(a))) {
    const svg = await toSvg(spec);
    const png = svgToPng(svg);
    for (const d of [plotsDir, resultsPlots]) {
      writeFileSync(join(d, `${name}.svg`), svg);
      writeFileSync(join(d, `${name}.png`), png);
    }
    plots.push(name);
  }
  // sample transcripts of the first seed
  const samplesDir = join(o.out, "samples");
  mkdirSync(samplesDir, { recursive: true });
  const samples: string[] = [];
  for (const agent of [...new Set(a.cells.map((c) => c.agent))]) {
    const md = sampleTranscripts(o.out, o.seeds[0]!, agent);
    if (md === null) continue;
    writeFileSync(join(samplesDir, `${agent}.md`), md);
    samples.push(agent);
  }
  const results = {
    bench: "mempo",
    mode,
    date: new Date().toISOString(),
    machine: machineInfo(),
    loadavg: { before: load0, after: loadavg() },
    flags: m.flags,
    lastK: m.lastK,
    experiment: o.out,
    seconds: { total: totalSeconds, steps: seconds },
    jobs: o.reportOnly ? undefined : jobs,
    ...measured,
    plots,
    samples,
    verdicts: a.comparisons.map((c) => ({ n: c.n, text: verdict(c, a.cells) })),
    ...a,
  };
  mkdirSync(dirname(o.results), { recursive: true });
  writeFileSync(o.results, `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(o.out, "report.md"), reportMarkdown(results, a, "plots"));
  // the report and samples beside the results JSON too (its plots are there): what gets committed
  writeFileSync(join(resultsPlots, "report.md"), reportMarkdown(results, a, "."));
  mkdirSync(join(resultsPlots, "samples"), { recursive: true });
  for (const s of samples) cpSync(join(samplesDir, `${s}.md`), join(resultsPlots, "samples", `${s}.md`));
  return results;
}

type Results = Awaited<ReturnType<typeof bench>> & Record<string, unknown>;

/** The experiment's report.md (also the body docs/benchmarks.md embeds, with `plotsRel` its plot folder). */
export function reportMarkdown(r: Results, a: ReturnType<typeof aggregate>, plotsRel: string): string {
  const machine = r.machine as ReturnType<typeof machineInfo>;
  const load = r.loadavg as { before: number[]; after: number[] };
  const secs = (r.seconds as { total: number }).total;
  const img = (name: string, alt: string) =>
    (r.plots as string[]).includes(name) ? [`![${alt}](${plotsRel}/${name}.svg)`, ""] : [];
  const retentionNs = [...new Set(a.cells.filter((c) => c.agent.startsWith("mempo-")).map((c) => c.n))];
  const cell = (agent: string, n: number) => a.cells.find((c) => c.agent === agent && c.n === n);
  return [
    `# MemPO benchmark (${String(r.mode)} mode)`,
    "",
    `${String(r.date).slice(0, 10)}; ${a.seeds.length} seeds (${a.seeds.join(", ")}); flags \`${(r.flags as string[]).join(" ")}\`; ` +
      `${machine.cpu}, ${machine.cores} cores, flags ${machine.flags.join(" ")}; Node ${machine.node}; ` +
      `load average ${load.before[0]!.toFixed(2)} → ${load.after[0]!.toFixed(2)}; ${(secs / 60).toFixed(1)} minutes` +
      `${typeof r.jobs === "number" && r.jobs > 1 ? ` (${r.jobs} seeds at a time, each in its own process)` : ""}.`,
    "",
    "Per seed: one SFT checkpoint; GRPO (A^M off) and MemPO from it with the same RL budget; the trained ReAct " +
      "baseline (SFT on the teacher's full-history turns without `<mem>`, then GRPO with full retention). Greedy " +
      "evaluation on held-out tasks (another world); mean ± std over seeds (sample std). TT: tokens processed per " +
      "episode; PT: peak context; in the run's tokenizer and in o200k_base.",
    "",
    "## MemPO against GRPO, and against the trained ReAct agent, per N",
    "",
    ...(r.verdicts as { n: number; text: string }[]).map((v) => `- **N = ${v.n}.** ${v.text}`),
    "",
    ...img("f1_vs_n", "F1 against N"),
    ...img("tt_vs_n", "TT against N"),
    "## Results",
    "",
    resultsTable(a.cells),
    "",
    "## Retention ablation (MemPO's weights)",
    "",
    ...retentionNs.map((n) => {
      const parts = a.cells
        .filter((c) => c.n === n && (c.agent === "mempo" || c.agent.startsWith("mempo-")))
        .map((c) => `${c.retention} F1 ${pm1(c.f1)}, TT ${c.tt.mean.toFixed(0)}`);
      return `- N = ${n}: ${parts.join("; ")}.`;
    }),
    "",
    ...img("retention_f1", "retention ablation F1"),
    ...img("retention_tt", "retention ablation TT"),
    "## Memories: P(gold | question, memory)",
    "",
    "Every `<mem>` the evaluated models wrote on the held-out tasks, scored by the model that wrote it (eq. 3); " +
      "ε is the same probability given the full history instead (eq. 4).",
    "",
    memoryTable(a),
    "",
    ...img("memory_p", "P(gold | memory) histograms"),
    "## RL curves",
    "",
    ...img("rl_curves", "RL reward and F1 against iteration"),
    ...(cell("mempo", a.cells[0]?.n ?? 0) ? [] : ["(no MemPO row: the pipeline did not finish)", ""]),
    "## Sample episodes",
    "",
    ...(r.samples as string[]).map((s) => `- [\`${s}\`](samples/${s}.md)`),
    "",
  ].join("\n");
}

const pm1 = (s: { mean: number; std: number }) => `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)}`;

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const r = await bench(o);
    if (o.stepsOnly) process.exit(0);
    console.log(
      `mempo bench: ${relative(process.cwd(), join(o.out, "report.md"))}, ${relative(process.cwd(), o.results)}`,
    );
    for (const v of r.verdicts as { n: number; text: string }[]) console.log(`N = ${v.n}: ${v.text}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
