/**
 * QueueExecutor: the orchestrator side of scale-out (DESIGN.md §8). Rollouts run on worker
 * processes (worker.ts) on any machine that reaches the Redis server; this class is the trainer's
 * RolloutExecutor for them.
 *
 *   publishPolicy(v, model)  saveCheckpoint → <policiesDir>/policy-<v>/, then Redis `mempo:<queue>:policy`
 *                            = {version: v, dir}; older written versions beyond `keepPolicies` are deleted
 *   submit(tasks, config)    one BullMQ job per `groupsPerJob` tasks (default: one per task group), job id
 *                            `<runId>/<group id of its first task>/<attempt>` (the group id carries the
 *                            iteration: `it3/n2/<task>`), attempts + backoff for failures and refusals;
 *                            polls each job's state, reads and deletes its payload,
 *                            validates it (jobs.ts / wire.ts), then checks staleness:
 *                            learnerVersion − payload version > maxStaleness → the groups are dropped and
 *                            the job is enqueued again (attempt + 1, the current learner version), at most
 *                            `maxRequeues` times. Each group is returned exactly once.
 *
 * A job that fails all its attempts fails the submission with the worker's reason; the submission's
 * jobs still waiting are removed. Redis going away is reported and waited out (the clients reconnect
 * with backoff); a job or result that is gone when it comes back (a restarted Redis keeps nothing) is
 * added again with the policy record re-published, so no group is lost and none is counted twice (each
 * group id is accepted once). Plain jobs rather than a BullMQ flow: results are consumed one job at
 * a time as they finish and a stale job is replaced on its own, which a flow's parent would not add to.
 *
 * Test: `npx vitest run queue/queue_test.ts` (needs redis-server; skipped with the reason otherwise).
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Task } from "@mempo/env";
import type { Model } from "@mempo/model";
import type { JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type RolloutConfig, resolveRolloutConfig } from "../config.ts";
import type { RolloutGroup } from "../rollout.ts";
import {
  collectInTaskOrder,
  type ExecutorStats,
  planJobs,
  type RolloutExecutor,
  type RolloutJob,
} from "./executor.ts";
import { DEFAULT_QUEUE, decodePayload, GROUP_JOB, type GroupJobData, parseJobResult } from "./jobs.ts";
import { parsePublished, policyKey, type PublishedPolicy, writePolicy } from "./publish.ts";
import { WIRE_FORMAT } from "./wire.ts";

export interface QueueExecutorOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. Required. */
  redisUrl: string;
  /** BullMQ queue name (workers must use the same). Default "mempo-rollouts". */
  queueName?: string;
  /** Where `publishPolicy(v, model)` writes `policy-<v>/`; workers read it (shared or synced). Required. */
  policiesDir: string;
  /** How many versions behind the learner a result may be; 0 = on-policy. Default 0. */
  maxStaleness?: number;
  /** Tasks per job; 1 (default) = one job per task group. */
  groupsPerJob?: number;
  /** BullMQ attempts per job (failures and refusals). Default 5. */
  attempts?: number;
  /** BullMQ backoff between attempts. Default exponential from 1000 ms (1, 2, 4, 8 s). */
  backoff?: { type: "exponential" | "fixed"; delayMs: number };
  /** Re-enqueues of one job after stale results before the submission fails. Default 3. */
  maxRequeues?: number;
  /** Policy directories written by publishPolicy that are kept (newest); 0 = keep all. Default 3. */
  keepPolicies?: number;
  /** Longest wait for one job in ms; 0 = no limit. Default 0. */
  jobTimeoutMs?: number;
  /** Prefix of the job ids, e.g. the run's name; jobs of one run and group id get the same ids. Default random. */
  runId?: string;
  /** How often the jobs in flight are checked, in ms. Default 100. */
  pollMs?: number;
  /** Log lines (default: console.log). */
  log?: (line: string) => void;
}

