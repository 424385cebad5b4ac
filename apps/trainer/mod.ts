/**
 * @module @mempo/trainer — the `mempo` CLI as a library: `main(argv)`, the config schema and its
 * resolution, and the stages (each reads and writes a run directory). See docs/training.md.
 */
export { baseDir } from "./base.ts";
export { saveRunCheckpoint } from "./checkpoint.ts";
export { COMMANDS, helpText, parseCli } from "./cli.ts";
export { type Config, ConfigError, configFields, configSchema, PROFILES, resolveConfig } from "./config.ts";
export { main } from "./main.ts";
export { type EvalRow, markdownTable, textTable } from "./report.ts";
export { openRun, type Run } from "./run_dir.ts";
export { type Data, dataStage, loadData } from "./stages/data.ts";
export { evalStage } from "./stages/eval.ts";
export { rlStage } from "./stages/rl.ts";
export { lengthBatches, modelConfig, sftStage, teacherData } from "./stages/sft.ts";
export { loadTokenizer, tokenizerStage } from "./stages/tokenizer.ts";
