/**
 * tokenizer_config.json of a Hugging Face model directory: the special tokens (bos / eos / pad / unk,
 * and `added_tokens_decoder`) and the chat template, rendered with @huggingface/jinja the way
 * transformers' `apply_chat_template(messages, add_generation_prompt=…)` renders it (the template sees
 * `messages`, `add_generation_prompt`, the special tokens by name and any extra variables given).
 *
 * `loadTokenizer(dir)` (`@mempo/tokenizer/node`, files.ts) reads it beside tokenizer.json: an added token listed only here is added to
 * the tokenizer; one whose id disagrees with tokenizer.json is an error naming both files.
 *
 * Test: `npx vitest run hf_config_test.ts`.
 */
import { Template } from "@huggingface/jinja";
import type { AddedToken } from "./spec.ts";

export interface ChatMessage {
  role: string;
  content: string;
}

export interface TokenizerConfig {
  /** The file it was read from. */
  source: string;
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  /** `added_tokens_decoder`, by id. */
  addedTokens: AddedToken[];
  /** The default chat template (Jinja), or null when the file has none. */
  chatTemplate: string | null;
}

/** Fails naming the file and the field. */
function fail(source: string, field: string, detail: string): never {
  throw new Error(`tokenizer_config.json at ${source}: ${field}: ${detail}`);
}

/** A special-token field: a string, `{content}` (an AddedToken object) or null. */
function tokenText(v: unknown, source: string, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object" && typeof (v as { content?: unknown }).content === "string") {
    return (v as { content: string }).content;
  }
  return fail(source, field, `expected a string or {"content": …}, got ${JSON.stringify(v)}`);
}

/** Parses a tokenizer_config.json object; `source` names it in errors. */
export function parseTokenizerConfig(json: unknown, source = "(in memory)"): TokenizerConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    fail(source, "$", "expected an object");
  const o = json as Record<string, unknown>;
  const addedTokens: AddedToken[] = [];
  const decoder = o.added_tokens_decoder ?? {};
  if (typeof decoder !== "object" || decoder === null)
    fail(source, "added_tokens_decoder", "expected an object");
  for (const [key, v] of Object.entries(decoder as Record<string, unknown>)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0)
      fail(source, `added_tokens_decoder.${key}`, "keys must be token ids");
    const content = tokenText(v, source, `added_tokens_decoder.${key}`);
    if (content === null) fail(source, `added_tokens_decoder.${key}`, "needs a content");
    addedTokens.push({ id, content, special: (v as { special?: unknown }).special === true });
  }
  let chatTemplate: string | null = null;
  const t = o.chat_template;
  if (typeof t === "string") chatTemplate = t;
  else if (Array.isArray(t)) {
    // a list of named templates: transformers uses "default"
    const named = t.find((x) => (x as { name?: unknown })?.name === "default") as
      | { template?: unknown }
      | undefined;
    if (named !== undefined && typeof named.template !== "string") {
      fail(source, "chat_template", 'the "default" entry needs a template string');
    }
    chatTemplate = (named?.template as string | undefined) ?? null;
  } else if (t !== undefined && t !== null) {
    fail(source, "chat_template", "expected a string or a list of {name, template}");
  }
  if (chatTemplate !== null) {
    try {
      new Template(chatTemplate);
    } catch (e) {
      fail(source, "chat_template", `not a valid Jinja template (${(e as Error).message})`);
    }
  }
  return {
    source,
    bosToken: tokenText(o.bos_token, source, "bos_token"),
    eosToken: tokenText(o.eos_token, source, "eos_token"),
    padToken: tokenText(o.pad_token, source, "pad_token"),
    unkToken: tokenText(o.unk_token, source, "unk_token"),
    addedTokens,
    chatTemplate,
  };
}

/**
 * Renders the chat template: the prompt text a chat model expects for `messages` (encode it with
 * `allowSpecial: true`). `addGenerationPrompt` appends the assistant turn's opening.
 * @throws when the config has no chat template, or the template fails on these messages
 */
export function applyChatTemplate(
  config: TokenizerConfig,
  messages: readonly ChatMessage[],
  opts: { addGenerationPrompt?: boolean; variables?: Record<string, unknown> } = {},
): string {
  if (config.chatTemplate === null) {
    throw new Error(`${config.source} has no chat_template; format the prompt yourself for this model`);
  }
  try {
    return new Template(config.chatTemplate).render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: config.bosToken ?? "",
      eos_token: config.eosToken ?? "",
      pad_token: config.padToken ?? "",
      unk_token: config.unkToken ?? "",
      ...opts.variables,
    });
  } catch (e) {
    throw new Error(`${config.source}: chat_template failed on these messages: ${(e as Error).message}`);
  }
}

/**
 * The added tokens of tokenizer.json (`json.added_tokens`) completed from tokenizer_config.json: a
 * token listed only in the config is appended; the same token at another id (or another token at
 * the same id) is an error naming both files.
 */
export function mergeAddedTokens(
  json: Record<string, unknown>,
  config: TokenizerConfig,
  tokenizerFile: string,
): void {
  const list = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as {
    id: number;
    content: string;
  }[];
  const byId = new Map(list.map((t) => [t.id, t.content]));
  const byContent = new Map(list.map((t) => [t.content, t.id]));
  const vocab = ((json.model as { vocab?: Record<string, number> } | undefined)?.vocab ?? {}) as Record<
    string,
    number
  >;
  const bpe = new Map(Object.entries(vocab).map(([content, id]) => [id, content]));
  for (const t of config.addedTokens) {
    const have = byId.get(t.id);
    if (have === t.content) continue;
    if (have === undefined && bpe.has(t.id) && bpe.get(t.id) !== t.content) {
      throw new Error(
        `${config.source} lists added token ${JSON.stringify(t.content)} as id ${t.id}, but ${tokenizerFile} has ` +
          `the BPE token ${JSON.stringify(bpe.get(t.id))} there; the two files come from different tokenizers`,
      );
    }
    const at = byContent.get(t.content);
    if (have !== undefined || at !== undefined) {
      throw new Error(
        `${config.source} lists added token ${JSON.stringify(t.content)} as id ${t.id}, but ${tokenizerFile} has ` +
          (have !== undefined ? `${JSON.stringify(have)} at id ${t.id}` : `it at id ${at}`) +
          "; the two files come from different tokenizers",
      );
    }
    list.push({ id: t.id, content: t.content, special: t.special } as { id: number; content: string });
  }
  json.added_tokens = list;
}