type InFlight = { id: string; job: RolloutJob; data: GroupJobData; since: number };
type Outcome = InFlight & ({ ok: true; value: unknown } | { ok: false; error: Error });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class QueueExecutor implements RolloutExecutor {
  readonly stats: ExecutorStats = { jobs: 0, groups: 0, dropped: 0, requeued: 0 };
  readonly queueName: string;
  readonly policiesDir: string;
  readonly maxStaleness: number;
  #version = -1;
  readonly #written: string[] = [];
  readonly #o: Required<Omit<QueueExecutorOptions, "log">> & { log: (line: string) => void };
  /** The last policy record published (re-published when Redis comes back empty). */
  #record: PublishedPolicy | null = null;

  private constructor(
    o: QueueExecutorOptions,
    readonly queue: Queue,
    readonly redis: Redis,
    readonly connections: Redis[],
  ) {
    this.#o = {
      queueName: DEFAULT_QUEUE,
      maxStaleness: 0,
      groupsPerJob: 1,
      attempts: 5,
      backoff: { type: "exponential", delayMs: 1000 },
      maxRequeues: 3,
      keepPolicies: 3,
      jobTimeoutMs: 0,
      runId: randomUUID().slice(0, 8),
      pollMs: 100,
      log: (line: string) => console.log(line),
      ...o,
    };
    this.queueName = this.#o.queueName;
    this.policiesDir = resolve(o.policiesDir);
    this.maxStaleness = this.#o.maxStaleness;
    if (!Number.isInteger(this.maxStaleness) || this.maxStaleness < 0) {
      throw new Error(`QueueExecutor: maxStaleness must be an integer ≥ 0, got ${this.maxStaleness}`);
    }
    if (!Number.isInteger(this.#o.groupsPerJob) || this.#o.groupsPerJob < 1) {
      throw new Error(`QueueExecutor: groupsPerJob must be an integer ≥ 1, got ${this.#o.groupsPerJob}`);
    }
  }

  /**
   * Connects to Redis (the queue and a plain client) and returns the executor. While Redis is
   * unreachable later, commands wait for the reconnection (logged once per outage) instead of failing.
   */
  static async create(o: QueueExecutorOptions): Promise<QueueExecutor> {
    const { Queue } = await import("bullmq");
    const { Redis: IORedis } = await import("ioredis");
    const name = o.queueName ?? DEFAULT_QUEUE;
    const log = o.log ?? ((line: string) => console.log(line));
    const probe = new IORedis(o.redisUrl, { lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => undefined); // the connect error below says it
    await probe.connect().catch((e: Error) => {
      probe.disconnect();
      throw new Error(
        `QueueExecutor: cannot reach Redis at ${o.redisUrl}: ${e.message} (start one: bash scripts/redis.sh start)`,
      );
    });
    probe.disconnect();
    const reconnect = {
      maxRetriesPerRequest: null,
      retryStrategy: (n: number) => Math.min(100 * 2 ** n, 5000),
    };
    const connections = [0, 1].map(() => new IORedis(o.redisUrl, reconnect));
    let down = 0;
    connections[0]!.on("close", () => {
      if (down++ === 0)
        log(`queue ${name}: lost Redis at ${o.redisUrl}; reconnecting with backoff (up to 5 s)`);
    });
    connections[0]!.on("ready", () => {
      if (down > 0) log(`queue ${name}: Redis at ${o.redisUrl} is back`);
      down = 0;
    });
    const queue = new Queue(name, { connection: connections[0]! });
    queue.on("error", (e) => log(`queue ${name}: ${e.message}`));
    await queue.waitUntilReady();
    return new QueueExecutor(o, queue, connections[1]!, connections);
  }

  /** The prefix of this executor's job ids. */
  get runId(): string {
    return this.#o.runId;
  }

  get version(): number {
    return this.#version;
  }

  /** The record workers read (null before the first publication by anyone). */
  async published(): Promise<PublishedPolicy | null> {
    const t = await this.redis.get(policyKey(this.queueName));
    return t === null ? null : parsePublished(t, `Redis key ${policyKey(this.queueName)}`);
  }

  async publishPolicy(version: number, source: Model | string): Promise<void> {
    if (!Number.isInteger(version) || version < 0 || version < this.#version) {
      throw new Error(
        `publishPolicy: version ${version} must be an integer ≥ max(0, current ${this.#version})`,
      );
    }
    let dir: string;
    if (typeof source === "string") {
      dir = resolve(source);
      if (!existsSync(join(dir, "config.json"))) {
        throw new Error(
          `publishPolicy: ${dir} has no config.json; pass a checkpoint directory (saveCheckpoint)`,
        );
      }
    } else {
      dir = await writePolicy(this.policiesDir, version, source);
      if (!this.#written.includes(dir)) this.#written.push(dir);
    }
    const record: PublishedPolicy = { version, dir, publishedAt: new Date().toISOString() };
    await this.redis.set(policyKey(this.queueName), JSON.stringify(record));
    this.#record = record;
    this.#version = version;
    const keep = this.#o.keepPolicies;
    while (keep > 0 && this.#written.length > keep) {
      await rm(this.#written.shift()!, { recursive: true, force: true });
    }
  }

  #jobOptions(id: string): JobsOptions {
    return {
      jobId: id,
      attempts: this.#o.attempts,
      backoff: { type: this.#o.backoff.type, delay: this.#o.backoff.delayMs },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 86_400 },
    };
  }

  #jobData(submission: string, job: RolloutJob, attempt: number, learner: number): GroupJobData {
    return {
      format: WIRE_FORMAT,
      submission,
      index: job.index,
      attempt,
      tasks: job.tasks,
      config: job.config,
      learnerVersion: learner,
      maxStaleness: this.maxStaleness,
      minVersion: learner - this.maxStaleness,
    };
  }

  async *stream(
    tasks: readonly Task[],
    config: Partial<RolloutConfig>,
    policyVersion = this.#version,
  ): AsyncIterable<RolloutGroup> {
    if (policyVersion < 0) {
      throw new Error(
        "QueueExecutor: no policy version yet; call publishPolicy(version, model) before submitting",
      );
    }
    const jobs = planJobs(tasks, config, this.#o.groupsPerJob);
    if (jobs.length === 0) return;
    const q = this.queueName;
    if ((await this.queue.getWorkersCount()) === 0) {
      this.#o.log(
        `queue ${q}: no worker is connected; jobs wait until a worker (mempo worker) on queue ${q} starts`,
      );
    }
    const inFlight = new Map<string, InFlight>();
    const learner = () => Math.max(policyVersion, this.#version);
    const enqueue = async (batch: { job: RolloutJob; attempt: number }[]) => {
      const items = batch.map(({ job, attempt }) => ({
        id: `${this.#o.runId}/${job.config.groupIdPrefix}${job.tasks[0]!.id}/${attempt}`,
        job,
        data: this.#jobData(this.#o.runId, job, attempt, learner()),
        since: Date.now(),
      }));
      await this.queue.addBulk(
        items.map((it) => ({ name: GROUP_JOB, data: it.data, opts: this.#jobOptions(it.id) })),
      );
      this.stats.jobs += items.length;
      for (const it of items) inFlight.set(it.id, it);
      return items;
    };
    await enqueue(jobs.map((job) => ({ job, attempt: 0 })));
    const seen = new Set<string>(); // group ids returned (each exactly once)
    try {
      while (inFlight.size > 0) {
        const out = await this.#next(inFlight);
        inFlight.delete(out.id);
        const what = `rollout job ${out.id} (tasks ${out.job.tasks.map((t) => t.id).join(", ")})`;
        if (!out.ok) throw await this.#failure(what, out.error);
        const res = parseJobResult(out.value, what);
        const text = await this.redis.getdel(res.key);
        if (text === null) {
          // the job finished but its result is gone (Redis restarted in between): run it again
          this.#o.log(`queue ${q}: ${what}: its result ${res.key} is not in Redis; adding the job again`);
          await this.#republish();
          await enqueue([{ job: out.job, attempt: out.data.attempt + 1 }]);
          continue;
        }
        const { policyVersion: v, groups } = decodePayload(
          text,
          out.data,
          `${what} from worker ${res.worker}`,
        );
        if (learner() - v > this.maxStaleness) {
          this.stats.dropped += groups.length;
          if (out.data.attempt >= this.#o.maxRequeues) {
            throw new Error(
              `${what}: came back stale ${out.data.attempt + 1} times (policy v${v}, learner v${learner()}, ` +
                `staleness bound ${this.maxStaleness}); raise maxStaleness or add workers`,
            );
          }
          const [again] = await enqueue([{ job: out.job, attempt: out.data.attempt + 1 }]);
          this.#o.log(
            `queue ${q}: ${what} used policy v${v}, learner is v${learner()} (bound ${this.maxStaleness}): ` +
              `dropped ${groups.length} groups, requeued as ${again!.id}`,
          );
          this.stats.requeued++;
          continue;
        }
        for (const g of groups) {
          if (seen.has(g.groupId)) throw new Error(`${what}: group ${g.groupId} came back twice`);
          seen.add(g.groupId);
        }
        this.stats.groups += groups.length;
        yield* groups;
      }
    } finally {
      // an error or an abandoned iteration: take back the submission's jobs no worker holds
      for (const id of inFlight.keys()) await this.queue.remove(id).catch(() => 0);
    }
  }

  /**
   * Polls the jobs in flight until one has finished (completed, or failed its last attempt). A job
   * that is no longer in Redis is added again (same id) after re-publishing the policy record.
   */
  async #next(inFlight: Map<string, InFlight>): Promise<Outcome> {
    const { Job } = await import("bullmq");
    for (;;) {
      for (const f of inFlight.values()) {
        const state = await this.queue.getJobState(f.id); // before reading the job: its result is then complete
        if (state === "unknown") {
          this.#o.log(`queue ${this.queueName}: job ${f.id} is not in Redis (restarted?); adding it again`);
          await this.#republish();
          await this.queue.add(GROUP_JOB, f.data, this.#jobOptions(f.id));
          continue;
        }
        if (state === "completed" || state === "failed") {
          const job = await Job.fromId(this.queue, f.id);
          if (state === "completed") return { ...f, ok: true, value: job?.returnvalue };
          return { ...f, ok: false, error: new Error(job?.failedReason) };
        }
        const limit = this.#o.jobTimeoutMs;
        if (limit > 0 && Date.now() - f.since > limit)
          return { ...f, ok: false, error: new Error("timed out") };
      }
      await sleep(this.#o.pollMs);
    }
  }

  /** Writes the last policy record again when Redis lost it. */
  async #republish(): Promise<void> {
    if (this.#record === null || (await this.redis.exists(policyKey(this.queueName))) === 1) return;
    await this.redis.set(policyKey(this.queueName), JSON.stringify(this.#record));
    this.#o.log(`queue ${this.queueName}: re-published policy v${this.#record.version}`);
  }

  async #failure(what: string, e: Error): Promise<Error> {
    if (/timed out/.test(e.message)) {
      const counts = await this.queue.getJobCounts("waiting", "active", "delayed", "failed");
      const workers = await this.queue.getWorkersCount();
      return new Error(
        `${what} did not finish within ${this.#o.jobTimeoutMs} ms; queue ${this.queueName}: ` +
          `${JSON.stringify(counts)}, ${workers} workers connected`,
      );
    }
    return new Error(`${what} failed after ${this.#o.attempts} attempts: ${e.message}`);
  }

  submit(
    tasks: readonly Task[],
    config: Partial<RolloutConfig>,
    policyVersion?: number,
  ): Promise<RolloutGroup[]> {
    const prefix = resolveRolloutConfig(config).groupIdPrefix;
    return collectInTaskOrder(tasks, prefix, this.stream(tasks, config, policyVersion));
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await Promise.allSettled([this.redis, ...this.connections].map((c) => c.quit()));
  }
}
