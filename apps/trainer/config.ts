/**
 * The trainer's one config: every knob of every stage, as a zod schema with a plain default and a
 * one-line comment each. Resolution order: schema defaults < profile (`--profile smoke`) < a saved
 * run's config.json (`mempo eval --run DIR`) < command-line flags. The resolved object is printed at
 * the start of a run, written to `<run>/config.json` and stored beside every checkpoint.
 *
 * Test: `npx vitest run config_test.ts`. Defaults are sized so `npm run train` finishes within
 * 20 minutes on a 2-core CPU (measured numbers in docs/training.md).
 */
import { PRESETS as MODEL_PRESETS } from "@mempo/model";
import {
  advantageEstimators,
  DEFAULT_RL_CONFIG,
  lossAggregations,
  type RlConfig,
  resolveRlConfig,
} from "@mempo/rl";
import { SCORINGS } from "@mempo/env";
import { z } from "zod";

const int = (min: number) => z.number().int().min(min);
const prob = () => z.number().min(0).max(1);
/** A field with its default and one line of documentation (shown by `mempo help`). */
const f = <T extends z.ZodType>(schema: T, value: z.output<T>, doc: string) =>
  schema.default(value as never).describe(doc);

/** Trainer-level model shapes; any @mempo/model preset name works too. vocabSize comes from the tokenizer. */
export const TRAINER_MODEL_PRESETS = {
  /** ≈0.1M parameters: for tests and the smoke profile. */
  tiny: { family: "llama", dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 128, qkvBias: true },
  /** ≈1M parameters with a 2k vocabulary: the default run's policy. */
  small: { family: "llama", dModel: 128, nLayers: 4, nHeads: 4, nKvHeads: 2, dFf: 384, qkvBias: true },
} as const;

/**
 * The trainer's RL defaults: @mempo/rl's (the paper's), except the two a 1M-parameter model needs to
 * learn (docs/architecture.md, "A floor on the memory advantage's std"; docs/training.md, 9): mean-F1
 * trajectory rewards, since all-EM rewards leave most groups all 0, and a floor on A^M's std.
 */
export const RL_DEFAULTS: Readonly<RlConfig> = Object.freeze({
  ...DEFAULT_RL_CONFIG,
  rewardMode: "f1",
  memoryStdFloor: 0.1,
});
/** @mempo/rl's config from the trainer's rl section: the fields of the same names, and the generation budget. */
export function rlConfig(rl: Config["rl"]): RlConfig {
  const same = Object.keys(DEFAULT_RL_CONFIG).filter((k) => k in rl);
  return resolveRlConfig({
    ...Object.fromEntries(same.map((k) => [k, rl[k as keyof typeof rl]])),
    maxLength: rl.maxNewTokens,
  });
}
const names = (registry: Map<string, unknown>) => [...registry.keys()] as [string, ...string[]];

export const MODEL_PRESET_NAMES = [
  ...Object.keys(TRAINER_MODEL_PRESETS),
  ...Object.keys(MODEL_PRESETS).filter((n) => !n.startsWith("tiny-")),
] as [string, ...string[]];

