/**
 * Prompt templates of the agent protocol (DESIGN.md §5): the instruction explaining the tags, the
 * question, and the turn budget. Returned as TextPieces: template text may hold special tags, the
 * question is data (encoded with allowSpecial false). Tested in protocol_test.ts.
 */
import type { TextPiece } from "./codec.ts";

export interface PromptOptions {
  /** Turn budget of the episode. */
  maxTurns: number;
  /** The agent writes `<mem>` each turn (default true; false for the ReAct baseline). */
  useMem?: boolean;
  /** Only the previous turn stays visible (`mem` policy, default true); false when history is kept. */
  historyDropped?: boolean;
}

/** The instruction text that precedes the question. */
export function instructionText(opts: PromptOptions): string {
  const useMem = opts.useMem ?? true;
  const dropped = opts.historyDropped ?? true;
  const lines = [
    "Answer the questions using a search engine over an encyclopedia. Each turn, write in this order:",
  ];
  if (useMem)
    lines.push("<mem> everything worth keeping: facts found so far and what is still missing </mem>");
  lines.push(
    "<think> your reasoning for this step </think>",
    "then either <search> one search query </search> to get documents,",
    "or <answer> answer 1; answer 2 </answer> with one short answer per question, in order, separated by ';'.",
  );
  if (useMem && dropped)
    lines.push("Only your previous turn is shown again, so <mem> must hold everything you still need.");
  return `${lines.join("\n")}\n`;
}

/** The turns-left line shown before a turn; on the last turn it says the agent must answer. */
export function turnsLeftHint(turnsLeft: number): string {
  return turnsLeft <= 1
    ? "This is your last turn: you must answer now."
    : `You have ${turnsLeft} turns left.`;
}

/**
 * The task question of a prompt built by {@link promptPieces}: `Question: q` → q; numbered lines
 * `Question 1: q1` … → "q1; q2; …" (a Task's `question`). undefined when the context has none.
 */
export function promptQuestion(context: string): string | undefined {
  const lines = context.split("\n");
  const single = lines.find((l) => l.startsWith("Question: "));
  if (single !== undefined) return single.slice("Question: ".length);
  const numbered: string[] = [];
  for (const l of lines) {
    const m = /^Question (\d+): (.*)$/.exec(l);
    if (m && Number(m[1]) === numbered.length + 1) numbered.push(m[2]!);
    else if (numbered.length > 0) break;
  }
  return numbered.length > 0 ? numbered.join("; ") : undefined;
}

/**
 * The first-turn prompt: instruction, question(s), budget. A task's objectives (an array) are
 * numbered one per line (`Question 1: …` / `Question 2: …`), so the model reads how many there are
 * and finds question i by its number; one objective, or a single string, is `Question: …`.
 */
export function promptPieces(question: string | readonly string[], opts: PromptOptions): TextPiece[] {
  const qs = typeof question === "string" ? [question] : question;
  const head = instructionText(opts);
  const body: TextPiece[] =
    qs.length === 1
      ? [
          { text: `${head}Question: `, special: true },
          { text: qs[0]!, special: false },
        ]
      : qs.flatMap((q, i) => [
          { text: `${i === 0 ? head : "\n"}Question ${i + 1}: `, special: true },
          { text: q, special: false },
        ]);
  return [...body, { text: `\n${turnsLeftHint(opts.maxTurns)}\n`, special: true }];
}
