/**
 * The rollout worker (`runWorker`): takes group jobs from a BullMQ queue on Redis, runs them with
 * runGroups on the newest published policy, and reports the groups back.
 *
 *   job → validate data (malformed: fails at once, no retry)
 *       → PolicyCache.acquire(minVersion)  (too old: PolicyTooOldError, BullMQ retries with backoff)
 *       → runGroups(policy, tasks, config, {BM25 index, tokenizer})
 *       → payload (wire.ts) under an expiring Redis key; the job's return value says where
 *
 * Failures are the job's, never the process's: BullMQ records the reason on the job and retries it
 * (attempts and backoff are the orchestrator's job options); the worker logs one line per failure.
 * SIGINT / SIGTERM close the worker gracefully (active jobs finish and report); a second signal
 * exits the process at once (its active jobs go back to the queue when their locks expire).
 *
 * Simplifications: the retriever and tokenizer are loaded once at start (a worker serves one run);
 * policies are read from a directory this machine can see (`policyRoot` when the path differs).
 * Test: `npx vitest run queue/queue_test.ts` (needs redis-server; skipped with the reason otherwise).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadBM25Index } from "@mempo/env/node";
import type { Tokenizer } from "@mempo/tokenizer";
import { loadTokenizer } from "@mempo/tokenizer/node";
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { type RolloutEnv, runGroups } from "../runner.ts";
import {
  DEFAULT_QUEUE,
  encodePayload,
  GROUP_JOB,
  type GroupJobData,
  type GroupJobResult,
  parseJobData,
} from "./jobs.ts";
import {
  modelLoader,
  PolicyCache,
  type PolicyLoader,
  PolicyTooOldError,
  parsePublished,
  policyKey,
  resultKeyPrefix,
} from "./publish.ts";
import { WIRE_FORMAT } from "./wire.ts";

export interface WorkerOptions {
  /** Redis URL, e.g. `redis://10.0.0.5:6379` (the orchestrator's). Required. */
  redisUrl: string;
  /** BullMQ queue name. Default "mempo-rollouts". */
  queueName?: string;
  /** Jobs processed at once by this process. Default 1 (a job already batches its G·tasks rollouts). */
  concurrency?: number;
  /** Run directory holding `index.bin` (BM25) and `tokenizer.json`. */
  runDir?: string;
  /** BM25 index file (env's BM25Index.save); default `<runDir>/index.bin`. */
  indexPath?: string;
  /** tokenizer.json; default `<runDir>/tokenizer.json`. */
  tokenizerPath?: string;
  /** Retriever and tokenizer given directly instead of files (tests, other retrievers). */
  env?: RolloutEnv;
  /** Where this machine finds the `policy-<v>` directories, when not at the orchestrator's path. */
  policyRoot?: string;
  /** Backend of loaded models (default: the kernels' current backend). */
  backend?: string;
  /** modelPolicy's scoring batch in padded positions. Default 8192. */
  maxBatchTokens?: number;
  /** How a published version becomes a Policy. Default: loadModel + modelPolicy (publish.ts). */
  loader?: PolicyLoader;
  /** Loaded versions kept in memory. Default 2. */
  keepPolicies?: number;
  /** Seconds a result payload stays in Redis for the orchestrator to collect. Default 86400. */
  resultTtlS?: number;
  /**
   * BullMQ job lock in ms. A job whose lock is not renewed within it counts as stalled and is run
   * again elsewhere, so it must outlast the longest stretch a job keeps the event loop busy.
   * Default 600000 (10 min).
   */
  lockDurationMs?: number;
  /**
   * How often this worker looks for stalled jobs (of workers that died) to run again, in ms. Default
   * 30000. One check per interval serves the whole queue, so every worker of a queue should use one value.
   */
  stalledIntervalMs?: number;
  /** Close on SIGINT / SIGTERM (default true; off in tests and when the caller handles signals). */
  handleSignals?: boolean;
  /** Name in logs and results. Default `<hostname>:<pid>:<random>`. */
  name?: string;
  /** Log lines (default: console.log). */
  log?: (line: string) => void;
}

/** Counters of a worker since it started. */
export interface WorkerStats {
  completed: number;
  /** Failed attempts (refusals included). */
  failed: number;
  /** Attempts refused because the job needed a newer policy than was published. */
  refused: number;
  /** Policy versions loaded. */
  loads: number;
  /** Groups produced. */
  groups: number;
}

export interface RunningWorker {
  readonly name: string;
  readonly stats: Readonly<WorkerStats>;
  /** Versions loaded in memory now, ascending. */
  readonly policyVersions: number[];
  /** Stops taking jobs; waits for active ones (force: does not wait). Idempotent: a second call returns the first's promise. */
  close(force?: boolean): Promise<void>;
  /** Resolves once the worker is closed (by close() or a signal). */
  readonly closed: Promise<void>;
}

