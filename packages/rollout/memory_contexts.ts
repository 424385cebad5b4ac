/**
 * Inputs of MemPO's memory reward (DESIGN.md §6 items 3–4), built from ids and scored by the rollout
 * policy in one batched `policy.score` call. For step t of a rollout with a `<mem>` span:
 *
 *   memory context (a)   = question prompt ++ `<mem>` ++ memory content ++ `</mem>` ++ `<answer>`
 *   baseline context (b) = question prompt ++ every earlier block (response ++ `<information>` ids,
 *                          nothing dropped) ++ `<answer>`          (t = 0: question prompt ++ `<answer>`)
 *   target               = " " ++ gold ids ++ `</answer>`
 *
 * With a bridge (RolloutConfig.memoryBridge, e.g. the `<think>` line the agent writes before
 * `<answer>`), both contexts end `… ++ bridge ++ <answer>`.
 *
 * The memory ids are the ones the model generated (responseIds over memSpan), the history the ids the
 * runner assembled, so both contexts are exactly what the model could see. Gold = the canonical answer
 * `a1; a2; …` (the first alias of each objective) encoded as data (allowSpecial false), followed by the
 * `</answer>` id: the memory is rewarded for making the whole answer likely, including where it ends.
 * The question prompt includes the instruction and the turn budget line, as in every turn's prompt.
 * The t = 0 baseline is the same for every rollout of a group and is scored once.
 *
 * Fitting the policy's `maxTokens` (context + target): the full history can outgrow the model's
 * context even when every turn's prompt fit (mem retention keeps prompts short). Then the baseline
 * drops its oldest whole blocks until it fits (the longest history the model can read), and any
 * context still too long keeps only its last tokens. Such items are flagged `truncated` and counted.
 *
 * Test: `npx vitest run memory_contexts_test.ts`.
 */
import { concatIds, type Task, type TokenCodec } from "@mempo/env";
import type { Policy, ScoreRequest } from "./policy.ts";
import { type ProtocolIds, protocolIds } from "./protocol_ids.ts";
import type { Rollout, RolloutGroup } from "./rollout.ts";

/** The canonical gold answer text: the first alias of each objective joined with `; `. */
export function canonicalAnswer(task: Task): string {
  return task.golden
    .map((aliases, i) => {
      const a = aliases[0];
      if (a === undefined) throw new Error(`task ${task.id}: objective ${i} has no gold alias`);
      return a;
    })
    .join("; ");
}

/**
 * Target ids of the memory reward: " " ++ canonical gold (as data) ++ `</answer>`. [L] The leading
 * space is the protocol's `<answer> a1; a2</answer>` layout (the teacher's), in which a name has the
 * same ids as in the question and the passages.
 */
export function goldTargetIds(
  task: Task,
  codec: TokenCodec,
  p: ProtocolIds = protocolIds(codec),
): Uint32Array {
  const gold = codec.encode(` ${canonicalAnswer(task)}`, { allowSpecial: false });
  return concatIds([gold, Uint32Array.of(p.answerEnd)]);
}

/** The two contexts of one memory. */
export interface MemoryContexts {
  stepIdx: number;
  /** (a) question prompt ++ `<mem>`…`</mem>` ++ `<answer>`. */
  memContext: Uint32Array;
  /** (b) question prompt ++ full history before the step ++ `<answer>`. */
  baseContext: Uint32Array;
  /** A context was shortened to fit `maxContext`. */
  truncated: boolean;
}

/** Keeps the last `n` ids. */
const lastIds = (ids: Uint32Array, n: number) => (ids.length > n ? ids.slice(ids.length - n) : ids);

/**
 * Contexts (a) and (b) of every step of a rollout that has a memSpan, in step order.
 * @param maxContext longest context allowed (the policy's maxTokens − target length); default unbounded
 * @param bridge ids put before `<answer>` in both contexts; default none
 */
