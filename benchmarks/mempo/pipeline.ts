/**
 * The MemPO experiment as a list of `mempo` commands (the trainer's CLI), per seed:
 *
 *   mem/    data → tokenizer → SFT (the one SFT checkpoint both RL runs start from)
 *   react/  the same data and tokenizer → SFT on the teacher's full-history turns without <mem>
 *           (--agent.kind react) → GRPO with full retention → eval
 *   grpo/   a copy of mem/ → RL with A^M off (--rl.algo grpo) → eval (memories scored)
 *   mempo/  a copy of mem/ → MemPO, the same RL budget → eval: SFT, MemPO, and MemPO's weights with
 *           the last k / every earlier turn kept (the retention ablation), memories scored, teacher line
 *
 * Every command gets the mode's flags (profile, data sizes, N = 2…10), so the four agents differ only
 * in what the experiment varies. `plan` is pure (tested); `runPlan` executes it in this process
 * through the trainer's `main` — the same code path as `npx mempo …` — with each command's output
 * in `<out>/logs/`.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** One step: a `mempo` command, or a copy of a run directory (minus what the next runs rewrite). */
export type Step =
  | { seed: number; name: string; argv: string[] }
  | { seed: number; name: string; copy: { from: string; to: string; skip: string[] } };

export interface PipelineOptions {
  /** Root of the experiment: `seed-<s>/{mem,react,grpo,mempo}/`, `logs/`. */
  out: string;
  seeds: readonly number[];
  /** Flags every `mempo` command gets (profile, data sizes, budgets). */
  flags: readonly string[];
  /** k of the last-k retention row of the ablation (0 = none). */
  lastK: number;
}

export type Mode = "quick" | "medium" | "full";

/**
 * Named experiment sizes. `quick` fits CI (the smoke profile, tiny data: the models do not learn the
 * task, it checks the pipeline); `medium` starts from the shipped pre-trained base with a few hundred
 * tasks (the `learn` profile's scale, about an hour on 2 cores); `full` is the default profile.
 */
export const MODES: Record<Mode, Omit<PipelineOptions, "out">> = {
  quick: {
    seeds: [1, 2, 3],
    flags: [
      "--profile",
      "smoke",
      "--sft.epochs",
      "2",
      "--data.evalTasks",
      "2",
      "--data.evalObjectives",
      "2,4,6,8,10",
    ],
    lastK: 3,
  },
  medium: {
    seeds: [1, 2, 3],
    flags: [
      "--profile",
      "learn",
      "--data.trainTasks",
      "300",
      "--data.trainObjectives",
      "1,2",
      "--data.evalTasks",
      "4",
      "--data.evalObjectives",
      "2,4,6,8,10",
      "--rl.iterations",
      "6",
      "--rl.tasksPerIteration",
      "4",
      "--rl.maxNewTokens",
      "192",
      "--eval.maxNewTokens",
      "192",
    ],
    lastK: 3,
  },
  full: {
    seeds: [1, 2, 3],
    flags: ["--data.evalTasks", "16", "--data.evalObjectives", "2,4,6,8,10"],
    lastK: 3,
  },
};

/** What evaluation measures in every run: o200k token counts and P(gold | memory). */
const EVAL = ["--eval.o200k", "true", "--eval.memoryScores", "true", "--log.progress", "lines"];
/** Run-directory files a copy leaves out: the lock, and what the copied run writes anew. */
const FRESH = ["run.lock", "eval.json", "report.md", "transcripts.jsonl"];

export const seedDir = (out: string, seed: number) => join(out, `seed-${seed}`);

