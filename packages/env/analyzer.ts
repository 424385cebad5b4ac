/**
 * The BM25 analyzer: lowercase, split on anything that is not a letter or digit, drop stopwords.
 *
 * No stemming (Pyserini's default Lucene analyzer stems with Porter; here "born" and "birth" stay
 * distinct — the generated passages and questions share word forms). Tested in bm25_test.ts.
 */

/** A small English stopword list (Lucene's classic list plus question words). */
export const ENGLISH_STOPWORDS: readonly string[] = Object.freeze(
  (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these " +
    "they this to was will with what which who whom whose when where why how does did do was were has have had " +
    "its his her he she from"
  ).split(" "),
);

const SPLIT = /[^\p{L}\p{N}]+/u;

export interface AnalyzerOptions {
  /** Drop stopwords (default true). */
  stopwords?: boolean | readonly string[];
}

/** Returns a function mapping text to its index terms. */
export function makeAnalyzer(opts: AnalyzerOptions = {}): (text: string) => string[] {
  const sw = opts.stopwords ?? true;
  const stop = new Set<string>(sw === true ? ENGLISH_STOPWORDS : sw === false ? [] : sw);
  return (text: string) => {
    const out: string[] = [];
    for (const w of text.toLowerCase().split(SPLIT)) if (w.length > 0 && !stop.has(w)) out.push(w);
    return out;
  };
}
