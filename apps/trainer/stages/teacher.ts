/**
 * The scripted teacher (@mempo/env) run on a task list with the configured imperfections, under a
 * retention policy (`mem` by default) and the task's turn budget. The teacher reads only its last
 * `<mem>` and `<information>`, so under `full` retention it acts the same and only the context grows. Its episodes are text; SFT encodes them into
 * token-id step records, the tokenizer stage trains on their transcripts, eval scores them as the
 * reference line.
 */
import { type Episode, runEpisode, type Task, Teacher } from "@mempo/env";
import type { Config } from "../config.ts";
import { maxTurns, type WorldData } from "./data.ts";

/** One episode per task of `data`'s world (its QA plans, its index), in order (deterministic: the teacher is seeded per task id). */
export async function teacherEpisodes(
  data: WorldData,
  cfg: Config,
  tasks: readonly Task[],
  policy: "mem" | "full" = "mem",
): Promise<Episode[]> {
  const teacher = new Teacher(data.qa, cfg.teacher);
  const out: Episode[] = [];
  for (const task of tasks) {
    const n = task.objectives.length;
    const opts = { maxTurns: maxTurns(cfg.data, n), topk: cfg.data.topk, policy, scoring: cfg.data.scoring };
    out.push(await runEpisode(teacher.agentFor(task), task, data.index, opts));
  }
  return out;
}
