import { describe, expect, it } from "vitest";
import { parseCli } from "./cli.ts";
import { ConfigError, configFields, configSchema, PROFILES, resolveConfig } from "./config.ts";

/** Parses argv the way `main` does: flags, then resolution over a saved config. */
const resolve = (argv: string[], saved: Record<string, unknown> = {}) =>
  resolveConfig(parseCli(argv).flags, saved);
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("config", () => {
  it("every field has a default and a one-line doc", () => {
    const fields = configFields();
    expect(fields.length).toBeGreaterThan(40);
    for (const f of fields) {
      expect(f.value, f.path).not.toBeUndefined();
      expect(f.doc.length, f.path).toBeGreaterThan(3);
      expect(f.doc, f.path).not.toContain("\n");
    }
  });

  it("defaults parse to the documented values", () => {
    const c = configSchema.parse({});
    expect(c.rl.algo).toBe("mempo");
    expect(c.data.evalObjectives).toEqual([2, 4, 6]);
    expect(c.model.preset).toBe("small");
    expect(configFields().find((f) => f.path === "rl.clipLow")!.value).toBe(c.rl.clipLow);
  });

  it("flags take both --key value and --key=value, typed by the schema", () => {
    const c = resolve([
      "train",
      "--rl.iterations",
      "20",
      "--model.preset=tiny",
      "--data.evalObjectives",
      "2,8",
    ]);
    expect(c.rl.iterations).toBe(20);
    expect(c.model.preset).toBe("tiny");
    expect(c.data.evalObjectives).toEqual([2, 8]);
    expect(resolve(["eval", "--eval.teacher"]).eval.teacher).toBe(true);
    expect(resolve(["eval", "--eval.teacher=false"]).eval.teacher).toBe(false);
    expect(resolve(["train", "--run", "/tmp/x"]).out).toBe("/tmp/x");
  });

  it("order: defaults < profile < saved run config < flags", () => {
    const smoke = resolve(["train", "--profile", "smoke"]);
    expect(smoke.model.preset).toBe(PROFILES.smoke.model?.preset);
    expect(smoke.rl.iterations).toBe(PROFILES.smoke.rl?.iterations);
    expect(smoke.rl.lr).toBe(configSchema.parse({}).rl.lr); // untouched by the profile
    const flagged = resolve(["train", "--profile", "smoke", "--rl.iterations", "7"]);
    expect(flagged.rl.iterations).toBe(7);
    const saved = { profile: "smoke", rl: { iterations: 5, groupSize: 3 } };
    const again = resolve(["eval", "--rl.groupSize", "6"], saved);
    expect(again.profile).toBe("smoke");
    expect(again.rl.iterations).toBe(5);
    expect(again.rl.groupSize).toBe(6);
  });

  it("MEMPO_BACKEND sets the default backend; --backend overrides it", () => {
    const before = process.env.MEMPO_BACKEND;
    try {
      process.env.MEMPO_BACKEND = "ts";
      expect(resolve(["train"]).backend).toBe("ts");
      expect(resolve(["train", "--backend", "wasm"]).backend).toBe("wasm");
      expect(resolve(["train", "--backend", "tfjs"]).backend).toBe("tfjs");
      process.env.MEMPO_BACKEND = "cuda";
      expect(errorOf(() => resolve(["train"]))).toContain("--backend: must be one of wasm, ts");
    } finally {
      if (before === undefined) delete process.env.MEMPO_BACKEND;
      else process.env.MEMPO_BACKEND = before;
    }
  });

  it("an unknown flag is an error naming it, with a suggestion", () => {
    const m = errorOf(() => parseCli(["train", "--rl.iteration", "3"]));
    expect(m).toContain("--rl.iteration");
    expect(m).toContain("did you mean --rl.iterations");
    expect(errorOf(() => parseCli(["trian"]))).toContain("unknown command 'trian'");
  });

  it("a bad value is an error naming the flag and the allowed values", () => {
    expect(errorOf(() => parseCli(["train", "--rl.algo", "ppo"]))).toBe(
      '--rl.algo "ppo": must be one of mempo, grpo',
    );
    expect(errorOf(() => parseCli(["train", "--rl.iterations", "ten"]))).toContain("--rl.iterations");
    expect(errorOf(() => parseCli(["train", "--sft.lr", "fast"]))).toContain("must be a number");
    expect(errorOf(() => parseCli(["train", "--profile", "huge"]))).toContain("default, smoke");
    expect(errorOf(() => parseCli(["train", "--rl.iterations"]))).toContain("needs a value");
    const range = errorOf(() => resolve(["train", "--rl.groupSize", "1"]));
    expect(range).toContain("--rl.groupSize");
    expect(range).toContain(">=2");
  });

  it("rl.objectives must name objective counts the training tasks have; empty means all", () => {
    const msg = errorOf(() => resolve(["train", "--data.trainObjectives", "3,4", "--rl.objectives", "1,2"]));
    expect(msg).toContain("--rl.objectives 1,2");
    expect(msg).toContain("--data.trainObjectives 3,4");
    expect(resolve(["train", "--data.trainObjectives", "3,4", "--rl.objectives", ""]).rl.objectives).toEqual(
      [],
    );
    expect(resolve(["train", "--data.trainObjectives", "3,4", "--rl.iterations", "0"]).rl.iterations).toBe(0);
    expect(resolve(["train"]).rl.objectives).toEqual([1, 2]);
  });
});