/** The experiment's commands, in order. */
export function plan(o: PipelineOptions): Step[] {
  if (o.seeds.length === 0) throw new Error("mempo bench: no seeds; pass --seeds 1,2,3");
  for (const s of o.seeds)
    if (!Number.isInteger(s) || s < 0) throw new Error(`mempo bench: seed ${s} must be an integer ≥ 0`);
  if (new Set(o.seeds).size !== o.seeds.length)
    throw new Error(`mempo bench: seeds repeat: ${o.seeds.join(",")}`);
  const steps: Step[] = [];
  for (const seed of o.seeds) {
    const d = seedDir(o.out, seed);
    const dir = (k: string) => join(d, k);
    const f = [...o.flags, "--log.progress", "lines"];
    const cmd = (name: string, argv: string[]) => steps.push({ seed, name, argv });
    cmd("mem-data", ["data", "--out", dir("mem"), "--seed", String(seed), ...f]);
    cmd("mem-tokenizer", ["tokenizer", "--run", dir("mem")]);
    steps.push({
      seed,
      name: "react-copy",
      copy: { from: dir("mem"), to: dir("react"), skip: [...FRESH, "metrics.jsonl"] },
    });
    cmd("mem-sft", ["sft", "--run", dir("mem")]);
    const react = ["--agent.kind", "react", "--rl.algo", "grpo"];
    cmd("react-sft", ["sft", "--run", dir("react"), ...react]);
    cmd("react-rl", ["rl", "--run", dir("react"), ...react]);
    cmd("react-eval", ["eval", "--run", dir("react"), ...react, "--eval.teacher", "false", ...EVAL]);
    for (const algo of ["grpo", "mempo"] as const) {
      steps.push({ seed, name: `${algo}-copy`, copy: { from: dir("mem"), to: dir(algo), skip: FRESH } });
      cmd(`${algo}-rl`, ["rl", "--run", dir(algo), "--rl.algo", algo]);
      const evalFlags =
        algo === "grpo"
          ? [
              "--eval.sft",
              "false",
              "--eval.fullHistory",
              "false",
              "--eval.lastK",
              "0",
              "--eval.teacher",
              "false",
            ]
          : [
              "--eval.sft",
              "true",
              "--eval.fullHistory",
              "true",
              "--eval.lastK",
              String(o.lastK),
              "--eval.teacher",
              "true",
            ];
      cmd(`${algo}-eval`, ["eval", "--run", dir(algo), "--rl.algo", algo, ...evalFlags, ...EVAL]);
    }
  }
  return steps;
}

/** Runs the steps in order; `exec` runs one `mempo` argv and resolves to its exit code. */
export async function runPlan(
  steps: readonly Step[],
  out: string,
  exec: (argv: string[]) => Promise<number>,
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<{ seconds: Record<string, number> }> {
  const logs = join(out, "logs");
  mkdirSync(logs, { recursive: true });
  const seconds: Record<string, number> = {};
  for (const [i, s] of steps.entries()) {
    const key = `seed-${s.seed}/${s.name}`;
    const t0 = performance.now();
    if ("copy" in s) {
      if (!existsSync(s.copy.from)) throw new Error(`mempo bench: ${key}: ${s.copy.from} does not exist`);
      rmSync(s.copy.to, { recursive: true, force: true });
      const skip = new Set(s.copy.skip.map((n) => join(s.copy.from, n)));
      cpSync(s.copy.from, s.copy.to, { recursive: true, filter: (src) => !skip.has(src) });
    } else {
      const file = join(logs, `seed-${s.seed}-${s.name}.log`);
      rmSync(file, { force: true });
      const code = await captured(file, () => exec(s.argv));
      if (code !== 0)
        throw new Error(`mempo bench: ${key}: mempo ${s.argv.join(" ")} exited with ${code}; see ${file}`);
    }
    seconds[key] = Math.round((performance.now() - t0) / 100) / 10;
    say(`[${i + 1}/${steps.length}] ${key} ${seconds[key]} s`);
  }
  return { seconds };
}

/** Runs `f` with console.log / console.error appended to `file` instead of the terminal. */
async function captured<T>(file: string, f: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  const write = (...a: unknown[]) => appendFileSync(file, `${a.map(String).join(" ")}\n`);
  console.log = write;
  console.error = write;
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = error;
  }
}
