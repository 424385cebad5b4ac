/**
 * The pre-trained base a run's SFT starts from (`model.base`): "builtin" is the base shipped in
 * apps/trainer/base/ (made by `mempo pretrain`, see docs/training.md), "" means a randomly initialised
 * model of `model.preset` with a tokenizer trained on the run's data, anything else is a directory
 * holding config.json, model.safetensors and tokenizer.json. A run with a base uses the base's
 * tokenizer and model shape.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the shipped base lives. */
export const BUILTIN_BASE = fileURLToPath(new URL("./base", import.meta.url));

/** The base directory, or null for a from-scratch run. @throws Error naming the missing file. */
export function baseDir(base: string): string | null {
  if (base === "") return null;
  const dir = base === "builtin" ? BUILTIN_BASE : resolve(base);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) {
    if (!existsSync(join(dir, f))) {
      throw new Error(
        `--model.base ${base}: ${join(dir, f)} is missing; give a directory written by \`mempo pretrain --out DIR\`, ` +
          `or --model.base "" to train from scratch`,
      );
    }
  }
  return dir;
}
