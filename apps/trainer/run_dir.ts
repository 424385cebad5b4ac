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
 *     metrics.jsonl          one JSON line per SFT step / RL iteration / evaluation row
 *     eval.json report.md    evaluation table
 *     transcripts.jsonl      every evaluated model episode (responses, observations, answers, score)
 *
 * Test: exercised by main_test.ts (the smoke run).
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
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
} as const;

/** Default run directory name: runs/2026-11-24T15-49-25 (local clock, seconds). */
export function defaultRunDir(now = new Date()): string {
  return join("runs", now.toISOString().slice(0, 19).replace(/:/g, "-"));
}

/** Creates (or reuses) the run directory and writes the resolved config into it. */
export function openRun(config: Config, log: (m: string) => void = (m) => console.log(m)): Run {
  const dir = resolve(config.out === "" ? defaultRunDir() : config.out);
  mkdirSync(dir, { recursive: true });
  const resolved = { ...config, out: config.out === "" ? dir : config.out };
  writeFileSync(join(dir, FILES.config), `${JSON.stringify(resolved, null, 2)}\n`);
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  return {
    dir,
    config: resolved,
    path: (name) => join(dir, FILES[name]),
    metric: (r) =>
      appendFileSync(join(dir, FILES.metrics), `${JSON.stringify({ ...r, time_s: round(elapsed(), 2) })}\n`),
    log,
    elapsed,
  };
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
