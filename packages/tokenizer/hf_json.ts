/**
 * Hugging Face tokenizer.json ↔ TokenizerSpec for byte-level BPE (GPT-2, Qwen2, Llama-3 style).
 *
 * Read: model {type "BPE", vocab, merges as "a b" strings or [a, b] pairs, ignore_merges},
 * added_tokens, normalizer (null or NFC), pre_tokenizer (ByteLevel, Split{Regex|String, any behavior
 * — Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous — and invert}, or a Sequence of
 * those; tiktoken-converted files such as gpt-4o's use Split Removed + invert). The other sections (decoder, post_processor, …) are kept
 * verbatim and written back. Written: the same format with merges as "a b" strings, which every
 * version of the tokenizers library reads.
 *
 * Every problem throws TokenizerFormatError naming the file and the JSON path of the bad field,
 * e.g. `tokenizer.json at /m/tokenizer.json: model.merges[3]: token "xy" is not in model.vocab`.
 * Simplification: added-token flags lstrip/rstrip/single_word/normalized are ignored (tokens
 * match exactly). Tested in hf_json_test.ts.
 */
import { byteLevelToBytes, bytesToByteLevel } from "./byte_level.ts";
import { PATTERNS, compilePattern } from "./pretokenize.ts";
import type { AddedToken, SplitBehavior, SplitRule, TokenizerSpec } from "./spec.ts";

const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  "Isolated",
  "Removed",
  "MergedWithPrevious",
  "MergedWithNext",
  "Contiguous",
];