/** Loads the retriever and tokenizer a worker serves from the run directory (or explicit paths). */
export async function loadWorkerEnv(
  o: Pick<WorkerOptions, "runDir" | "indexPath" | "tokenizerPath">,
): Promise<RolloutEnv> {
  const indexPath = o.indexPath ?? (o.runDir === undefined ? undefined : join(o.runDir, "index.bin"));
  const tokPath = o.tokenizerPath ?? (o.runDir === undefined ? undefined : join(o.runDir, "tokenizer.json"));
  if (indexPath === undefined || tokPath === undefined) {
    throw new Error(
      "runWorker: give runDir (with index.bin and tokenizer.json), or indexPath and tokenizerPath, or env",
    );
  }
  const retriever = await loadBM25Index(indexPath).catch((e: Error) => {
    throw new Error(
      `runWorker: cannot load the BM25 index ${indexPath}: ${e.message} (copy the run's index.bin here)`,
    );
  });
  let tokenizer: Tokenizer;
  try {
    tokenizer = loadTokenizer(tokPath);
  } catch (e) {
    throw new Error(
      `runWorker: cannot load ${tokPath}: ${(e as Error).message} (copy the run's tokenizer.json here)`,
    );
  }
  return { retriever, tokenizer };
}

/**
 * Starts a worker and returns once it is connected and taking jobs. The trainer's command is
 * `await (await runWorker(opts)).closed`.
 */
export async function runWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const q = opts.queueName ?? DEFAULT_QUEUE;
  const log = opts.log ?? ((line: string) => console.log(line));
  const name = opts.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 4)}`;
  const env = opts.env ?? (await loadWorkerEnv(opts));
  const { Worker: BullWorker, UnrecoverableError } = await import("bullmq");
  const { Redis: IORedis } = await import("ioredis");
  const redis: Redis = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  const quiet = () => undefined; // the connect error below says it
  redis.on("error", quiet);
  await redis.connect().catch((e: Error) => {
    redis.disconnect();
    throw new Error(
      `runWorker: cannot reach Redis at ${opts.redisUrl}: ${e.message} (is the trainer's Redis running and reachable from here?)`,
    );
  });
  redis.off("error", quiet);
  redis.on("error", (e: Error) => log(`worker ${name}: Redis: ${e.message}`));
  const loader =
    opts.loader ??
    modelLoader({ policyRoot: opts.policyRoot, backend: opts.backend, maxBatchTokens: opts.maxBatchTokens });
  const cache = new PolicyCache(
    async () => {
      const text = await redis.get(policyKey(q));
      return text === null ? null : parsePublished(text, `Redis key ${policyKey(q)}`);
    },
    loader,
    opts.keepPolicies ?? 2,
  );
  const stats: WorkerStats = { completed: 0, failed: 0, refused: 0, loads: 0, groups: 0 };
  const ttl = opts.resultTtlS ?? 86_400;

  const processor = async (job: Job): Promise<GroupJobResult> => {
    const what = `job ${job.id} on queue ${q}`;
    let data: GroupJobData;
    try {
      if (job.name !== GROUP_JOB) throw new Error(`unknown job name '${job.name}' (expected '${GROUP_JOB}')`);
      data = parseJobData(job.data, what);
    } catch (e) {
      throw new UnrecoverableError((e as Error).message); // a malformed job cannot succeed on a retry
    }
    const t0 = performance.now();
    const lease = await cache.acquire(
      data.minVersion,
      ` (learner version ${data.learnerVersion} − staleness bound ${data.maxStaleness})`,
    );
    stats.loads = cache.loads;
    try {
      const groups = await runGroups(lease.policy, data.tasks, data.config, env);
      const text = encodePayload(groups, lease.version);
      const key = `${resultKeyPrefix(q)}${job.id}.${randomUUID().slice(0, 8)}`;
      await redis.set(key, text, "EX", ttl);
      stats.groups += groups.length;
      return {
        format: WIRE_FORMAT,
        key,
        bytes: text.length,
        groups: groups.length,
        policyVersion: lease.version,
        worker: name,
        ms: Math.round(performance.now() - t0),
      };
    } finally {
      lease.release();
    }
  };

  const connection = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
  const worker: Worker = new BullWorker(q, processor, {
    connection,
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? 600_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    autorun: true,
  });
  worker.on("completed", (job) => {
    stats.completed++;
    const r = job.returnvalue as GroupJobResult | undefined;
    log(`worker ${name}: job ${job.id} done: ${r?.groups} groups, policy v${r?.policyVersion}, ${r?.ms} ms`);
  });
  worker.on("failed", (job, err) => {
    stats.failed++;
    if (err instanceof PolicyTooOldError || err.name === "PolicyTooOldError") stats.refused++;
    const attempts = job?.opts.attempts ?? 1;
    log(`worker ${name}: job ${job?.id} attempt ${job?.attemptsMade}/${attempts} failed: ${err.message}`);
  });
  worker.on("error", (err) => log(`worker ${name}: ${err.message}`));
  await worker.waitUntilReady();

  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing === null) {
      log(`worker ${name}: ${signal}: finishing active jobs, then exiting (again to exit at once)`);
      void close(false);
    } else {
      log(
        `worker ${name}: ${signal} again: exiting now (active jobs return to the queue when their locks expire)`,
      );
      process.exit(130);
    }
  };
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const close = (force = false): Promise<void> => {
    if (closing !== null) return closing;
    closing = (async () => {
      try {
        await worker.close(force);
      } finally {
        if (handleSignals) {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        cache.dispose();
        await Promise.allSettled([connection.quit(), redis.quit()]);
        log(`worker ${name}: closed (${stats.completed} jobs done, ${stats.failed} failed attempts)`);
        resolveClosed();
      }
    })();
    return closing;
  };
  log(
    `worker ${name}: waiting for jobs on queue '${q}' at ${opts.redisUrl} (concurrency ${opts.concurrency ?? 1})`,
  );
  return {
    name,
    stats,
    get policyVersions() {
      return cache.versions;
    },
    close,
    closed,
  };
}
