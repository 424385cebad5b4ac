/**
 * The trained ReAct baseline (`--agent.kind react`, DESIGN.md §6.8): its config rule, the ReAct teacher
 * that writes its SFT data (the teacher's decisions without `<mem>`, the full history kept), and the
 * eval agents each agent kind gets. Test: `npx vitest run react_test.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BM25Index, buildTasks, generateWorld, PERFECT_TEACHER_CONFIG } from "@mempo/env";
import { afterAll, describe, expect, it } from "vitest";
import { agentProtocol, ConfigError, configSchema, resolveConfig } from "./config.ts";
import type { Run } from "./run_dir.ts";
import { evalAgents, geoMeanP } from "./stages/eval.ts";
import { teacherEpisodes } from "./stages/teacher.ts";

describe("--agent.kind", () => {
  it("react needs --rl.algo grpo: it writes no <mem>, so there is no memory advantage", () => {
    expect(() => resolveConfig({ agent: { kind: "react" } })).toThrow(ConfigError);
    expect(() => resolveConfig({ agent: { kind: "react" } })).toThrow(/--agent\.kind react.*--rl\.algo grpo/);
    const c = resolveConfig({ agent: { kind: "react" }, rl: { algo: "grpo" } });
    expect(agentProtocol(c.agent.kind)).toEqual({ useMem: false, retention: "full" });
    expect(agentProtocol(resolveConfig({}).agent.kind)).toEqual({ useMem: true, retention: "mem" });
  });

  it("an unknown kind names the allowed ones", () => {
    expect(() => resolveConfig({ agent: { kind: "memo" } })).toThrow(
      /--agent\.kind: must be one of mem, react/,
    );
  });
});

describe("the ReAct teacher", () => {
  const world = generateWorld({ seed: 5, entities: 200, questions: 40 });
  const data = { documents: world.documents, qa: world.questions, index: BM25Index.build(world.documents) };
  const cfg = configSchema.parse({
    teacher: PERFECT_TEACHER_CONFIG,
    data: { turnsPerObjective: 2, extraTurns: 2 },
  });
  const tasks = buildTasks(world.questions, 2).slice(0, 6);

  it("makes the mem teacher's decisions without <mem>, every earlier turn in its context", async () => {
    const mem = await teacherEpisodes(data, cfg, tasks, "mem");
    const react = await teacherEpisodes(data, cfg, tasks, { policy: "full", useMem: false });
    expect(react.map((e) => e.score.f1)).toEqual(mem.map((e) => e.score.f1));
    expect(mem.some((e) => e.score.f1 === 100)).toBe(true);
    react.forEach((e, i) => {
      expect(e.formatValid).toBe(true);
      expect(e.turns.map((t) => t.parsed.kind)).toEqual(mem[i]!.turns.map((t) => t.parsed.kind));
      for (const t of e.turns) {
        expect(t.response).not.toContain("<mem>");
        expect(t.context).not.toContain("<mem>");
        expect(t.context).not.toContain("Only your previous turn is shown");
      }
      // full retention: turn t's context holds every earlier response and information block
      const last = e.turns[e.turns.length - 1]!;
      for (const t of e.turns.slice(0, -1)) expect(last.context).toContain(t.response);
      expect(last.context.split("<information>").length - 1).toBe(e.turns.length - 1);
    });
  });
});

describe("eval agents", () => {
  const dir = mkdtempSync(join(tmpdir(), "mempo-agents-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (flags: Record<string, unknown>, hasRl: boolean): Run => {
    const d = join(dir, String(Math.random()).slice(2));
    if (hasRl) mkdirSync(join(d, "rl"), { recursive: true });
    return { dir: d, config: resolveConfig(flags), path: (n: string) => join(d, n) } as unknown as Run;
  };
  const names = (r: Run) => evalAgents(r).map((a) => `${a.agent}:${a.weights}:${a.retention}:${a.useMem}`);

  it("mem agent: SFT, the RL model, and the RL weights under the retention ablation", () => {
    expect(names(run({ eval: { lastK: 3 } }, true))).toEqual([
      "sft:sft:mem:true",
      "mempo:rl:mem:true",
      "mempo-last3:rl:last-k:true",
      "mempo-full:rl:full:true",
    ]);
    expect(names(run({ rl: { algo: "grpo" }, eval: { sft: false, fullHistory: false } }, true))).toEqual([
      "grpo:rl:mem:true",
    ]);
    // without an RL checkpoint the SFT model is the one evaluated
    expect(names(run({ eval: { sft: false, fullHistory: false } }, false))).toEqual(["sft:sft:mem:true"]);
  });

  it("react agent: its SFT and RL models, full history, no <mem>", () => {
    expect(names(run({ agent: { kind: "react" }, rl: { algo: "grpo" } }, true))).toEqual([
      "react-sft:sft:full:false",
      "react:rl:full:false",
    ]);
  });

  it("P(gold | memory) is the geometric mean of the gold tokens' probabilities", () => {
    expect(geoMeanP([Math.log(0.5), Math.log(0.125)])).toBeCloseTo(0.25, 12);
    expect(geoMeanP([])).toBe(0);
  });
});