export function memoryContexts(
  r: Rollout,
  p: ProtocolIds,
  maxContext = Number.POSITIVE_INFINITY,
  bridge: Uint32Array = new Uint32Array(0),
): MemoryContexts[] {
  const out: MemoryContexts[] = [];
  const mem = Uint32Array.of(p.mem);
  const answer = concatIds([bridge, Uint32Array.of(p.answer)]);
  const blocks: Uint32Array[] = []; // blocks[j] = response_j ++ observation_j
  r.steps.forEach((s, t) => {
    if (s.memSpan !== null) {
      if (!(maxContext >= 1)) {
        throw new Error(
          `memoryContexts: maxContext is ${maxContext}; the policy's maxTokens leaves no room for a context`,
        );
      }
      const [a, b] = s.memSpan;
      const memContext = concatIds([r.promptIds, mem, s.responseIds.subarray(a, b), answer]);
      let from = 0; // oldest block kept in the baseline
      let len = r.promptIds.length + answer.length;
      for (const blk of blocks) len += blk.length;
      while (len > maxContext && from < blocks.length) len -= blocks[from++]!.length;
      const baseContext = concatIds([r.promptIds, ...blocks.slice(from), answer]);
      out.push({
        stepIdx: t,
        memContext: lastIds(memContext, maxContext),
        baseContext: lastIds(baseContext, maxContext),
        truncated: from > 0 || memContext.length > maxContext || baseContext.length > maxContext,
      });
    }
    blocks.push(concatIds([s.responseIds, r.observations[t] ?? new Uint32Array(0)]));
  });
  return out;
}

/**
 * Scores the memories of every rollout of `groups` with ONE `policy.score` call and stores them in
 * `rollout.memory` (a rollout without memories gets []).
 * @param bridge text put before `<answer>` in both contexts (tags as special tokens); default ""
 * @returns items scored, and how many of them were shortened to fit `policy.maxTokens`
 */
export async function scoreMemories(
  policy: Policy,
  groups: readonly RolloutGroup[],
  codec: TokenCodec,
  opts: ScoreRequest = {},
  bridge = "",
): Promise<{ items: number; truncated: number }> {
  const p = protocolIds(codec);
  const bridgeIds = bridge === "" ? new Uint32Array(0) : codec.encode(bridge, { allowSpecial: true });
  const contexts: Uint32Array[] = [];
  const targets: Uint32Array[] = [];
  const fill: (() => void)[] = [];
  const out: Float32Array[] = [];
  let truncated = 0;
  const add = (ctx: Uint32Array, target: Uint32Array): number => {
    contexts.push(ctx);
    targets.push(target);
    return contexts.length - 1;
  };
  for (const g of groups) {
    const target = goldTargetIds(g.task, codec, p);
    const maxContext = (policy.maxTokens ?? Number.POSITIVE_INFINITY) - target.length;
    let firstBase = -1; // the t = 0 baseline is shared by the group
    for (const r of g.rollouts) {
      const items = memoryContexts(r, p, maxContext, bridgeIds).map((m) => {
        if (m.truncated) truncated++;
        let base: number;
        if (m.stepIdx === 0) {
          if (firstBase < 0) firstBase = add(m.baseContext, target);
          base = firstBase;
        } else base = add(m.baseContext, target);
        return { stepIdx: m.stepIdx, mem: add(m.memContext, target), base, truncated: m.truncated };
      });
      fill.push(() => {
        r.memory = items.map((m) => ({
          stepIdx: m.stepIdx,
          memLogprobs: out[m.mem]!,
          baseLogprobs: out[m.base]!,
          truncated: m.truncated,
        }));
      });
    }
  }
  if (contexts.length > 0) {
    const scored = await policy.score(contexts, targets, opts);
    if (scored.length !== contexts.length) {
      throw new Error(
        `scoreMemories: policy.score returned ${scored.length} results for ${contexts.length} items`,
      );
    }
    scored.forEach((lp, i) => {
      if (lp.length !== targets[i]!.length) {
        throw new Error(
          `scoreMemories: policy.score item ${i} has ${lp.length} log-probs for ${targets[i]!.length} target ids`,
        );
      }
      out.push(lp);
    });
  }
  for (const f of fill) f();
  return { items: contexts.length, truncated };
}
