import { PERFECT_TEACHER_CONFIG, Teacher } from "@mempo/env";
import { AdamW, Model, preset, score } from "@mempo/model";
import { describe, expect, it } from "vitest";
import { learnerStep } from "./learner.ts";
import { memorySegments, tokenBatch } from "./train_batch.ts";
import { memoryContexts, scoreMemories } from "./memory_contexts.ts";
import { modelPolicy } from "./model_policy.ts";
import { protocolIds } from "./protocol_ids.ts";
import { runGroups } from "./runner.ts";
import { teacherPolicy } from "./scripted_policy.ts";
import { validateStepRecord } from "./step.ts";
import { tinyWorld } from "./testing.ts";

const { world, index, tasks, tokenizer: codec } = tinyWorld(); // byte-level BPE: any id decodes
const env = { retriever: index, tokenizer: codec };
const config = (maxSeqLen: number) =>
  preset("tiny-gpt2", { vocabSize: codec.vocabSize, maxSeqLen, initStd: 0.3 });

describe("modelPolicy", () => {
  it("an untrained model's rollouts end as scored failures; rollout and learner log-probs agree (approxKl ≈ 0)", async () => {
    const m = Model.init(config(1024), { seed: 1 });
    const policy = modelPolicy(m, { version: 3 });
    const sampling = { temperature: 0.7 };
    const groups = await runGroups(
      policy,
      tasks.slice(0, 2),
      { groupSize: 2, maxTurns: 2, maxNewTokens: 12, sampling, seed: 5 },
      env,
    );
    const rollouts = groups.flatMap((g) => g.rollouts);
    expect(rollouts).toHaveLength(4);
    for (const r of rollouts) {
      expect(r.finish).toBe("malformed"); // random bytes are not the protocol
      expect(r.score.f1).toBe(0);
      for (const s of r.steps) {
        validateStepRecord(s);
        expect(s.policyVersion).toBe(3);
        expect(s.responseIds.length).toBeLessThanOrEqual(12);
      }
    }
    // seeded: the same call gives the same ids
    const again = await runGroups(
      policy,
      tasks.slice(0, 2),
      { groupSize: 2, maxTurns: 2, maxNewTokens: 12, sampling, seed: 5 },
      env,
    );
    expect(again.flatMap((g) => g.rollouts.map((r) => Array.from(r.steps[0]!.responseIds)))).toEqual(
      rollouts.map((r) => Array.from(r.steps[0]!.responseIds)),
    );

    const batch = tokenBatch(rollouts, new Float64Array(rollouts.length), null);
    const opt = new AdamW(m, { lr: 1e-3, warmupSteps: 0 });
    const res = await learnerStep(m, opt, batch, { klCoef: 0 }, { temperature: sampling.temperature });
    expect(Math.abs(res.metrics.approxKl)).toBeLessThan(1e-4);
    expect(res.metrics.clipFraction).toBe(0);
    m.dispose();
  });

  it("scores memories with the model: one value per gold token, equal to model.score on the same contexts", async () => {
    const m = Model.init(config(1024), { seed: 2 });
    const some = tasks.slice(0, 2);
    const teacher = teacherPolicy(new Teacher(world.questions, PERFECT_TEACHER_CONFIG), some, codec);
    const groups = await runGroups(teacher, some, { groupSize: 1, maxTurns: 6 }, env);
    const policy = modelPolicy(m, { maxBatchTokens: 4096 });
    const { items } = await scoreMemories(policy, groups, codec);
    expect(items).toBeGreaterThan(2);
    const r = groups[0]!.rollouts[0]!;
    const ctx = memoryContexts(r, protocolIds(codec));
    const gold = codec.encode(` ${some[0]!.golden.map((a) => a[0]).join("; ")}</answer>`);
    const direct = await score(
      m,
      ctx.map((c) => c.memContext),
      ctx.map(() => gold),
    );
    r.memory!.forEach((mem, k) => {
      expect(mem.memLogprobs).toHaveLength(gold.length);
      for (let j = 0; j < gold.length; j++) {
        expect(mem.memLogprobs[j]).toBeCloseTo(direct[k]![j]!, 4);
        expect(mem.baseLogprobs[j]!).toBeLessThanOrEqual(0);
      }
    });
    // prefix-sharing (default) and plain scoring give the same memory scores
    const memories = (gs: typeof groups) => gs.flatMap((g) => g.rollouts.flatMap((x) => x.memory!));
    const shared = memories(groups);
    await scoreMemories(modelPolicy(m, { sharePrefixes: false }), groups, codec);
    const plain = memories(groups);
    let maxDiff = 0;
    expect(plain.length).toBe(shared.length);
    shared.forEach((s, k) => {
      for (let j = 0; j < s.memLogprobs.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(s.memLogprobs[j]! - plain[k]!.memLogprobs[j]!));
        maxDiff = Math.max(maxDiff, Math.abs(s.baseLogprobs[j]! - plain[k]!.baseLogprobs[j]!));
      }
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    const { segments } = memorySegments(groups.flatMap((g) => g.rollouts));
    expect(segments.length).toBe(groups.reduce((s, g) => s + g.rollouts[0]!.steps.length, 0));
    m.dispose();
  });

  it("a prompt longer than the model's context ends the rollout as context-overflow, not an error", async () => {
    const m = Model.init(config(64), { seed: 1 });
    const [g] = await runGroups(modelPolicy(m), tasks.slice(0, 1), { groupSize: 2 }, env);
    expect(g!.rollouts.map((r) => r.finish)).toEqual(["context-overflow", "context-overflow"]);
    expect(g!.rollouts.map((r) => r.score.f1)).toEqual([0, 0]);
    const batch = tokenBatch(g!.rollouts, [0, 0], null);
    expect(batch.steps).toHaveLength(0);
    expect(Array.from(batch.seqOffsets)).toEqual([0, 0, 0]);
    m.dispose();
  });
});
