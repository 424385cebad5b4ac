/**
 * A worker process for queue_test.ts: `runWorker` from a run directory with the default model
 * loader, signals handled (as a worker process runs it). Env: REDIS_URL, QUEUE, RUN_DIR, and DELAY_MS
 * (a pause before each generate call, so a test can signal the process while a job is active).
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
