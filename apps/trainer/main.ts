/**
 * The `mempo` CLI: end-to-end MemPO training on the embedded default data, in the order it runs —
 * parse flags → resolve and print the config → open the run directory → data → tokenizer → SFT cold
 * start → RL (MemPO, or GRPO with `--rl.algo grpo`) → evaluation on held-out 2/4/6-objective tasks.
 * `mempo data|tokenizer|sft|rl|eval --run DIR` runs one stage on a run directory; `mempo worker --run
 * DIR` serves the run's rollout queue (`--rollout.queue bullmq`); `mempo serve --data.corpus FILE`
 * serves a corpus over the Search-R1 /retrieve protocol; `mempo help` lists every flag with its default.
 * Your own data: `mempo data --out DIR --data.qa qa.jsonl --data.corpus corpus.jsonl` (or
 * `--data.retriever URL`), then `mempo eval --run DIR --model.from HF_DIR`.
 *
 *   npm run train                                  # default profile, ≈11 min on 2 cores
 *   npx mempo train --profile smoke --out /tmp/r   # about a minute
 *   npx mempo eval --run runs/2026-…               # re-evaluate a saved run
 *
 * Test: `npx vitest run` in apps/trainer (config/CLI errors, a smoke run end to end).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setBackend } from "@mempo/kernels";
import type { Tokenizer } from "@mempo/tokenizer";
import { checkResume, loadRunCheckpoint, recoverCheckpoints, verifyCheckpoint } from "./checkpoint.ts";
import { type Command, helpText, parseCli } from "./cli.ts";
import { type Config, ConfigError, resolveConfig } from "./config.ts";
import { openRun, readJsonSync, type Run } from "./run_dir.ts";
import { type Data, dataStage, hasTeacherPlans, loadData, userData } from "./stages/data.ts";
import { evalStage } from "./stages/eval.ts";
import { pretrain } from "./stages/pretrain.ts";
import { rlStage } from "./stages/rl.ts";
import { sftStage } from "./stages/sft.ts";
import { loadTokenizer, tokenizerStage } from "./stages/tokenizer.ts";
import { serveCommand } from "./stages/serve.ts";
import { workerCommand } from "./stages/worker.ts";

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad flags). */
export async function main(argv: readonly string[]): Promise<number> {
  // 1. Flags and config: defaults < profile < the run's saved config (single stages) < flags.
  let command: Command;
  let config: Config;
  let resume: string | null;
  try {
    const cli = parseCli(argv);
    if (cli.help) {
      console.log(helpText());
      return 0;
    }
    command = cli.command;
    resume = cli.resume;
    if (resume && cli.flags.out === undefined) cli.flags.out = dirname(resolve(resume));
    const continues =
      command !== "train" && command !== "data" && command !== "pretrain" && command !== "serve";
    config = resolveConfig(
      cli.flags,
      continues || resume ? savedConfig(cli.flags.out as string | undefined) : {},
    );
    if (continues && config.out === "") {
      throw new ConfigError(`mempo ${command} needs the run directory: --run DIR`);
    }
    if (continues && !existsSync(join(config.out, "config.json"))) {
      throw new ConfigError(
        `${config.out} is not a run directory (no config.json); start one with mempo train or mempo data --out DIR`,
      );
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`mempo: ${e.message}`);
    return 2;
  }

  // 2. The backend (initialised first: a backend that cannot start leaves no run directory behind),
  //    then the run directory (locked; config.json written there; checkpoints made whole after a
  //    killed write) and the resolved config printed.
  try {
    await selectBackend(config.backend);
  } catch (e) {
    console.error(`mempo: --backend ${config.backend}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  if (command === "pretrain") return pretrainCommand(config);
  if (command === "serve") return serveCommand(config);
  if (command === "worker") return workerCommand(config);
  const run = openRun(config);
  try {
    recoverCheckpoints(run);
    run.log(`mempo ${command} → ${run.dir}\nconfig ${JSON.stringify(run.config, null, 2)}`);
    return await stages(run, command, resume);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`mempo: ${e.message}`);
    return 2;
  } finally {
    run.close();
  }
}

/**
 * Selects the compute backend; "tfjs" and "webgpu" are initialised first (TensorFlow.js and a tfjs
 * backend loaded; a WebGPU device acquired), and what tfjs runs on is printed.
 */
async function selectBackend(name: string): Promise<void> {
  if (name === "tfjs") {
    const { initTfjs } = await import("@mempo/kernels/tfjs");
    const info = await initTfjs();
    const skipped = info.skipped.length > 0 ? ` (not used: ${info.skipped.join("; ")})` : "";
    console.log(`tfjs: TensorFlow.js ${info.version} on its "${info.tfBackend}" backend${skipped}`);
  } else if (name === "webgpu") {
    const { initWebGPU } = await import("@mempo/kernels/webgpu");
    await initWebGPU();
  }
  setBackend(name);
}

/**
 * The stages, in order; a single-stage command reads what earlier stages left in the run directory,
 * and `--resume DIR` (an sft/ or rl/ checkpoint, verified) skips what that checkpoint covers.
 */
async function stages(run: Run, command: Command, resume: string | null): Promise<number> {
  const config = run.config;
  const resumed = resume ? await loadRunCheckpoint(resume, config.backend) : null;
  if (resume && resumed) checkResume(resume, resumed, config);
  const fresh = command === "train" && resumed === null;
  const data: Data = fresh || command === "data" ? await dataStage(run) : await loadData(run);
  if (command === "data") return done(run);
  checkTeacher(run, command, data);
  const tok: Tokenizer =
    fresh || command === "tokenizer" ? await tokenizerStage(run, data) : loadTokenizer(run);
  if (command === "tokenizer") return done(run);
  if (fresh || command === "sft") (await sftStage(run, data, tok)).dispose();
  if (command === "sft") return done(run);
  if (command === "train" || command === "rl") {
    if (existsSync(run.path("sft"))) await verifyCheckpoint(run.path("sft"));
    (await rlStage(run, data, tok, { resume: resumed })).dispose();
  }
  if (command === "rl") return done(run);
  await evalStage(run, data, tok);
  return done(run);
}

/** `mempo pretrain --out DIR`: the base model and its tokenizer (stages/pretrain.ts). */
async function pretrainCommand(config: Config): Promise<number> {
  if (config.out === "") {
    console.error(
      "mempo: mempo pretrain needs an output directory: --out DIR (apps/trainer/base is the shipped one)",
    );
    return 2;
  }
  await pretrain({
    ...config.pretrain,
    out: resolve(config.out),
    seed: config.seed,
    backend: config.backend,
    preset: config.model.preset,
    maxSeqLen: config.model.maxSeqLen,
    vocabSize: config.tokenizer.vocabSize,
    topk: config.data.topk,
    log: (m) => console.log(m),
  });
  return 0;
}

/**
 * Questions without generator plans (the user's own) have no scripted teacher, hence no SFT data:
 * say what works instead before a stage fails deep inside.
 * @throws ConfigError for `train` / `sft` on such data, `rl` / `eval` without a model to start from.
 */
function checkTeacher(run: Run, command: Command, data: Data): void {
  if (hasTeacherPlans(data.qa)) return;
  const c = run.config;
  const what = userData(c.data) ? c.data.qa : run.path("qa");
  const instead =
    `evaluate any model with \`mempo eval --run ${run.dir} --model.from HF_DIR\`, or run RL from an SFT ` +
    `checkpoint with \`mempo rl --run ${run.dir} --model.from SFT_DIR\``;
  if (command === "train" || command === "sft")
    throw new ConfigError(
      `mempo ${command}: SFT learns from the scripted teacher, which follows the generator's plans (QA metadata.hops); ` +
        `${what} has none, so there is no SFT data. Instead ${instead}`,
    );
  const model = c.model.from !== "" || existsSync(run.path("sft"));
  if ((command === "rl" || command === "eval") && !model)
    throw new ConfigError(`mempo ${command}: no model to start from (no ${run.path("sft")}); ${instead}`);
  if (command === "rl" && data.train.length === 0)
    throw new ConfigError(
      `mempo rl: no training tasks (${what} has only enough questions for the held-out tasks); add questions or lower --data.evalTasks`,
    );
}

function done(run: Run): number {
  run.log(`done in ${run.elapsed().toFixed(1)} s → ${run.dir}`);
  return 0;
}

/** The config a single stage (or a resumed run) continues from: the run directory's config.json. */
function savedConfig(dir: string | undefined): Record<string, unknown> {
  const file = dir ? join(dir, "config.json") : null;
  if (!file || !existsSync(file)) return {};
  const saved = readJsonSync(file);
  if (saved === null || typeof saved !== "object" || Array.isArray(saved)) {
    throw new ConfigError(`${file}: expected the run's resolved config (a JSON object)`);
  }
  return saved as Record<string, unknown>;
}

/** `main` for a process: prints an unexpected error's message (its stack with MEMPO_DEBUG=1), exit 1. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    const debug = process.env.MEMPO_DEBUG === "1";
    console.error(`mempo: ${e instanceof Error ? ((debug ? e.stack : e.message) ?? e.message) : String(e)}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await runCli(process.argv.slice(2));
