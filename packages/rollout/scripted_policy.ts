/**
 * Scripted policies for tests and for running scripted agents through the token-level runner:
 * a response function (decoded prompt → response text, or ids) replayed as ids with a fixed
 * log-prob per token, cut at the first stop id or at the token budget the way the model's
 * `generate` is. `teacherPolicy` replays @mempo/env's scripted teacher.
 * Test: runner_test.ts.
 */
import { type Agent, promptQuestion, type Task, type Teacher, type TokenCodec } from "@mempo/env";
import type { GenerateRequest, Policy, PolicyGeneration } from "./policy.ts";

/** (decoded prompt, prompt ids, index in the batch) → response text (encoded with allowSpecial) or ids. */
export type Respond = (
  context: string,
  promptIds: Uint32Array,
  index: number,
) => string | Uint32Array | Promise<string | Uint32Array>;

export interface ScriptedPolicyOptions {
  codec: TokenCodec;
  respond: Respond;
  /** Log-prob reported for every generated token. Default −0.5. */
  logprob?: number;
  /** Teacher-forced scores; default: `logprob` for every target token. */
  score?: (context: Uint32Array, target: Uint32Array) => Float32Array;
  version?: number;
  maxTokens?: number;
}

/** A scripted Policy; `calls` / `scoreCalls` record every request (for tests). */
export interface ScriptedPolicy extends Policy {
  version: number;
  calls: { prompts: Uint32Array[]; req: GenerateRequest }[];
  scoreCalls: { contexts: Uint32Array[]; targets: Uint32Array[] }[];
}

export function scriptedPolicy(o: ScriptedPolicyOptions): ScriptedPolicy {
  const lp = o.logprob ?? -0.5;
  const policy: ScriptedPolicy = {
    version: o.version ?? 0,
    maxTokens: o.maxTokens,
    calls: [],
    scoreCalls: [],
    async generate(prompts, req) {
      policy.calls.push({ prompts: [...prompts], req });
      const stop = new Set(req.stopIds);
      const out: PolicyGeneration[] = [];
      for (let i = 0; i < prompts.length; i++) {
        const p = prompts[i]!;
        const r = await o.respond(o.codec.decode(p), p, i);
        let ids = typeof r === "string" ? o.codec.encode(r, { allowSpecial: true }) : r;
        let finish: "stop" | "length" = "length";
        const at = ids.findIndex((id) => stop.has(id));
        if (at >= 0 && at < req.maxNewTokens) {
          ids = ids.slice(0, at + 1);
          finish = "stop";
        } else ids = ids.slice(0, req.maxNewTokens);
        out.push({ ids, logprobs: new Float32Array(ids.length).fill(lp), finish });
      }
      return out;
    },
    async score(contexts, targets) {
      policy.scoreCalls.push({ contexts: [...contexts], targets: [...targets] });
      return contexts.map((c, i) =>
        o.score ? o.score(c, targets[i]!) : new Float32Array(targets[i]!.length).fill(lp),
      );
    },
  };
  return policy;
}

/**
 * env's scripted teacher as a Policy: each prompt is routed to the teacher agent of its task (found by
 * the question in the prompt). One agent per task, shared by the task's rollouts: with G = 1 each
 * task's turns reach its agent in the same order as env's `runEpisode`, so the runs are identical.
 */
export function teacherPolicy(
  teacher: Teacher,
  tasks: readonly Task[],
  codec: TokenCodec,
  opts: Omit<ScriptedPolicyOptions, "codec" | "respond"> = {},
): ScriptedPolicy {
  const byQuestion = new Map<string, Task>(tasks.map((t) => [t.question, t]));
  const agents = new Map<string, Agent>();
  return scriptedPolicy({
    ...opts,
    codec,
    respond: (context) => {
      const q = promptQuestion(context);
      const task = q === undefined ? undefined : byQuestion.get(q);
      if (task === undefined) throw new Error(`teacherPolicy: no task with the question '${q}'`);
      let agent = agents.get(task.id);
      if (agent === undefined) {
        agent = teacher.agentFor(task);
        agents.set(task.id, agent);
      }
      // the teacher reads only its context (memory, last documents, turns-left hint)
      return agent(context, { index: 0, maxTurns: 0 });
    },
  });
}
