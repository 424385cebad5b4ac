/**
 * A text-level episode runner: an agent (context text → response text) acts on a Task through a
 * Retriever under a retention policy, for at most `maxTurns` turns. Used for the scripted teacher,
 * tests and evaluation of scripted agents; the model's token-id rollout lives in @mempo/rollout.
 *
 * An episode ends on an answer, on malformed output (format failure, score 0) or when the turn budget
 * runs out (a search on the last turn: no answer, score 0). Never throws on agent output (an agent
 * that throws is a bug and propagates).
 * Tested in episode_test.ts.
 */
import { type TextPiece, piecesText } from "./codec.ts";
import { buildContext, type RetentionPolicy, type TurnBlock } from "./context.ts";
import { informationPieces } from "./information.ts";
import { type ParsedTurn, parseTurn } from "./parse.ts";
import { promptPieces } from "./prompt.ts";
import type { Hit, Retriever } from "./retriever.ts";
import { type Score, type ScoringName, score } from "./scoring.ts";
import type { Task } from "./tasks.ts";

/** An agent: reads the context text, returns its response text. */
export type Agent = (context: string, turn: { index: number; maxTurns: number }) => Promise<string> | string;

export interface EpisodeOptions {
  /** Turn budget (default 8). */
  maxTurns: number;
  /** Retention policy (default "mem"). */
  policy: RetentionPolicy;
  /** k of the last-k policy (default 1). */
  lastK: number;
  /** Documents per search (default 3). */
  topk: number;
  /** The agent writes <mem> (default true; false = ReAct baseline, <mem> not required). */
  useMem: boolean;
  /** Answer scoring rule (default "mem1"; scoring.ts). */
  scoring: ScoringName;
}

export const DEFAULT_EPISODE_OPTIONS: Readonly<EpisodeOptions> = Object.freeze({
  maxTurns: 8,
  policy: "mem",
  lastK: 1,
  topk: 3,
  useMem: true,
  scoring: "mem1",
});

export interface TurnRecord {
  /** 0-based turn index. */
  index: number;
  /** The context the agent saw, as pieces (template/model text special, data not). */
  contextPieces: TextPiece[];
  context: string;
  response: string;
  parsed: ParsedTurn;
  /** Retrieved hits after a search turn. */
  hits: Hit[] | null;
  /** The observation appended after this turn (information + hint); empty when none. */
  observation: TextPiece[];
}

export type EpisodeFinish = "answer" | "malformed" | "turn-limit";

export interface Episode {
  task: Task;
  turns: TurnRecord[];
  finish: EpisodeFinish;
  /** The final answers, or null without an answer. */
  answers: string[] | null;
  /** false when a turn was malformed. */
  formatValid: boolean;
  score: Score;
  options: EpisodeOptions;
}

function zeroScore(n: number): Score {
  return {
    em: 0,
    f1: 0,
    perObjective: Array.from({ length: n }, () => ({ em: 0, f1: 0 })),
    countMismatch: false,
  };
}

/** Runs one episode. */
export async function runEpisode(
  agent: Agent,
  task: Task,
  retriever: Retriever,
  options: Partial<EpisodeOptions> = {},
): Promise<Episode> {
  const o: EpisodeOptions = { ...DEFAULT_EPISODE_OPTIONS, ...options };
  if (!Number.isInteger(o.maxTurns) || o.maxTurns < 1)
    throw new Error(`runEpisode: maxTurns must be ≥ 1, got ${o.maxTurns}`);
  const prompt = promptPieces(task.objectives, {
    maxTurns: o.maxTurns,
    useMem: o.useMem,
    historyDropped: o.policy !== "full",
  });
  const turns: TurnRecord[] = [];
  const blocks: TurnBlock[] = [];
  let finish: EpisodeFinish = "turn-limit";
  let answers: string[] | null = null;
  for (let index = 0; index < o.maxTurns; index++) {
    const contextPieces = buildContext(prompt, blocks, o.policy, o.lastK);
    const context = piecesText(contextPieces);
    const response = await agent(context, { index, maxTurns: o.maxTurns });
    const parsed = parseTurn(response, { requireMem: o.useMem });
    const rec: TurnRecord = { index, contextPieces, context, response, parsed, hits: null, observation: [] };
    turns.push(rec);
    if (parsed.kind === "malformed") {
      finish = "malformed";
      break;
    }
    if (parsed.kind === "answer") {
      finish = "answer";
      answers = parsed.answers;
      break;
    }
    if (index === o.maxTurns - 1) break; // searched on the last turn: no answer
    const hits = (await retriever.search([parsed.query], o.topk))[0] ?? [];
    rec.hits = hits;
    rec.observation = informationPieces(hits, o.maxTurns - index - 1);
    blocks.push({ response, observation: rec.observation });
  }
  return {
    task,
    turns,
    finish,
    answers,
    formatValid: finish !== "malformed",
    score: answers === null ? zeroScore(task.golden.length) : score(answers, task.golden, o.scoring),
    options: o,
  };
}
