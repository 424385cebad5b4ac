import { Model, preset } from "@mempo/model";
import { describe, expect, it } from "vitest";
import { modelPolicy } from "../model_policy.ts";
import { runGroups } from "../runner.ts";
import { tinyWorld } from "../testing.ts";
import { InProcessExecutor, jobSeed, planJobs } from "./executor.ts";
import { statelessPolicy } from "./testing.ts";

const { index, tokenizer: tok, tasks } = tinyWorld();
const env = { retriever: index, tokenizer: tok };
const tinyModel = () =>
  Model.init(preset("tiny-gpt2", { vocabSize: tok.vocabSize, maxSeqLen: 1024, initStd: 0.3 }), { seed: 2 });
const sampled = { groupSize: 2, maxTurns: 2, maxNewTokens: 10, sampling: { temperature: 1 }, seed: 9 };

describe("InProcessExecutor", () => {
  it("equals runGroups on the same policy and seed (one job: every task in one batched call)", async () => {
    const some = tasks.slice(0, 3);
    const model = tinyModel();
    const ex = new InProcessExecutor(modelPolicy(model, { version: 4 }), env);
    const got = await ex.submit(some, sampled);
    const want = await runGroups(modelPolicy(model, { version: 4 }), some, sampled, env);
    expect(got).toEqual(want);
    expect(got.flatMap((g) => g.rollouts.flatMap((r) => r.steps.map((s) => s.policyVersion)))).toContain(4);
    expect(ex.stats).toEqual({ jobs: 1, groups: 3, dropped: 0, requeued: 0 });
  });

  it("with groupsPerJob k equals runGroups per job with jobSeed(seed, first group id); stream yields the same groups", async () => {
    const some = tasks.slice(0, 5);
    const model = tinyModel();
    const config = { ...sampled, groupIdPrefix: "it3/" };
    const ex = new InProcessExecutor(modelPolicy(model), env, { groupsPerJob: 2 });
    const got = await ex.submit(some, config);
    const want = [];
    for (const part of [some.slice(0, 2), some.slice(2, 4), some.slice(4)]) {
      const seed = jobSeed(9, `it3/${part[0]!.id}`);
      want.push(...(await runGroups(modelPolicy(model), part, { ...config, seed }, env)));
    }
    expect(got).toEqual(want);
    expect(ex.stats.jobs).toBe(3);
    const streamed = [];
    for await (const g of ex.stream(some, config)) streamed.push(g);
    expect(streamed).toEqual(want);
  });

  it("publishPolicy tags later rollouts with the new version; an unpublished version is refused", async () => {
    const some = tasks.slice(0, 2);
    const ex = new InProcessExecutor(statelessPolicy(tok, some), env);
    await ex.publishPolicy(3);
    expect(ex.version).toBe(3);
    const groups = await ex.submit(some, { groupSize: 2, maxTurns: 3 });
    expect(
      new Set(groups.flatMap((g) => g.rollouts.flatMap((r) => r.steps.map((s) => s.policyVersion)))),
    ).toEqual(new Set([3]));
    await expect(ex.submit(some, { groupSize: 2 }, 4)).rejects.toThrow(
      /rollouts need policy version 4 but the policy is at 3; publishPolicy/,
    );
    await expect(ex.publishPolicy(2)).rejects.toThrow(/version 2 must be an integer ≥ the current 3/);
  });
});

describe("planJobs", () => {
  it("cuts tasks into jobs with per-job seeds that depend on the seed and the first group id only", () => {
    const some = tasks.slice(0, 5);
    const jobs = planJobs(some, { seed: 7, groupIdPrefix: "p/" }, 2);
    expect(jobs.map((j) => j.tasks.map((t) => t.id))).toEqual([
      [some[0]!.id, some[1]!.id],
      [some[2]!.id, some[3]!.id],
      [some[4]!.id],
    ]);
    expect(jobs.map((j) => j.config.seed)).toEqual(
      some.filter((_, i) => i % 2 === 0).map((t) => jobSeed(7, `p/${t.id}`)),
    );
    expect(new Set(jobs.map((j) => j.config.seed)).size).toBe(3);
    expect(jobs.every((j) => Number.isInteger(j.config.seed) && j.config.seed >= 0)).toBe(true);
    expect(jobSeed(8, "p/x")).not.toBe(jobSeed(7, "p/x"));
    expect(planJobs(some, { seed: 7 }, 0)).toEqual([
      { index: 0, tasks: some, config: expect.objectContaining({ seed: 7 }) },
    ]);
    expect(planJobs([], {}, 1)).toEqual([]);
    expect(() => planJobs([some[0]!, some[0]!], {}, 1)).toThrow(/task id '.*' appears twice/);
    expect(() => planJobs(some, {}, -1)).toThrow(/groupsPerJob must be an integer ≥ 0/);
    expect(() => planJobs(some, { groupSize: 0 }, 1)).toThrow(/groupSize = 0/);
  });
});
