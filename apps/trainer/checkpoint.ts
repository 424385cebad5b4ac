/**
 * Checkpoints of a run: the model package's HF directory (config.json + model.safetensors, optimizer
 * moments and step, PRNG state, extra fields in trainer_state.json) plus tokenizer.json, the trainer's
 * resolved config as `mempo.config.json` (the name `config.json` belongs to the HF model config there)
 * and `manifest.json`: stage, step, and every file's size and sha256. `--resume DIR` reads them back
 * for an exact continuation.
 *
 * All or nothing: a checkpoint is written into `DIR.tmp-PID/` (manifest last), the previous one is
 * moved aside to `DIR.old-PID/`, the new one renamed into place, the old one removed. Killed at any
 * moment, the run directory holds either the previous checkpoint or the new one: {@link
 * recoverCheckpoints} (run when a command opens the run) puts the previous one back when the kill came
 * between the two renames, and removes stale temporary directories and files. Loading verifies the
 * manifest and names the file that disagrees; the model config is cross-checked with mempo.config.json.
 *
 * Test: reliability_test.ts (kills at every point of a write, damaged and inconsistent checkpoints).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type AdamW, MODEL_CONFIG_FIELDS, type Model, type ModelConfig, type Rng } from "@mempo/model";
import {
  loadCheckpoint,
  loadConfig,
  type LoadedCheckpoint,
  loadModel,
  readJsonFile,
  saveCheckpoint,
  writeError,
} from "@mempo/model/node";
import { z } from "zod";
import { baseDir } from "./base.ts";
import { type Config, configSchema } from "./config.ts";
import { faultPath, faultPoint } from "./faults.ts";
import type { Run } from "./run_dir.ts";
import { modelConfig } from "./stages/sft.ts";

export const TRAINER_CONFIG_FILE = "mempo.config.json";
export const MANIFEST_FILE = "manifest.json";

/** Files every checkpoint holds (both stages save the optimizer). */
const REQUIRED = [
  "config.json",
  "model.safetensors",
  "optimizer.safetensors",
  "trainer_state.json",
  "tokenizer.json",
  TRAINER_CONFIG_FILE,
];

const infoSchema = z.looseObject({
  /** Stage that wrote it. */
  stage: z.enum(["sft", "rl"]),
  /** SFT steps or RL iterations done. */
  step: z.number().int().min(0),
});

export interface CheckpointInfo {
  /** Stage that wrote it. */
  stage: "sft" | "rl";
  /** SFT steps or RL iterations done. */
  step: number;
  /** Stage-specific state (task-sampler PRNG, …). */
  [key: string]: unknown;
}

const manifestSchema = z.object({
  stage: z.enum(["sft", "rl"]),
  step: z.number().int().min(0),
  files: z.record(z.string(), z.object({ bytes: z.number().int().min(0), sha256: z.string().length(64) })),
});
export type Manifest = z.infer<typeof manifestSchema>;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** What to do about a damaged checkpoint `dir` (sft/ or rl/ of a run). */
function advice(dir: string): string {
  const run = dirname(dir);
  return basename(dir) === "rl"
    ? `rerun RL (mempo rl --run ${run}) or resume it from the SFT checkpoint (--resume ${join(run, "sft")})`
    : `rerun SFT (mempo sft --run ${run})`;
}

/** Writes a checkpoint file; a failure (disk full, …) names `path`. */
async function writeCheckpointFile(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFile(faultPath(basename(path), path), data);
  } catch (e) {
    throw writeError(path, e);
  }
}

/** Writes `dir/manifest.json` over every other file in `dir`. */
export async function writeManifest(
  dir: string,
  info: Pick<CheckpointInfo, "stage" | "step">,
): Promise<void> {
  const files: Manifest["files"] = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === MANIFEST_FILE) continue;
    const bytes = readFileSync(join(dir, name));
    files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  const manifest: Manifest = { stage: info.stage, step: info.step, files };
  await writeCheckpointFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Checks a checkpoint directory against its manifest.
 * @throws Error naming the file that is missing or whose size or sha256 disagree, and what to do.
 */
