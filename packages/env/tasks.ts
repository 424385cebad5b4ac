/**
 * The MEM1 multi-objective task builder: consecutive chunks of N questions from one dataset become one
 * task whose question is the N questions joined with `; ` and whose gold is one alias list per
 * objective. N = 1..16. Tested in tasks_test.ts.
 */
import type { QARecord } from "./corpus_io.ts";

/** A multi-objective task (DESIGN.md §4). */
export interface Task {
  id: string;
  /** The objectives joined with `; `. */
  question: string;
  /** One question per objective. */
  objectives: string[];
  /** golden[i] = accepted aliases of objective i. */
  golden: string[][];
  /** Ids of the QA records the objectives came from (same order). */
  sourceIds: string[];
}

export interface TaskBuilderOptions {
  /** Drop a last chunk shorter than N (default true, as MEM1); false keeps it as a smaller task. */
  dropRemainder?: boolean;
  /** Prefix of task ids (default `"mo{N}-"`); the chunk index follows. */
  idPrefix?: string;
}

export const MAX_OBJECTIVES = 16;

/** One task from the given questions (in order). */
export function makeTask(id: string, records: readonly QARecord[]): Task {
  if (records.length === 0) throw new Error(`makeTask(${id}): needs at least one question`);
  const objectives = records.map((r) => r.question.trim());
  return {
    id,
    question: objectives.join("; "),
    objectives,
    golden: records.map((r) => [...r.golden_answers]),
    sourceIds: records.map((r) => r.id),
  };
}

/** Chunks `qa` (in order) into tasks of `n` objectives. */
export function buildTasks(qa: readonly QARecord[], n: number, opts: TaskBuilderOptions = {}): Task[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_OBJECTIVES) {
    throw new Error(`buildTasks: objectives per task must be an integer in 1..${MAX_OBJECTIVES}, got ${n}`);
  }
  const dropRemainder = opts.dropRemainder ?? true;
  const prefix = opts.idPrefix ?? `mo${n}-`;
  const tasks: Task[] = [];
  for (let i = 0; i < qa.length; i += n) {
    const chunk = qa.slice(i, i + n);
    if (chunk.length < n && dropRemainder) break;
    tasks.push(makeTask(`${prefix}${tasks.length}`, chunk));
  }
  return tasks;
}
