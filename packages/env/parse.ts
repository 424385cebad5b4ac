/**
 * Tolerant parser of one agent turn: `<mem>…</mem><think>…</think>` then `<search>q</search>` or
 * `<answer>a1; a2</answer>` (DESIGN.md §5). Never throws: every malformed output is classified.
 *
 * Checks, in this order (the first failure is reported):
 *   empty → scan tags left to right: truncated-tag (ends in a partial tag such as `</sea`),
 *   information-tag (the model wrote `<information>`), stray-closing-tag, nested-tag (a tag inside a
 *   block, or a mismatched close), duplicate-tag, both-actions, wrong-order → unclosed-tag (a block
 *   never closed, e.g. cut at the token limit) → text-outside-tags → missing-action,
 *   missing-mem, missing-think, empty-query, empty-answer.
 * Tested in parse_test.ts (one case per class).
 */
import { splitAnswers } from "./scoring.ts";

export type MalformedReason =
  | "empty"
  | "truncated-tag"
  | "information-tag"
  | "stray-closing-tag"
  | "nested-tag"
  | "duplicate-tag"
  | "both-actions"
  | "wrong-order"
  | "text-outside-tags"
  | "unclosed-tag"
  | "missing-action"
  | "missing-mem"
  | "missing-think"
  | "empty-query"
  | "empty-answer";

export type ParsedTurn =
  | { kind: "search"; mem: string | null; think: string | null; query: string }
  | { kind: "answer"; mem: string | null; think: string | null; answers: string[] }
  | { kind: "malformed"; reason: MalformedReason; detail: string };

export interface ParseOptions {
  /** A `<mem>` block is required (default true; false for the ReAct baseline). */
  requireMem?: boolean;
  /** A `<think>` block is required (default true). */
  requireThink?: boolean;
}

const TAG = /<(\/?)(mem|think|search|answer|information)>/g;
const PARTIAL =
  /<\/?(?:m|me|mem|t|th|thi|thin|think|s|se|sea|sear|searc|search|a|an|ans|answ|answe|answer|i|in|inf|info|infor|inform|informa|informat|informati|informatio|information)?$/;
const RANK: Record<string, number> = { mem: 0, think: 1, search: 2, answer: 2 };

/** Parses one model response. */
export function parseTurn(response: string, opts: ParseOptions = {}): ParsedTurn {
  const bad = (reason: MalformedReason, detail: string): ParsedTurn => ({
    kind: "malformed",
    reason,
    detail,
  });
  if (response.trim().length === 0) return bad("empty", "the response is empty");
  const partial = PARTIAL.exec(response);
  if (partial) return bad("truncated-tag", `the response ends inside a tag: '${partial[0]}'`);

  const blocks = new Map<string, string>();
  let open: { name: string; at: number } | null = null;
  let last = 0;
  let lastRank = -1;
  let outside = "";
  TAG.lastIndex = 0;
  for (let m = TAG.exec(response); m !== null; m = TAG.exec(response)) {
    const closing = m[1] === "/";
    const name = m[2]!;
    const between = response.slice(last, m.index);
    last = m.index + m[0].length;
    if (name === "information") {
      return bad(
        "information-tag",
        "the response contains an <information> tag; only the environment writes it",
      );
    }
    if (open === null) {
      if (between.trim().length > 0 && outside === "") outside = between.trim();
      if (closing) return bad("stray-closing-tag", `</${name}> at offset ${m.index} closes nothing`);
      if (blocks.has(name)) return bad("duplicate-tag", `<${name}> appears more than once`);
      if ((name === "search" && blocks.has("answer")) || (name === "answer" && blocks.has("search"))) {
        return bad(
          "both-actions",
          "the response has both <search> and <answer>; a turn does one or the other",
        );
      }
      const rank = RANK[name]!;
      if (rank < lastRank) {
        return bad(
          "wrong-order",
          `<${name}> comes after a later block; the order is <mem>, <think>, then <search> or <answer>`,
        );
      }
      lastRank = rank;
      open = { name, at: m.index };
    } else if (closing && name === open.name) {
      blocks.set(name, between);
      open = null;
    } else {
      return bad("nested-tag", `${m[0]} at offset ${m.index} inside the open <${open.name}> block`);
    }
  }
  const tail = response.slice(last);
  if (open !== null) return bad("unclosed-tag", `<${open.name}> at offset ${open.at} is never closed`);
  if (outside === "" && tail.trim().length > 0) outside = tail.trim();
  if (blocks.size === 0 && lastRank < 0) {
    return bad(
      "missing-action",
      "the response has no protocol tags at all; end a turn with <search> or <answer>",
    );
  }
  if (outside !== "") return bad("text-outside-tags", `text outside the tags: '${outside.slice(0, 60)}'`);

  const mem = blocks.has("mem") ? blocks.get("mem")!.trim() : null;
  const think = blocks.has("think") ? blocks.get("think")!.trim() : null;
  if (!blocks.has("search") && !blocks.has("answer")) {
    return bad("missing-action", "the response has neither <search>…</search> nor <answer>…</answer>");
  }
  if ((opts.requireMem ?? true) && mem === null)
    return bad("missing-mem", "the response has no <mem>…</mem> block");
  if ((opts.requireThink ?? true) && think === null) {
    return bad("missing-think", "the response has no <think>…</think> block");
  }
  if (blocks.has("search")) {
    const query = blocks.get("search")!.trim();
    if (query.length === 0) return bad("empty-query", "<search></search> holds no query");
    return { kind: "search", mem, think, query };
  }
  const answer = blocks.get("answer")!;
  if (answer.trim().length === 0) return bad("empty-answer", "<answer></answer> holds no answer");
  return { kind: "answer", mem, think, answers: splitAnswers(answer) };
}
