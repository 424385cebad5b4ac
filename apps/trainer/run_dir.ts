/**
 * The run directory: where every artifact of a run lives, the metrics log and the console log.
 *
 *   runs/<timestamp>/
 *     config.json            resolved trainer config (also stored in every checkpoint)
 *     corpus.jsonl qa.jsonl  the generated training world (FlashRAG / Search-R1 JSONL)
 *     index.bin tasks.json   BM25 index; training and held-out evaluation tasks
 *     eval_corpus.jsonl eval_qa.jsonl eval_index.bin   the held-out world (another seed)
 *     tokenizer.json         byte-level BPE with the protocol's special tokens
 *     sft/ rl/               checkpoints (HF config.json + model.safetensors, optimizer, RNG, tokenizer)
 *     metrics.jsonl          one JSON line per SFT step / RL iteration / evaluation row, each tagged
 *                            with `attempt` (1 for the first command on the directory, then 2, …)
 *     run.lock               the PID of the mempo process using the directory (while it runs)
 *     eval.json report.md    evaluation table
 *     transcripts.jsonl      every evaluated model episode (responses, observations, answers, score)
 *
 * One process at a time: opening a run takes `run.lock` (created exclusively, holding the PID); a
 * second command on the same directory fails with the holder's PID, and a lock left by a process that
 * no longer runs (killed) is taken over with a message.
 *
 * Test: exercised by main_test.ts (the smoke run) and reliability_test.ts (lock, attempts).
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseJsonFile } from "@mempo/model/node";
import type { Config } from "./config.ts";

export interface Run {
  dir: string;
  config: Config;
  path(name: keyof typeof FILES): string;
  /** Appends one record to metrics.jsonl (with the wall time since the run opened). */
  metric(record: Record<string, unknown>): void;
  /** A console line (stdout). */
  log(message: string): void;
  /** Seconds since the run opened. */
  elapsed(): number;
  /** This command's attempt number on the directory (tags every metrics line). */
  attempt: number;
  /** Releases the run's lock. */
  close(): void;
}

const FILES = {
  config: "config.json",
  corpus: "corpus.jsonl",
  qa: "qa.jsonl",
  index: "index.bin",
  evalCorpus: "eval_corpus.jsonl",
  evalQa: "eval_qa.jsonl",
  evalIndex: "eval_index.bin",
  tasks: "tasks.json",
  tokenizer: "tokenizer.json",
  sft: "sft",
  rl: "rl",
  metrics: "metrics.jsonl",
  eval: "eval.json",
  report: "report.md",
  transcripts: "transcripts.jsonl",
  lock: "run.lock",
} as const;

/** Default run directory name: runs/2026-11-24T15-49-25 (local clock, seconds). */
export function defaultRunDir(now = new Date()): string {
  return join("runs", now.toISOString().slice(0, 19).replace(/:/g, "-"));
}

/**
 * Creates (or reuses) the run directory, takes its lock and writes the resolved config into it.
 * @throws Error when another live process holds the lock.
 */
export function openRun(config: Config, log: (m: string) => void = (m) => console.log(m)): Run {
  const dir = resolve(config.out === "" ? defaultRunDir() : config.out);
  mkdirSync(dir, { recursive: true });
  const release = lockRun(join(dir, FILES.lock), log);
  try {
    const resolved = { ...config, out: config.out === "" ? dir : config.out };
    writeFileSync(join(dir, FILES.config), `${JSON.stringify(resolved, null, 2)}\n`);
    const metrics = join(dir, FILES.metrics);
    const attempt = lastAttempt(metrics) + 1;
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    return {
      dir,
      config: resolved,
      path: (name) => join(dir, FILES[name]),
      metric: (r) => {
        const line = `${JSON.stringify({ ...r, attempt, time_s: round(elapsed(), 2) })}\n`;
        try {
          appendFileSync(metrics, line);
        } catch (e) {
          throw new Error(`${metrics}: cannot append (${(e as Error).message})`);
        }
      },
      log,
      elapsed,
      attempt,
      close: release,
    };
  } catch (e) {
    release();
    throw e;
  }
}

/** The highest `attempt` in metrics.jsonl (lines without one count as attempt 1; 0 when empty). */
function lastAttempt(metrics: string): number {
  if (!existsSync(metrics)) return 0;
  let last = 0;
  for (const line of readFileSync(metrics, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const m = /"attempt":(\d+)/.exec(line);
    last = Math.max(last, m ? Number(m[1]) : 1);
  }
  return last;
}

/** Whether a process with this PID is running (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock file exclusively (it holds this PID). A lock whose PID no longer runs is taken over.
 * @returns the function that releases it (also run when the process exits).
 * @throws Error naming the lock file and the PID holding it.
 */
export function lockRun(file: string, log: (m: string) => void): () => void {
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(file, "wx");
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || tries > 2) throw e;
    }
    const text = readFileSync(file, "utf8").trim();
    const pid = Number(text);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new Error(
        `${dirname(file)} is in use by another mempo process (PID ${pid}, lock ${file}); wait for it to finish ` +
          "or use another --out directory (remove the lock file only if that process is not mempo)",
      );
    }
    log(`taking over ${file}: its process (${text || "no PID"}) is no longer running`);
    rmSync(file, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    if (existsSync(file) && readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file);
  };
  process.on("exit", release);
  return release;
}

/** Fails with the command that produces a missing artifact. */
export function requireFile(run: Run, name: keyof typeof FILES, producer: string): string {
  const p = run.path(name);
  if (!existsSync(p)) {
    throw new Error(`${p} is missing: run \`mempo ${producer} --run ${run.dir}\` first (or \`mempo train\`)`);
  }
  return p;
}

export const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Reads a JSON file as strict UTF-8. @throws Error naming the file on bad bytes or bad JSON. */
export function readJsonSync(path: string): unknown {
  return parseJsonFile(readFileSync(path), path);
}
