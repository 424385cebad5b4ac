/**
 * A scripted teacher agent that solves generated multi-objective tasks in the protocol, reading only
 * its context: the facts in its last `<mem>`, the last `<information>` block and the turns-left hint.
 * Per objective it searches the subject's attribute (two-hop: first the bridge entity, then the
 * bridge's attribute), records a fact in `<mem>` only when a retrieved passage about the subject states
 * it, and answers when every objective is known (or on its last turn, with "unknown" for gaps).
 *
 * It knows each question's plan (QA metadata `hops`: which entity and attribute to look up), never the
 * answer without retrieving it. Imperfections, each seeded per task: dropping a fact when rewriting
 * memory, repeating the previous search, searching vaguely, padding memory with verbose notes.
 * A space follows `<search>` and `<answer>` so a name has the same token ids as in the question and
 * the passages (the byte-level pre-tokenizer keeps the leading space with the word).
 * Tested in teacher_test.ts; F1 with and without imperfections in docs/datasets.md.
 */
import type { QARecord } from "./corpus_io.ts";
import type { Agent } from "./episode.ts";
import { lastInformation, type ShownDocument } from "./information.ts";
import { Rng } from "@mempo/kernels/random";
import { normalizeAnswer } from "./scoring.ts";
import type { Task } from "./tasks.ts";
import { type Hop, questionMeta } from "./world/questions.ts";

export interface TeacherConfig {
  /** Seed of the imperfections (default 7); each task draws from its own fork. */
  seed: number | string;
  /** Probability of leaving out each known fact when rewriting `<mem>` in a turn (default 0.06). */
  dropFactProb: number;
  /** Probability of repeating the previous search instead of progressing (default 0.1). */
  redundantSearchProb: number;
  /** Probability of a vague search (keywords without the subject) (default 0.1). */
  vagueSearchProb: number;
  /** Probability of padding `<mem>` with restated questions and notes (default 0.3). */
  verboseMemoryProb: number;
  /**
   * Keep every unanswered question in `<mem>` as `Q<i> asks: <question>` (default true), so how many
   * questions there are and which one is next can be read off the memory instead of counted from the
   * `;`-joined question line.
   */
  openQuestions: boolean;
}

export const DEFAULT_TEACHER_CONFIG: Readonly<TeacherConfig> = Object.freeze({
  seed: 7,
  dropFactProb: 0.06,
  redundantSearchProb: 0.1,
  vagueSearchProb: 0.1,
  verboseMemoryProb: 0.3,
  openQuestions: true,
});

/** The teacher with every imperfection switched off. */
export const PERFECT_TEACHER_CONFIG: Readonly<TeacherConfig> = Object.freeze({
  ...DEFAULT_TEACHER_CONFIG,
  dropFactProb: 0,
  redundantSearchProb: 0,
  vagueSearchProb: 0,
  verboseMemoryProb: 0,
});

/** Answer written for an objective the teacher could not resolve. */
export const UNKNOWN_ANSWER = "unknown";

/** The teacher's thought before an answer that covers every question (`<think>…</think><answer>`). */
export const ANSWER_THOUGHT = "I have an answer for every question.";

const FACT_LINE = /^Q(\d+) (.+?): (.+)$/;

/** Facts (label → value) from the last `<mem>` block of a context. */
export function memoryFacts(context: string): Map<string, string> {
  const facts = new Map<string, string>();
  const end = context.lastIndexOf("</mem>");
  const start = end < 0 ? -1 : context.lastIndexOf("<mem>", end);
  if (start < 0) return facts;
  for (const line of context.slice(start + 5, end).split("\n")) {
    const m = FACT_LINE.exec(line.trim());
    if (m && m[2] !== "asks") facts.set(`Q${m[1]} ${m[2]}`, m[3]!);
  }
  return facts;
}

const contains = (haystack: string, needle: string) =>
  ` ${haystack} `.includes(` ${normalizeAnswer(needle)} `);

/** True when a shown document is about the hop's subject and states one of its answers. */
export function documentStates(doc: ShownDocument, hop: Hop, subject: string): boolean {
  const title = normalizeAnswer(doc.title);
  const text = normalizeAnswer(doc.text);
  const names = hop.subjectAliases.includes(subject) ? hop.subjectAliases : [subject, ...hop.subjectAliases];
  const about = names.some((n) => title === normalizeAnswer(n) || contains(text, n));
  return about && hop.answers.some((a) => contains(text, a));
}

