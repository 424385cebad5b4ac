/**
 * The rollout queue end to end on a real redis-server (127.0.0.1, random port, started and stopped
 * here through scripts/redis.sh): an orchestrator (QueueExecutor) and two workers in this process,
 * plus one worker as a child process for signals. Skipped, with the reason printed, when
 * redis-server is not installed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Retriever, Task } from "@mempo/env";
import { saveBM25Index } from "@mempo/env/node";
import { Model, preset } from "@mempo/model";
import { saveTokenizer } from "@mempo/tokenizer/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelPolicy } from "../model_policy.ts";
import type { RolloutEnv } from "../runner.ts";
import { tinyWorld } from "../testing.ts";
import { InProcessExecutor } from "./executor.ts";
import { GROUP_JOB } from "./jobs.ts";
import { type LoadedPolicy, type PolicyLoader, resultKeyPrefix } from "./publish.ts";
import { QueueExecutor, type QueueExecutorOptions } from "./queue_executor.ts";
import { startRedis, statelessPolicy, type TestRedis, redisMissing } from "./testing.ts";
import { type RunningWorker, runWorker, type WorkerOptions } from "./worker.ts";

const { index, tokenizer: tok, tasks } = tinyWorld();
const bomb: Task = { ...tasks[0]!, id: "bomb", question: "Which EXPLODE?", objectives: ["Which EXPLODE?"] };
const known = [...tasks.slice(0, 8), bomb];
/** BM25, except that a query containing EXPLODE fails (a retriever outage for one task). */
const retriever: Retriever = {
  search: async (qs, k) => {
    if (qs.some((q) => q.includes("EXPLODE"))) throw new Error("retriever: index offline");
    return index.search(qs, k);
  },
};
const env: RolloutEnv = { retriever, tokenizer: tok };
const tinyModel = () =>
  Model.init(preset("tiny-gpt2", { vocabSize: tok.vocabSize, maxSeqLen: 1024, initStd: 0.3 }), { seed: 5 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms for at most `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (await cond()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The stateless scripted agent at the published version, each generate call `delayMs` late. */
const scripted =
  (delayMs = 0, gate?: (version: number) => Promise<void>): PolicyLoader =>
  async (p): Promise<LoadedPolicy> => {
    const policy = statelessPolicy(tok, known, p.version);
    const generate = policy.generate.bind(policy);
    policy.generate = async (prompts, req) => {
      await sleep(delayMs);
      await gate?.(p.version);
      return generate(prompts, req);
    };
    return { policy };
  };

const missing = redisMissing();
if (missing !== null) console.log(`queue_test.ts skipped: ${missing}`);

describe.skipIf(missing !== null)("QueueExecutor + workers on redis-server", () => {
  let redis: TestRedis;
  let tmp = "";
  let n = 0;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "mempo-queue-"));
    redis = startRedis();
  });
  afterAll(() => {
    redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** An orchestrator and `workers` in-process workers on a fresh queue. */
  async function setup(
    loader: PolicyLoader | undefined,
    o: Partial<QueueExecutorOptions> = {},
    workers = 2,
    wo: Partial<WorkerOptions> = {},
  ) {
    const queueName = `test-${process.pid}-${n++}`;
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);
    const ex = await QueueExecutor.create({
      redisUrl: redis.url,
      queueName,
      policiesDir: join(tmp, queueName),
      jobTimeoutMs: 20_000,
      backoff: { type: "fixed", delayMs: 20 },
      log,
      ...o,
    });
    const ws: RunningWorker[] = [];
    for (let i = 0; i < workers; i++) {
      ws.push(
        await runWorker({
          redisUrl: redis.url,
          queueName,
          env,
          loader,
          handleSignals: false,
          name: `w${i}`,
          log,
          ...wo,
        }),
      );
    }
    const close = async () => {
      await Promise.all(ws.map((w) => w.close()));
      await ex.queue.obliterate({ force: true });
      await ex.close();
    };
    return { ex, ws, logs, queueName, close };
  }

  /** A run directory a worker process can serve: the tiny world's index.bin and tokenizer.json. */
  async function workerRunDir(name: string): Promise<string> {
    const runDir = join(tmp, name);
    mkdirSync(runDir);
    await saveBM25Index(index, join(runDir, "index.bin"));
    saveTokenizer(tok, join(runDir, "tokenizer.json"));
    return runDir;
  }

  /** A worker child process (testing_worker_main.ts) serving `queueName` from a run dir; its output collected. */
  function childWorker(queueName: string, runDir: string, extra: Record<string, string>) {
    const main = fileURLToPath(new URL("./testing_worker_main.ts", import.meta.url));
    const proc = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, REDIS_URL: redis.url, QUEUE: queueName, RUN_DIR: runDir, ...extra },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const o = { proc, out: "" };
    proc.stdout!.on("data", (d) => (o.out += d));
    proc.stderr!.on("data", (d) => (o.out += d));
    return o;
  }

  it("2 workers: every group comes back once, equal to the in-process executor; no payload left in Redis", async () => {
    const s = await setup(scripted(30));
    try {
      const some = tasks.slice(0, 6);
      const config = { groupSize: 3, maxTurns: 3, seed: 5, groupIdPrefix: "it0/", memoryReward: true };
      await s.ex.publishPolicy(0, tinyModel());
      const got = await s.ex.submit(some, config);
      const want = await new InProcessExecutor(statelessPolicy(tok, known), env, { groupsPerJob: 1 }).submit(
        some,
        config,
      );
      expect(got).toEqual(want);
      expect(got.map((g) => g.groupId)).toEqual(some.map((t) => `it0/${t.id}`));
      expect(got.some((g) => g.rollouts[0]!.score.f1 === 100)).toBe(true);
      expect(got.every((g) => g.rollouts.every((r) => r.memory !== null && r.memory.length === 2))).toBe(
        true,
      );
      expect(s.ex.stats).toEqual({ jobs: 6, groups: 6, dropped: 0, requeued: 0 });
      expect(await s.ex.published()).toMatchObject({ version: 0, dir: join(tmp, s.queueName, "policy-0") });
      expect(s.ws.map((w) => w.stats.completed).reduce((a, b) => a + b)).toBe(6);
      expect(s.ws.every((w) => w.stats.completed >= 1)).toBe(true); // both workers took jobs
      expect(await s.ex.redis.keys(`${resultKeyPrefix(s.queueName)}*`)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("a sampled tiny model: workers loading the published safetensors give the in-process groups exactly", async () => {
    // the default loader: loadModel + modelPolicy; one policy directory kept
    const s = await setup(undefined, { groupsPerJob: 2, keepPolicies: 1 });
    try {
      const model = tinyModel();
      await s.ex.publishPolicy(0, tinyModel()); // an older version, replaced below
      await s.ex.publishPolicy(3, model);
      expect(existsSync(join(tmp, s.queueName, "policy-0"))).toBe(false);
      expect(existsSync(join(tmp, s.queueName, "policy-3", "model.safetensors"))).toBe(true);
      await expect(s.ex.publishPolicy(2, model)).rejects.toThrow(
        /version 2 must be an integer ≥ max\(0, current 3\)/,
      );
      await expect(s.ex.publishPolicy(4, tmp)).rejects.toThrow(
        /has no config.json; pass a checkpoint directory/,
      );
      const some = tasks.slice(0, 5);
      const config = { groupSize: 2, maxTurns: 2, maxNewTokens: 10, sampling: { temperature: 1 }, seed: 9 };
      const got = await s.ex.submit(some, config);
      const inProcess = new InProcessExecutor(modelPolicy(model, { version: 3 }), env, { groupsPerJob: 2 });
      expect(got).toEqual(await inProcess.submit(some, config));
      expect(s.ex.stats.jobs).toBe(3);
      const versions = got.flatMap((g) => g.rollouts.flatMap((r) => r.steps.map((st) => st.policyVersion)));
      expect(new Set(versions)).toEqual(new Set([3]));
    } finally {
      await s.close();
    }
  });

  it("a result older than the staleness bound is dropped and its job requeued; within the bound it is kept", async () => {
    for (const maxStaleness of [0, 1]) {
      let entered!: () => void;
      const reached = new Promise<void>((r) => {
        entered = r;
      });
      let open!: () => void;
      const opened = new Promise<void>((r) => {
        open = r;
      });
      // version 1 stalls in generate until the test has published version 2
      const gate = async (v: number) => {
        if (v === 1) {
          entered();
          await opened;
        }
      };
      const s = await setup(scripted(0, gate), { maxStaleness });
      try {
        const model = tinyModel();
        await s.ex.publishPolicy(1, model);
        const pending = s.ex.submit(tasks.slice(0, 1), { groupSize: 2, maxTurns: 3 });
        await reached;
        await s.ex.publishPolicy(2, model);
        open();
        const [g] = await pending;
        const versions = new Set(g!.rollouts.flatMap((r) => r.steps.map((st) => st.policyVersion)));
        if (maxStaleness === 0) {
          expect(versions).toEqual(new Set([2]));
          expect(s.ex.stats).toEqual({ jobs: 2, groups: 1, dropped: 1, requeued: 1 });
          expect(s.logs.join("\n")).toMatch(
            /used policy v1, learner is v2 \(bound 0\): dropped 1 groups, requeued as \S+\/1$/m,
          );
        } else {
          expect(versions).toEqual(new Set([1]));
          expect(s.ex.stats).toEqual({ jobs: 1, groups: 1, dropped: 0, requeued: 0 });
        }
      } finally {
        open();
        await s.close();
      }
    }
  });

  it("a worker refuses a job that needs an unpublished version; BullMQ retries it until the version appears", async () => {
    const s = await setup(scripted(), { attempts: 200 });
    try {
      const model = tinyModel();
      await s.ex.publishPolicy(0, model);
      const pending = s.ex.submit(tasks.slice(0, 2), { groupSize: 2, maxTurns: 3 }, 2);
      const refused = () => s.ws.reduce((a, w) => a + w.stats.refused, 0);
      await until(() => refused() >= 4, 10_000, "refusals");
      await s.ex.publishPolicy(1, model); // still too old
      await until(() => s.logs.some((l) => /the newest published is 1/.test(l)), 10_000, "a refusal at v1");
      await s.ex.publishPolicy(2, model);
      const groups = await pending;
      expect(
        groups.flatMap((g) => g.rollouts.flatMap((r) => r.steps.map((st) => st.policyVersion))),
      ).not.toContain(0);
      expect(s.logs.join("\n")).toMatch(
        /job \S+ attempt \d+\/200 failed: needs policy version ≥ 2 \(learner version 2 − staleness bound 0\) but the newest published is 0/,
      );
      expect(s.ex.stats.groups).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("failures are the job's: the reason comes back after the retries, waiting jobs are withdrawn, workers live on", async () => {
    const s = await setup(scripted(40), { attempts: 2 });
    try {
      await s.ex.publishPolicy(0, tinyModel());
      const many = [bomb, ...tasks.slice(0, 6)];
      await expect(s.ex.submit(many, { groupSize: 2, maxTurns: 3 })).rejects.toThrow(
        /rollout job \S+ \(tasks bomb\) failed after 2 attempts: retriever: index offline/,
      );
      const counts = await s.ex.queue.getJobCounts("waiting", "delayed");
      expect(counts).toMatchObject({ waiting: 0, delayed: 0 }); // the submission's queued jobs were withdrawn
      const failures = () =>
        s.logs.filter((l) => /job \S+ attempt \d\/2 failed: retriever: index offline/.test(l));
      await until(() => failures().length === 2, 5_000, "both failed attempts in the worker logs");
      // malformed job data fails at once (no retry), with the path of the problem
      const job = await s.ex.queue.add(GROUP_JOB, { format: 1, tasks: [] }, { attempts: 5 });
      await until(async () => (await job.getState()) === "failed", 10_000, "the malformed job to fail");
      const failed = (await s.ex.queue.getJob(job.id!))!;
      expect(failed.failedReason).toMatch(/is malformed:\n {2}submission: /);
      expect(failed.attemptsMade).toBe(1);
      // the same workers still serve
      const ok = await s.ex.submit(tasks.slice(0, 2), { groupSize: 2, maxTurns: 3 });
      expect(ok).toHaveLength(2);
      expect(s.ws.every((w) => w.stats.completed + w.stats.failed > 0)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("a worker process finishes its active job on SIGTERM, reports it, and exits 0", async () => {
    const s = await setup(undefined, {}, 0);
    let child: ChildProcess | null = null;
    try {
      const runDir = await workerRunDir("run");
      await s.ex.publishPolicy(0, tinyModel());
      const c = childWorker(s.queueName, runDir, { DELAY_MS: "300" });
      const proc = c.proc;
      child = proc;
      const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
      await until(() => c.out.includes("waiting for jobs"), 20_000, `the worker to start; output: ${c.out}`);
      const pending = s.ex.submit(tasks.slice(0, 1), { groupSize: 2, maxTurns: 2, maxNewTokens: 8 });
      await until(
        async () => (await s.ex.queue.getJobCounts("active")).active === 1,
        10_000,
        "an active job",
      );
      proc.kill("SIGTERM");
      const [g] = await pending;
      expect(g!.rollouts).toHaveLength(2);
      expect(await exited).toBe(0);
      expect(c.out).toMatch(/SIGTERM: finishing active jobs/);
      expect(c.out).toMatch(/closed \(1 jobs done, 0 failed attempts\)/);
    } finally {
      if (child !== null && child.exitCode === null) child.kill("SIGKILL");
      await s.close();
    }
  });

  it("SIGKILL a worker mid-job: its job runs again on another worker; every group comes back exactly once", async () => {
    const s = await setup(scripted(), {}, 1, { lockDurationMs: 1000, stalledIntervalMs: 300 });
    let child: ChildProcess | null = null;
    try {
      const runDir = await workerRunDir("run-kill");
      await s.ex.publishPolicy(0, tinyModel());
      // the child takes a job first (the in-process worker is paused), then is killed while it runs
      await s.ws[0]!.close();
      const c = childWorker(s.queueName, runDir, { DELAY_MS: "5000", LOCK_MS: "1000", STALLED_MS: "300" });
      child = c.proc;
      await until(() => c.out.includes("waiting for jobs"), 20_000, `the worker to start; output: ${c.out}`);
      const some = tasks.slice(0, 4);
      const config = { groupSize: 2, maxTurns: 2, maxNewTokens: 8, groupIdPrefix: "it0/" };
      const pending = s.ex.submit(some, config);
      await until(
        async () => (await s.ex.queue.getJobCounts("active")).active === 1,
        10_000,
        "an active job",
      );
      c.proc.kill("SIGKILL");
      const rescuer = await runWorker({
        redisUrl: redis.url,
        queueName: s.queueName,
        env,
        loader: scripted(),
        handleSignals: false,
        name: "rescuer",
        log: (l) => s.logs.push(l),
        lockDurationMs: 1000,
        stalledIntervalMs: 300,
      });
      try {
        const got = await pending;
        expect(got.map((g) => g.groupId)).toEqual(some.map((t) => `it0/${t.id}`));
        expect(got.every((g) => g.rollouts.length === 2)).toBe(true);
        expect(s.ex.stats.groups).toBe(4);
        expect(rescuer.stats.completed).toBe(4); // the killed worker's job included
        const done = await s.ex.queue.getJobs(["completed"]);
        expect(done.map((j) => j.id).sort()).toEqual(some.map((t) => `${s.ex.runId}/it0/${t.id}/0`).sort());
      } finally {
        await rescuer.close();
      }
    } finally {
      if (child !== null && child.exitCode === null) child.kill("SIGKILL");
      await s.close();
    }
  });

  it("Redis crashes mid-submission: the executor reports it, waits, re-adds what was lost and completes", async () => {
    const s = await setup(scripted(150), { jobTimeoutMs: 60_000 }, 2);
    try {
      await s.ex.publishPolicy(0, tinyModel());
      const some = tasks.slice(0, 6);
      const config = { groupSize: 2, maxTurns: 3, groupIdPrefix: "it0/" };
      const want = await new InProcessExecutor(statelessPolicy(tok, known), env, { groupsPerJob: 1 }).submit(
        some,
        config,
      );
      const pending = s.ex.submit(some, config);
      await until(
        async () => ((await s.ex.queue.getJobCounts("active")).active ?? 0) > 0,
        10_000,
        "active jobs",
      );
      await redis.crash(1500);
      const got = await pending;
      expect(got).toEqual(want);
      const log = s.logs.join("\n");
      expect(log).toMatch(/lost Redis at redis:\/\/127\.0\.0\.1:\d+; reconnecting/);
      expect(log).toMatch(/Redis at \S+ is back/);
      expect(log).toMatch(/re-published policy v0/);
      expect(log).toMatch(
        /is not in Redis \(restarted\?\); adding it again|is not in Redis; adding the job again/,
      );
      expect(s.ex.stats.groups).toBe(6);
    } finally {
      await s.close();
    }
  });
});
