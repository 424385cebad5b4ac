/**
 * The package's configuration in one object with documented defaults: world generator, BM25
 * retriever, scripted teacher, episode. `resolveEnvConfig(partial)` fills defaults and validates;
 * print or store the result with any data it produced.
 */
import { type BM25Config, DEFAULT_BM25_CONFIG, resolveBM25Config } from "./bm25.ts";
import { DEFAULT_EPISODE_OPTIONS, type EpisodeOptions } from "./episode.ts";
import { SCORINGS } from "./scoring.ts";
import { DEFAULT_TEACHER_CONFIG, type TeacherConfig } from "./teacher.ts";
import { DEFAULT_WORLD_CONFIG, resolveWorldConfig, type WorldConfig } from "./world/generate.ts";

export interface EnvConfig {
  /** Fictional encyclopedia (world/generate.ts): seed, size, distractors, question mix. */
  world: WorldConfig;
  /** BM25 (bm25.ts): k1 = 0.9, b = 0.4, stopwords on. */
  retriever: BM25Config;
  /** Scripted teacher (teacher.ts): imperfection probabilities. */
  teacher: TeacherConfig;
  /** Episodes (episode.ts): maxTurns 8, policy "mem", topk 3. */
  episode: EpisodeOptions;
}

export const DEFAULT_ENV_CONFIG: Readonly<EnvConfig> = Object.freeze({
  world: DEFAULT_WORLD_CONFIG,
  retriever: DEFAULT_BM25_CONFIG,
  teacher: DEFAULT_TEACHER_CONFIG,
  episode: DEFAULT_EPISODE_OPTIONS,
});

export interface PartialEnvConfig {
  world?: Partial<WorldConfig>;
  retriever?: Partial<BM25Config>;
  teacher?: Partial<TeacherConfig>;
  episode?: Partial<EpisodeOptions>;
}

/** Defaults filled in and values checked. */
export function resolveEnvConfig(c: PartialEnvConfig = {}): EnvConfig {
  const teacher = { ...DEFAULT_TEACHER_CONFIG, ...c.teacher };
  for (const k of ["dropFactProb", "redundantSearchProb", "vagueSearchProb", "verboseMemoryProb"] as const) {
    if (!(teacher[k] >= 0 && teacher[k] <= 1))
      throw new Error(`env config: teacher.${k} must be in [0, 1], got ${teacher[k]}`);
  }
  const episode = { ...DEFAULT_EPISODE_OPTIONS, ...c.episode };
  if (!Number.isInteger(episode.maxTurns) || episode.maxTurns < 1) {
    throw new Error(`env config: episode.maxTurns must be an integer ≥ 1, got ${episode.maxTurns}`);
  }
  if (!Number.isInteger(episode.topk) || episode.topk < 1)
    throw new Error(`env config: episode.topk must be an integer ≥ 1, got ${episode.topk}`);
  if (!(SCORINGS as readonly string[]).includes(episode.scoring))
    throw new Error(
      `env config: episode.scoring must be one of ${SCORINGS.join(", ")}, got ${episode.scoring}`,
    );
  return {
    world: resolveWorldConfig(c.world),
    retriever: resolveBM25Config(c.retriever),
    teacher,
    episode,
  };
}
