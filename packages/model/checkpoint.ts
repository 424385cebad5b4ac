/**
 * Checkpoints as Hugging Face model directories: `config.json` (GPT2Config / Qwen2Config / LlamaConfig
 * field names), `model.safetensors` (F32, HF tensor names, GPT-2 Conv1D matrices stored [in, out]).
 * Training state goes alongside for an exact resume: `optimizer.safetensors` (AdamW moments, named
 * `<param>.exp_avg` / `<param>.exp_avg_sq`) and `trainer_state.json` (optimizer step, train config,
 * sampling-PRNG state, caller's extra fields). Loading also accepts F16/BF16 files and sharded
 * `model.safetensors.index.json` directories. A `tokenizer.json` in the same directory is read by
 * @mempo/tokenizer/node (`loadTokenizer(path)`), not here. Files are written to a temporary name and renamed,
 * so a reader never sees half a checkpoint file (a failed write removes its temporary file and names the
 * path). A model or optimizer state holding NaN or ±Inf is refused, never written. Loading reads text as
 * strict UTF-8 and validates trainer_state.json field by field. (A checkpoint of several files is made
 * all-or-nothing one level up: apps/trainer/checkpoint.ts writes it into a temporary directory.)
 *
 * Test: `npx vitest run checkpoint_test.ts`.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelConfig } from "./config.ts";
import { fromHfConfig, toHfConfig } from "./hf_config.ts";
import { paramsFromHf, paramsToHf } from "./hf_layout.ts";
import { Model, type ModelOptions } from "./params.ts";
import { Rng, type RngState } from "@mempo/kernels/random";
import { type NamedTensor, parseSafetensors, serializeSafetensors } from "./safetensors.ts";
import { readSafetensors } from "./safetensors_file.ts";
import { AdamW, type TrainConfig } from "./train.ts";

export interface SaveOptions {
  /** Save the optimizer's moments and step. */
  optimizer?: AdamW;
  /** Save this PRNG's state (e.g. the rollout sampler's). */
  rng?: Rng;
  /** Extra JSON fields for trainer_state.json (iteration, data cursor, …). */
  extra?: Record<string, unknown>;
}

interface TrainerState {
  step: number;
  trainConfig: TrainConfig | null;
  rng: RngState | null;
  extra: Record<string, unknown>;
}

/**
 * Writes `path` through a temporary file and a rename. On failure (disk full, …) the temporary file is
 * removed and the error names `path`, keeping the system error's `code`.
 */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw writeError(path, e);
  }
}

/** A failed write as an error naming `path` (with advice on a full disk), keeping the system error's `code`. */
export function writeError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const hint = err.code === "ENOSPC" || err.code === "EDQUOT" ? "; free disk space and run again" : "";
  return Object.assign(new Error(`${path}: cannot write (${err.message})${hint}`), { code: err.code });
}

/** Decodes a file's bytes as strict UTF-8. @throws Error naming `path` when they are not valid UTF-8. */
export function decodeTextFile(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(
      `${path}: not valid UTF-8; the file is corrupt or in another encoding (save it as UTF-8)`,
    );
  }
}

/** Decodes and parses a JSON file's bytes. @throws Error naming `path` on bad UTF-8 or bad JSON. */
export function parseJsonFile(bytes: Uint8Array, path: string): unknown {
  const text = decodeTextFile(bytes, path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads a text file as strict UTF-8. @throws Error naming the file when it is not valid UTF-8. */
export async function readTextFile(path: string): Promise<string> {
  return decodeTextFile(await readFile(path), path);
}

/** Reads and parses a JSON file. @throws Error naming the file on bad UTF-8 or bad JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJsonFile(await readFile(path), path);
}

/** @throws Error naming the tensor and index of the first NaN or ±Inf. */
function assertFinite(what: string, arrays: Iterable<[string, Float32Array]>): void {
  for (const [name, a] of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) {
        throw new Error(
          `saveCheckpoint: ${what} "${name}" holds ${a[i]} at index ${i}; refusing to write a checkpoint with ` +
            "non-finite values (training diverged: lower the learning rate)",
        );
      }
    }
  }
}

/** Writes `dir/config.json`, `dir/model.safetensors` and, with an optimizer, the training state. */
export async function saveCheckpoint(dir: string, model: Model, opts: SaveOptions = {}): Promise<void> {
  const c = model.config;
  const arrays = await model.toArrays();
  assertFinite("parameter", arrays);
  const optState = opts.optimizer ? await opts.optimizer.state() : null;
  if (optState) {
    assertFinite("first moment of", optState.m);
    assertFinite("second moment of", optState.v);
  }
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, "config.json"), `${JSON.stringify(toHfConfig(c), null, 2)}\n`);
  await writeAtomic(
    join(dir, "model.safetensors"),
    serializeSafetensors(paramsToHf(c, arrays), { format: "pt" }),
  );
  if (opts.optimizer || opts.rng || opts.extra) {
    const state: TrainerState = {
      step: opts.optimizer?.stepCount ?? 0,
      trainConfig: opts.optimizer?.config ?? null,
      rng: opts.rng?.state() ?? null,
      extra: opts.extra ?? {},
    };
    if (optState) {
      const s = optState;
      const list: [string, NamedTensor][] = [];
      for (const [n, t] of model.params) {
        list.push([`${n}.exp_avg`, { shape: [...t.shape], data: s.m.get(n)! }]);
        list.push([`${n}.exp_avg_sq`, { shape: [...t.shape], data: s.v.get(n)! }]);
      }
      await writeAtomic(
        join(dir, "optimizer.safetensors"),
        serializeSafetensors(list, { step: String(s.step) }),
      );
    }
    await writeAtomic(join(dir, "trainer_state.json"), `${JSON.stringify(state, null, 2)}\n`);
  }
}