export async function verifyCheckpoint(dir: string): Promise<Manifest> {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) throw new Error(`${dir}: no such checkpoint directory`);
  if (!existsSync(manifestPath)) {
    throw new Error(
      `${dir}: no ${MANIFEST_FILE}, so the checkpoint is incomplete or was written by an older mempo; ${advice(dir)}`,
    );
  }
  const parsed = manifestSchema.safeParse(await readJsonFile(manifestPath));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${manifestPath}: field "${issue.path.join(".")}" ${issue.message}; ${advice(dir)}`);
  }
  const manifest = parsed.data;
  for (const name of REQUIRED) {
    if (!(name in manifest.files)) throw new Error(`${manifestPath}: lists no ${name}; ${advice(dir)}`);
  }
  for (const [name, want] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing (the manifest lists it); the checkpoint is incomplete: ${advice(dir)}`,
      );
    }
    const size = statSync(path).size;
    if (size !== want.bytes) {
      throw new Error(
        `${path}: ${size} bytes but the manifest says ${want.bytes}; the checkpoint is damaged: ${advice(dir)}`,
      );
    }
    if (sha256(readFileSync(path)) !== want.sha256) {
      throw new Error(
        `${path}: its sha256 differs from the manifest's (the file changed after the checkpoint was written); ` +
          `the checkpoint is damaged: ${advice(dir)}`,
      );
    }
  }
  return manifest;
}

/** Writes a checkpoint of the run into `dir`, all or nothing (see the file header). */
export async function saveRunCheckpoint(
  run: Run,
  dir: string,
  model: Model,
  info: CheckpointInfo,
  state: { optimizer?: AdamW; rng?: Rng } = {},
): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await saveCheckpoint(tmp, model, { ...state, extra: { ...info } });
    await writeCheckpointFile(join(tmp, "tokenizer.json"), readFileSync(run.path("tokenizer")));
    await writeCheckpointFile(join(tmp, TRAINER_CONFIG_FILE), `${JSON.stringify(run.config, null, 2)}\n`);
    faultPoint("written");
    await writeManifest(tmp, info);
    faultPoint("manifest");
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(dir)) {
    renameSync(dir, old);
    faultPoint("aside");
  }
  renameSync(tmp, dir);
  faultPoint("in-place");
  rmSync(old, { recursive: true, force: true });
  faultPoint("removed");
}

/**
 * Makes the run's checkpoints whole again after a killed write: a checkpoint moved aside but not
 * replaced is put back, and temporary or moved-aside directories and `*.tmp-*` files are removed.
 * Call it holding the run's lock (no other process is writing).
 */
export function recoverCheckpoints(run: Run): void {
  const gone = (p: string) => {
    rmSync(p, { recursive: true, force: true });
    run.log(`removed ${p}, left by an interrupted write`);
  };
  for (const stage of ["sft", "rl"] as const) {
    const dir = run.path(stage);
    const leftovers = readdirSync(run.dir).filter(
      (n) => n.startsWith(`${stage}.tmp-`) || n.startsWith(`${stage}.old-`),
    );
    const aside = leftovers.filter((n) => n.startsWith(`${stage}.old-`));
    if (!existsSync(dir) && aside.length > 0) {
      renameSync(join(run.dir, aside[0]!), dir);
      run.log(`${stage}: put back ${dir} from ${aside[0]}; the write that replaced it was interrupted`);
    }
    for (const n of leftovers) if (existsSync(join(run.dir, n))) gone(join(run.dir, n));
  }
  for (const d of [run.dir, run.path("sft"), run.path("rl")]) {
    if (!existsSync(d)) continue;
    for (const n of readdirSync(d)) if (/\.tmp-\d+$/.test(n)) gone(join(d, n));
  }
}

/**
 * Loads a checkpoint written by {@link saveRunCheckpoint} on the run's backend, verified against its
 * manifest and cross-checked with its mempo.config.json.
 */
