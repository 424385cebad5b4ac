/**
 * A worker process for queue_test.ts: `runWorker` from a run directory with the default model
 * loader, signals handled (as a worker process runs it). Env: REDIS_URL, QUEUE, RUN_DIR, DELAY_MS
 * (a pause before each generate call, so a test can signal the process while a job is active) and
 * LOCK_MS and STALLED_MS (the job lock and the stalled-job check interval; default the worker's).
 * Not a test file and not exported.
 */
import { modelLoader } from "./publish.ts";
import { runWorker } from "./worker.ts";

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`testing_worker_main: set ${name}`);
  return v;
};
const delay = Number(process.env.DELAY_MS ?? 0);
const load = modelLoader();
const worker = await runWorker({
  redisUrl: env("REDIS_URL"),
  queueName: env("QUEUE"),
  runDir: env("RUN_DIR"),
  lockDurationMs: process.env.LOCK_MS === undefined ? undefined : Number(process.env.LOCK_MS),
  stalledIntervalMs: process.env.STALLED_MS === undefined ? undefined : Number(process.env.STALLED_MS),
  loader: async (p) => {
    const lp = await load(p);
    const generate = lp.policy.generate.bind(lp.policy);
    lp.policy.generate = async (prompts, req) => {
      await new Promise((r) => setTimeout(r, delay));
      return generate(prompts, req);
    };
    return lp;
  },
});
await worker.closed;