export class TokenizerFormatError extends Error {
  override name = "TokenizerFormatError";
  constructor(
    /** The file (or "(in memory)") the JSON came from. */
    readonly source: string,
    /** JSON path of the offending field, e.g. `model.merges[3]`. */
    readonly path: string,
    detail: string,
  ) {
    super(`tokenizer.json at ${source}: ${path}: ${detail}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const show = (x: unknown) => {
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};
const key = (k: string) => (/^[A-Za-z_]\w*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
const isId = (x: unknown): x is number =>
  typeof x === "number" && Number.isInteger(x) && x >= 0 && x < 2 ** 24;

export function specFromJSON(json: unknown, source = "(in memory)"): TokenizerSpec {
  const fail = (path: string, detail: string): never => {
    throw new TokenizerFormatError(source, path, detail);
  };
  if (!isObj(json)) fail("$", `expected a JSON object, got ${show(json)}`);
  const root = json as Obj;
  const model = root.model;
  if (model === undefined) fail("model", "missing (a tokenizer.json needs a model section)");
  if (!isObj(model)) fail("model", `expected an object, got ${show(model)}`);
  const m = model as Obj;
  if (m.type !== "BPE") fail("model.type", `expected "BPE" (byte-level BPE), got ${show(m.type)}`);
  if (m.byte_fallback === true)
    fail("model.byte_fallback", "byte_fallback BPE is not supported (byte-level only)");
  for (const f of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    if (m[f] !== undefined && m[f] !== null && m[f] !== "")
      fail(`model.${f}`, `not supported; got ${show(m[f])}`);
  }
  if (m.dropout !== undefined && m.dropout !== null && m.dropout !== 0) {
    fail("model.dropout", `BPE dropout is not supported; got ${show(m.dropout)}`);
  }
  if (m.ignore_merges !== undefined && typeof m.ignore_merges !== "boolean") {
    fail("model.ignore_merges", `expected a boolean, got ${show(m.ignore_merges)}`);
  }

  // added_tokens
  const added: AddedToken[] = [];
  const addedContent = new Map<string, number>();
  if (root.added_tokens !== undefined && root.added_tokens !== null) {
    if (!Array.isArray(root.added_tokens))
      fail("added_tokens", `expected an array, got ${show(root.added_tokens)}`);
    (root.added_tokens as unknown[]).forEach((t, i) => {
      const p = `added_tokens[${i}]`;
      if (!isObj(t)) fail(p, `expected an object, got ${show(t)}`);
      const o = t as Obj;
      if (!isId(o.id)) fail(`${p}.id`, `expected a non-negative integer id, got ${show(o.id)}`);
      if (typeof o.content !== "string" || o.content.length === 0) {
        fail(`${p}.content`, `expected a non-empty string, got ${show(o.content)}`);
      }
      if (o.special !== undefined && typeof o.special !== "boolean") {
        fail(`${p}.special`, `expected a boolean, got ${show(o.special)}`);
      }
      const content = o.content as string;
      if (addedContent.has(content)) fail(`${p}.content`, `duplicate added token ${show(content)}`);
      addedContent.set(content, o.id as number);
      added.push({ id: o.id as number, content, special: o.special === true });
    });
  }
  const addedIds = new Set(added.map((t) => t.id));
  if (addedIds.size !== added.length) fail("added_tokens", "two added tokens share an id");

  // model.vocab
  if (m.vocab === undefined) fail("model.vocab", "missing (expected an object mapping token → id)");
  if (!isObj(m.vocab)) fail("model.vocab", `expected an object mapping token → id, got ${show(m.vocab)}`);
  const vocab: (Uint8Array | undefined)[] = [];
  const idOf = new Map<string, number>();
  for (const [tok, id] of Object.entries(m.vocab as Obj)) {
    const p = `model.vocab${key(tok)}`;
    if (!isId(id)) fail(p, `expected a non-negative integer id, got ${show(id)}`);
    if (vocab[id as number] !== undefined) fail(p, `id ${id} is used by two tokens`);
    idOf.set(tok, id as number);
    const aid = addedContent.get(tok);
    if (aid !== undefined && aid === id) {
      added.find((t) => t.id === aid)!.inVocab = true;
      continue;
    }
    const bytes = byteLevelToBytes(tok);
    if (bytes === undefined) {
      const bad = [...tok].find((ch) => byteLevelToBytes(ch) === undefined)!;
      fail(
        p,
        `not a byte-level token: ${show(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase()}) is outside the 256-character byte alphabet`,
      );
    }
    vocab[id as number] = bytes;
  }
  for (let b = 0; b < 256; b++) {
    if (!idOf.has(bytesToByteLevel(Uint8Array.of(b)))) {
      fail(
        "model.vocab",
        `no token for byte 0x${b.toString(16).padStart(2, "0")} (${show(bytesToByteLevel(Uint8Array.of(b)))}); byte-level BPE needs all 256 byte tokens`,
      );
    }
  }

  // model.merges
  if (m.merges === undefined) fail("model.merges", "missing (expected an array of merges)");
  if (!Array.isArray(m.merges)) fail("model.merges", `expected an array, got ${show(m.merges)}`);
  const list = m.merges as unknown[];
  const merges = new Int32Array(list.length * 2);
  const mergedIds = new Int32Array(list.length);
  list.forEach((entry, r) => {
    const p = `model.merges[${r}]`;
    let pair: unknown[] | undefined;
    if (typeof entry === "string") pair = entry.split(" ");
    else if (Array.isArray(entry)) pair = entry;
    if (
      pair === undefined ||
      pair.length !== 2 ||
      typeof pair[0] !== "string" ||
      typeof pair[1] !== "string"
    ) {
      fail(p, `expected "a b" or ["a", "b"], got ${show(entry)}`);
    }
    const [a, b] = pair as [string, string];
    const ia = idOf.get(a);
    const ib = idOf.get(b);
    const iab = idOf.get(a + b);
    if (ia === undefined) fail(p, `token ${show(a)} is not in model.vocab`);
    if (ib === undefined) fail(p, `token ${show(b)} is not in model.vocab`);
    if (iab === undefined) fail(p, `merged token ${show(a + b)} is not in model.vocab`);
    merges[2 * r] = ia!;
    merges[2 * r + 1] = ib!;
    mergedIds[r] = iab!;
  });

  // normalizer
  let normalizer: "NFC" | null = null;
  const norm = root.normalizer;
  if (norm !== undefined && norm !== null) {
    if (!isObj(norm)) fail("normalizer", `expected an object or null, got ${show(norm)}`);
    const n = norm as Obj;
    if (n.type === "NFC") normalizer = "NFC";
    else if (!(n.type === "Sequence" && Array.isArray(n.normalizers) && n.normalizers.length === 0)) {
      fail("normalizer.type", `${show(n.type)} is not supported (supported: null or "NFC")`);
    }
  }

  // pre_tokenizer
  const splits: (string | SplitRule)[] = [];
  let addPrefixSpace = false;
  const readPre = (pre: unknown, path: string): void => {
    if (!isObj(pre)) return void fail(path, `expected an object, got ${show(pre)}`);
    const t = pre.type;
    if (t === "Sequence") {
      if (!Array.isArray(pre.pretokenizers))
        fail(`${path}.pretokenizers`, `expected an array, got ${show(pre.pretokenizers)}`);
      for (const [i, x] of (pre.pretokenizers as unknown[]).entries())
        readPre(x, `${path}.pretokenizers[${i}]`);
    } else if (t === "ByteLevel") {
      if (pre.add_prefix_space === true) addPrefixSpace = true;
      if (pre.use_regex !== false) splits.push(PATTERNS.gpt2);
    } else if (t === "Split") {
      const behavior = pre.behavior ?? "Isolated";
      if (!SPLIT_BEHAVIORS.includes(behavior as SplitBehavior))
        fail(`${path}.behavior`, `expected one of ${SPLIT_BEHAVIORS.join(", ")}, got ${show(pre.behavior)}`);
      if (pre.invert !== undefined && typeof pre.invert !== "boolean")
        fail(`${path}.invert`, `expected a boolean, got ${show(pre.invert)}`);
      const pat = pre.pattern;
      let source = "";
      if (isObj(pat) && typeof pat.Regex === "string") {
        try {
          compilePattern(pat.Regex);
        } catch (e) {
          fail(`${path}.pattern.Regex`, (e as Error).message);
        }
        source = pat.Regex;
      } else if (isObj(pat) && typeof pat.String === "string" && pat.String.length > 0) {
        source = pat.String.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      } else {
        fail(`${path}.pattern`, `expected {"Regex": "..."} or {"String": "..."}, got ${show(pat)}`);
      }
      const invert = pre.invert === true;
      splits.push(
        behavior === "Isolated" && !invert
          ? source
          : { pattern: source, behavior: behavior as SplitBehavior, invert },
      );
    } else {
      fail(`${path}.type`, `${show(t)} is not supported (supported: ByteLevel, Split, Sequence)`);
    }
  };
  if (root.pre_tokenizer !== undefined && root.pre_tokenizer !== null)
    readPre(root.pre_tokenizer, "pre_tokenizer");

  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(root)) if (k !== "model" && k !== "added_tokens") raw[k] = v;
  return {
    vocab,
    merges,
    mergedIds,
    added,
    splits,
    addPrefixSpace,
    ignoreMerges: m.ignore_merges === true,
    normalizer,
    raw,
  };
}

/** TokenizerSpec → tokenizer.json object (HF format; merges as "a b" strings). */
export function specToJSON(spec: TokenizerSpec): object {
  const vocab: Record<string, number> = {};
  for (let id = 0; id < spec.vocab.length; id++) {
    const b = spec.vocab[id];
    if (b !== undefined) vocab[bytesToByteLevel(b)] = id;
  }
  for (const t of spec.added) if (t.inVocab === true) vocab[t.content] = t.id;
  const tokenText = (id: number) => bytesToByteLevel(spec.vocab[id]!);
  const merges: string[] = [];
  for (let r = 0; r < spec.mergedIds.length; r++) {
    merges.push(`${tokenText(spec.merges[2 * r]!)} ${tokenText(spec.merges[2 * r + 1]!)}`);
  }
  const byteLevel = {
    type: "ByteLevel",
    add_prefix_space: spec.addPrefixSpace,
    trim_offsets: true,
    use_regex: true,
  };
  const generated = {
    version: "1.0",
    truncation: null,
    padding: null,
    normalizer: spec.normalizer === "NFC" ? { type: "NFC" } : null,
    pre_tokenizer:
      spec.splits.length === 1 && spec.splits[0] === PATTERNS.gpt2
        ? byteLevel
        : {
            type: "Sequence",
            pretokenizers: [
              ...spec.splits.map((s) => ({
                type: "Split",
                pattern: { Regex: typeof s === "string" ? s : s.pattern },
                behavior: typeof s === "string" ? "Isolated" : s.behavior,
                invert: typeof s === "string" ? false : s.invert,
              })),
              { ...byteLevel, use_regex: false },
            ],
          },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  };
  return {
    ...generated,
    ...spec.raw,
    added_tokens: spec.added.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: spec.ignoreMerges,
      vocab,
      merges,
    },
  };
}
