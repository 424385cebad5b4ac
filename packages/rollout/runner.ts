/**
 * The token-level rollout runner: G rollouts per task, every active rollout of every task batched
 * into ONE `policy.generate` call per turn, token in and token out.
 *
 *   turn t prompt = question prompt ids ++ kept earlier blocks (retention policy)
 *   block j       = response ids of turn j exactly as generated ++ its `<information>` ids
 *
 * The question prompt is encoded once (template special, question as data); retrieved documents
 * are encoded with allowSpecial false, so they cannot inject control tokens. Responses are decoded
 * only to parse the action (env's parser) and to search; their ids are never re-encoded.
 * Generation stops at `</search>` / `</answer>`. A malformed or undecodable turn ends that rollout
 * as a format failure (reward 0); searching on the last turn ends it at the turn limit (reward 0);
 * a prompt that leaves no room to generate within `policy.maxTokens` ends it as "context-overflow". Model output never
 * throws; a policy that breaks its contract (wrong number of results) or a failing retriever does.
 *
 * Test: `npx vitest run runner_test.ts`.
 */
import {
  concatIds,
  encodePieces,
  informationPieces,
  keptTurns,
  type ParsedTurn,
  parseTurn,
  promptPieces,
  type Retriever,
  type Score,
  score,
  type Task,
  type TokenCodec,
} from "@mempo/env";
import { openaiCounter } from "@mempo/env/node";
import { phase } from "@mempo/kernels";
import { type RolloutConfig, resolveRolloutConfig } from "./config.ts";
import { scoreMemories } from "./memory_contexts.ts";
import type { Policy, PolicyGeneration } from "./policy.ts";
import { findMemSpan, type ProtocolIds, protocolIds } from "./protocol_ids.ts";
import type { FormatFailure, Rollout, RolloutGroup } from "./rollout.ts";

/** What the runner acts through. */
export interface RolloutEnv {
  retriever: Retriever;
  /** Any TokenCodec (@mempo/tokenizer's Tokenizer, env's ByteCodec) whose protocol tags are single ids. */
  tokenizer: TokenCodec;
}

/** Seed of the generate call of turn t (a fixed mix of the config seed and t). */
export function turnSeed(seed: number, turn: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(turn + 1, 0x85ebca6b)) >>> 0;
}

/** The question prompt of a task as ids (the first turn's prompt). */
export function questionPromptIds(task: Task, c: RolloutConfig, codec: TokenCodec): Uint32Array {
  const pieces = promptPieces(task.objectives, {
    maxTurns: c.maxTurns,
    useMem: c.useMem,
    historyDropped: c.retention !== "full",
  });
  return encodePieces(codec, pieces);
}

/** The prompt of the next turn: question prompt ++ the kept (response ++ observation) blocks. */
export function turnContext(r: Rollout, c: RolloutConfig): Uint32Array {
  const t = r.steps.length;
  const from = Math.max(0, t - keptTurns(c.retention, c.k));
  const parts = [r.promptIds];
  for (let j = from; j < t; j++) parts.push(r.steps[j]!.responseIds, r.observations[j]!);
  return concatIds(parts);
}

const zeroScore = (task: Task): Score => ({
  em: 0,
  f1: 0,
  perObjective: task.golden.map(() => ({ em: 0, f1: 0 })),
  countMismatch: false,
});

function decodeTurn(
  codec: TokenCodec,
  ids: Uint32Array,
  useMem: boolean,
): { text: string; parsed: ParsedTurn | null; failure: Omit<FormatFailure, "turn"> | null } {
  let text: string;
  try {
    text = codec.decode(ids);
  } catch (e) {
    return { text: "", parsed: null, failure: { reason: "undecodable", detail: String(e) } };
  }
  const parsed = parseTurn(text, { requireMem: useMem });
  if (parsed.kind === "malformed") return { text, parsed, failure: parsed };
  return { text, parsed, failure: null };
}

function checkGeneration(g: PolicyGeneration | undefined, i: number, n: number): PolicyGeneration {
  if (g === undefined) throw new Error(`runGroups: policy.generate returned fewer than ${n} results`);
  if (g.logprobs.length !== g.ids.length) {
    throw new Error(
      `runGroups: policy.generate result ${i} has ${g.ids.length} ids but ${g.logprobs.length} log-probs`,
    );
  }
  return g;
}

/**
 * Runs `groupSize` rollouts of each task. Returns one group per task, in task order.
 * Memories are scored too (`scoreMemories`, one batched `policy.score` call) when `memoryReward` and `useMem` are set.
 */
