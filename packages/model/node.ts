/**
 * @module @mempo/model/node — the model's file side (Node and Deno, through node:fs): Hugging Face
 * checkpoint directories (`saveCheckpoint`, `loadCheckpoint`, `loadModel`, `loadConfig`), safetensors
 * files (`readSafetensors`) and the strict text / JSON readers and atomic writer they use.
 * `@mempo/model` itself has no file access and bundles for browsers (`parseSafetensors` /
 * `serializeSafetensors` work on bytes there).
 */
export {
  type LoadedCheckpoint,
  loadCheckpoint,
  loadConfig,
  loadModel,
  parseJsonFile,
  readJsonFile,
  readTextFile,
  type SaveOptions,
  saveCheckpoint,
  writeAtomic,
  writeError,
} from "./checkpoint.ts";
export { readSafetensors } from "./safetensors_file.ts";
