/**
 * Hugging Face tokenizer.json: small generated files (GPT-2 style and Qwen2 style) load and
 * encode as computed by hand; save → load round trips; malformed files name the bad field and
 * the file.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BYTE_TO_CHAR } from "./byte_level.ts";
import { loadTokenizer, saveTokenizer } from "./files.ts";
import { TokenizerFormatError } from "./hf_json.ts";
import { PATTERNS } from "./pretokenize.ts";
import { syntheticCorpus } from "./testing.ts";
import { Tokenizer } from "./tokenizer.ts";

/** A tokenizer.json object the tests mutate freely. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited field by field, like JSON
type Json = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), "mempo-tok-"));

/** A tiny GPT-2-style file: byte b has id b; merges build "hello", "Ġworld". */
function tinyJSON(): Json {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => {
    vocab[c] = b;
  });
  const merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];
  merges.forEach((m, r) => {
    vocab[m.replace(" ", "")] = 256 + r;
  });
  return {
    version: "1.0",
    added_tokens: [
      { id: 265, content: "<|endoftext|>", special: true },
      { id: 266, content: "[NOTE]", special: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", trim_offsets: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, vocab, merges },
  };
}

describe("tokenizer.json: reading", () => {
  it("encodes a GPT-2-style file as computed by hand", () => {
    const tok = Tokenizer.fromJSON(tinyJSON());
    expect(tok.vocabSize).toBe(267);
    // "hello" → h e l l o → he ll o → hell o → hello (259); " world" → Ġw or ld → Ġworld (264)
    expect(Array.from(tok.encode("hello world"))).toEqual([259, 264]);
    expect(Array.from(tok.encode("hello\n"))).toEqual([259, 10]);
    expect(Array.from(tok.encode("x<|endoftext|>[NOTE]"))).toEqual([120, 265, 266]);
    // non-special added tokens match even when special ones are not allowed
    expect(Array.from(tok.encode("<|endoftext|>[NOTE]", { allowSpecial: false })).slice(-1)).toEqual([266]);
    expect(tok.isSpecial(265)).toBe(true);
    expect(tok.isSpecial(266)).toBe(false);
    expect(tok.decode([259, 264, 265])).toBe("hello world<|endoftext|>");
  });

  it("reads a Qwen2-style file: Split regex + ByteLevel, [a, b] merge pairs, NFC", () => {
    const j = tinyJSON();
    j.model.merges = j.model.merges.map((m: string) => m.split(" "));
    j.normalizer = { type: "NFC" };
    j.pre_tokenizer = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PATTERNS.qwen2 }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    };
    const tok = Tokenizer.fromJSON(j);
    expect(Array.from(tok.encode("hello world"))).toEqual([259, 264]);
    // Qwen2 splits digits one by one and lets a letter run absorb one leading punctuation mark
    expect(Array.from(tok.encode("12"))).toEqual([49, 50]);
    expect(tok.decode(tok.encode("It'S"))).toBe("It'S");
    // NFC: "e" + U+0301 becomes "é" before BPE
    expect(tok.decode(tok.encode("e\u0301"))).toBe("\u00e9");
  });

  it("reads ignore_merges and add_prefix_space", () => {
    const j = tinyJSON();
    j.model.vocab.xyz = 267; // in the vocab, but no merge builds it
    expect(Array.from(Tokenizer.fromJSON(j).encode("xyz"))).toEqual([120, 121, 122]);
    j.model.ignore_merges = true;
    expect(Array.from(Tokenizer.fromJSON(j).encode("xyz"))).toEqual([267]);
    j.pre_tokenizer.add_prefix_space = true;
    const tok = Tokenizer.fromJSON(j);
    expect(Array.from(tok.encode("world"))).toEqual([264]); // " world" after the prefix space
    expect(tok.decode(tok.encode("world"))).toBe(" world");
  });
});

describe("tokenizer.json: writing", () => {
  it("save → load gives the same tokenizer (trained, every pattern)", () => {
    const corpus = syntheticCorpus(4, 40_000);
    for (const pattern of ["gpt2", "cl100k", "qwen2"] as const) {
      const tok = Tokenizer.train(corpus, { vocabSize: 500, pattern });
      const file = join(dir, `${pattern}.json`);
      saveTokenizer(tok, file);
      const back = loadTokenizer(file);
      expect(back.vocabSize).toBe(tok.vocabSize);
      expect(back.toJSON()).toEqual(tok.toJSON());
      const text = corpus.slice(0, 20).join("<mem>");
      expect(Array.from(back.encode(text))).toEqual(Array.from(tok.encode(text)));
    }
  });

  it("writes the HF layout: BPE model, string merges, special tokens in added_tokens", () => {
    const tok = Tokenizer.train(["aaa bbb aaa"], { vocabSize: 272 });
    const j = tok.toJSON() as Json;
    expect(j.model.type).toBe("BPE");
    expect(j.model.merges[0]).toMatch(/^\S+ \S+$/);
    expect(j.added_tokens.map((t: { content: string }) => t.content).slice(0, 3)).toEqual([
      "<bos>",
      "<eos>",
      "<pad>",
    ]);
    expect(j.added_tokens[3]).toMatchObject({ id: 3, content: "<mem>", special: true });
    expect(j.model.vocab.Ġ).toBe(13 + 32);
    expect(j.pre_tokenizer.type).toBe("ByteLevel");
  });

  it("keeps unknown sections of a loaded file (post_processor, decoder)", () => {
    const j = Tokenizer.fromJSON(tinyJSON()).toJSON() as Json;
    expect(j.post_processor).toEqual({ type: "ByteLevel", trim_offsets: false });
    expect(j.model.vocab.hello).toBe(259);
  });

  it("loads a model directory holding tokenizer.json", () => {
    const sub = mkdtempSync(join(dir, "model-"));
    writeFileSync(join(sub, "tokenizer.json"), JSON.stringify(tinyJSON()));
    expect(Array.from(loadTokenizer(sub).encode("hello"))).toEqual([259]);
  });
});