/**
 * Validates a parsed trainer_state.json.
 * @throws Error naming the file and the field that is missing or of the wrong type.
 */
function checkTrainerState(j: unknown, where: string): TrainerState {
  const fail = (field: string, want: string, got: unknown): never => {
    throw new Error(
      `${where}: field "${field}" must be ${want}, got ${JSON.stringify(got) ?? "nothing"}; ` +
        "the file is not a trainer state written by saveCheckpoint",
    );
  };
  if (j === null || typeof j !== "object" || Array.isArray(j)) fail("(file)", "a JSON object", j);
  const o = j as Record<string, unknown>;
  if (!Number.isInteger(o.step) || (o.step as number) < 0) fail("step", "an integer ≥ 0", o.step);
  const tc = o.trainConfig ?? null;
  if (tc !== null && (typeof tc !== "object" || Array.isArray(tc)))
    fail("trainConfig", "an object or null", tc);
  const rng = o.rng ?? null;
  const word = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;
  if (rng !== null && !(Array.isArray(rng) && rng.length === 4 && rng.every(word)))
    fail("rng", "null or 4 unsigned 32-bit integers", rng);
  const extra = o.extra ?? {};
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) fail("extra", "an object", extra);
  return {
    step: o.step as number,
    trainConfig: tc as TrainConfig | null,
    rng: rng as RngState | null,
    extra: extra as Record<string, unknown>,
  };
}

/** Reads `config.json` of a model directory into a ModelConfig. */
export async function loadConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, "config.json");
  const json = await readJsonFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
    throw new Error(
      `${path}: cannot read config.json; a model directory needs config.json and model.safetensors`,
    );
  });
  return fromHfConfig(json as Record<string, unknown>, path);
}

/** All weight tensors of a directory: model.safetensors, or the shards listed in model.safetensors.index.json. */
async function readWeights(dir: string): Promise<{ tensors: Map<string, NamedTensor>; where: string }> {
  const single = join(dir, "model.safetensors");
  const index = join(dir, "model.safetensors.index.json");
  if (existsSync(single)) return { tensors: (await readSafetensors(single)).tensors, where: single };
  if (!existsSync(index))
    throw new Error(`${dir}: neither model.safetensors nor model.safetensors.index.json found`);
  const map = ((await readJsonFile(index)) as { weight_map?: Record<string, string> } | null)?.weight_map;
  if (!map) throw new Error(`${index}: no "weight_map" field`);
  const tensors = new Map<string, NamedTensor>();
  for (const shard of new Set(Object.values(map))) {
    const p = join(dir, shard);
    if (!existsSync(p)) throw new Error(`${index}: shard ${shard} listed in weight_map is missing`);
    for (const [n, t] of (await readSafetensors(p)).tensors) tensors.set(n, t);
  }
  return { tensors, where: index };
}

/**
 * Loads a model directory (ours, or an HF GPT-2 / Qwen2 / Llama one).
 * @throws Error naming the file and tensor when a tensor is missing, mis-shaped or unexpected.
 */
export async function loadModel(dir: string, opts: Omit<ModelOptions, "seed"> = {}): Promise<Model> {
  const c = await loadConfig(dir);
  const { tensors, where } = await readWeights(dir);
  return Model.fromArrays(c, paramsFromHf(c, tensors, where), opts);
}

/** A model plus its saved training state (optimizer and PRNG are null when not saved). */
export interface LoadedCheckpoint {
  model: Model;
  optimizer: AdamW | null;
  rng: Rng | null;
  extra: Record<string, unknown>;
}

/** Loads a checkpoint written by {@link saveCheckpoint}, restoring optimizer and PRNG state. */
export async function loadCheckpoint(
  dir: string,
  opts: Omit<ModelOptions, "seed"> = {},
): Promise<LoadedCheckpoint> {
  const model = await loadModel(dir, opts);
  const statePath = join(dir, "trainer_state.json");
  if (!existsSync(statePath)) return { model, optimizer: null, rng: null, extra: {} };
  const state = checkTrainerState(await readJsonFile(statePath), statePath);
  let optimizer: AdamW | null = null;
  const optPath = join(dir, "optimizer.safetensors");
  const optBytes = await readFile(optPath).catch(() => null);
  if (!optBytes && state.trainConfig) {
    throw new Error(
      `${optPath} is missing but ${statePath} records an optimizer at step ${state.step}; ` +
        "without its moments training cannot continue exactly: restore the file or start from an earlier checkpoint",
    );
  }
  if (optBytes) {
    if (!state.trainConfig)
      throw new Error(`${statePath}: field "trainConfig" is missing but ${optPath} exists`);
    const { tensors: f, metadata } = parseSafetensors(optBytes, optPath);
    if (metadata.step !== undefined && metadata.step !== String(state.step)) {
      throw new Error(
        `${optPath} holds the moments of step ${metadata.step} but ${statePath} says step ${state.step}; ` +
          "the two files come from different checkpoints",
      );
    }
    optimizer = new AdamW(model, state.trainConfig);
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const n of model.params.keys()) {
      const a = f.get(`${n}.exp_avg`);
      const b = f.get(`${n}.exp_avg_sq`);
      if (!a || !b) throw new Error(`${optPath}: moments of "${n}" are missing`);
      m.set(n, a.data);
      v.set(n, b.data);
    }
    optimizer.loadState({ step: state.step, m, v });
  }
  return { model, optimizer, rng: state.rng ? Rng.fromState(state.rng) : null, extra: state.extra ?? {} };
}
