/**
 * Rollout throughput: in process vs worker processes (`runWorker`) on this machine, through a throwaway
 * redis-server (scripts/redis.sh). Same model, tasks and config everywhere: an untrained `default`
 * preset model (2.4M parameters, vocabulary 2048), one turn of `--max-new` sampled tokens per rollout
 * (generation dominates; memory scoring off), G rollouts per task.
 *
 *   in process, one job      InProcessExecutor (runGroups over every task in one batched call)
 *   in process, job per group InProcessExecutor({groupsPerJob: 1}) (the queue's job granularity)
 *   queue, N workers          QueueExecutor + N child processes (testing_worker_main.ts), the cores
 *                             split between them; one job per group, and (2 workers) half the tasks per job
 *
 * Run: `npx tsx packages/rollout/queue/throughput_bench.ts [--backend=wasm] [--tasks=16] [--group=4]
 * [--max-new=32] [--rounds=2]` (needs redis-server: `bash scripts/redis.sh install`). Prints a table
 * and writes packages/rollout/queue/results/throughput.json. Timings on a shared machine are noisy:
 * the load average before and after is recorded.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BM25Index, buildTasks, generateWorld } from "@mempo/env";
import { saveBM25Index } from "@mempo/env/node";
import { listBackends, setBackend } from "@mempo/kernels";
import { Model, preset } from "@mempo/model";
import { Tokenizer } from "@mempo/tokenizer";
import { saveTokenizer } from "@mempo/tokenizer/node";
import { modelPolicy } from "../model_policy.ts";
import type { RolloutGroup } from "../rollout.ts";
import { InProcessExecutor, type RolloutExecutor } from "./executor.ts";
import { QueueExecutor } from "./queue_executor.ts";
import { REDIS_SCRIPT, redisMissing } from "./testing.ts";

const args = process.argv.slice(2);
const arg = (name: string, d: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d;
const backend = arg("backend", listBackends().includes("wasm") ? "wasm" : "ts");
const TASKS = Number(arg("tasks", "16"));
const G = Number(arg("group", "4"));
const MAX_NEW = Number(arg("max-new", "32"));
const ROUNDS = Number(arg("rounds", "2"));
const CORES = availableParallelism();
setBackend(backend);

const missing = redisMissing();
if (missing !== null) {
  console.log(`throughput_bench: ${missing}`);
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), "mempo-qbench-"));
const runDir = join(tmp, "run");
mkdirSync(runDir);
const world = generateWorld({ seed: 1, entities: 600, questions: 400 });
const index = BM25Index.build(world.documents);
const tok = Tokenizer.train(
  world.documents.slice(0, 1500).map((d) => d.contents),
  { vocabSize: 2048 },
);
await saveBM25Index(index, join(runDir, "index.bin"));
saveTokenizer(tok, join(runDir, "tokenizer.json"));
const tasks = buildTasks(world.questions, 2).slice(0, TASKS);
const env = { retriever: index, tokenizer: tok };
const model = Model.init(preset("default", { vocabSize: tok.vocabSize }), { seed: 1, backend });
const config = {
  groupSize: G,
  maxTurns: 1,
  maxNewTokens: MAX_NEW,
  memoryReward: false,
  seed: 1,
  sampling: { temperature: 1 },
};

const r = spawnSync("bash", [REDIS_SCRIPT, "start", join(tmp, "redis")], { encoding: "utf8" });
if (r.status !== 0) throw new Error(`scripts/redis.sh start failed: ${r.stderr}`);
const redisUrl = r.stdout.trim();

const tokens = (gs: RolloutGroup[]) =>
  gs.reduce(
    (s, g) => s + g.rollouts.reduce((t, x) => t + x.steps.reduce((u, st) => u + st.responseIds.length, 0), 0),
    0,
  );

interface Row {
  what: string;
  processes: number;
  threadsEach: number;
  seconds: number;
  groupsPerS: number;
  tokensPerS: number;
}
const rows: Row[] = [];
const results = new Map<string, RolloutGroup[]>();

/** Best of ROUNDS submissions after one warm-up (which loads the model in workers). */
async function measure(what: string, ex: RolloutExecutor, processes: number, threadsEach: number) {
  let groups = await ex.submit(tasks, config);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    groups = await ex.submit(tasks, config);
    best = Math.min(best, (performance.now() - t0) / 1e3);
  }
  results.set(what, groups);
  rows.push({
    what,
    processes,
    threadsEach,
    seconds: best,
    groupsPerS: groups.length / best,
    tokensPerS: tokens(groups) / best,
  });
  console.log(`${what}: ${best.toFixed(2)} s`);
}

