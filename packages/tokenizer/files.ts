/**
 * Tokenizer files (Node and Deno, through node:fs): `loadTokenizer(path)` reads a Hugging Face
 * tokenizer.json, or a model directory holding one together with its tokenizer_config.json (added
 * tokens listed only there are added; see hf_config.ts); `saveTokenizer(tok, path)` writes
 * tokenizer.json; `readTokenizerConfig(dir)` reads tokenizer_config.json. Exported from
 * `@mempo/tokenizer/node`; the core entry has no file access (in a browser, fetch the JSON and call
 * `Tokenizer.fromJSON`).
 *
 * Test: hf_json_test.ts, hf_config_test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mergeAddedTokens, parseTokenizerConfig, type TokenizerConfig } from "./hf_config.ts";
import { TokenizerFormatError } from "./hf_json.ts";
import { Tokenizer } from "./tokenizer.ts";

/**
 * Reads a Hugging Face tokenizer.json file, or a model directory holding one — then also its
 * tokenizer_config.json when present.
 */
export function loadTokenizer(path: string): Tokenizer {
  const isFile = /\.json$/i.test(path);
  const file = isFile ? path : `${path.replace(/\/$/, "")}/tokenizer.json`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read tokenizer file ${file}: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TokenizerFormatError(file, "$", "not valid UTF-8 (the file is corrupt or in another encoding)");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenizerFormatError(file, "$", `not valid JSON (${(e as Error).message})`);
  }
  const config = isFile ? null : readTokenizerConfig(path);
  if (config !== null && json !== null && typeof json === "object") {
    mergeAddedTokens(json as Record<string, unknown>, config, file);
  }
  return Tokenizer.fromJSON(json, file);
}

/** Writes `tok` in the Hugging Face tokenizer.json format. */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  writeFileSync(path, `${JSON.stringify(tok.toJSON(), null, 2)}\n`);
}

/** Reads `<dir>/tokenizer_config.json` (strict UTF-8), or returns null when the directory has none. */
export function readTokenizerConfig(dir: string): TokenizerConfig | null {
  const file = join(dir, "tokenizer_config.json");
  if (!existsSync(file)) return null;
  const fail = (detail: string): never => {
    throw new Error(`tokenizer_config.json at ${file}: $: ${detail}`);
  };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(file));
  } catch (e) {
    return fail(`not readable as UTF-8 (${(e as Error).message})`);
  }
  try {
    return parseTokenizerConfig(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof SyntaxError) fail(`not valid JSON (${e.message})`);
    throw e;
  }
}
