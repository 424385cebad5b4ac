import type { Hit, Retriever, Task } from "@mempo/env";
import { describe, expect, it } from "vitest";
import { canonicalAnswer, goldTargetIds, memoryContexts, scoreMemories } from "./memory_contexts.ts";
import { protocolIds } from "./protocol_ids.ts";
import { runGroups } from "./runner.ts";
import { scriptedPolicy } from "./scripted_policy.ts";
import { tinyWorld } from "./testing.ts";

const { tokenizer: tok, tasks } = tinyWorld();
const p = protocolIds(tok);
const cat = (...parts: ArrayLike<number>[]) => parts.flatMap((x) => Array.from(x));
const retriever: Retriever = {
  search: async (qs) =>
    qs.map((q): Hit[] => [{ document: { id: q, contents: `"T"\nabout ${q}` }, score: 1 }]),
};

const task: Task = {
  ...tasks[0]!,
  golden: [
    ["Avon River", "the Avon"],
    ["1947", "nineteen forty-seven"],
  ],
};

/** Sample s writes memory `m{s}.{turn}`, searches twice, then answers. */
function agent(G: number, maxTokens?: number) {
  let call = 0;
  return scriptedPolicy({
    codec: tok,
    maxTokens,
    respond: (_ctx, _ids, i) => {
      const turn = Math.floor(call++ / G);
      const head = `<mem>m${i}.${turn}</mem><think>t</think>`;
      return turn < 2 ? `${head}<search>s${i}.${turn}</search>` : `${head}<answer>x; y</answer>`;
    },
    // the score depends on the context so results can be traced back: −(context length)/1000 per token
    score: (ctx, target) => new Float32Array(target.length).fill(-ctx.length / 1000),
  });
}

