/**
 * Where RL rollouts run (`--rollout.queue`): in this process, or as BullMQ jobs on Redis that
 * `mempo worker` processes run (docs/scale-out.md). Both are @mempo/rollout's RolloutExecutor, so the
 * RL stage has one code path: publish the policy of iteration i, submit the iteration's tasks, get
 * the groups (with their memory scores, computed where the rollouts ran) back in task order.
 *
 *   in process   InProcessExecutor(policy): runGroups on the learner's own model
 *   bullmq       QueueExecutor: the policy saved to <run>/policies/policy-<i>/ and named in Redis;
 *                job ids <run name>/it<i>/n<N>/<task>/<attempt>
 *   mempo worker runWorker: the run's index.bin and tokenizer.json, the published policies, the run's
 *                backend and scoring batch
 *
 * With equal `rollout.groupsPerJob` (≥ 1) the two give the same groups and the same weights
 * (worker_test.ts); `groupsPerJob` 0 (the default) runs every task of an objective count in one call.
 */
import { basename, join } from "node:path";
import {
  InProcessExecutor,
  type ModelPolicy,
  QueueExecutor,
  type RolloutEnv,
  type RolloutExecutor,
  runWorker,
} from "@mempo/rollout";
import type { Config } from "../config.ts";
import type { Run } from "../run_dir.ts";

/** The run's queue: `rollout.queueName`, or `mempo-<run directory name>`. */
export function queueName(config: Config): string {
  return config.rollout.queueName || `mempo-${basename(config.out)}`;
}

/** The rollout executor of the run's config (close it when the stage ends). */
export async function openExecutor(run: Run, policy: ModelPolicy, env: RolloutEnv): Promise<RolloutExecutor> {
  const c = run.config.rollout;
  if (c.queue === "none") return new InProcessExecutor(policy, env, { groupsPerJob: c.groupsPerJob });
  if (c.redis === "") {
    throw new Error(
      "rl: --rollout.queue bullmq needs --rollout.redis URL (a local one: bash scripts/redis.sh start)",
    );
  }
  const name = queueName(run.config);
  const ex = await QueueExecutor.create({
    redisUrl: c.redis,
    queueName: name,
    policiesDir: join(run.dir, "policies"),
    maxStaleness: c.maxPolicyLag,
    groupsPerJob: Math.max(1, c.groupsPerJob),
    runId: basename(run.dir),
    log: (line) => run.log(`rl: ${line}`),
  });
  run.log(`rl: rollouts on queue '${name}' at ${c.redis}; start workers with: mempo worker --run ${run.dir}`);
  return ex;
}

/** `mempo worker --run DIR`: serves the run's queue until SIGINT / SIGTERM. */
export async function workerCommand(config: Config): Promise<number> {
  const c = config.rollout;
  if (c.redis === "") {
    console.error("mempo: mempo worker needs the queue's Redis: --redis URL (or the run's --rollout.redis)");
    return 2;
  }
  const worker = await runWorker({
    redisUrl: c.redis,
    queueName: queueName(config),
    runDir: config.out,
    concurrency: c.concurrency,
    policyRoot: c.policyRoot || undefined,
    backend: config.backend,
    maxBatchTokens: config.rl.microBatchTokens,
  });
  await worker.closed;
  return 0;
}
