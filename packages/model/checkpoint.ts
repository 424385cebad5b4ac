/**
 * Checkpoints as Hugging Face model directories: `config.json` (GPT2Config / Qwen2Config / LlamaConfig
 * field names), `model.safetensors` (F32, HF tensor names, GPT-2 Conv1D matrices stored [in, out]).
 * Training state goes alongside for an exact resume: `optimizer.safetensors` (AdamW moments, named
 * `<param>.exp_avg` / `<param>.exp_avg_sq`) and `trainer_state.json` (optimizer step, train config,
 * sampling-PRNG state, caller's extra fields). Loading also accepts F16/BF16 files and sharded
 * `model.safetensors.index.json` directories. A `tokenizer.json` in the same directory is read by
 * @mempo/tokenizer (`Tokenizer.load(path)`), not here. Files are written to a temporary name and renamed,
 * so a reader never sees half a checkpoint file.
 *
 * Test: `npx vitest run checkpoint_test.ts`.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelConfig } from "./config.ts";
import { fromHfConfig, toHfConfig } from "./hf_config.ts";
import { paramsFromHf, paramsToHf } from "./hf_layout.ts";
import { Model, type ModelOptions } from "./params.ts";
import { Rng, type RngState } from "@mempo/kernels/random";
import { type NamedTensor, parseSafetensors, serializeSafetensors } from "./safetensors.ts";
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
  trainConfig: TrainConfig;
  rng: RngState | null;
  extra: Record<string, unknown>;
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes `dir/config.json`, `dir/model.safetensors` and, with an optimizer, the training state. */
export async function saveCheckpoint(dir: string, model: Model, opts: SaveOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const c = model.config;
  await writeAtomic(join(dir, "config.json"), `${JSON.stringify(toHfConfig(c), null, 2)}\n`);
  const arrays = await model.toArrays();
  await writeAtomic(
    join(dir, "model.safetensors"),
    serializeSafetensors(paramsToHf(c, arrays), { format: "pt" }),
  );
  if (opts.optimizer || opts.rng || opts.extra) {
    const state: TrainerState = {
      step: opts.optimizer?.stepCount ?? 0,
      trainConfig: opts.optimizer?.config as TrainConfig,
      rng: opts.rng?.state() ?? null,
      extra: opts.extra ?? {},
    };
    if (opts.optimizer) {
      const s = await opts.optimizer.state();
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

/** Reads `config.json` of a model directory into a ModelConfig. */
export async function loadConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(
      `${path}: cannot read config.json; a model directory needs config.json and model.safetensors`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return fromHfConfig(json, path);
}

/** All weight tensors of a directory: model.safetensors, or the shards listed in model.safetensors.index.json. */
async function readWeights(dir: string): Promise<{ tensors: Map<string, NamedTensor>; where: string }> {
  const single = join(dir, "model.safetensors");
  const index = join(dir, "model.safetensors.index.json");
  const tryRead = async (p: string) => readFile(p).catch(() => null);
  const bytes = await tryRead(single);
  if (bytes) return { tensors: parseSafetensors(bytes, single).tensors, where: single };
  const idx = await tryRead(index);
  if (!idx) throw new Error(`${dir}: neither model.safetensors nor model.safetensors.index.json found`);
  const map = (JSON.parse(idx.toString("utf8")) as { weight_map?: Record<string, string> }).weight_map;
  if (!map) throw new Error(`${index}: no "weight_map" field`);
  const tensors = new Map<string, NamedTensor>();
  for (const shard of new Set(Object.values(map))) {
    const p = join(dir, shard);
    const b = await tryRead(p);
    if (!b) throw new Error(`${index}: shard ${shard} listed in weight_map is missing`);
    for (const [n, t] of parseSafetensors(b, p).tensors) tensors.set(n, t);
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
  const text = await readFile(statePath, "utf8").catch(() => null);
  if (text === null) return { model, optimizer: null, rng: null, extra: {} };
  const state = JSON.parse(text) as TrainerState;
  let optimizer: AdamW | null = null;
  const optPath = join(dir, "optimizer.safetensors");
  const optBytes = await readFile(optPath).catch(() => null);
  if (optBytes) {
    const f = parseSafetensors(optBytes, optPath).tensors;
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