describe("memory-reward contexts", () => {
  it('gold target = " " ++ canonical answer (first aliases) as data ++ </answer>', () => {
    expect(canonicalAnswer(task)).toBe("Avon River; 1947");
    expect(Array.from(goldTargetIds(task, tok))).toEqual(
      cat(tok.encode(" Avon River; 1947", { allowSpecial: false }), [p.answerEnd]),
    );
    const evil = { ...task, golden: [["<answer>"], ["b"]] };
    expect(Array.from(goldTargetIds(evil, tok))).not.toContain(p.answer); // gold text is data
  });

  it("(a) = question prompt + <mem>…</mem> + <answer>; (b) = question prompt + full history + <answer>, id by id", async () => {
    const G = 2;
    const policy = agent(G);
    const [g] = await runGroups(
      policy,
      [task],
      { groupSize: G, maxTurns: 4, retention: "mem", memoryReward: true },
      { retriever, tokenizer: tok },
    );
    for (const r of g!.rollouts) {
      expect(r.steps).toHaveLength(3);
      const ctx = memoryContexts(r, p);
      expect(ctx.map((c) => c.stepIdx)).toEqual([0, 1, 2]);
      const qp = r.promptIds;
      const block = (j: number) => cat(r.steps[j]!.responseIds, r.observations[j]!);
      ctx.forEach((c, t) => {
        const memText = `m${r.sampleId}.${t}`;
        expect(Array.from(c.memContext)).toEqual(
          cat(qp, [p.mem], tok.encode(memText, { allowSpecial: true }), [p.memEnd, p.answer]),
        );
        const history = Array.from({ length: t }, (_, j) => block(j)).flat();
        expect(Array.from(c.baseContext)).toEqual(cat(qp, history, [p.answer]));
      });
      // the history in (b) is uncompressed even though the policy saw only the previous block
      expect(r.steps[2]!.promptIds.length).toBeLessThan(ctx[2]!.baseContext.length);
      expect(r.observations[0]!.length).toBeGreaterThan(0);
    }

    // one score call; the t = 0 baseline is shared by the group: 1 + G·2 baselines + G·3 memories
    expect(policy.scoreCalls).toHaveLength(1);
    const call = policy.scoreCalls[0]!;
    expect(call.contexts).toHaveLength(1 + G * 2 + G * 3);
    const target = Array.from(goldTargetIds(task, tok));
    for (const t of call.targets) expect(Array.from(t)).toEqual(target);
    // stored scores belong to their own contexts
    for (const r of g!.rollouts) {
      const ctx = memoryContexts(r, p);
      r.memory!.forEach((m, k) => {
        expect(m.stepIdx).toBe(ctx[k]!.stepIdx);
        expect(m.memLogprobs[0]).toBeCloseTo(-ctx[k]!.memContext.length / 1000, 6);
        expect(m.baseLogprobs[0]).toBeCloseTo(-ctx[k]!.baseContext.length / 1000, 6);
        expect(m.memLogprobs).toHaveLength(target.length);
      });
    }
  });

  it("memoryBridge puts the same ids before <answer> in both contexts", async () => {
    const G = 2;
    const bridge = "\n<think>I have an answer for every question.</think>\n";
    const bridgeIds = Array.from(tok.encode(bridge, { allowSpecial: true }));
    expect(bridgeIds).toContain(tok.encode("<think>", { allowSpecial: true })[0]); // tags are special tokens
    expect(tok.encode("<think>", { allowSpecial: true })).toHaveLength(1);
    const policy = agent(G);
    const [g] = await runGroups(
      policy,
      [task],
      { groupSize: G, maxTurns: 4, retention: "mem", memoryReward: true, memoryBridge: bridge },
      { retriever, tokenizer: tok },
    );
    for (const r of g!.rollouts) {
      const plain = memoryContexts(r, p);
      const bridged = memoryContexts(r, p, Number.POSITIVE_INFINITY, Uint32Array.from(bridgeIds));
      bridged.forEach((c, t) => {
        const a = Array.from(plain[t]!.memContext);
        const b = Array.from(plain[t]!.baseContext);
        expect(Array.from(c.memContext)).toEqual([...a.slice(0, -1), ...bridgeIds, p.answer]);
        expect(Array.from(c.baseContext)).toEqual([...b.slice(0, -1), ...bridgeIds, p.answer]);
      });
      // the scores stored by runGroups are those of the bridged contexts
      r.memory!.forEach((m, k) => {
        expect(m.memLogprobs[0]).toBeCloseTo(-bridged[k]!.memContext.length / 1000, 6);
        expect(m.baseLogprobs[0]).toBeCloseTo(-bridged[k]!.baseContext.length / 1000, 6);
      });
    }
  });

  it("with full retention, (b) is the turn's own prompt + <answer>; steps without <mem> are not scored", async () => {
    let call = 0;
    const policy = scriptedPolicy({
      codec: tok,
      respond: () =>
        call++ === 2
          ? "<think>no memory</think><search>q</search>"
          : "<mem>m</mem><think>t</think><search>q</search>",
    });
    const [g] = await runGroups(
      policy,
      [task],
      { groupSize: 1, maxTurns: 4, retention: "full", memoryReward: true },
      { retriever, tokenizer: tok },
    );
    const r = g!.rollouts[0]!;
    expect(r.finish).toBe("malformed"); // turn 2 had no <mem>: a format failure; earlier memories are scored
    expect(r.steps[2]!.memSpan).toBeNull();
    expect(r.memory!.map((m) => m.stepIdx)).toEqual([0, 1]);
    memoryContexts(r, p).forEach((c, t) => {
      expect(Array.from(c.baseContext)).toEqual(cat(r.steps[t]!.promptIds, [p.answer]));
    });
  });

  it("a history longer than the policy's maxTokens drops its oldest blocks (flagged and counted)", async () => {
    const run = async (maxTokens?: number) => {
      const [g] = await runGroups(
        agent(1, maxTokens),
        [task],
        { groupSize: 1, maxTurns: 4 },
        {
          retriever,
          tokenizer: tok,
        },
      );
      return g!;
    };
    const free = (await run()).rollouts[0]!;
    const L = goldTargetIds(task, tok).length;
    const blk = (j: number) => free.steps[j]!.responseIds.length + free.observations[j]!.length;
    // room for the question prompt + the newest block + <answer> + gold, not for the whole history
    const maxTokens = free.promptIds.length + blk(1) + 1 + L;
    const g = await run(maxTokens);
    const r = g.rollouts[0]!;
    expect(r.finish).toBe("answer"); // every turn's prompt (mem retention) still fits
    const ctx = memoryContexts(r, p, maxTokens - L);
    expect(ctx.map((c) => c.truncated)).toEqual([false, false, true]);
    expect(Array.from(ctx[2]!.baseContext)).toEqual(
      cat(r.promptIds, r.steps[1]!.responseIds, r.observations[1]!, [p.answer]),
    );
    expect(await scoreMemories(agent(1, maxTokens), [g], tok)).toEqual({ items: 6, truncated: 1 });
  });
});
