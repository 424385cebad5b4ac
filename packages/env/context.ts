/**
 * Context builders for the retention policies (DESIGN.md §5), one code path:
 *   mem     prompt(question) + the previous turn's block (its response — <mem>, <think>, call — and the
 *           <information> it got). Everything older is dropped. (= last-k with k = 1)
 *   full    prompt + every earlier turn (ReAct-style baseline).
 *   last-k  prompt + the last k turns.
 * A context is a list of TextPieces so ids can be composed piecewise (codec.ts). Tested in
 * protocol_test.ts.
 */
import type { TextPiece } from "./codec.ts";

export type RetentionPolicy = "mem" | "full" | "last-k";

/** What an earlier turn leaves in later contexts. */
export interface TurnBlock {
  /** The model's response text (tags are special tokens). */
  response: string;
  /** The observation after it (information block + hint); empty for a final turn. */
  observation: readonly TextPiece[];
}

/** How many earlier turns a policy keeps (Infinity for full). */
export function keptTurns(policy: RetentionPolicy, lastK = 1): number {
  if (policy === "mem") return 1;
  if (policy === "full") return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(lastK) || lastK < 1)
    throw new Error(`last-k policy needs an integer k ≥ 1, got ${lastK}`);
  return lastK;
}

/** The context of the next turn: the prompt followed by the kept earlier blocks, oldest first. */
export function buildContext(
  prompt: readonly TextPiece[],
  previous: readonly TurnBlock[],
  policy: RetentionPolicy,
  lastK = 1,
): TextPiece[] {
  const keep = keptTurns(policy, lastK);
  const from = Math.max(0, previous.length - keep);
  const out: TextPiece[] = [...prompt];
  for (let i = from; i < previous.length; i++) {
    const b = previous[i]!;
    out.push({ text: b.response, special: true }, ...b.observation);
  }
  return out;
}