export class Teacher {
  readonly config: TeacherConfig;
  private readonly plans: Map<string, Hop[]>;

  /** `qa`: the QA records the tasks were built from (their metadata holds the hops). */
  constructor(qa: Iterable<QARecord>, config: Partial<TeacherConfig> = {}) {
    this.config = { ...DEFAULT_TEACHER_CONFIG, ...config };
    this.plans = new Map();
    for (const r of qa) {
      const m = questionMeta(r);
      if (m) this.plans.set(r.id, m.hops);
    }
  }

  /** The agent for one task (its imperfections are seeded by the config seed and the task id). */
  agentFor(task: Task): Agent {
    const plans = task.sourceIds.map((id) => {
      const p = this.plans.get(id);
      if (!p)
        throw new Error(
          `Teacher: no plan for question '${id}'; build tasks from generated QA records (metadata.hops)`,
        );
      return p;
    });
    const rng = new Rng(this.config.seed).fork(task.id);
    const c = this.config;
    return (context: string) => {
      const facts = memoryFacts(context);
      const docs = lastInformation(context);
      const isLast = context.trimEnd().endsWith("you must answer now.");
      const lastQuery = /<search>([^<]*)<\/search>(?![\s\S]*<search>)/.exec(context)?.[1]?.trim();
      // Learn from the newest documents: the first unresolved hop of each objective.
      const key = (i: number, h: Hop) => `Q${i + 1} ${h.label}`;
      plans.forEach((hops, i) => {
        for (let j = 0; j < hops.length; j++) {
          const h = hops[j]!;
          if (facts.has(key(i, h))) continue;
          const subject = j === 0 ? h.subject : facts.get(key(i, hops[j - 1]!));
          if (subject !== undefined && docs.some((d) => documentStates(d, h, subject)))
            facts.set(key(i, h), h.answers[0]!);
          break;
        }
      });
      const answers = plans.map((hops, i) => facts.get(key(i, hops[hops.length - 1]!)));
      // Rewrite memory: every known fact, each possibly dropped; sometimes verbose.
      const lines: string[] = [];
      const verbose = rng.chance(c.verboseMemoryProb);
      plans.forEach((hops, i) => {
        if (verbose || (c.openQuestions && answers[i] === undefined))
          lines.push(`Q${i + 1} asks: ${task.objectives[i]}`);
        for (const h of hops) {
          const v = facts.get(key(i, h));
          if (v !== undefined && !rng.chance(c.dropFactProb)) lines.push(`${key(i, h)}: ${v}`);
        }
      });
      if (verbose)
        lines.push("Note: I search one fact at a time and check every passage carefully before answering.");
      const mem = lines.length > 0 ? lines.join("\n") : "Nothing found yet.";
      if (isLast || answers.every((a) => a !== undefined)) {
        const think = answers.every((a) => a !== undefined)
          ? ANSWER_THOUGHT
          : "This is my last turn, so I answer with what I have.";
        const final = answers.map((a) => a ?? UNKNOWN_ANSWER).join("; ");
        return `<mem>\n${mem}\n</mem>\n<think>${think}</think>\n<answer> ${final}</answer>`;
      }
      const i = answers.indexOf(undefined);
      const hops = plans[i]!;
      const j = hops.findIndex((h) => !facts.has(key(i, h)));
      const h = hops[j]!;
      let query = lastQuery === h.query ? h.altQuery : h.query;
      let think = `Question ${i + 1} needs the ${h.label}, so I search for it.`;
      if (lastQuery !== undefined && rng.chance(c.redundantSearchProb)) {
        query = lastQuery;
        think = "I want to look at these results once more.";
      } else if (rng.chance(c.vagueSearchProb)) {
        query = h.query.slice(h.subject.length + 1);
        think = `Question ${i + 1} is about ${h.label.split(" of ")[0]}; a broad search may help.`;
      }
      return `<mem>\n${mem}\n</mem>\n<think>${think}</think>\n<search> ${query}</search>`;
    };
  }
}
