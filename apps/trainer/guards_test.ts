import { describe, expect, it } from "vitest";
import { configSchema } from "./config.ts";
import { checkFinite, checkKl, NonFiniteError } from "./guards.ts";
import { currentMetrics } from "./report.ts";
import type { Run } from "./run_dir.ts";

/** A run that records its console lines and metrics lines. */
function fakeRun(over: Record<string, unknown> = {}) {
  const logs: string[] = [];
  const metrics: Record<string, unknown>[] = [];
  const run = {
    dir: "/runs/r",
    config: configSchema.parse(over),
    path: (n: string) => `/runs/r/${n}`,
    log: (m: string) => logs.push(m),
    metric: (r: Record<string, unknown>) => metrics.push(r),
  } as unknown as Run;
  return { run, logs, metrics };
}

describe("non-finite guard", () => {
  it("passes finite numbers and stops on NaN or Inf with stage, step, lr and the flag to change", () => {
    const { run } = fakeRun({ sft: { lr: 1e6 } });
    expect(() => checkFinite(run, "sft", 3, { loss: 2.5, gradNorm: 1e30, lr: 3e5 })).not.toThrow();
    const call = () =>
      checkFinite(run, "sft", 4, { loss: Number.NaN, gradNorm: Number.POSITIVE_INFINITY, lr: 4e5 });
    expect(call).toThrow(NonFiniteError);
    expect(call).toThrow(
      "sft: loss NaN, gradient norm Infinity at step 4 (learning rate 400000); training diverged and stopped, " +
        "nothing was saved (/runs/r/sft is as it was before this command). Lower --sft.lr (now 1000000) or " +
        "--sft.gradClip (now 1) and run the stage again (mempo sft --run /runs/r)",
    );
    expect(() => checkFinite(fakeRun().run, "rl", 2, { loss: 0.1, gradNorm: Number.NaN, lr: 1e-4 })).toThrow(
      /^rl: gradient norm NaN at iteration 2 \(learning rate 0\.0001\).* Lower --rl\.lr \(now 0\.0001\) and run/,
    );
  });
});

describe("KL spike report", () => {
  it("reports KL above rl.klWarn on the console and in metrics, and nothing below it", () => {
    const { run, logs, metrics } = fakeRun({ rl: { klWarn: 0.1, lr: 1e3 } });
    expect(checkKl(run, 1, 0.003)).toBe(false);
    expect(checkKl(run, 2, Number.NaN)).toBe(false); // NaN is the non-finite guard's
    expect(checkKl(run, 3, 2.8)).toBe(true);
    expect(logs).toEqual([
      "rl: warning: KL to the SFT reference is 2.80 at iteration 3 (above --rl.klWarn 0.1); the policy is moving " +
        "far from the SFT model: lower --rl.lr (now 1000) or raise --rl.klCoef (now 0.001)",
    ]);
    expect(metrics).toEqual([{ stage: "rl-warning", iteration: 3, refKl: 2.8, klWarn: 0.1 }]);
  });
});

describe("metrics across attempts", () => {
  it("a resumed stage continues the earlier attempt; a rerun replaces it from its first step on", () => {
    const rl = (iteration: number, attempt: number) => ({ stage: "rl", iteration, attempt });
    // attempt 1 ran iterations 1–3 and was killed; attempt 2 resumed from 2; attempt 3 reran 1–2
    const resumed = [rl(1, 1), rl(2, 1), rl(3, 1), rl(3, 2), rl(4, 2)];
    expect(currentMetrics(resumed)).toEqual([rl(1, 1), rl(2, 1), rl(3, 2), rl(4, 2)]);
    expect(currentMetrics([...resumed, rl(1, 3), rl(2, 3)])).toEqual([rl(1, 3), rl(2, 3)]);
    // lines without an attempt (older runs) count as attempt 1; other stages pass through
    expect(currentMetrics([{ stage: "data" }, { stage: "sft", step: 1 }, { stage: "sft", step: 2 }])).toEqual(
      [{ stage: "data" }, { stage: "sft", step: 1 }, { stage: "sft", step: 2 }],
    );
  });
});
