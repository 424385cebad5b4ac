/**
 * Command-line parsing: `mempo <command> [--section.key value | --section.key=value]…`. Flags are the
 * leaves of the config schema (config.ts); each value is converted by the field's kind and checked,
 * so a bad flag or value fails here with the flag, the value and what is allowed (exit code 2).
 * Besides config flags: `--run DIR` (the run directory a stage reads and writes; same as `--out`),
 * `--resume DIR` (a checkpoint to continue from) and `--help`; `--redis`, `--queue` and
 * `--concurrency` are short for `--rollout.redis`, `--rollout.queueName`, `--rollout.concurrency`;
 * `--host` and `--port` for `--serve.host` and `--serve.port`.
 *
 * Test: `npx vitest run config_test.ts main_test.ts` (flags, values, errors and exit code 2).
 */
import { type ConfigField, ConfigError, configFields } from "./config.ts";

export const COMMANDS = {
  train: "all stages: data → tokenizer → sft → rl → eval",
  pretrain:
    "pre-train the base model (fresh worlds' passages + reading items) → --out DIR (model, tokenizer)",
  data: "generate the world, write corpus.jsonl / qa.jsonl, build the BM25 index and the tasks",
  tokenizer: "train byte-level BPE on the corpus and teacher transcripts → tokenizer.json",
  sft: "cold start on scripted-teacher trajectories → sft/ checkpoint",
  rl: "MemPO (or --rl.algo grpo) from the SFT checkpoint → rl/ checkpoint",
  eval: "evaluate the run's checkpoints on held-out N-objective tasks → eval.json, report.md",
  worker:
    "run RL rollout jobs from the run's queue (--rollout.queue bullmq) until SIGTERM: --run DIR [--redis URL]",
  serve:
    "the Search-R1 /retrieve server over a FlashRAG corpus: --data.corpus FILE [--host H --port P --serve.index FILE]",
  help: "print this help",
} as const;

export type Command = keyof typeof COMMANDS;

const ALIASES: Record<string, string> = {
  run: "out",
  redis: "rollout.redis",
  queue: "rollout.queueName",
  concurrency: "rollout.concurrency",
  host: "serve.host",
  port: "serve.port",
};

export interface ParsedCli {
  command: Command;
  /** Config overrides as a nested object ({rl: {iterations: 20}}). */
  flags: Record<string, unknown>;
  /** `--resume DIR`: checkpoint directory to continue from. */
  resume: string | null;
  help: boolean;
}

/** Parses argv (without `node main.ts`). @throws ConfigError for an unknown command, flag or bad value. */
export function parseCli(argv: readonly string[]): ParsedCli {
  const fields = new Map(configFields().map((f) => [f.path, f]));
  const first = argv[0];
  const command = (first === undefined || first === "--help" || first === "-h" ? "help" : first) as Command;
  if (!(command in COMMANDS)) {
    throw new ConfigError(
      `unknown command '${first}'; use one of ${Object.keys(COMMANDS).join(", ")} (mempo help)`,
    );
  }
  const out: ParsedCli = { command, flags: {}, resume: null, help: command === "help" };
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") {
      out.help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      throw new ConfigError(`unexpected argument '${arg}'; flags look like --rl.iterations 20 (mempo help)`);
    }
    const eq = arg.indexOf("=");
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    name = ALIASES[name] ?? name;
    const field = fields.get(name);
    if (name !== "resume" && field === undefined) {
      throw new ConfigError(
        `unknown flag --${name}${suggest(name, [...fields.keys()])}; mempo help lists them`,
      );
    }
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = args[i + 1];
      if (field?.kind === "boolean" && (next === undefined || next.startsWith("--"))) value = "true";
      else if (next === undefined) throw new ConfigError(`flag --${name} needs a value`);
      else value = args[++i]!;
    }
    if (name === "resume") out.resume = value;
    else setPath(out.flags, name, convert(field!, value));
  }
  return out;
}

/** Converts a flag's text to the field's type. */
function convert(f: ConfigField, text: string): unknown {
  const bad = (allowed: string): never => {
    throw new ConfigError(`--${f.path} ${JSON.stringify(text)}: ${allowed}`);
  };
  switch (f.kind) {
    case "integer":
      return /^-?\d+$/.test(text.trim()) ? Number(text) : bad("must be an integer");
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : bad("must be a number");
    }
    case "boolean":
      return text === "true" ? true : text === "false" ? false : bad("must be true or false");
    case "integer[]":
      if (text.trim() === "") return [];
      return text
        .split(",")
        .map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : bad("must be integers like 2,4,6")));
    case "enum":
      return f.options!.includes(text) ? text : bad(`must be one of ${f.options!.join(", ")}`);
    default:
      return text;
  }
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    o[k] ??= {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

/** " (did you mean --x?)" for the closest known flag, or "". */
function suggest(name: string, known: string[]): string {
  let best = "";
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = Math.min(distance(name, k), distance(name, k.split(".").pop()!) + 1);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, name.length / 3) ? ` (did you mean --${best}?)` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** `mempo help`: commands, then every flag with its default and doc line. */
export function helpText(): string {
  const lines = ["usage: mempo <command> [--profile default|smoke] [--section.key value]…", "", "commands:"];
  for (const [c, doc] of Object.entries(COMMANDS)) lines.push(`  ${c.padEnd(10)} ${doc}`);
  lines.push(
    "",
    "run directory: --out DIR (or --run DIR) — default runs/<timestamp> for train, required for single stages;",
    "--resume DIR continues from a checkpoint (DIR/sft or DIR/rl); MEMPO_BACKEND sets the default backend.",
    "",
    "flags (default — meaning):",
  );
  for (const f of configFields()) {
    const allowed = f.options ? ` [${f.options.join("|")}]` : "";
    lines.push(`  --${f.path.padEnd(26)} ${JSON.stringify(f.value).padEnd(22)} ${f.doc}${allowed}`);
  }
  return lines.join("\n");
}
