// The package config: defaults and validation messages.
// Run: npx vitest run config_test.ts
import { describe, expect, it } from "vitest";
import { DEFAULT_RL_CONFIG, resolveRlConfig } from "./config.ts";
import { PACKAGE } from "./mod.ts";

describe("resolveRlConfig", () => {
  it("has the paper's defaults", () => {
    expect(PACKAGE).toBe("@mempo/rl");
    expect(resolveRlConfig()).toEqual({
      rewardMode: "strict",
      estimator: "grpo",
      epsilon: 1e-6,
      memoryNormalization: "pooled",
      memoryWeight: 1,
      memoryStdFloor: 0,
      clipLow: 0.2,
      clipHigh: 0.2,
      klCoef: 0.001,
      aggregation: "seq-mean-token-mean",
      maxLength: 0,
    });
    expect(Object.isFrozen(DEFAULT_RL_CONFIG)).toBe(true);
  });
  it("overlays overrides and names the bad field", () => {
    expect(resolveRlConfig({ estimator: "rloo", clipHigh: 0.28 }).clipHigh).toBe(0.28);
    expect(() => resolveRlConfig({ estimator: "ppo" })).toThrow(/estimator = "ppo": use one of grpo, rloo/);
    expect(() => resolveRlConfig({ aggregation: "seq-mean-token-sum-norm" })).toThrow(/maxLength = 0/);
    expect(() => resolveRlConfig({ klCoef: -1 })).toThrow(/klCoef = -1: must be ≥ 0/);
    expect(() => resolveRlConfig({ memoryNormalization: "x" as "pooled" })).toThrow(/memoryNormalization/);
  });
});
