/**
 * Test fixtures of the rollout queue (not exported from mod.ts): a throwaway redis-server through
 * scripts/redis.sh, and a stateless scripted policy (its responses depend only on the prompt, so any
 * worker, in any order, produces the same groups).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promptQuestion, type Task, type TokenCodec } from "@mempo/env";
import { type ScriptedPolicy, scriptedPolicy } from "../scripted_policy.ts";

export const REDIS_SCRIPT = fileURLToPath(new URL("../../../scripts/redis.sh", import.meta.url));

export interface TestRedis {
  url: string;
  dir: string;
  stop(): void;
  /** SIGKILLs the server (a crash: it keeps nothing) and starts a fresh one on the same port after `downMs`. */
  crash(downMs: number): Promise<void>;
}

/** Why Redis tests cannot run here, or null when redis-server is installed. */
export function redisMissing(): string | null {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return "redis-server is not installed (bash scripts/redis.sh install; CI installs it)";
  }
  return null;
}

/** Starts redis-server on a random loopback port in a temp dir; `stop()` kills it and removes the dir. */
export function startRedis(): TestRedis {
  const dir = mkdtempSync(join(tmpdir(), "mempo-redis-test-"));
  const r = spawnSync("bash", [REDIS_SCRIPT, "start", dir], { encoding: "utf8", timeout: 15_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`scripts/redis.sh start failed (${r.status}): ${r.stderr}`);
  }
  const url = r.stdout.trim().split("\n").pop()!;
  return {
    url,
    dir,
    crash: async (downMs) => {
      process.kill(Number(readFileSync(join(dir, "redis.pid"), "utf8")), "SIGKILL");
      await new Promise((res) => setTimeout(res, downMs));
      const again = spawnSync("bash", [REDIS_SCRIPT, "start", dir], { encoding: "utf8", timeout: 15_000 });
      if (again.stdout.trim().split("\n").pop() !== url) {
        throw new Error(`redis restart on ${url} failed (${again.status}): ${again.stdout} ${again.stderr}`);
      }
    },
    stop: () => {
      spawnSync("bash", [REDIS_SCRIPT, "stop", dir], { timeout: 15_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A stateless agent: a prompt without search results searches the first objective, one with
 * results answers (the gold answer for
 * tasks at even positions, a wrong one otherwise). Memory scores depend on the context only.
 */
export function statelessPolicy(codec: TokenCodec, tasks: readonly Task[], version = 0): ScriptedPolicy {
  const byQuestion = new Map(tasks.map((t, i) => [t.question, { t, i }]));
  return scriptedPolicy({
    codec,
    version,
    respond: (ctx) => {
      const q = promptQuestion(ctx) ?? "";
      const hit = byQuestion.get(q);
      if (hit === undefined) throw new Error(`statelessPolicy: unknown question '${q}'`);
      if (!ctx.includes("<information>")) {
        return `<mem>need: ${hit.t.objectives.join(" | ")}</mem><think>search first</think><search>${hit.t.objectives[0]}</search>`;
      }
      const answer = hit.i % 2 === 0 ? hit.t.golden.map((g) => g[0]).join("; ") : "nobody";
      return `<mem>found: ${q.length} chars</mem><think>answer now</think><answer>${answer}</answer>`;
    },
    score: (context, target) =>
      Float32Array.from(target, (id, j) => -((context.length + id + j) % 13) / 10 - 0.01),
  });
}
