/**
 * The scripted teacher (@mempo/env) run on a task list with the configured imperfections, under a
 * retention policy (`mem` by default) and the task's turn budget. The teacher reads only its last
 * `<mem>` and `<information>`, so under `full` retention it acts the same and only the context grows. Its episodes are text; SFT encodes them into
 * token-id step records, the tokenizer stage trains on their transcripts, eval scores them as the
 * reference line.
 *
 * `useMem: false` gives the ReAct teacher (the `react` agent's SFT data, DESIGN.md §6.8): the same
 * decisions, its notes kept to itself ({@link withoutMem}), every earlier turn in its context.
 */
import { type Agent, type Episode, runEpisode, type Task, Teacher } from "@mempo/env";
import type { Config } from "../config.ts";
import { maxTurns, type WorldData } from "./data.ts";

const MEM_BLOCK = /^\s*<mem>[\s\S]*?<\/mem>\n?/;

/**
 * A `<mem>`-writing agent turned into a ReAct one: it keeps its last `<mem>` block to itself (shown to
 * it before the context, where it reads its notes) and writes only `<think>` and the call. Stateful:
 * one per episode, called on its turns in order.
 */
export function withoutMem(agent: Agent): Agent {
  let notes = "";
  return async (context, turn) => {
    const full = await agent(`${notes}${context}`, turn);
    const m = MEM_BLOCK.exec(full);
    notes = m ? `${m[0].trim()}\n` : "";
    return m ? full.slice(m[0].length) : full;
  };
}

export interface TeacherOptions {
  /** Retention policy of the episodes (default "mem"). */
  policy?: "mem" | "full";
  /** The teacher writes `<mem>` (default true; false = the ReAct teacher, see {@link withoutMem}). */
  useMem?: boolean;
}

/** One episode per task of `data`'s world (its QA plans, its index), in order (deterministic: the teacher is seeded per task id). */
export async function teacherEpisodes(
  data: WorldData,
  cfg: Config,
  tasks: readonly Task[],
  policyOrOptions: "mem" | "full" | TeacherOptions = "mem",
): Promise<Episode[]> {
  const o = typeof policyOrOptions === "string" ? { policy: policyOrOptions } : policyOrOptions;
  const policy = o.policy ?? "mem";
  const useMem = o.useMem ?? true;
  const teacher = new Teacher(data.qa, cfg.teacher);
  const out: Episode[] = [];
  for (const task of tasks) {
    const n = task.objectives.length;
    const opts = {
      maxTurns: maxTurns(cfg.data, n),
      topk: cfg.data.topk,
      policy,
      useMem,
      scoring: cfg.data.scoring,
    };
    const agent = useMem ? teacher.agentFor(task) : withoutMem(teacher.agentFor(task));
    out.push(await runEpisode(agent, task, data.index, opts));
  }
  return out;
}