describe("tokenizer.json: malformed files name the field", () => {
  const cases: [string, (j: Json) => unknown, RegExp][] = [
    ["not an object", () => [1, 2], /: \$: expected a JSON object/],
    ["missing model", (j) => delete j.model, /: model: missing/],
    ["wrong model type", (j) => (j.model.type = "WordPiece"), /model\.type: expected "BPE".*"WordPiece"/],
    ["missing vocab", (j) => delete j.model.vocab, /model\.vocab: missing/],
    [
      "bad vocab id",
      (j) => (j.model.vocab.hello = "x"),
      /model\.vocab\.hello: expected a non-negative integer id/,
    ],
    ["duplicate vocab id", (j) => (j.model.vocab.zz = 3), /model\.vocab\.zz: id 3 is used by two tokens/],
    [
      "non byte-level token",
      (j) => (j.model.vocab["a b"] = 300),
      /model\.vocab\["a b"\]: not a byte-level token: " "/,
    ],
    ["missing byte", (j) => delete j.model.vocab.Ċ, /model\.vocab: no token for byte 0x0a \("Ċ"\)/],
    ["missing merges", (j) => delete j.model.merges, /model\.merges: missing/],
    ["merges not an array", (j) => (j.model.merges = "h e"), /model\.merges: expected an array/],
    [
      "bad merge entry",
      (j) => (j.model.merges[3] = 42),
      /model\.merges\[3\]: expected "a b" or \["a", "b"\], got 42/,
    ],
    ["three-part merge", (j) => (j.model.merges[2] = "a b c"), /model\.merges\[2\]: expected "a b"/],
    [
      "unknown merge token",
      (j) => (j.model.merges[1] = "l qq"),
      /model\.merges\[1\]: token "qq" is not in model\.vocab/,
    ],
    [
      "merged token missing",
      (j) => (j.model.merges[0] = "x y"),
      /model\.merges\[0\]: merged token "xy" is not in model\.vocab/,
    ],
    ["byte_fallback", (j) => (j.model.byte_fallback = true), /model\.byte_fallback: /],
    [
      "added token without id",
      (j) => delete j.added_tokens[1].id,
      /added_tokens\[1\]\.id: expected a non-negative integer/,
    ],
    [
      "added token empty",
      (j) => (j.added_tokens[0].content = ""),
      /added_tokens\[0\]\.content: expected a non-empty string/,
    ],
    [
      "unsupported pre-tokenizer",
      (j) => (j.pre_tokenizer = { type: "Whitespace" }),
      /pre_tokenizer\.type: "Whitespace" is not supported/,
    ],
    [
      "bad split regex",
      (j) =>
        (j.pre_tokenizer = {
          type: "Sequence",
          pretokenizers: [{ type: "Split", pattern: { Regex: "(ab" }, behavior: "Isolated", invert: false }],
        }),
      /pre_tokenizer\.pretokenizers\[0\]\.pattern\.Regex: unbalanced/,
    ],
    [
      "split behavior",
      (j) => (j.pre_tokenizer = { type: "Split", pattern: { Regex: "a" }, behavior: "Dropped" }),
      /pre_tokenizer\.behavior: expected one of Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous, got "Dropped"/,
    ],
    ["normalizer", (j) => (j.normalizer = { type: "NFKC" }), /normalizer\.type: "NFKC" is not supported/],
  ];
  for (const [name, mutate, message] of cases) {
    it(name, () => {
      const j = tinyJSON();
      const bad = mutate(j);
      const input = name === "not an object" ? bad : j;
      const file = join(dir, `${name.replace(/\W+/g, "_")}.json`);
      writeFileSync(file, JSON.stringify(input));
      expect(() => loadTokenizer(file)).toThrow(TokenizerFormatError);
      expect(() => loadTokenizer(file)).toThrow(message);
      expect(() => loadTokenizer(file)).toThrow(`tokenizer.json at ${file}: `);
    });
  }

  it("invalid JSON and missing files name the file", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ nope");
    expect(() => loadTokenizer(file)).toThrow(new RegExp(`tokenizer.json at ${file}: \\$: not valid JSON`));
    // a vocabulary entry in Latin-1 ("é" = 0xE9) is refused, not read as U+FFFD
    const latin1 = join(dir, "latin1.json");
    writeFileSync(
      latin1,
      Buffer.concat([Buffer.from('{"model": {"vocab": {"caf'), Buffer.from([0xe9]), Buffer.from('": 0}}}')]),
    );
    expect(() => loadTokenizer(latin1)).toThrow(`tokenizer.json at ${latin1}: $: not valid UTF-8`);
    expect(() => loadTokenizer(join(dir, "absent.json"))).toThrow(
      /cannot read tokenizer file .*absent\.json/,
    );
    expect(() => Tokenizer.fromJSON({})).toThrow("tokenizer.json at (in memory): model: missing");
  });
});
