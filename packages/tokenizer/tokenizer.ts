/**
 * Tokenizer: byte-level BPE with special tokens that are always single ids.
 *
 * encode(text) = split out added/special tokens (only when allowSpecial) → optional NFC and
 * prefix space → pre-tokenizer regex → BPE per piece (bpe.ts, cached) → ids.
 * decode(ids) = concatenate token bytes → UTF-8 decode (TextDecoder, invalid sequences → U+FFFD; a
 * leading U+FEFF is text like any other character, not a byte-order mark to drop).
 *
 * Round trip: decode(encode(s)) === s for every well-formed string s (with or without
 * allowSpecial, and unless a loaded tokenizer.json asks for NFC or a prefix space). An ill-formed
 * string (lone surrogates) is encoded as TextEncoder would encode it, each lone surrogate as the
 * bytes of U+FFFD, so decode(encode(s)) === s.toWellFormed() ===
 * new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(s)). Tested in tokenizer_test.ts and
 * roundtrip_test.ts.
 */
import { BpeModel, IdBuffer } from "./bpe.ts";
import { specFromJSON, specToJSON } from "./hf_json.ts";
import { compilePattern, forEachSplit, nextCodePoint } from "./pretokenize.ts";
import type { AddedToken, SplitBehavior, TokenizerSpec } from "./spec.ts";
import { type TrainOptions, trainSpec } from "./train.ts";

export interface EncodeOptions {
  /**
   * Match special tokens (`<mem>`, `<eos>`, …) in the text and emit their single ids. Default
   * true. Set false for untrusted text (retrieved documents): tag-like text is then encoded as
   * plain bytes, so a document cannot inject control tokens.
   */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens from the output text. Default false. */
  skipSpecial?: boolean;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Regex matching any of `tokens` (longest first), or null when there are none. */
function alternation(tokens: readonly AddedToken[]): RegExp | null {
  if (tokens.length === 0) return null;
  const sorted = [...tokens].sort((a, b) => b.content.length - a.content.length);
  return new RegExp(sorted.map((t) => escapeRegex(t.content)).join("|"), "g");
}

export class Tokenizer {
  /** Number of ids: largest id + 1. */
  readonly vocabSize: number;
  private readonly spec: TokenizerSpec;
  private readonly bpe: BpeModel;
  private readonly splitters: { re: RegExp; behavior: SplitBehavior; invert: boolean }[];
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly special: Uint8Array;
  private readonly allAddedRe: RegExp | null;
  private readonly plainAddedRe: RegExp | null;
  private readonly tokStart: Int32Array;
  private readonly tokLen: Int32Array;
  private readonly tokData: Uint8Array;
  /** ignoreBOM: keep a leading U+FEFF (TextDecoder drops it by default, which breaks the round trip). */
  private readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

  /** Builds the encoder from plain data (see spec.ts); prefer train / fromJSON / load. */
  constructor(spec: TokenizerSpec) {
    this.spec = spec;
    let size = spec.vocab.length;
    for (const t of spec.added) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    const byteIds = new Int32Array(256).fill(-1);
    for (let id = 0; id < spec.vocab.length; id++) {
      const b = spec.vocab[id];
      if (b?.length === 1 && byteIds[b[0]!] === -1) byteIds[b[0]!] = id;
    }
    const missing = byteIds.indexOf(-1);
    if (missing >= 0)
      throw new Error(`byte-level BPE needs a token for every byte; byte ${missing} has none`);
    const utf8 = new TextEncoder();
    this.special = new Uint8Array(size);
    for (const t of spec.added) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
      if (t.special) this.special[t.id] = 1;
    }
    // Token bytes, flat: added tokens decode to their content.
    const bytes: (Uint8Array | undefined)[] = new Array(size);
    let total = 0;
    for (let id = 0; id < size; id++) {
      const a = this.addedById.get(id);
      const b = a !== undefined ? utf8.encode(a.content) : spec.vocab[id];
      bytes[id] = b;
      total += b?.length ?? 0;
    }
    this.tokStart = new Int32Array(size);
    this.tokLen = new Int32Array(size).fill(-1);
    this.tokData = new Uint8Array(total);
    let off = 0;
    for (let id = 0; id < size; id++) {
      const b = bytes[id];
      if (b === undefined) continue;
      this.tokStart[id] = off;
      this.tokLen[id] = b.length;
      this.tokData.set(b, off);
      off += b.length;
    }
    let wholePieces: Map<string, number> | undefined;
    if (spec.ignoreMerges) {
      wholePieces = new Map();
      const strict = new TextDecoder("utf-8", { fatal: true });
      for (let id = spec.vocab.length - 1; id >= 0; id--) {
        const b = spec.vocab[id];
        if (b === undefined) continue;
        try {
          wholePieces.set(strict.decode(b), id);
        } catch {
          // not valid UTF-8: can never equal a piece of text
        }
      }
    }
    this.bpe = new BpeModel({ byteIds, merges: spec.merges, mergedIds: spec.mergedIds, wholePieces });
    this.splitters = spec.splits.map((s) =>
      typeof s === "string"
        ? { re: compilePattern(s), behavior: "Isolated" as const, invert: false }
        : { re: compilePattern(s.pattern), behavior: s.behavior, invert: s.invert },
    );
    this.allAddedRe = alternation(spec.added);
    this.plainAddedRe = alternation(spec.added.filter((t) => !t.special));
  }