const load0 = loadavg();
const children: ChildProcess[] = [];
try {
  await measure("in process, one job", new InProcessExecutor(modelPolicy(model), env), 1, CORES);
  await measure(
    "in process, job per group",
    new InProcessExecutor(modelPolicy(model), env, { groupsPerJob: 1 }),
    1,
    CORES,
  );
  const main = fileURLToPath(new URL("./testing_worker_main.ts", import.meta.url));
  const half = Math.ceil(TASKS / 2);
  for (const [n, perJob] of [
    [1, 1],
    [2, 1],
    [2, half],
  ] as const) {
    const threads = Math.max(1, Math.floor(CORES / n));
    const queueName = `bench-${n}-${perJob}`;
    const ex = await QueueExecutor.create({
      redisUrl,
      queueName,
      policiesDir: join(tmp, "policies"),
      groupsPerJob: perJob,
      log: () => {},
    });
    await ex.publishPolicy(0, model);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const c = spawn(process.execPath, ["--import", "tsx", main], {
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          QUEUE: queueName,
          RUN_DIR: runDir,
          DELAY_MS: "0",
          MEMPO_BACKEND: backend,
          MEMPO_THREADS: String(threads),
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(c);
      ready.push(
        new Promise((res) => {
          let out = "";
          c.stdout!.on("data", (d) => {
            out += d;
            if (out.includes("waiting for jobs")) res();
          });
        }),
      );
    }
    await Promise.all(ready);
    const what = `queue, ${n} worker${n > 1 ? "s" : ""}${perJob > 1 ? `, ${perJob} groups per job` : ""}`;
    await measure(what, ex, n, threads);
    for (const c of children.splice(0)) c.kill("SIGTERM");
    await ex.queue.obliterate({ force: true });
    await ex.close();
  }
} finally {
  for (const c of children) c.kill("SIGKILL");
  spawnSync("bash", [REDIS_SCRIPT, "stop", join(tmp, "redis")]);
  rmSync(tmp, { recursive: true, force: true });
}
const load1 = loadavg();

const same = (a: string, b: string) => JSON.stringify(results.get(a)) === JSON.stringify(results.get(b));
const base = rows[0]!.seconds;
console.log(
  `\nrollout throughput: ${TASKS} tasks × G ${G}, ${MAX_NEW} new tokens, ${backend} backend, ${CORES} cores; ` +
    `load average ${load0[0]!.toFixed(1)} → ${load1[0]!.toFixed(1)} (a shared machine: rough numbers)\n`,
);
console.log(
  "| executor | processes × threads | s (best of %d) | groups/s | tokens/s | vs in process |",
  ROUNDS,
);
console.log("|---|---|---|---|---|---|");
for (const x of rows) {
  console.log(
    `| ${x.what} | ${x.processes} × ${x.threadsEach} | ${x.seconds.toFixed(2)} | ${x.groupsPerS.toFixed(2)} | ${x.tokensPerS.toFixed(0)} | ${(base / x.seconds).toFixed(2)}× |`,
  );
}
const identical = same("in process, job per group", "queue, 2 workers");
console.log(`\nqueue groups identical to the in-process job-per-group run: ${identical}`);
const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "throughput.json"),
  `${JSON.stringify({ tasks: TASKS, group: G, maxNew: MAX_NEW, backend, cores: CORES, load: [load0[0], load1[0]], rows, identical }, null, 2)}\n`,
);
