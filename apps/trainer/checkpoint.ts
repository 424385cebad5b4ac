/**
 * Checkpoints of a run: the model package's HF directory (config.json + model.safetensors, optimizer
 * moments and step, PRNG state, extra fields in trainer_state.json) plus tokenizer.json and the
 * trainer's resolved config as `mempo.config.json` (the name `config.json` belongs to the HF model
 * config there). `--resume DIR` reads them back for an exact continuation.
 */
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AdamW,
  type LoadedCheckpoint,
  loadCheckpoint,
  type Model,
  type Rng,
  saveCheckpoint,
} from "@mempo/model";
import type { Run } from "./run_dir.ts";

export const TRAINER_CONFIG_FILE = "mempo.config.json";

export interface CheckpointInfo {
  /** Stage that wrote it. */
  stage: "sft" | "rl";
  /** SFT steps or RL iterations done. */
  step: number;
  /** Stage-specific state (task-sampler PRNG, …). */
  [key: string]: unknown;
}

export async function saveRunCheckpoint(
  run: Run,
  dir: string,
  model: Model,
  info: CheckpointInfo,
  state: { optimizer?: AdamW; rng?: Rng } = {},
): Promise<void> {
  await saveCheckpoint(dir, model, { ...state, extra: { ...info } });
  copyFileSync(run.path("tokenizer"), join(dir, "tokenizer.json"));
  writeFileSync(join(dir, TRAINER_CONFIG_FILE), `${JSON.stringify(run.config, null, 2)}\n`);
}

/** Loads a checkpoint written by {@link saveRunCheckpoint} on the run's backend. */
export async function loadRunCheckpoint(
  dir: string,
  backend: string,
): Promise<LoadedCheckpoint & { info: CheckpointInfo }> {
  if (!existsSync(join(dir, "model.safetensors"))) {
    throw new Error(
      `${dir}: not a checkpoint (no model.safetensors); expected a run's sft/ or rl/ directory`,
    );
  }
  const ck = await loadCheckpoint(dir, { backend });
  return { ...ck, info: ck.extra as CheckpointInfo };
}