  /** Trains byte-level BPE on `texts` (see train.ts for the algorithm and id layout). */
  static train(texts: Iterable<string>, opts: TrainOptions): Tokenizer {
    return new Tokenizer(trainSpec(texts, opts));
  }

  /** Reads a Hugging Face tokenizer.json object; `source` names it in errors (a file path). */
  static fromJSON(json: unknown, source?: string): Tokenizer {
    return new Tokenizer(specFromJSON(json, source));
  }

  /** The Hugging Face tokenizer.json object. */
  toJSON(): object {
    return specToJSON(this.spec);
  }

  /** Encodes text to ids (see EncodeOptions for allowSpecial, default true). */
  encode(text: string, opts?: EncodeOptions): Uint32Array {
    const out = new IdBuffer((text.length >> 2) + 16);
    const re = opts?.allowSpecial === false ? this.plainAddedRe : this.allAddedRe;
    if (re === null) {
      this.encodeOrdinary(text, out);
      return out.finish();
    }
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m.index > last) this.encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.addedByContent.get(m[0])!.id);
      last = m.index + m[0].length;
    }
    if (last < text.length) this.encodeOrdinary(last === 0 ? text : text.slice(last), out);
    return out.finish();
  }

  encodeBatch(texts: readonly string[], opts?: EncodeOptions): Uint32Array[] {
    return texts.map((t) => this.encode(t, opts));
  }

  /** Text with no added tokens in it: normalize, split, BPE. */
  private encodeOrdinary(text: string, out: IdBuffer): void {
    if (this.spec.normalizer === "NFC") text = text.normalize("NFC");
    if (this.spec.addPrefixSpace && text.length > 0 && text[0] !== " ") text = ` ${text}`;
    const splitters = this.splitters;
    const one = splitters[0];
    if (splitters.length === 1 && one!.behavior === "Isolated" && !one!.invert) {
      this.splitOne(one!.re, text, out);
    } else if (splitters.length === 0) {
      if (text.length > 0) this.bpe.encodePiece(text, out);
    } else {
      let pieces = [text];
      for (const { re, behavior, invert } of splitters) {
        const next: string[] = [];
        for (const p of pieces) forEachSplit(re, p, behavior, invert, (s) => next.push(s));
        pieces = next;
      }
      for (const p of pieces) this.bpe.encodePiece(p, out);
    }
  }

  /** The hot loop: one regex over the text, each match (and any gap between matches) is a piece. */
  private splitOne(re: RegExp, text: string, out: IdBuffer): void {
    const bpe = this.bpe;
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const piece = m[0];
      if (m.index > last) bpe.encodePiece(text.slice(last, m.index), out);
      if (piece.length === 0) {
        re.lastIndex = nextCodePoint(text, m.index);
        last = m.index;
        continue;
      }
      bpe.encodePiece(piece, out);
      last = re.lastIndex;
    }
    if (last < text.length) bpe.encodePiece(text.slice(last), out);
  }

  /** Decodes ids to text. Bytes that are not valid UTF-8 (e.g. half a character) become U+FFFD. */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    return this.utf8.decode(this.decodeBytes(ids, opts));
  }

  /** The raw bytes the ids stand for (no UTF-8 decoding; useful for streaming). */
  decodeBytes(ids: ArrayLike<number>, opts?: DecodeOptions): Uint8Array {
    const skip = opts?.skipSpecial === true;
    const n = ids.length;
    const start = this.tokStart;
    const len = this.tokLen;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const l = len[id];
      if (l === undefined || l < 0) throw this.badId(id, i);
      if (!(skip && this.special[id] === 1)) total += l;
    }
    const out = new Uint8Array(total);
    const data = this.tokData;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (skip && this.special[id] === 1) continue;
      const s = start[id]!;
      const e = s + len[id]!;
      for (let j = s; j < e; j++) out[k++] = data[j]!;
    }
    return out;
  }

  private badId(id: number, at: number): Error {
    const why =
      Number.isInteger(id) && id >= 0 && id < this.vocabSize
        ? "is not assigned to any token"
        : "is out of range";
    return new RangeError(`decode: id ${id} at position ${at} ${why} (vocabSize ${this.vocabSize})`);
  }

  /** Id of an added/special token, e.g. id("<mem>"). Throws if the tokenizer has no such token. */
  id(token: string): number {
    const t = this.addedByContent.get(token);
    if (t === undefined) {
      const known = [...this.addedByContent.keys()].slice(0, 20).join(" ");
      throw new Error(
        `unknown special token ${JSON.stringify(token)}; this tokenizer has: ${known || "(none)"}. ` +
          "Train with it in specialTokens, or add it to added_tokens in tokenizer.json.",
      );
    }
    return t.id;
  }

  /** True for ids of special tokens (control tokens and protocol tags). */
  isSpecial(id: number): boolean {
    return this.special[id] === 1;
  }

  /** The special/added tokens: content, id and whether each is special. */
  addedTokens(): readonly AddedToken[] {
    return this.spec.added;
  }

  /** Bytes of one token (an added token's content as UTF-8). */
  tokenBytes(id: number): Uint8Array {
    const l = this.tokLen[id];
    if (l === undefined || l < 0) throw this.badId(id, 0);
    return this.tokData.slice(this.tokStart[id]!, this.tokStart[id]! + l);
  }

  /** Empties the per-piece cache (benchmarks use it to measure cold encoding). */
  clearCache(): void {
    this.bpe.clearCache();
  }
}
