import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizer, readTokenizerConfig, saveTokenizer } from "./files.ts";
import { applyChatTemplate, parseTokenizerConfig } from "./hf_config.ts";
import { Tokenizer } from "./tokenizer.ts";

/** Qwen2's ChatML template, reduced to its message loop and generation prompt. */
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A model directory: a small trained tokenizer.json and the tokenizer_config.json `config(vocabSize)` gives. */
function modelDir(config: (vocabSize: number) => object): { dir: string; tok: Tokenizer } {
  const dir = mkdtempSync(join(tmpdir(), "mempo-tokcfg-"));
  const tok = Tokenizer.train(["the cat sat on the mat", "a dog ran to the cat"], {
    vocabSize: 300,
    specialTokens: ["<|endoftext|>"],
  });
  saveTokenizer(tok, join(dir, "tokenizer.json"));
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(config(tok.vocabSize)));
  return { dir, tok };
}

describe("tokenizer_config.json", () => {
  it("renders the chat template as transformers does (hand-written ChatML)", () => {
    const cfg = parseTokenizerConfig({ chat_template: CHATML, eos_token: "<|im_end|>" });
    const messages = [
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Hi" },
    ];
    expect(applyChatTemplate(cfg, messages, { addGenerationPrompt: true })).toBe(
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(applyChatTemplate(cfg, messages)).not.toContain("assistant");
    // special tokens by name, in either spelling ({content} objects as in older files)
    const gpt = parseTokenizerConfig({
      bos_token: { content: "<s>", special: true },
      eos_token: "</s>",
      chat_template: [
        {
          name: "default",
          template: "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}",
        },
      ],
    });
    expect(
      applyChatTemplate(gpt, [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
      ]),
    ).toBe("<s>a</s>b</s>");
  });

  it("adds the tokens only tokenizer_config.json lists, so the template's tags encode as one id each", () => {
    const { dir, tok: plain } = modelDir((n) => ({
      chat_template: CHATML,
      added_tokens_decoder: {
        0: { content: "<|endoftext|>", special: true },
        [n]: { content: "<|im_start|>", special: true },
        [n + 1]: { content: "<|im_end|>", special: true },
      },
    }));
    const v = plain.vocabSize;
    const tok = loadTokenizer(dir);
    const cfg = readTokenizerConfig(dir)!;
    const text = applyChatTemplate(cfg, [{ role: "user", content: "the cat" }], {
      addGenerationPrompt: true,
    });
    const ids = Array.from(tok.encode(text, { allowSpecial: true }));
    expect(ids.filter((id) => id === v)).toHaveLength(2);
    expect(ids.filter((id) => id === v + 1)).toHaveLength(1);
    expect(tok.isSpecial(v)).toBe(true);
    expect(tok.decode(ids)).toBe(text);
  });

  it("says which file is wrong", () => {
    const { dir, tok } = modelDir(() => ({
      added_tokens_decoder: { 0: { content: "<|im_start|>", special: true } },
    }));
    expect(tok.id("<|endoftext|>")).toBe(0);
    expect(() => loadTokenizer(dir)).toThrow(
      /tokenizer_config\.json lists added token "<\|im_start\|>" as id 0, but .*tokenizer\.json has "<\|endoftext\|>" at id 0/,
    );
    const { dir: inBpe } = modelDir(() => ({ added_tokens_decoder: { 260: { content: "<|x|>" } } }));
    expect(() => loadTokenizer(inBpe)).toThrow(/as id 260, but .*tokenizer\.json has the BPE token .* there/);
    expect(() => parseTokenizerConfig({ chat_template: "{% for %}" }, "x/tokenizer_config.json")).toThrow(
      /x\/tokenizer_config\.json: chat_template: not a valid Jinja template/,
    );
    expect(() => applyChatTemplate(parseTokenizerConfig({}, "y"), [])).toThrow(/y has no chat_template/);
    const bad = mkdtempSync(join(tmpdir(), "mempo-tokcfg-"));
    writeFileSync(join(bad, "tokenizer_config.json"), Buffer.from([0x7b, 0xff, 0x7d]));
    expect(() => readTokenizerConfig(bad)).toThrow(/tokenizer_config\.json: \$: not readable as UTF-8/);
    expect(readTokenizerConfig(tmpdir() + "/nonexistent-dir")).toBeNull();
  });
});
