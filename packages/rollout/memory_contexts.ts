/**
 * Inputs of MemPO's memory reward (DESIGN.md §6 items 3–4), built from ids and scored by the rollout
 * policy in one batched `policy.score` call. For step t of a rollout with a `<mem>` span:
 *
 *   memory context (a)   = question prompt ++ `<mem>` ++ memory content ++ `</mem>` ++ `<answer>`
 *   baseline context (b) = question prompt ++ every earlier block (response ++ `<information>` ids,
 *                          nothing dropped) ++ `<answer>`          (t = 0: question prompt ++ `<answer>`)
 *   target               = gold ids ++ `</answer>`
 *
 * The memory ids are the ones the model generated (responseIds over memSpan), the history the ids the
 * runner assembled, so both contexts are exactly what the model could see. Gold = the canonical answer
 * `a1; a2; …` (the first alias of each objective) encoded as data (allowSpecial false), followed by the
 * `</answer>` id: the memory is rewarded for making the whole answer likely, including where it ends.
 * The question prompt includes the instruction and the turn budget line, as in every turn's prompt.
 * The t = 0 baseline is the same for every rollout of a group and is scored once.
 *
 * Test: `npx vitest run memory_contexts_test.ts`.
 */
import { concatIds, type Task, type TokenCodec } from "@mempo/env";
import type { Policy } from "./policy.ts";
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

/** Target ids of the memory reward: canonical gold (as data) ++ `</answer>`. [L] */
export function goldTargetIds(
  task: Task,
  codec: TokenCodec,
  p: ProtocolIds = protocolIds(codec),
): Uint32Array {
  const gold = codec.encode(canonicalAnswer(task), { allowSpecial: false });
  return concatIds([gold, Uint32Array.of(p.answerEnd)]);
}

/** The two contexts of one memory. */
export interface MemoryContexts {
  stepIdx: number;
  /** (a) question prompt ++ `<mem>`…`</mem>` ++ `<answer>`. */
  memContext: Uint32Array;
  /** (b) question prompt ++ full history before the step ++ `<answer>`. */
  baseContext: Uint32Array;
}

/** Contexts (a) and (b) of every step of a rollout that has a memSpan, in step order. */
export function memoryContexts(r: Rollout, p: ProtocolIds): MemoryContexts[] {
  const out: MemoryContexts[] = [];
  const mem = Uint32Array.of(p.mem);
  const answer = Uint32Array.of(p.answer);
  const history: Uint32Array[] = [r.promptIds];
  r.steps.forEach((s, t) => {
    if (s.memSpan !== null) {
      const [a, b] = s.memSpan;
      out.push({
        stepIdx: t,
        memContext: concatIds([r.promptIds, mem, s.responseIds.subarray(a, b), answer]),
        baseContext: concatIds([...history, answer]),
      });
    }
    history.push(s.responseIds, r.observations[t] ?? new Uint32Array(0));
  });
  return out;
}

/**
 * Scores the memories of every rollout of `groups` with ONE `policy.score` call and stores them in
 * `rollout.memory` (a rollout without memories gets []). Returns the number of items scored.
 */
export async function scoreMemories(
  policy: Policy,
  groups: readonly RolloutGroup[],
  codec: TokenCodec,
): Promise<number> {
  const p = protocolIds(codec);
  const contexts: Uint32Array[] = [];
  const targets: Uint32Array[] = [];
  const fill: (() => void)[] = [];
  const out: Float32Array[] = [];
  const add = (ctx: Uint32Array, target: Uint32Array): number => {
    contexts.push(ctx);
    targets.push(target);
    return contexts.length - 1;
  };
  for (const g of groups) {
    const target = goldTargetIds(g.task, codec, p);
    let firstBase = -1; // the t = 0 baseline is shared by the group
    for (const r of g.rollouts) {
      const items = memoryContexts(r, p).map((m) => {
        let base: number;
        if (m.stepIdx === 0) {
          if (firstBase < 0) firstBase = add(m.baseContext, target);
          base = firstBase;
        } else base = add(m.baseContext, target);
        return { stepIdx: m.stepIdx, mem: add(m.memContext, target), base };
      });
      fill.push(() => {
        r.memory = items.map((m) => ({
          stepIdx: m.stepIdx,
          memLogprobs: out[m.mem]!,
          baseLogprobs: out[m.base]!,
        }));
      });
    }
  }
  if (contexts.length > 0) {
    const scored = await policy.score(contexts, targets);
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
  return contexts.length;
}
