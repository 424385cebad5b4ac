/**
 * Test and benchmark helpers (import from `@mempo/tokenizer/testing`; not loaded by the package):
 *
 * - `syntheticCorpus(seed, bytes)`: deterministic, varied text (prose with contractions and
 *   numbers, code, JSON, non-Latin scripts, emoji with ZWJ/skin tones/flags, combining marks,
 *   whitespace runs, URLs, base64) as a list of documents. No downloads.
 * - `r50kTokenizer()`: GPT-2's r50k_base ranks (shipped in gpt-tokenizer) converted to a
 *   tokenizer.json (vocab + merges) and loaded into our Tokenizer, ids equal to the ranks.
 *   tiktoken stores only ranks; the merge that makes token r is recovered by running BPE on its
 *   bytes with the ranks below r, which must leave exactly two parts.
 * - `referenceR50k`: gpt-tokenizer's own r50k_base encoder, the peer in parity tests and benches.
 */
import r50kRanks from "gpt-tokenizer/bpeRanks/r50k_base";
import * as gptR50k from "gpt-tokenizer/encoding/r50k_base";
import { bytesToByteLevel } from "./byte_level.ts";
import { Tokenizer } from "./tokenizer.ts";

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the of and to in is was for that with as on by at from it this be are or an not have has had " +
  "memory agent search answer question model token policy reward gradient retrieval document " +
  "history turn context window long horizon learning training evaluation result table figure " +
  "village river mountain history science music language system people government company " +
  "however although because therefore meanwhile quickly slowly carefully suddenly nearly " +
  "Paris London Tokyo Einstein Curie Shakespeare Amazon Mississippi September Wednesday"
).split(" ");
const CONTRACTIONS = ["don't", "it's", "we're", "I'll", "they've", "I'm", "he'd", "can't", "WON'T", "She'S"];
const SCRIPTS: [number, number][] = [
  [0x0430, 0x044f], // Cyrillic
  [0x03b1, 0x03c9], // Greek
  [0x4e00, 0x9fff], // CJK
  [0x3041, 0x3096], // Hiragana
  [0x30a1, 0x30fa], // Katakana
  [0x0627, 0x064a], // Arabic
  [0x05d0, 0x05ea], // Hebrew
  [0x0915, 0x0939], // Devanagari
  [0xac00, 0xd7a3], // Hangul
  [0x0e01, 0x0e30], // Thai
];
const EMOJI: [number, number][] = [
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
];
const SPACES = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "   \n", " \u00a0"];