export const configSchema = z.object({
  profile: f(z.enum(["default", "smoke", "learn"]), "default", "named preset of the values below"),
  out: f(z.string(), "", 'run directory; "" = runs/<timestamp>'),
  seed: f(int(0), 1, "seed of model init, sampling and task order"),
  backend: f(
    z.enum(["wasm", "ts", "webgpu", "tfjs"]),
    "wasm",
    "compute backend; tfjs runs on MEMPO_TFJS_BACKEND (MEMPO_BACKEND sets the default)",
  ),
  agent: z
    .object({
      kind: f(
        z.enum(["mem", "react"]),
        "mem",
        "mem = MemPO's agent (<mem> each turn, only the previous turn kept); react = the ReAct baseline (no <mem>, every earlier turn kept) in SFT data, RL rollouts and eval",
      ),
    })
    .prefault({}),
  data: z
    .object({
      worldSeed: f(int(0), 1, "seed of the fictional encyclopedia"),
      entities: f(int(10), 8000, "entities in the training world (≈2.65 passages each)"),
      evalWorldSeed: f(int(0), 2, "seed of the held-out world the evaluation tasks come from"),
      evalEntities: f(int(10), 1800, "entities in the held-out world"),
      trainTasks: f(int(1), 2400, "training tasks (SFT teacher data and RL prompts)"),
      trainObjectives: f(
        z.array(int(1).max(16)).min(1),
        [1, 2, 2, 3, 4, 6],
        "objectives per training task, in turn (1,2,3 = a third each)",
      ),
      evalTasks: f(int(1), 32, "held-out tasks per objective count N"),
      evalObjectives: f(z.array(int(1).max(16)).min(1), [2, 4, 6], "the N of the evaluation tasks"),
      topk: f(int(1), 3, "passages per search"),
      turnsPerObjective: f(int(1), 2, "turn budget = turnsPerObjective·N + extraTurns"),
      extraTurns: f(int(0), 2, "see turnsPerObjective"),
      corpus: f(
        z.string(),
        "",
        'your FlashRAG corpus JSONL ({"id", "contents"}) instead of the generated world',
      ),
      qa: f(
        z.string(),
        "",
        'your FlashRAG QA JSONL ({"id", "question", "golden_answers"}): tasks built MEM1-style, N questions each',
      ),
      retriever: f(
        z.string(),
        "",
        "URL of a Search-R1 /retrieve server to search instead of the embedded BM25 (http://host:port/retrieve)",
      ),
      scoring: f(
        z.enum(SCORINGS),
        "mem1",
        "answer scoring: mem1 (MEM1 eval.py) or squad (SQuAD, as Search-R1)",
      ),
    })
    .prefault({}),
  tokenizer: z
    .object({
      vocabSize: f(int(300), 2048, "byte-level BPE vocabulary (incl. 13 special tokens)"),
      teacherTasks: f(int(0), 200, "teacher transcripts added to the corpus for training BPE"),
      from: f(
        z.string(),
        "",
        "use this directory's tokenizer.json (+ tokenizer_config.json) instead of training one",
      ),
    })
    .prefault({}),
  model: z
    .object({
      preset: f(z.enum(MODEL_PRESET_NAMES), "small", "model shape: tiny, small, or a @mempo/model preset"),
      maxSeqLen: f(int(64), 4096, "longest context in tokens (RoPE; no cost when unused)"),
      base: f(
        z.string(),
        "builtin",
        'pre-trained base (weights + tokenizer) SFT starts from: "builtin" = the shipped one (mempo pretrain), "" = from scratch, or a directory',
      ),
      from: f(
        z.string(),
        "",
        "an HF model directory (config.json + safetensors) that mempo eval evaluates and mempo rl starts from",
      ),
    })
    .prefault({}),
  teacher: z
    .object({
      seed: f(int(0), 7, "seed of the teacher's imperfections"),
      dropFactProb: f(prob(), 0, "leave out a known fact when rewriting <mem>"),
      redundantSearchProb: f(prob(), 0, "repeat the previous search"),
      vagueSearchProb: f(prob(), 0, "search without the subject's name"),
      verboseMemoryProb: f(prob(), 0, "pad <mem> with restated questions"),
      openQuestions: f(z.boolean(), true, "keep each unanswered question in <mem> (Q<i> asks: …)"),
    })
    .prefault({}),
  pretrain: z
    .object({
      steps: f(int(1), 6000, "optimizer steps of `mempo pretrain`"),
      batchSize: f(int(1), 8, "sequences per step"),
      seqLen: f(int(16), 512, "tokens per sequence"),
      lr: f(z.number().positive(), 3e-3, "peak learning rate"),
      warmupSteps: f(int(0), 50, "linear warmup steps"),
      minLrRatio: f(prob(), 0.1, "cosine floor as a fraction of lr"),
      weightDecay: f(z.number().min(0), 0.1, "AdamW decoupled weight decay"),
      entitiesPerWorld: f(int(10), 2000, "entities per generated pre-training world (fresh names each)"),
      saveEvery: f(int(0), 500, "snapshot every k steps into <out>/step-<k> (0 = only the final base)"),
    })
    .prefault({}),
  sft: z
    .object({
      epochs: f(z.number().positive(), 1, "passes over the kept teacher turns"),
      batchSize: f(int(1), 8, "turns per optimizer step"),
      lr: f(z.number().positive(), 3e-3, "peak learning rate"),
      warmupSteps: f(int(0), 20, "linear warmup steps"),
      minLrRatio: f(prob(), 0.1, "cosine floor as a fraction of lr"),
      weightDecay: f(z.number().min(0), 0.1, "AdamW decoupled weight decay"),
      gradClip: f(z.number().min(0), 1, "global gradient-norm clip (0 = off)"),
      minF1: f(z.number().min(0).max(100), 100, "keep teacher episodes with at least this F1"),
      lastTurnShare: f(
        prob(),
        0.25,
        "share of episodes that also teach one turn replayed as the last (forced answer)",
      ),
      evalEvery: f(
        int(0),
        0,
        "every k steps, greedy F1 on held-out tasks (the learning curve in report.md; 0 = off)",
      ),
      evalTasks: f(int(1), 16, "held-out tasks (of the first evaluation N) per learning-curve point"),
    })
    .prefault({}),
  rl: z
    .object({
      algo: f(z.enum(["mempo", "grpo"]), "mempo", "grpo = memory advantage off"),
      iterations: f(int(0), 16, "RL iterations (one optimizer step each)"),
      tasksPerIteration: f(int(1), 6, "tasks sampled per iteration"),
      objectives: f(
        z.array(int(1).max(16)),
        [1, 2],
        "draw RL tasks only from training tasks with these objective counts (empty = all)",
      ),
      groupSize: f(int(2), 4, "G rollouts per task"),
      temperature: f(z.number().positive(), 1, "rollout sampling temperature"),
      maxNewTokens: f(int(8), 384, "generation budget per turn"),
      lr: f(z.number().positive(), 1e-4, "peak learning rate"),
      warmupSteps: f(int(0), 2, "linear warmup iterations"),
      minLrRatio: f(prob(), 0.1, "cosine floor as a fraction of lr"),
      weightDecay: f(z.number().min(0), 0, "AdamW decoupled weight decay"),
      gradClip: f(z.number().min(0), 1, "global gradient-norm clip (0 = off)"),
      rewardMode: f(
        z.enum(["strict", "f1"]),
        RL_DEFAULTS.rewardMode,
        "trajectory reward (eq. 1): all-EM or mean F1",
      ),
      estimator: f(z.enum(names(advantageEstimators)), RL_DEFAULTS.estimator, "trajectory advantage (eq. 2)"),
      epsilon: f(z.number().positive(), RL_DEFAULTS.epsilon, "ε added to the std in eqs. 2 and 5"),
      memoryNormalization: f(
        z.enum(["pooled", "per-turn"]),
        RL_DEFAULTS.memoryNormalization,
        "A^M normalisation (eq. 5)",
      ),
      memoryStdFloor: f(
        z.number().min(0),
        RL_DEFAULTS.memoryStdFloor,
        "lower bound on the std normalising A^M (0 = eq. 5 as written)",
      ),
      memoryWeight: f(
        z.number(),
        RL_DEFAULTS.memoryWeight,
        "weight w of A^M on <mem> tokens (eq. 6; mempo only)",
      ),
      memoryLayout: f(
        z.enum(["answer", "think"]),
        "answer",
        "memory score context: </mem><answer> (eq. 3) or with the agent's <think> line before <answer>",
      ),
      clipLow: f(prob(), RL_DEFAULTS.clipLow, "PPO clip ε (lower, eq. 7)"),
      clipHigh: f(z.number().min(0), RL_DEFAULTS.clipHigh, "PPO clip ε (upper, eq. 7)"),
      klCoef: f(z.number().min(0), RL_DEFAULTS.klCoef, "β of the k3 KL to the SFT reference (eq. 7)"),
      klWarn: f(
        z.number().positive(),
        0.1,
        "warn when an iteration's KL to the SFT reference exceeds this (stable runs stay near 0.003)",
      ),
      aggregation: f(
        z.enum(names(lossAggregations)),
        RL_DEFAULTS.aggregation,
        "loss aggregation over tokens and trajectories (eq. 7)",
      ),
      microBatchTokens: f(int(256), 8192, "padded positions per forward/backward"),
      saveEvery: f(int(0), 0, "checkpoint every k iterations (0 = only at the end)"),
    })
    .prefault({}),
  rollout: z
    .object({
      queue: f(
        z.enum(["none", "bullmq"]),
        "none",
        "where RL rollouts (and their memory scores) run: this process, or mempo worker processes through Redis",
      ),
      redis: f(z.string(), "", "Redis URL of the bullmq queue, e.g. redis://127.0.0.1:6379"),
      queueName: f(z.string(), "", 'BullMQ queue name ("" = mempo-<run directory name>)'),
      groupsPerJob: f(
        int(0),
        0,
        "tasks per rollout job (0 = one batched job per objective count in process, 1 on the queue)",
      ),
      maxPolicyLag: f(int(0), 0, "policy versions a queued rollout may lag the learner (0 = on-policy)"),
      concurrency: f(int(1), 1, "jobs one mempo worker runs at once"),
      policyRoot: f(z.string(), "", 'mempo worker: where this machine sees <run>/policies ("" = that path)'),
    })
    .prefault({}),
  eval: z
    .object({
      temperature: f(z.number().min(0), 0, "0 = greedy decoding"),
      maxNewTokens: f(int(8), 384, "generation budget per turn"),
      teacher: f(z.boolean(), true, "also score the scripted teacher as a reference line"),
      sft: f(z.boolean(), true, "evaluate the SFT checkpoint too, beside the RL one"),
      fullHistory: f(
        z.boolean(),
        true,
        "mem agent: also run the RL model with every earlier turn kept (<algo>-full, the retention ablation)",
      ),
      lastK: f(
        int(0),
        0,
        "mem agent: also run the RL model keeping its last k turns (<algo>-last<k>; 0 = off)",
      ),
      o200k: f(z.boolean(), false, "also count TT/PT with OpenAI's o200k_base (gpt-tokenizer)"),
      memoryScores: f(
        z.boolean(),
        false,
        "score every <mem> of the evaluated episodes: P(gold | question, memory) in eval.json and transcripts.jsonl",
      ),
    })
    .prefault({}),
  serve: z
    .object({
      host: f(z.string(), "127.0.0.1", "mempo serve: interface to bind (0.0.0.0 exposes it)"),
      port: f(int(0).max(65535), 8000, "mempo serve: port (Search-R1's retrieval_launch.sh uses 8000)"),
      index: f(
        z.string(),
        "",
        'mempo serve: BM25 index file, loaded when present, else built and saved there ("" = in memory)',
      ),
      maxQueries: f(int(1), 8192, "mempo serve: most queries per request"),
      maxBodyMb: f(int(1), 32, "mempo serve: largest request body in MiB"),
    })
    .prefault({}),
  log: z
    .object({
      every: f(int(1), 10, "plain log line every k steps when stdout is not a TTY"),
      progress: f(z.enum(["auto", "bars", "lines"]), "auto", "progress display"),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Partial configs by profile name; applied over the defaults, under the flags. */
export const PROFILES: Record<Config["profile"], ConfigInput> = {
  default: {},
  /** About a minute on 2 cores: a tiny world and model, a few steps of each stage. */
  smoke: {
    data: {
      entities: 120,
      evalEntities: 120,
      trainTasks: 48,
      trainObjectives: [2],
      evalTasks: 3,
      evalObjectives: [2, 4],
    },
    tokenizer: { vocabSize: 600, teacherTasks: 16 },
    model: { preset: "tiny", maxSeqLen: 2048, base: "" },
    sft: { epochs: 6, lr: 5e-3, warmupSteps: 10 },
    rl: { iterations: 2, tasksPerIteration: 2, groupSize: 2, maxNewTokens: 128 },
    eval: { maxNewTokens: 128 },
    log: { every: 25 },
  },
  /**
   * The learning check (learn_test.ts, about 2 minutes on 2 cores): the shipped base, SFT on 300
   * single-objective tasks, greedy evaluation on 8 single-objective tasks of the held-out world.
   */
  learn: {
    data: {
      entities: 600,
      evalEntities: 600,
      trainTasks: 300,
      trainObjectives: [1],
      evalTasks: 8,
      evalObjectives: [1],
    },
    sft: { epochs: 1, warmupSteps: 5 },
    rl: { iterations: 0 },
    eval: { maxNewTokens: 128, teacher: false },
    log: { every: 25 },
  },
};

/** Deep merge of plain objects (arrays and scalars replace). */
export function merge<T>(base: T, over: unknown): T {
  if (!isPlain(base) || !isPlain(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out as T;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Error for a bad flag or value; the CLI prints `message` and exits with code 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Resolves defaults < profile < saved < flags into a validated Config.
 * @throws ConfigError naming the flag (`--rl.groupSize`) and what is allowed.
 */
export function resolveConfig(
  flags: Record<string, unknown> = {},
  saved: Record<string, unknown> = {},
): Config {
  const profile = (flags.profile ?? saved.profile ?? "default") as string;
  if (!(profile in PROFILES)) {
    throw new ConfigError(
      `--profile ${profile}: unknown profile; use one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  const env = process.env.MEMPO_BACKEND ? { backend: process.env.MEMPO_BACKEND } : {};
  const raw = merge(merge(merge(merge({}, env), PROFILES[profile as Config["profile"]]), saved), flags);
  const r = configSchema.safeParse({ ...(raw as object), profile });
  if (r.success) {
    const { data, rl, agent } = r.data;
    if (agent.kind === "react" && rl.algo === "mempo") {
      throw new ConfigError(
        "--agent.kind react: the ReAct agent writes no <mem>, so there is no memory advantage to train; add --rl.algo grpo",
      );
    }
    if (
      rl.iterations > 0 &&
      rl.objectives.length > 0 &&
      !rl.objectives.some((n) => data.trainObjectives.includes(n))
    ) {
      throw new ConfigError(
        `--rl.objectives ${rl.objectives.join(",")}: no training task has that many objectives ` +
          `(--data.trainObjectives ${data.trainObjectives.join(",")}); pick counts from --data.trainObjectives, or --rl.objectives "" for all`,
      );
    }
    return r.data;
  }
  const lines = r.error.issues.map((i) => `--${i.path.join(".")}: ${issueText(i)}`);
  throw new ConfigError(`invalid config:\n  ${lines.join("\n  ")}`);
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === "invalid_value") return `must be one of ${i.values.map((v) => String(v)).join(", ")}`;
  if (i.code === "unrecognized_keys") return `unknown key(s) ${i.keys.join(", ")}`;
  return i.message;
}

/** One settable leaf of the config: its flag path, value kind, allowed values, default and doc line. */
export interface ConfigField {
  path: string;
  kind: "number" | "integer" | "string" | "enum" | "boolean" | "integer[]";
  options?: readonly string[];
  value: unknown;
  doc: string;
}

/** Every leaf of the schema, in declaration order (for flag parsing, `mempo help` and docs). */
export function configFields(): ConfigField[] {
  const out: ConfigField[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [key, s] of Object.entries(shape)) {
      const path = prefix + key;
      const def = s._zod.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown };
      const inner = def.innerType ?? s;
      if (inner instanceof z.ZodObject) {
        walk(inner.shape as Record<string, z.ZodType>, `${path}.`);
        continue;
      }
      out.push({ path, ...leafKind(inner), value: def.defaultValue, doc: s.description ?? "" });
    }
  };
  walk(configSchema.shape as unknown as Record<string, z.ZodType>, "");
  return out;
}

function leafKind(s: z.ZodType): Pick<ConfigField, "kind" | "options"> {
  if (s instanceof z.ZodEnum) return { kind: "enum", options: s.options.map(String) };
  if (s instanceof z.ZodNumber) return { kind: s.format === "safeint" ? "integer" : "number" };
  if (s instanceof z.ZodBoolean) return { kind: "boolean" };
  if (s instanceof z.ZodArray) return { kind: "integer[]" };
  return { kind: "string" };
}

/** How an agent kind acts: whether it writes `<mem>`, and which earlier turns its context keeps. */
export function agentProtocol(kind: Config["agent"]["kind"]): { useMem: boolean; retention: "mem" | "full" } {
  return kind === "react" ? { useMem: false, retention: "full" } : { useMem: true, retention: "mem" };
}