export async function loadRunCheckpoint(
  dir: string,
  backend: string,
): Promise<LoadedCheckpoint & { info: CheckpointInfo }> {
  if (!existsSync(join(dir, "model.safetensors")) && !existsSync(join(dir, MANIFEST_FILE))) {
    throw new Error(
      `${dir}: not a checkpoint (no model.safetensors); expected a run's sft/ or rl/ directory`,
    );
  }
  const manifest = await verifyCheckpoint(dir);
  const ck = await loadCheckpoint(dir, { backend });
  try {
    const info = checkInfo(ck.extra, dir, manifest);
    await crossCheckConfig(dir, ck.model.config);
    return { ...ck, info };
  } catch (e) {
    ck.model.dispose();
    ck.optimizer?.dispose();
    throw e;
  }
}

/** The model of a checkpoint (verified as {@link loadRunCheckpoint} does) and its stage and step. */
export async function loadRunModel(
  dir: string,
  backend: string,
): Promise<{ model: Model; manifest: Manifest }> {
  const manifest = await verifyCheckpoint(dir);
  const model = await loadModel(dir, { backend });
  try {
    await crossCheckConfig(dir, model.config);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, manifest };
}

function checkInfo(extra: Record<string, unknown>, dir: string, manifest: Manifest): CheckpointInfo {
  const statePath = join(dir, "trainer_state.json");
  const parsed = infoSchema.safeParse(extra);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${statePath}: field "extra.${issue.path.join(".")}" ${issue.message}; it is not a mempo checkpoint's state: ${advice(dir)}`,
    );
  }
  const info = parsed.data as CheckpointInfo;
  if (info.stage !== manifest.stage || info.step !== manifest.step) {
    throw new Error(
      `${statePath} says ${info.stage} step ${info.step} but ${join(dir, MANIFEST_FILE)} says ${manifest.stage} ` +
        `step ${manifest.step}; the checkpoint is inconsistent: ${advice(dir)}`,
    );
  }
  return info;
}

/** The model config fields the trainer's config fixes (the vocabulary comes from the tokenizer; initStd only matters at init). */
const SHAPE_FIELDS = MODEL_CONFIG_FIELDS.filter((k) => k !== "vocabSize" && k !== "initStd");

/**
 * The model config in `dir/config.json` must be the one `dir/mempo.config.json` describes (its preset,
 * or its base model's config).
 * @throws Error naming both files and the first field that differs.
 */
export async function crossCheckConfig(dir: string, got: ModelConfig): Promise<void> {
  const trainerPath = join(dir, TRAINER_CONFIG_FILE);
  const parsed = configSchema.safeParse(await readJsonFile(trainerPath));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${trainerPath}: field "${issue.path.join(".")}" ${issue.message}; ${advice(dir)}`);
  }
  const cfg: Config = parsed.data;
  const base = cfg.model.base === "" ? null : baseDir(cfg.model.base);
  const want = base === null ? modelConfig(cfg.model, got.vocabSize) : await loadConfig(base);
  for (const k of SHAPE_FIELDS) {
    if (got[k] !== want[k]) {
      throw new Error(
        `${join(dir, "config.json")}: ${k} is ${got[k]} but ${trainerPath} gives ${want[k]} ` +
          `(${base === null ? `preset ${cfg.model.preset}` : `base ${base}`}); the checkpoint is inconsistent: ${advice(dir)}`,
      );
    }
  }
}

/**
 * Refuses a `--resume` checkpoint that cannot continue this run exactly, saying how to proceed.
 * @throws Error when an RL checkpoint lacks its optimizer or is past `rl.iterations`.
 */
export function checkResume(
  dir: string,
  ck: LoadedCheckpoint & { info: CheckpointInfo },
  config: Config,
): void {
  if (ck.info.stage !== "rl") return;
  if (ck.optimizer === null) {
    throw new Error(
      `--resume ${dir}: the RL checkpoint has no optimizer state, so AdamW would restart at step 0; ` +
        `resume from the SFT checkpoint (--resume ${join(dirname(dir), "sft")}) instead`,
    );
  }
  if (ck.info.step > config.rl.iterations) {
    throw new Error(
      `--resume ${dir}: the checkpoint is at RL iteration ${ck.info.step} but --rl.iterations is ${config.rl.iterations}; ` +
        `pass --rl.iterations ${ck.info.step} or more to continue it, or resume from ${join(dirname(dir), "sft")} to redo RL`,
    );
  }
}
