/**
 * The MemPO benchmark: its plan (what each agent gets), the statistics and the generated verdicts on
 * hand-made numbers, and the quick mode end to end (3 seeds of the smoke profile, a few minutes on 2
 * cores): report.md, plots, samples and a results JSON whose every mean is its seeds' eval.json rows.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Cell, type Comparison, stat } from "./aggregate.ts";
import { autoJobs, bench, parseArgs } from "./main.ts";
import { MODES, plan, seedDir } from "./pipeline.ts";
import { verdict } from "./report.ts";
import { plotRun } from "./run_plots.ts";

describe("plan", () => {
  const steps = plan({ ...MODES.quick, out: "/x" });
  const argv = (seed: number, name: string) => {
    const s = steps.find((x) => x.seed === seed && x.name === name);
    if (!s || !("argv" in s)) throw new Error(`no command ${seed}/${name}`);
    return s.argv;
  };
  it("trains one SFT checkpoint per seed; GRPO and MemPO start from copies of it with the same flags", () => {
    for (const seed of MODES.quick.seeds) {
      const names = steps.filter((s) => s.seed === seed).map((s) => s.name);
      expect(names.filter((n) => n.endsWith("-sft"))).toEqual(["mem-sft", "react-sft"]);
      // the copies come after the SFT they copy
      expect(names.indexOf("grpo-copy")).toBeGreaterThan(names.indexOf("mem-sft"));
      expect(names.indexOf("mempo-copy")).toBeGreaterThan(names.indexOf("mem-sft"));
      const grpo = argv(seed, "grpo-rl").map((a) => a.replace("/grpo", "/RUN"));
      const mempo = argv(seed, "mempo-rl").map((a) => a.replace("/mempo", "/RUN"));
      expect(grpo).toEqual(mempo.map((a) => (a === "mempo" ? "grpo" : a)));
      expect(argv(seed, "mem-data")).toEqual(expect.arrayContaining(["--seed", String(seed), "2,4,6,8,10"]));
    }
  });
  it("the ReAct agent is trained without <mem> on the full history, with GRPO", () => {
    for (const name of ["react-sft", "react-rl", "react-eval"])
      expect(argv(1, name).join(" ")).toContain("--agent.kind react --rl.algo grpo");
    expect(argv(1, "mempo-eval").join(" ")).toContain("--eval.lastK 3");
  });
  it("bad seeds and flags are clear errors", () => {
    expect(() => plan({ ...MODES.quick, seeds: [], out: "/x" })).toThrow(/no seeds/);
    expect(() => plan({ ...MODES.quick, seeds: [1, 1], out: "/x" })).toThrow(/seeds repeat/);
    expect(() => parseArgs(["--seeds", "1,x"], {})).toThrow(/--seeds 1,x: use integers/);
    expect(() => parseArgs(["--bogus", "1"], {})).toThrow(/unknown flag --bogus/);
    expect(parseArgs([], { MEMPO_BENCH_QUICK: "1" }).mode).toBe("quick");
    expect(parseArgs(["--mode", "medium"], {}).mode).toBe("medium");
    expect(() => parseArgs(["--mode", "huge"], {})).toThrow(/--mode huge: use one of quick, medium, full/);
    expect(parseArgs(["--jobs", "2"], {}).jobs).toBe(2);
    expect(parseArgs(["--seeds", "4"], {}).jobs).toBe(1); // auto: no more jobs than seeds
    // auto: all seeds at once up to two per core (3 seeds on 2 cores: 3 jobs, none left alone at the end)
    expect([autoJobs(3, 2), autoJobs(4, 2), autoJobs(5, 2), autoJobs(1, 8), autoJobs(0, 2)]).toEqual([
      3, 4, 2, 1, 1,
    ]);
    expect(parseArgs([], { MEMPO_BENCH_JOBS: "1" }).jobs).toBe(1);
    expect(() => parseArgs(["--jobs", "0"], {})).toThrow(/--jobs 0: use a positive integer or auto/);
  });
  it("writes to the git-ignored results/out/ (report.ts publishes it) or results/quick/, or --results FILE", () => {
    expect(parseArgs(["--mode", "medium"], {}).results).toMatch(
      /benchmarks\/results\/out\/mempo-medium\.json$/,
    );
    expect(parseArgs([], {}).results).toMatch(/benchmarks\/results\/out\/mempo\.json$/);
    expect(parseArgs(["--quick"], {}).results).toMatch(/benchmarks\/results\/quick\/mempo\.json$/);
    expect(parseArgs(["--results", "/tmp/r/m.json"], {}).results).toBe("/tmp/r/m.json");
  });
});

describe("statistics and verdicts", () => {
  it("stat: mean and sample std", () => {
    expect(stat([1, 2, 3, 4])).toMatchObject({ mean: 2.5 });
    expect(stat([1, 2, 3, 4]).std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(stat([7]).std).toBe(0);
    expect(() => stat([])).toThrow(/empty/);
  });

  const cell = (agent: string, f1: number[], tt: number[]): Cell =>
    ({ agent, n: 4, f1: stat(f1), tt: stat(tt) }) as Cell;
  const cmp = (d: number[], ratio: number[] | null): Comparison => ({
    n: 4,
    f1Diff: stat(d),
    emDiff: stat(d.map(() => 0)),
    ahead: d.filter((x) => x > 0).length,
    tied: d.filter((x) => x === 0).length,
    behind: d.filter((x) => x < 0).length,
    ttRatioVsReact: ratio ? stat(ratio) : null,
    ttRatioVsReactO200k: null,
  });

  it("says MemPO beats GRPO only when it is ahead in every seed, with the difference and its spread", () => {
    const cells = [cell("mempo", [30, 40, 50], [100, 100, 100]), cell("grpo", [20, 30, 44], [1, 1, 1])];
    const v = verdict(cmp([10, 10, 6], null), cells);
    expect(v).toMatch(/^MemPO beats GRPO in every seed: \+8\.7 F1 \(± 2\.3 over 3 seeds/);
    expect(v).not.toMatch(/not learned/);
  });

  it("says it does not beat GRPO when behind, and flags a difference within the seeds' spread", () => {
    const cells = [cell("mempo", [30, 20, 25], [1, 1, 1]), cell("grpo", [20, 30, 30], [1, 1, 1])];
    const v = verdict(cmp([10, -10, -5], null), cells);
    expect(v).toMatch(
      /^MemPO does not beat GRPO \(ahead in 1, behind in 2, tied in 0 of 3 seeds\): −1\.7 F1/,
    );
    expect(v).toMatch(/within one standard deviation/);
  });

  it("compares MemPO's tokens with the trained ReAct agent's, whichever way it goes", () => {
    const cells = [
      cell("mempo", [1, 1, 1], [300, 300, 300]),
      cell("grpo", [1, 1, 1], [1, 1, 1]),
      cell("react", [2, 2, 2], [600, 600, 600]),
    ];
    const fewer = verdict(cmp([0, 0, 0], [0.5, 0.5, 0.5]), cells);
    expect(fewer).toMatch(/tie in every seed/);
    expect(fewer).toMatch(/not learned the task/);
    expect(fewer).toMatch(
      /0\.50 ± 0\.00× the trained ReAct agent's TT \(50% fewer; per seed 0\.50–0\.50×; mean TT 300 vs 600 tokens per episode, 0\.50×\)/,
    );
    expect(fewer).toMatch(/tokens measure how each fails/);
    expect(verdict(cmp([0, 0, 0], [1.25, 1.25, 1.25]), cells)).toMatch(/\(25% more;/);
  });

  it("says so when one seed's ratio and the mean TTs disagree", () => {
    // ReAct answers at once in one seed (a tiny TT): the mean ratio says more, the mean TTs fewer
    const cells = [
      cell("mempo", [1, 1, 1], [8000, 8000, 8000]),
      cell("grpo", [1, 1, 1], [1, 1, 1]),
      cell("react", [1, 1, 1], [20000, 20000, 800]),
    ];
    const v = verdict(cmp([0, 0, 0], [0.4, 0.4, 10]), cells);
    expect(v).toMatch(/per seed 0\.40–10\.00×; mean TT 8000 vs 13600 tokens per episode, 0\.59×/);
    expect(v).toMatch(/point opposite ways/);
  });
});

describe("quick mode end to end", () => {
  const dir = mkdtempSync(join(tmpdir(), "mempo-bench-"));
  const resultsFile = join(dir, "results", "mempo.json");
  let results: Record<string, unknown>;
  beforeAll(async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      // seeds 1 and 2 side by side (a process each), then 3 in this process, into one experiment
      // folder; then the report over all of them
      const run = (seeds: number[], reportOnly: boolean, jobs = 1) =>
        bench({ mode: "quick", out: join(dir, "exp"), seeds, results: resultsFile, reportOnly, jobs });
      await run([1, 2], false, 2);
      await run([3], false);
      results = await run([1, 2, 3], true);
    } finally {
      err.mockRestore();
    }
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs seeds separately into one experiment and reports them together", () => {
    expect((results.seeds as number[]).length).toBe(3);
    const steps = (results.seconds as { total: number; steps: Record<string, number> }).steps;
    for (const seed of [1, 2, 3]) expect(steps[`seed-${seed}/mempo-eval`]).toBeGreaterThan(0);
    const sum = Object.values(steps).reduce((x, y) => x + y, 0);
    expect((results.seconds as { total: number }).total).toBeCloseTo(sum, 0);
  });

  it("writes the report with its plots, samples and the results JSON", () => {
    const report = readFileSync(join(dir, "exp", "report.md"), "utf8");
    for (const n of [2, 4, 6, 8, 10]) expect(report).toContain(`**N = ${n}.**`);
    for (const p of results.plots as string[]) {
      expect(report).toContain(`(plots/${p}.svg)`);
      expect(readFileSync(join(dir, "exp", "plots", `${p}.svg`), "utf8")).toMatch(/^<svg/);
      const png = readFileSync(join(dir, "results", "mempo", `${p}.png`));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    }
    expect(results.plots).toEqual(
      expect.arrayContaining(["f1_vs_n", "tt_vs_n", "retention_f1", "rl_curves"]),
    );
    for (const s of results.samples as string[]) {
      expect(existsSync(join(dir, "exp", "samples", `${s}.md`))).toBe(true);
      expect(report).toContain(`(samples/${s}.md)`);
    }
    expect(results.samples).toEqual(expect.arrayContaining(["sft", "grpo", "mempo", "react"]));
    expect(JSON.parse(readFileSync(resultsFile, "utf8")).bench).toBe("mempo");
    // beside the results JSON: the same report with its plots and samples (what gets committed)
    const copy = readFileSync(join(dir, "results", "mempo", "report.md"), "utf8");
    expect(copy).toContain("(./f1_vs_n.svg)");
    for (const s of results.samples as string[])
      expect(existsSync(join(dir, "results", "mempo", "samples", `${s}.md`))).toBe(true);
  });

  it("every mean ± std is its seeds' eval.json rows; every agent at every N", () => {
    const cells = results.cells as Cell[];
    for (const agent of [
      "sft",
      "grpo",
      "mempo",
      "react",
      "react-sft",
      "mempo-full",
      "mempo-last3",
      "teacher",
    ])
      expect(cells.filter((c) => c.agent === agent).map((c) => c.n)).toEqual([2, 4, 6, 8, 10]);
    const run = { grpo: "grpo", react: "react", "react-sft": "react" } as Record<string, string>;
    for (const c of cells) {
      const rows = [1, 2, 3].map((s) => {
        const e = JSON.parse(
          readFileSync(join(seedDir(join(dir, "exp"), s), run[c.agent] ?? "mempo", "eval.json"), "utf8"),
        );
        return e.rows.find((r: { agent: string; n: number }) => r.agent === c.agent && r.n === c.n);
      });
      expect(c.f1.values).toEqual(rows.map((r) => r.f1));
      expect(c.tt).toEqual(stat(rows.map((r) => r.tt)));
      expect(c.ttO200k?.values).toEqual(rows.map((r) => r.ttO200k));
    }
    // the verdicts' numbers are the cells' numbers
    const comparisons = results.comparisons as Comparison[];
    expect(comparisons.map((c) => c.n)).toEqual([2, 4, 6, 8, 10]);
    for (const cmp of comparisons) {
      const f1 = (agent: string) => cells.find((c) => c.agent === agent && c.n === cmp.n)!.f1.values;
      expect(cmp.f1Diff.values).toEqual(f1("mempo").map((x, i) => x - f1("grpo")[i]!));
      expect(cmp.ahead + cmp.tied + cmp.behind).toBe(3);
    }
  });

  it("one trainer run's plots go into its own report.md (the Plots section replaced, not repeated)", async () => {
    const run = join(seedDir(join(dir, "exp"), 2), "grpo");
    const names = await plotRun(run);
    await plotRun(run);
    expect(names).toEqual(expect.arrayContaining(["f1_vs_n", "tt_vs_n", "rl_curves"]));
    // the grpo run was evaluated without the retention ablation: no such plot
    expect(names.some((n) => n.startsWith("retention_"))).toBe(false);
    const report = readFileSync(join(run, "report.md"), "utf8");
    expect(report.split("\n## Plots\n").length).toBe(2);
    expect(report).toContain("# mempo run report");
    for (const n of names) {
      expect(report).toContain(`![${n}](plots/${n}.svg)`);
      expect(
        readFileSync(join(run, "plots", `${n}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    }
    await expect(plotRun(join(dir, "nowhere"))).rejects.toThrow(
      /eval\.json is missing; run mempo eval --run/,
    );
  });

  it("the RL curves have every iteration of every RL run", () => {
    const curves = results.curves as { algo: string; iteration: number; reward: { values: number[] } }[];
    for (const algo of ["grpo", "mempo", "react"])
      expect(curves.filter((p) => p.algo === algo).map((p) => [p.iteration, p.reward.values.length])).toEqual(
        [
          [1, 3],
          [2, 3],
        ],
      );
  });
});
