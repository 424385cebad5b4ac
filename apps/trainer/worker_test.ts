/**
 * RL rollouts through the queue end to end: the smoke profile's data, tokenizer and SFT, then RL
 * twice from the same SFT checkpoint — in process, and with `--rollout.queue bullmq` on a throwaway
 * redis-server (scripts/redis.sh) served by two `mempo worker` processes — with the same
 * `rollout.groupsPerJob`. The final weights must be byte-identical and the metrics equal. Skipped,
 * with the reason printed, when redis-server is not installed. About a minute on 2 cores.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const redisScript = join(root, "scripts/redis.sh");
const missing =
  spawnSync("redis-server", ["--version"]).status === 0 ? null : "redis-server is not installed";
if (missing !== null) console.log(`worker_test.ts skipped: ${missing} (bash scripts/redis.sh install)`);

const tmp = mkdtempSync(join(tmpdir(), "mempo-worker-"));
afterAll(() => {
  spawnSync("bash", [redisScript, "stop", join(tmp, "redis")]);
  rmSync(tmp, { recursive: true, force: true });
});

/** `main` with console output captured; returns the exit code and the output. */
async function mempo(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out += `${a.join(" ")}\n`;
  });
  try {
    return { code: await main(argv), out };
  } finally {
    log.mockRestore();
  }
}

const rlMetrics = (dir: string) =>
  readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => m.stage === "rl")
    .map(({ time_s, rollout_s, update_s, ...m }) => m);

describe.skipIf(missing !== null)("mempo rl --rollout.queue bullmq with 2 mempo worker processes", () => {
  it("gives the in-process run's metrics and final weights, byte for byte", async () => {
    const a = join(tmp, "a");
    const b = join(tmp, "b");
    const same = ["--rl.iterations", "2", "--rollout.groupsPerJob", "1", "--log.progress", "lines"];
    expect((await mempo("data", "--profile", "smoke", "--out", a, ...same)).code).toBe(0);
    expect((await mempo("tokenizer", "--run", a)).code).toBe(0);
    expect((await mempo("sft", "--run", a)).code).toBe(0);
    cpSync(a, b, { recursive: true });
    expect((await mempo("rl", "--run", a)).code).toBe(0);

    const url = spawnSync("bash", [redisScript, "start", join(tmp, "redis")], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .pop()!;
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const workers: ChildProcess[] = [];
    const outs: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const w = spawn(
          process.execPath,
          ["--import", "tsx", join(root, "apps/trainer/main.ts"), "worker", "--run", b, "--redis", url],
          { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MEMPO_THREADS: "1" } },
        );
        outs.push("");
        w.stdout!.on("data", (d) => (outs[i] += d));
        w.stderr!.on("data", (d) => (outs[i] += d));
        workers.push(w);
      }
      const queued = await mempo("rl", "--run", b, "--rollout.queue", "bullmq", "--rollout.redis", url);
      expect(queued.code, queued.out).toBe(0);
      expect(queued.out).toContain(`rollouts on queue 'mempo-b' at ${url}`);
      const exited = workers.map((w) => new Promise((r) => w.on("exit", r)));
      for (const w of workers) w.kill("SIGTERM");
      expect(await Promise.all(exited)).toEqual([0, 0]);
      const done = outs.join("").match(/job \S+ done/g) ?? [];
      // 2 iterations × 2 tasks, one job per task group
      expect(done).toHaveLength(4);
    } finally {
      for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
    }
    expect(rlMetrics(b)).toEqual(rlMetrics(a));
    expect(
      readFileSync(join(b, "rl/model.safetensors")).equals(readFileSync(join(a, "rl/model.safetensors"))),
    ).toBe(true);
  }, 300_000);

  it("mempo worker without a Redis URL, or with an unreachable one, says so", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await main(["worker", "--run", join(tmp, "a")])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toMatch(/needs the queue's Redis: --redis URL/);
    } finally {
      err.mockRestore();
    }
    await expect(mempo("worker", "--run", join(tmp, "a"), "--redis", "redis://127.0.0.1:1")).rejects.toThrow(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
