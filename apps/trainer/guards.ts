/**
 * Training guards: a NaN or ±Inf loss or gradient norm stops the stage with the stage, step, learning
 * rate and what to change (before any checkpoint is written, so the previous one stays as it was); an
 * RL iteration whose KL to the SFT reference exceeds `rl.klWarn` is reported on the console and
 * flagged in metrics.jsonl. @mempo/model's saveCheckpoint refuses non-finite weights as a last line.
 *
 * Test: guards_test.ts (values) and reliability_test.ts (`--sft.lr 1e6`, `--rl.lr 1e3` end to end).
 */
import type { Run } from "./run_dir.ts";

/** Training diverged: the message says where and what to change. */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
}

/** One optimizer step's numbers. */
export interface StepNumbers {
  loss: number;
  gradNorm: number;
  lr: number;
}

/** @throws NonFiniteError when the loss or gradient norm of `stage`'s `step` is NaN or ±Inf. */
export function checkFinite(run: Run, stage: "sft" | "rl", step: number, s: StepNumbers): void {
  const bad = (["loss", "gradNorm"] as const).filter((k) => !Number.isFinite(s[k]));
  if (bad.length === 0) return;
  const what = bad.map((k) => `${k === "loss" ? "loss" : "gradient norm"} ${s[k]}`).join(", ");
  const unit = stage === "sft" ? "step" : "iteration";
  const last = `nothing was saved (${run.path(stage)} is as it was before this command)`;
  throw new NonFiniteError(
    `${stage}: ${what} at ${unit} ${step} (learning rate ${s.lr}); training diverged and stopped, ${last}. ` +
      `Lower --${stage}.lr (now ${run.config[stage].lr})` +
      (stage === "sft" ? ` or --sft.gradClip (now ${run.config.sft.gradClip})` : "") +
      ` and run the stage again (mempo ${stage} --run ${run.dir})`,
  );
}

/**
 * Reports an RL iteration whose KL to the reference (`refKl`) is above `rl.klWarn`.
 * @returns whether it was a spike (the caller's metrics line can carry it).
 */
export function checkKl(run: Run, iteration: number, refKl: number): boolean {
  const limit = run.config.rl.klWarn;
  if (!(refKl > limit)) return false;
  run.log(
    `rl: warning: KL to the SFT reference is ${refKl.toPrecision(3)} at iteration ${iteration} (above --rl.klWarn ${limit}); ` +
      `the policy is moving far from the SFT model: lower --rl.lr (now ${run.config.rl.lr}) or raise --rl.klCoef (now ${run.config.rl.klCoef})`,
  );
  run.metric({ stage: "rl-warning", iteration, refKl, klWarn: limit });
  return true;
}

/** Both RL checks for one iteration's learner result: non-finite stops, a KL spike is reported. */
export function checkRlIteration(
  run: Run,
  iteration: number,
  res: { loss: number; gradNorm: number; lr: number; metrics: { refKl: number } },
): void {
  checkFinite(run, "rl", iteration, res);
  checkKl(run, iteration, res.metrics.refKl);
}
