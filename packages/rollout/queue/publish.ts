/**
 * Policy publication. The orchestrator writes each policy version as a checkpoint directory
 * `<policiesDir>/policy-<version>/` (@mempo/model's saveCheckpoint: config.json + model.safetensors,
 * written to temporary names and renamed) and then records `{version, dir}` under one Redis key per
 * queue, so a worker that reads the key finds complete files. Workers keep a `PolicyCache`: the
 * newest published version, loaded once and shared by the jobs that use it.
 *
 * Staleness rule: a job carries `minVersion = learnerVersion − maxStaleness`; a worker whose newest
 * loadable version is older refuses the job (a `PolicyTooOldError`: BullMQ retries it with backoff)
 * and every StepRecord it produces carries the version it used.
 *
 * Test: `npx vitest run queue/publish_test.ts`.
 */
import { basename, join } from "node:path";
import type { Model } from "@mempo/model";
import { loadModel, saveCheckpoint } from "@mempo/model/node";
import { z } from "zod";
import { modelPolicy } from "../model_policy.ts";
import type { VersionedPolicy } from "./executor.ts";
import { parseOrThrow } from "./wire.ts";

/** What Redis holds about the newest policy of a queue. */
export interface PublishedPolicy {
  version: number;
  /** Checkpoint directory as the orchestrator wrote it (absolute). */
  dir: string;
  /** ISO time of publication. */
  publishedAt: string;
}

const publishedSchema = z.object({
  version: z.number().int().min(0),
  dir: z.string().min(1),
  publishedAt: z.string(),
});

/** Redis key of a queue's newest policy. */
export const policyKey = (queueName: string) => `mempo:${queueName}:policy`;

/** Redis key prefix of a queue's job results (see worker.ts). */
export const resultKeyPrefix = (queueName: string) => `mempo:${queueName}:result:`;

/** Directory name of a version inside the policies directory. */
export const policyDirName = (version: number) => `policy-${version}`;

/** Writes `model` as `<root>/policy-<version>/` and returns that directory. */
export async function writePolicy(root: string, version: number, model: Model): Promise<string> {
  const dir = join(root, policyDirName(version));
  await saveCheckpoint(dir, model);
  return dir;
}

/** Parses the JSON stored under `policyKey`. */
export function parsePublished(text: string, where: string): PublishedPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  return parseOrThrow(publishedSchema, json, where);
}

/** A worker's view of a published directory: `policyRoot/<policy-v>` when the files live elsewhere. */
export function localPolicyDir(p: PublishedPolicy, policyRoot?: string): string {
  return policyRoot === undefined ? p.dir : join(policyRoot, basename(p.dir));
}

/** A loaded policy and how to free it. */
export interface LoadedPolicy {
  policy: VersionedPolicy;
  dispose?: () => void;
}

/** Loads a published version (the default: @mempo/model's loadModel + modelPolicy). */
export type PolicyLoader = (published: PublishedPolicy) => Promise<LoadedPolicy>;

export interface ModelLoaderOptions {
  /** Where this machine finds the `policy-<v>` directories (default: the path the orchestrator wrote). */
  policyRoot?: string;
  /** Backend of the loaded model (default: the kernels' current backend). */
  backend?: string;
  /** modelPolicy's scoring batch (padded positions per forward). Default 8192. */
  maxBatchTokens?: number;
}

/** The default loader: the checkpoint as a ModelPolicy at the published version. */
export function modelLoader(o: ModelLoaderOptions = {}): PolicyLoader {
  return async (p) => {
    const dir = localPolicyDir(p, o.policyRoot);
    let model: Model;
    try {
      model = await loadModel(dir, o.backend === undefined ? {} : { backend: o.backend });
    } catch (e) {
      throw new Error(
        `cannot load policy version ${p.version} from ${dir}: ${(e as Error).message}. ` +
          "A worker on another machine needs the orchestrator's policies directory (a shared mount, " +
          "or a synced copy passed as policyRoot / mempo worker --rollout.policyRoot)",
      );
    }
    const policy = modelPolicy(model, {
      version: p.version,
      ...(o.maxBatchTokens === undefined ? {} : { maxBatchTokens: o.maxBatchTokens }),
    });
    return { policy, dispose: () => model.dispose() };
  };
}

/** A job needs a newer policy than the worker can load (retried with backoff). */
export class PolicyTooOldError extends Error {
  override name = "PolicyTooOldError";
}

interface Entry {
  version: number;
  loading: Promise<LoadedPolicy>;
  users: number;
}

/** A policy lent to one job: release it when the job ends. */
export interface PolicyLease {
  policy: VersionedPolicy;
  version: number;
  release(): void;
}

/**
 * The newest published policy, loaded once per version. `acquire(minVersion)` reads the newest
 * published version, loads it if this process does not have it yet (concurrent jobs share one load),
 * and refuses with PolicyTooOldError when it is older than `minVersion`. Versions beyond the newest
 * `keep` are freed once no job uses them.
 */
export class PolicyCache {
  readonly #entries = new Map<number, Entry>();
  #loads = 0;

  constructor(
    readonly readLatest: () => Promise<PublishedPolicy | null>,
    readonly load: PolicyLoader,
    readonly keep = 2,
  ) {}

  /** Versions loaded (or loading) in this process, ascending. */
  get versions(): number[] {
    return [...this.#entries.keys()].sort((a, b) => a - b);
  }

  /** Times a version was loaded. */
  get loads(): number {
    return this.#loads;
  }

  async acquire(minVersion: number, why = ""): Promise<PolicyLease> {
    const latest = await this.readLatest();
    if (latest === null || latest.version < minVersion) {
      const have =
        latest === null ? "no policy is published yet" : `the newest published is ${latest.version}`;
      throw new PolicyTooOldError(`needs policy version ≥ ${minVersion}${why} but ${have}`);
    }
    let e = this.#entries.get(latest.version);
    if (e === undefined) {
      this.#loads++;
      const version = latest.version;
      const loading = this.load(latest).then((lp) => {
        lp.policy.version = version; // every StepRecord is tagged with the version that generated it
        return lp;
      });
      e = { version, loading, users: 0 };
      this.#entries.set(version, e);
      loading.catch(() => this.#entries.delete(version)); // a failed load is retried by the next job
    }
    e.users++;
    let lp: LoadedPolicy;
    try {
      lp = await e.loading;
    } catch (err) {
      e.users--;
      throw err;
    }
    this.#evict();
    let released = false;
    const entry = e;
    return {
      policy: lp.policy,
      version: e.version,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        this.#evict();
      },
    };
  }

  #evict(): void {
    const old = this.versions.slice(0, Math.max(0, this.#entries.size - this.keep));
    for (const v of old) {
      const e = this.#entries.get(v)!;
      if (e.users > 0) continue;
      this.#entries.delete(v);
      void e.loading.then((lp) => lp.dispose?.()).catch(() => {});
    }
  }

  /** Frees every loaded version (call after the last job). */
  dispose(): void {
    for (const e of this.#entries.values()) void e.loading.then((lp) => lp.dispose?.()).catch(() => {});
    this.#entries.clear();
  }
}
