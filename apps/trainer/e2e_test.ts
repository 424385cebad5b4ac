/**
 * End to end: `mempo train --profile smoke` into a temporary directory, then checks every artifact
 * (config.json, tokenizer.json, checkpoints that load with @mempo/model, metrics.jsonl, eval.json,
 * report.md) and `mempo eval --run DIR` re-evaluating the saved run. About a minute on 2 cores.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "@mempo/model/node";
import { loadTokenizer } from "@mempo/tokenizer/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PROFILES } from "./config.ts";
import { main } from "./main.ts";
import type { EvalRow } from "./report.ts";

const dir = mkdtempSync(join(tmpdir(), "mempo-e2e-"));
const read = (name: string) => readFileSync(join(dir, name), "utf8");
let exitCode = -1;
let output = "";

beforeAll(async () => {
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    output += `${a.join(" ")}\n`;
  });
  try {
    exitCode = await main(["train", "--profile", "smoke", "--out", dir, "--log.progress", "lines"]);
  } finally {
    log.mockRestore();
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mempo train --profile smoke", () => {
  it("exits 0 and prints the resolved config and the eval table", () => {
    expect(exitCode).toBe(0);
    expect(output).toContain('"profile": "smoke"');
    expect(output).toMatch(/agent\s+weights\s+retention\s+N/);
  });

  it("writes the resolved config, the data and a tokenizer with the protocol tags", () => {
    const config = JSON.parse(read("config.json"));
    expect(config.profile).toBe("smoke");
    expect(config.model.preset).toBe(PROFILES.smoke.model?.preset);
    for (const f of ["corpus.jsonl", "qa.jsonl", "index.bin", "tasks.json", "report.md"])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const tok = loadTokenizer(join(dir, "tokenizer.json"));
    for (const tag of ["<mem>", "</mem>", "<search>", "</search>", "<answer>", "</answer>"])
      expect(tok.encode(tag).length).toBe(1);
  });

  it("saves SFT and RL checkpoints that load, with optimizer state, tokenizer and config", async () => {
    for (const stage of ["sft", "rl"]) {
      const ck = await loadCheckpoint(join(dir, stage), { backend: "ts" });
      expect(ck.model.numParams()).toBeGreaterThan(0);
      expect(ck.optimizer?.stepCount).toBeGreaterThan(0);
      expect(ck.extra.stage).toBe(stage);
      expect(existsSync(join(dir, stage, "tokenizer.json"))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, stage, "mempo.config.json"), "utf8")).profile).toBe("smoke");
      ck.model.dispose();
    }
  });

  it("logs one parseable metrics line per SFT step and RL iteration", () => {
    const lines = read("metrics.jsonl")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const sft = lines.filter((l) => l.stage === "sft");
    const rl = lines.filter((l) => l.stage === "rl");
    expect(sft.length).toBeGreaterThan(0);
    expect(sft.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
    expect(rl.map((l) => l.iteration)).toEqual(
      Array.from({ length: PROFILES.smoke.rl?.iterations ?? 0 }, (_, i) => i + 1),
    );
    expect(rl.every((l) => Number.isFinite(l.reward) && Number.isFinite(l.loss))).toBe(true);
  });

  it("eval.json has F1/EM/TT/PT for every agent and N; mem costs fewer tokens than full history", () => {
    const { rows } = JSON.parse(read("eval.json")) as { rows: EvalRow[] };
    const ns = PROFILES.smoke.data?.evalObjectives ?? [];
    const row = (agent: string, n: number) => rows.find((x) => x.agent === agent && x.n === n)!;
    for (const agent of ["sft", "mempo", "mempo-full", "teacher", "teacher-full"]) {
      for (const n of ns) {
        const r = row(agent, n);
        expect(r, `${agent} N=${n}`).toBeDefined();
        expect(r.tasks).toBe(PROFILES.smoke.data?.evalTasks);
        for (const k of ["f1", "em", "tt", "pt"] as const)
          expect(Number.isFinite(r[k]), `${agent} ${k}`).toBe(true);
        expect(r.f1).toBeGreaterThanOrEqual(r.em);
        expect(r.tt).toBeGreaterThanOrEqual(r.pt);
        expect(r.pt).toBeGreaterThan(0);
      }
    }
    for (const n of ns) {
      // mempo-full is the RL model's own weights with the full history kept (the retention ablation)
      expect(row("mempo-full", n).weights).toBe(row("mempo", n).weights);
      expect(row("mempo-full", n).retention).toBe("full");
    }
    // The same (scripted) agent under both policies: identical behaviour, so the difference is the
    // retention alone. (The smoke model is too weak to run enough well-formed turns for its own
    // mem/full comparison to mean anything; the default run's table reports it.)
    for (const n of ns.filter((x) => x >= 4)) {
      expect(row("teacher", n).turns).toBe(row("teacher-full", n).turns);
      expect(row("teacher", n).f1).toBe(row("teacher-full", n).f1);
      expect(row("teacher", n).tt, `N=${n}`).toBeLessThan(row("teacher-full", n).tt);
      expect(row("teacher", n).pt, `N=${n}`).toBeLessThan(row("teacher-full", n).pt);
    }
  });

  it("mempo eval --run DIR re-evaluates the saved run", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await main(["eval", "--run", dir, "--eval.teacher=false"])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const { rows } = JSON.parse(read("eval.json")) as { rows: EvalRow[] };
    expect(rows.some((r) => r.agent === "teacher")).toBe(false);
    expect(rows.filter((r) => r.agent === "mempo").length).toBe(PROFILES.smoke.data?.evalObjectives?.length);
  }, 120_000);
});

describe("--resume", () => {
  it("continuing RL from a 1-iteration checkpoint gives the 2-iteration weights bit for bit", async () => {
    const full = readFileSync(join(dir, "rl", "model.safetensors"));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await main(["rl", "--run", dir, "--rl.iterations", "1"])).toBe(0);
      expect(await main(["rl", "--run", dir, "--resume", join(dir, "rl"), "--rl.iterations", "2"])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(Buffer.compare(readFileSync(join(dir, "rl", "model.safetensors")), full)).toBe(0);
  }, 120_000);
});
