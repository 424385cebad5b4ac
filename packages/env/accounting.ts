/**
 * Token accounting of an episode (DESIGN.md §5):
 *   TT = Σ_turns (prompt tokens + generated tokens)  — all tokens processed over the episode
 *   PT = max_turns (prompt tokens + generated tokens) — the largest single-turn context
 * Counted with a TokenCodec (piecewise, exactly the ids a model sees) or any text counter such as
 * o200k (`openaiCounter`, in accounting_openai.ts: `@mempo/env/node`). Tested in protocol_test.ts.
 */
import { type TextPiece, type TokenCodec, piecesText } from "./codec.ts";

export interface TokenCounter {
  /** Name used in reports, e.g. "ours" or "o200k". */
  name: string;
  count(pieces: readonly TextPiece[]): number;
}

/** Counts ids of each piece encoded with its own allowSpecial (what the model is fed). */
export function codecCounter(name: string, codec: TokenCodec): TokenCounter {
  return {
    name,
    count: (pieces) => {
      let n = 0;
      for (const p of pieces)
        if (p.text.length > 0) n += codec.encode(p.text, { allowSpecial: p.special }).length;
      return n;
    },
  };
}

/** Counts the joined text with a text counter (e.g. `(t) => countTokens(t, "o200k_base")`). */
export function textCounter(name: string, count: (text: string) => number): TokenCounter {
  return { name, count: (pieces) => count(piecesText(pieces)) };
}

export interface TokenUsage {
  /** Total tokens processed over the episode. */
  tt: number;
  /** Peak single-turn context (prompt + response). */
  pt: number;
  perTurn: { prompt: number; response: number }[];
}

/** TT/PT over turns given as (context pieces, response text). */
export function tokenUsage(
  turns: readonly { contextPieces: readonly TextPiece[]; response: string }[],
  counter: TokenCounter,
): TokenUsage {
  let tt = 0;
  let pt = 0;
  const perTurn = turns.map((t) => {
    const prompt = counter.count(t.contextPieces);
    const response = counter.count([{ text: t.response, special: true }]);
    tt += prompt + response;
    pt = Math.max(pt, prompt + response);
    return { prompt, response };
  });
  return { tt, pt, perTurn };
}
