/**
 * Pre-tokenizer patterns: the regexes that cut text into pieces before BPE runs inside each piece.
 *
 * - `gpt2`: GPT-2's pattern (also Hugging Face ByteLevel's built-in regex). The default.
 * - `cl100k`: tiktoken's cl100k_base pattern (letters absorb one leading non-letter, digits in
 *   runs of at most 3, newlines grouped).
 * - `qwen2`: Qwen2's pattern (like cl100k, but single digits).
 *
 * Patterns are kept in the Hugging Face / Oniguruma spelling (as written in tokenizer.json) and
 * translated to a JavaScript `u` regex by `compilePattern`: `(?i:...)` groups become explicit
 * case classes (`'[sS]`), possessive quantifiers (`++`, `*+`, `?+`) become greedy ones. Anything
 * else must already be valid JavaScript regex syntax. Tested in pretokenize_test.ts.
 */

import type { SplitBehavior } from "./spec.ts";

export type PatternName = "gpt2" | "cl100k" | "qwen2";

/** Pattern sources in tokenizer.json spelling. */
export const PATTERNS: Readonly<Record<PatternName, string>> = Object.freeze({
  gpt2: String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
  cl100k: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  qwen2: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
});

const isAsciiLetter = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/**
 * Translates an Oniguruma-style pattern (as found in tokenizer.json) to JavaScript regex source.
 * Throws an Error describing the unsupported construct.
 */
export function translatePattern(source: string): string {
  let out = "";
  let inClass = false;
  // Stack of open groups; true where the group is a case-insensitive `(?i:` group.
  const groups: boolean[] = [];
  const caseless = () => groups.includes(true);
  let i = 0;
  const n = source.length;
  // After a quantifier, a following `+` makes it possessive: drop it (greedy is the closest JS form).
  const afterQuantifier = () => {
    if (source[i] === "+") i++;
    else if (source[i] === "?") out += source[i++];
  };
  while (i < n) {
    const c = source[i]!;
    if (c === "\\") {
      // Copy an escape verbatim, with a `\p{...}` / `\u{...}` body if present.
      let esc = source.slice(i, i + 2);
      i += 2;
      if ((esc === "\\p" || esc === "\\P" || esc === "\\u") && source[i] === "{") {
        const close = source.indexOf("}", i);
        if (close < 0) throw new Error(`unterminated ${esc}{ at offset ${i - 2}`);
        esc += source.slice(i, close + 1);
        i = close + 1;
      }
      out += esc;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      else if (caseless() && isAsciiLetter(c)) {
        throw new Error(`letters inside a character class within (?i:...) are not supported (offset ${i})`);
      }
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      i++;
      if (source[i] === "^") out += source[i++];
      if (source[i] === "]") {
        out += "\\]"; // a leading `]` is literal in Oniguruma
        i++;
      }
      continue;
    }
    if (c === "(") {
      if (source.startsWith("(?i:", i)) {
        groups.push(true);
        out += "(?:";
        i += 4;
      } else if (source.startsWith("(?i)", i) || source.startsWith("(?-i", i)) {
        throw new Error(`inline flag groups other than (?i:...) are not supported (offset ${i})`);
      } else {
        groups.push(false);
        out += c;
        i++;
        if (source[i] === "?") {
          // group syntax `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: copy the `?` and its kind
          out += source[i++];
        }
      }
      continue;
    }
    if (c === ")") {
      if (groups.length === 0) throw new Error(`unbalanced ')' at offset ${i}`);
      groups.pop();
      out += c;
      i++;
      afterQuantifier();
      continue;
    }
    if (c === "?" || c === "*" || c === "+") {
      out += c;
      i++;
      afterQuantifier();
      continue;
    }
    if (c === "{") {
      const close = source.indexOf("}", i);
      if (close > i && /^\{\d*,?\d*\}$/.test(source.slice(i, close + 1))) {
        out += source.slice(i, close + 1);
        i = close + 1;
        afterQuantifier();
        continue;
      }
    }
    out += caseless() && isAsciiLetter(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
    i++;
  }
  if (inClass) throw new Error("unterminated character class");
  if (groups.length > 0) throw new Error("unbalanced '('");
  return out;
}

/** Compiles a tokenizer.json-style pattern to a global Unicode JavaScript RegExp. Throws on bad syntax. */
export function compilePattern(source: string): RegExp {
  const js = translatePattern(source);
  try {
    return new RegExp(js, "gu");
  } catch (e) {
    throw new Error(`not a valid regex once translated to JavaScript (${js}): ${(e as Error).message}`);
  }
}

/** Resolves a pattern option (a name, a tokenizer.json-style source, or a RegExp) to its source. */
export function patternSource(p: PatternName | string | RegExp): string {
  if (p instanceof RegExp) return p.source;
  return (PATTERNS as Record<string, string>)[p] ?? p;
}

/** Index after the code point at i (skips a whole surrogate pair). */
export function nextCodePoint(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
  }
  return i + 1;
}

/** Splits text with `re` in Hugging Face's "Isolated" mode: matches and the gaps between them. */
export function forEachPiece(re: RegExp, text: string, emit: (piece: string) => void): void {
  re.lastIndex = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) emit(text.slice(last, m.index));
    if (m[0].length === 0) {
      re.lastIndex = nextCodePoint(text, m.index);
      last = m.index;
      continue;
    }
    emit(m[0]);
    last = re.lastIndex;
  }
  if (last < text.length) emit(text.slice(last));
}

/**
 * Splits text as Hugging Face's Split pre-tokenizer does: the matches of `re` and the gaps between
 * them, matches flipped with `invert`, then per behaviour — Isolated: every piece; Removed: the
 * non-matches only; MergedWithPrevious / MergedWithNext: a match joins the piece before / after it;
 * Contiguous: neighbouring pieces of the same kind join. Empty pieces are dropped.
 */
export function forEachSplit(
  re: RegExp,
  text: string,
  behavior: SplitBehavior,
  invert: boolean,
  emit: (piece: string) => void,
): void {
  const segs: { s: number; e: number; m: boolean }[] = [];
  re.lastIndex = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex = nextCodePoint(text, m.index);
      continue;
    }
    if (m.index > last) segs.push({ s: last, e: m.index, m: invert });
    segs.push({ s: m.index, e: re.lastIndex, m: !invert });
    last = re.lastIndex;
  }
  if (last < text.length) segs.push({ s: last, e: text.length, m: invert });
  let out: { s: number; e: number; m: boolean }[] = [];
  if (behavior === "Isolated") out = segs;
  else if (behavior === "Removed") out = segs.filter((x) => !x.m);
  else if (behavior === "MergedWithPrevious" || behavior === "Contiguous") {
    let prev = false;
    for (const x of segs) {
      const join = behavior === "Contiguous" ? x.m === prev : x.m && !prev;
      if (join && out.length > 0) out[out.length - 1]!.e = x.e;
      else out.push({ ...x });
      prev = x.m;
    }
  } else {
    let prev = false;
    for (let i = segs.length - 1; i >= 0; i--) {
      const x = segs[i]!;
      if (x.m && !prev && out.length > 0) out[out.length - 1]!.s = x.s;
      else out.push({ ...x });
      prev = x.m;
    }
    out.reverse();
  }
  for (const x of out) if (x.e > x.s) emit(text.slice(x.s, x.e));
}
