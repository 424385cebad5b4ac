/**
 * Answer scoring: normalization, exact match, token F1, multi-objective score, under one of two named
 * rules (`SCORINGS`), as the two peers compute them:
 *
 *   mem1   MEM1's inference/eval.py `compute_score`: lowercase → every ASCII punctuation character
 *          (Python's string.punctuation) becomes a space → collapse whitespace, strip; articles are
 *          kept. EM: the normalized answer equals a normalized alias. F1 over token *sets*; an empty
 *          answer or alias scores 0.
 *   squad  SQuAD's normalize_answer, as Search-R1's qa_em.py: lowercase → punctuation deleted →
 *          the articles a/an/the (whole words) replaced by spaces → collapse whitespace. F1 over token
 *          multisets (Counter overlap).
 *
 * EM and F1 take the best alias per objective. A multi-objective answer is split on `;`; if the
 * count differs from the objective count every objective scores 0 (`countMismatch`). Scores are
 * per-objective means ×100 (MEM1 sums over objectives; the mean keeps N comparable). Tested in
 * scoring_test.ts against hand-computed tables and against both peers' Python on probe pairs.
 */

const PUNCT = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
// Python's \b(a|an|the)\b on a unicode string: word characters are letters, digits and underscore.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** The answer-scoring rules by name (see the file comment). */
export const SCORINGS = ["mem1", "squad"] as const;
export type ScoringName = (typeof SCORINGS)[number];

/** MEM1's preprocess_text: lowercase, punctuation → space, whitespace collapsed and stripped. */
export function normalizeMem1(s: string): string {
  let t = "";
  for (const ch of s.toLowerCase()) t += PUNCT.has(ch) ? " " : ch;
  return t
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .join(" ");
}

/** MEM1's F1: token sets; 0 when the answer or the alias is empty or nothing is shared. */
export function tokenSetF1(prediction: string, gold: string): number {
  const p = new Set(words(normalizeMem1(prediction)));
  const g = new Set(words(normalizeMem1(gold)));
  if (p.size === 0 || g.size === 0) return 0;
  let same = 0;
  for (const w of p) if (g.has(w)) same += 1;
  if (same === 0) return 0;
  const precision = same / p.size;
  const recall = same / g.size;
  return (2 * precision * recall) / (precision + recall);
}

const words = (n: string) => (n.length === 0 ? [] : n.split(" "));

/** SQuAD's normalize_answer. */
export function normalizeAnswer(s: string): string {
  let t = "";
  for (const ch of s.toLowerCase()) if (!PUNCT.has(ch)) t += ch;
  t = t.replace(ARTICLES, " ");
  return t
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .join(" ");
}

/** 1 if the normalized strings are equal, else 0. */
export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/** SQuAD token F1: multiset (Counter) overlap of normalized tokens; 0 when nothing overlaps. */
export function tokenF1(prediction: string, gold: string): number {
  const p = tokens(prediction);
  const g = tokens(gold);
  const counts = new Map<string, number>();
  for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      same += 1;
      counts.set(w, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

function tokens(s: string): string[] {
  const n = normalizeAnswer(s);
  return n.length === 0 ? [] : n.split(" ");
}

/** Best EM and best F1 of one predicted answer over an objective's aliases. */
export function scoreObjective(
  prediction: string,
  aliases: readonly string[],
  scoring: ScoringName = "mem1",
): { em: number; f1: number } {
  const norm = scoring === "mem1" ? normalizeMem1 : normalizeAnswer;
  const f1Of = scoring === "mem1" ? tokenSetF1 : tokenF1;
  const p = norm(prediction);
  let em = 0;
  let f1 = 0;
  for (const a of aliases) {
    em = Math.max(em, p === norm(a) ? 1 : 0);
    f1 = Math.max(f1, f1Of(prediction, a));
  }
  return { em, f1 };
}

export interface Score {
  /** Mean per-objective exact match ×100. */
  em: number;
  /** Mean per-objective token F1 ×100. */
  f1: number;
  /** Per objective, each in [0, 1]. */
  perObjective: { em: number; f1: number }[];
  /** The answer had a different number of `;`-separated parts than there are objectives. */
  countMismatch: boolean;
}

/** Splits an answer string on `;` into trimmed parts (the MEM1 multi-answer convention). */
export function splitAnswers(answer: string): string[] {
  return answer.split(";").map((a) => a.trim());
}

/**
 * Scores `answer` ("a1; a2; …") against one alias list per objective under `scoring` (default mem1).
 * `answer` may also be an array of already split answers.
 */
export function score(
  answer: string | readonly string[],
  golden: readonly (readonly string[])[],
  scoring: ScoringName = "mem1",
): Score {
  const parts = typeof answer === "string" ? splitAnswers(answer) : answer;
  const n = golden.length;
  if (parts.length !== n) {
    return {
      em: 0,
      f1: 0,
      perObjective: golden.map(() => ({ em: 0, f1: 0 })),
      countMismatch: true,
    };
  }
  const perObjective = golden.map((aliases, i) => scoreObjective(parts[i]!, aliases, scoring));
  const mean = (k: "em" | "f1") => (n === 0 ? 0 : (100 * perObjective.reduce((s, o) => s + o[k], 0)) / n);
  return { em: mean("em"), f1: mean("f1"), perObjective, countMismatch: false };
}