/** Deterministic varied documents totalling at least `bytes` UTF-8 bytes. */
export function syntheticCorpus(seed: number, bytes: number): string[] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const cp = ([lo, hi]: [number, number]) => String.fromCodePoint(lo + int(hi - lo + 1));
  const prose = () => {
    const out: string[] = [];
    const n = 5 + int(40);
    for (let i = 0; i < n; i++) {
      const k = r();
      let w = k < 0.08 ? pick(CONTRACTIONS) : k < 0.14 ? String(int(k < 0.1 ? 3000 : 1e7)) : pick(WORDS);
      if (k > 0.14 && k < 0.18) w = w[0]!.toUpperCase() + w.slice(1);
      if (k > 0.97) w = `${int(100)}.${int(100)}%`;
      out.push(
        w,
        r() < 0.12 ? pick([", ", ". ", "; ", " (", ") ", " — ", "! ", "? ", ': "', '" ']) : pick(SPACES),
      );
    }
    return out.join("");
  };
  const ident = () =>
    pick(["x", "i", "value", "memSpan", "loss_mask", "getTokens", "MAX_LEN", "τ", "_tmp"]) +
    (r() < 0.3 ? String(int(10)) : "");
  const code = () => {
    const ind = pick(["  ", "    ", "\t"]);
    const lines: string[] = [];
    for (let i = 0, n = 3 + int(12); i < n; i++) {
      const depth = ind.repeat(int(4));
      const k = int(6);
      if (k === 0)
        lines.push(`${depth}function ${ident()}(${ident()}: number, ${ident()}?: string[]): void {`);
      else if (k === 1)
        lines.push(
          `${depth}const ${ident()} = ${ident()}[${int(64)}] * ${r().toFixed(4)} + 0x${int(65536).toString(16)};`,
        );
      else if (k === 2) lines.push(`${depth}# ${prose().replace(/\n/g, " ").slice(0, 60)}`);
      else if (k === 3)
        lines.push(`${depth}if (${ident()} >= ${int(100)} && !${ident()}) { return "${pick(WORDS)}\\n"; }`);
      else if (k === 4)
        lines.push(`${depth}for i in range(${int(10)}):  ${ident()} += ${ident()} ** 2  # ok`);
      else lines.push(`${depth}}`);
    }
    return lines.join(pick(["\n", "\n", "\r\n"])) + "\n";
  };
  const json = () => {
    const val = (d: number): unknown => {
      const k = int(d > 2 ? 4 : 6);
      if (k === 0) return pick(WORDS) + " " + cp(pick(SCRIPTS));
      if (k === 1) return r() < 0.5 ? int(1e6) : Number((r() * 100 - 50).toFixed(3));
      if (k === 2) return r() < 0.5 ? r() < 0.5 : null;
      if (k === 3) return `${pick(CONTRACTIONS)} ${int(99)}`;
      if (k === 4) return Array.from({ length: int(4) }, () => val(d + 1));
      return Object.fromEntries(Array.from({ length: 1 + int(4) }, () => [ident(), val(d + 1)]));
    };
    return JSON.stringify(val(0), null, pick([undefined, 2, "\t"])) + "\n";
  };
  const foreign = () => {
    const script = pick(SCRIPTS);
    const out: string[] = [];
    for (let i = 0, n = 3 + int(25); i < n; i++) {
      let w = "";
      for (let j = 0, m = 1 + int(8); j < m; j++) w += cp(script);
      out.push(w, pick([" ", " ", "、", "。", ", ", "\n", "؟ ", "।"]));
    }
    return out.join("");
  };
  const emoji = () => {
    const out: string[] = [];
    for (let i = 0, n = 1 + int(8); i < n; i++) {
      const k = int(6);
      if (k === 0) out.push(cp(pick(EMOJI)) + "\u200d" + cp(pick(EMOJI)));
      else if (k === 1) out.push("👍" + String.fromCodePoint(0x1f3fb + int(5)));
      else if (k === 2) out.push(cp([0x1f1e6, 0x1f1ff]) + cp([0x1f1e6, 0x1f1ff]));
      else if (k === 3) out.push("❤️");
      else out.push(cp(pick(EMOJI)));
      out.push(pick(["", " ", " ", "!", "\n"]));
    }
    return out.join("");
  };
  const misc = () => {
    const k = int(7);
    if (k === 0) return `https://example.org/${pick(WORDS)}/${int(1e5)}?q=${pick(WORDS)}&lang=en#top `;
    if (k === 1) return " ".repeat(1 + int(40)) + "\t".repeat(int(3)) + "\n".repeat(int(4));
    if (k === 2)
      return (
        Array.from({ length: 20 + int(80) }, () =>
          pick([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"]),
        ).join("") + "== "
      );
    if (k === 3) return `e\u0301te\u0301 cafe\u0301 n\u0303 Ωmega ∑∫√∞ ≠ ≤ ${pick(WORDS)} `;
    if (k === 4)
      return Array.from({ length: 1 + int(10) }, () => cp([0x20, 0xfffd]))
        .join("")
        .replace(/[\ud800-\udfff]/g, "?");
    if (k === 5)
      return `<mem>${prose().slice(0, 40)}</mem> <search>${pick(WORDS)}</search> <|endoftext|>`.replace(
        "<|endoftext|>",
        "<|end|>",
      );
    return `${pick(WORDS)}@${pick(WORDS)}.com ${int(1e9)} --flag=${pick(WORDS)} $HOME/${ident()}.ts `;
  };
  const makers = [prose, prose, prose, code, json, foreign, emoji, misc];
  const docs: string[] = [];
  let total = 0;
  while (total < bytes) {
    const parts: string[] = [];
    for (let i = 0, n = 2 + int(10); i < n; i++) parts.push(pick(makers)());
    const doc = parts.join("");
    docs.push(doc);
    total += Buffer.byteLength(doc, "utf8");
  }
  return docs;
}

/**
 * A tiktoken rank table (gpt-tokenizer's `bpeRanks/*` format: index = rank, entry = text or bytes)
 * as a Hugging Face tokenizer.json object with ids = ranks. `preTokenizer` is the file's
 * pre_tokenizer section; `added` its added_tokens.
 */
export function ranksToTokenizerJSON(
  ranks: readonly (string | readonly number[])[],
  preTokenizer: object,
  added: { id: number; content: string; special: boolean }[],
): object {
  const utf8 = new TextEncoder();
  const tokens = ranks.map((t) => (typeof t === "string" ? utf8.encode(t) : Uint8Array.from(t)));
  const latin = tokens.map((b) => String.fromCharCode(...b));
  const rankOf = new Map<string, number>(latin.map((s, r) => [s, r]));
  const vocab: Record<string, number> = {};
  tokens.forEach((b, r) => {
    vocab[bytesToByteLevel(b)] = r;
  });
  const toBL = (s: string) => bytesToByteLevel(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  const merges: [string, string][] = [];
  for (let r = 0; r < tokens.length; r++) {
    if (tokens[r]!.length === 1) continue;
    // BPE over this token's bytes using only ranks below r.
    const parts = [...latin[r]!];
    for (;;) {
      let best = r;
      let at = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const q = rankOf.get(parts[i]! + parts[i + 1]!);
        if (q !== undefined && q < best) {
          best = q;
          at = i;
        }
      }
      if (at < 0) break;
      parts.splice(at, 2, parts[at]! + parts[at + 1]!);
    }
    if (parts.length !== 2) throw new Error(`rank ${r}: BPE with lower ranks leaves ${parts.length} parts`);
    merges.push([toBL(parts[0]!), toBL(parts[1]!)]);
  }
  return {
    version: "1.0",
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", vocab, merges },
  };
}

/** GPT-2's r50k_base as a Hugging Face tokenizer.json object (ids = ranks, 50 256 = <|endoftext|>). */
export function r50kTokenizerJSON(): object {
  return ranksToTokenizerJSON(
    r50kRanks,
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    [{ id: r50kRanks.length, content: "<|endoftext|>", special: true }],
  );
}

/** GPT-2's r50k_base loaded into our Tokenizer. */
export function r50kTokenizer(): Tokenizer {
  return Tokenizer.fromJSON(r50kTokenizerJSON(), "r50k_base (gpt-tokenizer)");
}

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

/** gpt-tokenizer's r50k_base encoder (special-token text encoded as plain text, as ours with allowSpecial: false). */
export const referenceR50k = {
  encode: (text: string): number[] => gptR50k.encode(text, NO_SPECIAL),
  decode: (ids: number[]): string => gptR50k.decode(ids),
  /** Empties gpt-tokenizer's merge cache (for cold-cache timings). */
  clearCache: (): void => gptR50k.clearMergeCache(),
};
