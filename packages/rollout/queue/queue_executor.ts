/**
 * QueueExecutor: the orchestrator side of scale-out (DESIGN.md §8). Rollouts run on worker
 * processes (worker.ts) on any machine that reaches the Redis server; this class is the trainer's
 * RolloutExecutor for them.
 *
 *   publishPolicy(v, model)  saveCheckpoint → <policiesDir>/policy-<v>/, then Redis `mempo:<queue>:policy`
 *                            = {version: v, dir}; older written versions beyond `keepPolicies` are deleted
 *   submit(tasks, config)    one BullMQ job per `groupsPerJob` tasks (default: one per task group), job id
 *                            `<submission>.<index>.<attempt>`, attempts + backoff for failures and refusals;
 *                            waits for each job (Job.waitUntilFinished), reads and deletes its payload,
 *                            validates it (jobs.ts / wire.ts), then checks staleness:
 *                            learnerVersion − payload version > maxStaleness → the groups are dropped and
 *                            the job is enqueued again (attempt + 1, the current learner version), at most
 *                            `maxRequeues` times. Each group is returned exactly once.
 *
 * A job that fails all its attempts fails the submission with the worker's reason; the submission's
 * jobs still waiting are removed. Plain jobs rather than a BullMQ flow: results are consumed one job at
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
import type { JobsOptions, Queue, QueueEvents } from "bullmq";
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
  /** Log lines (default: console.log). */
  log?: (line: string) => void;
}

type Outcome = { id: string; job: RolloutJob; data: GroupJobData } & (
  | { ok: true; value: unknown }
  | { ok: false; error: Error }
);

export class QueueExecutor implements RolloutExecutor {
  readonly stats: ExecutorStats = { jobs: 0, groups: 0, dropped: 0, requeued: 0 };
  readonly queueName: string;
  readonly policiesDir: string;
  readonly maxStaleness: number;
  #version = -1;
  readonly #written: string[] = [];
  readonly #o: Required<Omit<QueueExecutorOptions, "log">> & { log: (line: string) => void };

  private constructor(
    o: QueueExecutorOptions,
    readonly queue: Queue,
    readonly events: QueueEvents,
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

  /** Connects to Redis (queue, its event stream, a plain client) and returns the executor. */
  static async create(o: QueueExecutorOptions): Promise<QueueExecutor> {
    const { Queue, QueueEvents } = await import("bullmq");
    const { Redis: IORedis } = await import("ioredis");
    const name = o.queueName ?? DEFAULT_QUEUE;
    const redis = new IORedis(o.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
    await redis.connect().catch((e: Error) => {
      redis.disconnect();
      throw new Error(`QueueExecutor: cannot reach Redis at ${o.redisUrl}: ${e.message}`);
    });
    const connections = [0, 1].map(() => new IORedis(o.redisUrl, { maxRetriesPerRequest: null }));
    const queue = new Queue(name, { connection: connections[0]! });
    const events = new QueueEvents(name, { connection: connections[1]! });
    // Job.waitUntilFinished adds listeners per job in flight (completed/failed on the events, closing on the queue)
    events.setMaxListeners(0);
    queue.setMaxListeners(0);
    queue.on("error", (e) => (o.log ?? console.log)(`queue ${name}: ${e.message}`));
    events.on("error", (e) => (o.log ?? console.log)(`queue ${name} events: ${e.message}`));
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return new QueueExecutor(o, queue, events, redis, connections);
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
    const submission = randomUUID().slice(0, 8);
    const q = this.queueName;
    if ((await this.queue.getWorkersCount()) === 0) {
      this.#o.log(
        `queue ${q}: no worker is connected; jobs wait until a worker (runWorker) on queue ${q} starts`,
      );
    }
    const pending = new Map<string, Promise<Outcome>>();
    const ttl = this.#o.jobTimeoutMs > 0 ? this.#o.jobTimeoutMs : undefined;
    const watch = (
      id: string,
      bj: { waitUntilFinished(e: QueueEvents, ttl?: number): Promise<unknown> },
      job: RolloutJob,
      data: GroupJobData,
    ) => {
      pending.set(
        id,
        bj.waitUntilFinished(this.events, ttl).then(
          (value): Outcome => ({ id, job, data, ok: true, value }),
          (error: Error): Outcome => ({ id, job, data, ok: false, error }),
        ),
      );
    };
    const learner = () => Math.max(policyVersion, this.#version);
    const first = jobs.map((job) => ({ job, data: this.#jobData(submission, job, 0, learner()) }));
    const added = await this.queue.addBulk(
      first.map(({ job, data }) => ({
        name: GROUP_JOB,
        data,
        opts: this.#jobOptions(`${submission}.${job.index}.0`),
      })),
    );
    this.stats.jobs += added.length;
    added.forEach((bj, i) => {
      watch(bj.id!, bj, first[i]!.job, first[i]!.data);
    });

    try {
      while (pending.size > 0) {
        const out = await Promise.race(pending.values());
        pending.delete(out.id);
        const what = `rollout job ${out.id} (tasks ${out.job.tasks.map((t) => t.id).join(", ")})`;
        if (!out.ok) throw await this.#failure(what, out.error);
        const res = parseJobResult(out.value, what);
        const text = await this.redis.getdel(res.key);
        if (text === null) {
          throw new Error(
            `${what}: its result ${res.key} is missing from Redis (expired or collected twice)`,
          );
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
          const attempt = out.data.attempt + 1;
          const data = this.#jobData(submission, out.job, attempt, learner());
          const id = `${submission}.${out.job.index}.${attempt}`;
          this.#o.log(
            `queue ${q}: ${what} used policy v${v}, learner is v${learner()} (bound ${this.maxStaleness}): ` +
              `dropped ${groups.length} groups, requeued as ${id}`,
          );
          const bj = await this.queue.add(GROUP_JOB, data, this.#jobOptions(id));
          this.stats.jobs++;
          this.stats.requeued++;
          watch(id, bj, out.job, data);
          continue;
        }
        this.stats.groups += groups.length;
        yield* groups;
      }
    } finally {
      // an error or an abandoned iteration: take back the submission's jobs no worker holds
      for (const id of pending.keys()) await this.queue.remove(id).catch(() => 0);
    }
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
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    await Promise.allSettled([this.redis, ...this.connections].map((c) => c.quit()));
  }
}