export async function runGroups(
  policy: Policy,
  tasks: readonly Task[],
  config: Partial<RolloutConfig>,
  env: RolloutEnv,
): Promise<RolloutGroup[]> {
  const c = resolveRolloutConfig(config);
  const codec = env.tokenizer;
  const ids: ProtocolIds = protocolIds(codec);
  const seen = new Set<string>();
  const groups: RolloutGroup[] = tasks.map((task) => {
    const groupId = `${c.groupIdPrefix}${task.id}`;
    if (seen.has(groupId))
      throw new Error(`runGroups: task id '${task.id}' appears twice; group ids must be unique`);
    seen.add(groupId);
    const promptIds = questionPromptIds(task, c, codec);
    const rollouts = Array.from(
      { length: c.groupSize },
      (_, sampleId): Rollout => ({
        groupId,
        sampleId,
        task,
        promptIds,
        steps: [],
        observations: [],
        responses: [],
        finish: "turn-limit",
        failure: null,
        answers: null,
        score: zeroScore(task),
        formatValid: true,
        tt: 0,
        pt: 0,
        o200k: null,
        memory: null,
      }),
    );
    return { groupId, task, rollouts };
  });
  const all = groups.flatMap((g) => g.rollouts);
  const done = new Set<Rollout>();
  const maxPrompt = (policy.maxTokens ?? Number.POSITIVE_INFINITY) - 1; // room for one generated token

  for (let turn = 0; turn < c.maxTurns; turn++) {
    const active: Rollout[] = [];
    const prompts: Uint32Array[] = [];
    for (const r of all) {
      if (done.has(r)) continue;
      const prompt = turnContext(r, c);
      if (prompt.length > maxPrompt) {
        r.finish = "context-overflow";
        done.add(r);
        continue;
      }
      active.push(r);
      prompts.push(prompt);
    }
    if (active.length === 0) break;
    const gens = await phase("generate", () =>
      policy.generate(prompts, {
        maxNewTokens: c.maxNewTokens,
        stopIds: [ids.searchEnd, ids.answerEnd],
        sampling: c.sampling,
        seed: turnSeed(c.seed, turn),
      }),
    );
    if (gens.length !== active.length) {
      throw new Error(
        `runGroups: policy.generate returned ${gens.length} results for ${active.length} prompts`,
      );
    }
    const searches: { r: Rollout; query: string }[] = [];
    active.forEach((r, i) => {
      const g = checkGeneration(gens[i], i, active.length);
      const responseIds = Uint32Array.from(g.ids);
      const promptIds = prompts[i]!;
      r.steps.push({
        groupId: r.groupId,
        sampleId: r.sampleId,
        stepIdx: turn,
        promptIds,
        responseIds,
        // log-probs are ≤ 0; clamp float round-off of a near-certain token
        responseLogprobs: Float32Array.from(g.logprobs, (x) => Math.min(0, x)),
        memSpan: c.useMem ? findMemSpan(responseIds, ids) : null,
        lossMask: new Uint8Array(responseIds.length).fill(1),
        policyVersion: policy.version,
        finish: g.finish,
        tokens: promptIds.length + responseIds.length,
      });
      r.observations.push(new Uint32Array(0));
      const { text, parsed, failure } = decodeTurn(codec, responseIds, c.useMem);
      r.responses.push(text);
      if (failure !== null || parsed === null || parsed.kind === "malformed") {
        r.finish = "malformed";
        r.formatValid = false;
        r.failure = { turn, reason: failure?.reason ?? "undecodable", detail: failure?.detail ?? "" };
        done.add(r);
      } else if (parsed.kind === "answer") {
        r.finish = "answer";
        r.answers = parsed.answers;
        r.score = score(parsed.answers, r.task.golden, c.scoring);
        done.add(r);
      } else if (turn === c.maxTurns - 1) {
        r.finish = "turn-limit"; // searched on the last turn: no answer
        done.add(r);
      } else searches.push({ r, query: parsed.query });
    });
    if (searches.length > 0) {
      const hits = await phase("search", () =>
        env.retriever.search(
          searches.map((s) => s.query),
          c.topk,
        ),
      );
      searches.forEach(({ r }, i) => {
        const obs = informationPieces(hits[i] ?? [], c.maxTurns - turn - 1);
        r.observations[turn] = encodePieces(codec, obs);
      });
    }
  }

  const o200k = c.countO200k ? openaiCounter("o200k_base") : null;
  for (const r of all) {
    for (const s of r.steps) {
      r.tt += s.tokens;
      r.pt = Math.max(r.pt, s.tokens);
    }
    if (o200k) {
      let tt = 0;
      let pt = 0;
      r.steps.forEach((s, t) => {
        const n = o200k.count([
          { text: codec.decode(s.promptIds), special: true },
          { text: r.responses[t]!, special: true },
        ]);
        tt += n;
        pt = Math.max(pt, n);
      });
      r.o200k = { tt, pt };
    }
  }
  if (c.memoryReward && c.useMem)
    await phase("memory-scoring", () =>
      scoreMemories(policy, groups, codec, { temperature: c.sampling.temperature }, c.memoryBridge),
    );
  return groups;
}
