/**
 * Corpus and QA files in the FlashRAG / Search-R1 JSONL formats, read as streams.
 *
 *   corpus line: {"id": "12", "contents": "\"Title\"\npassage text"}   (title on the first line, quoted)
 *   QA line:     {"id": "q1", "question": "...", "golden_answers": ["a", "alias"], "metadata"?: {...}}
 *
 * Readers are async iterators over `readline` on a file stream (constant memory for wiki-sized files);
 * a bad line throws `DataFormatError` naming the file, the 1-based line and the field. Numeric ids are
 * accepted and turned into strings; blank lines are skipped. Tested in corpus_io_test.ts.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { z } from "zod";

/** One passage: `contents` is `"Title"\ntext` (the title line may be unquoted in other corpora). */
export interface Document {
  id: string;
  contents: string;
}

/** One question with its accepted answers (aliases). `metadata` is free-form (the generator stores hops). */
export interface QARecord {
  id: string;
  question: string;
  golden_answers: string[];
  metadata?: Record<string, unknown>;
}

/** A record that failed validation: `file:line: field 'x' …` plus how to fix it. */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}:${line}: field '${field}' ${detail}`);
    this.name = "DataFormatError";
  }
}

const idSchema = z.union([z.string().min(1), z.number().int()]).transform((v) => String(v));

export const documentSchema = z.object({ id: idSchema, contents: z.string() });

export const qaSchema = z.object({
  id: idSchema,
  question: z.string().min(1),
  golden_answers: z.array(z.string()).min(1),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Splits `"Title"\ntext` into title (quotes stripped) and text. No newline → empty title. */
export function splitContents(contents: string): { title: string; text: string } {
  const nl = contents.indexOf("\n");
  if (nl < 0) return { title: "", text: contents };
  let title = contents.slice(0, nl).trim();
  if (title.length >= 2 && title.startsWith('"') && title.endsWith('"')) title = title.slice(1, -1);
  return { title, text: contents.slice(nl + 1) };
}

/** Builds `"Title"\ntext`. */
export function makeContents(title: string, text: string): string {
  return `"${title}"\n${text}`;
}

/**
 * Streams validated records from a JSONL file. Each yielded value carries its 1-based line number.
 * Throws DataFormatError on invalid JSON or a record that fails `schema`.
 */
export async function* readJsonl<T>(
  file: string,
  schema: z.ZodType<T>,
  what = "record",
): AsyncGenerator<{ line: number; record: T }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line += 1;
    if (raw.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new DataFormatError(
        file,
        line,
        "(line)",
        `is not valid JSON (${(e as Error).message}); each line must be one JSON ${what}`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length > 0 ? issue.path.join(".") : "(record)";
      throw new DataFormatError(file, line, field, `${issue.message} (a ${what} needs ${describe(what)})`);
    }
    yield { line, record: parsed.data };
  }
}

function describe(what: string): string {
  return what === "document"
    ? '{"id": string, "contents": "\\"Title\\"\\ntext"}'
    : '{"id": string, "question": string, "golden_answers": [string, ...]}';
}

/** Streams the documents of a corpus JSONL file. */
export async function* readCorpus(file: string): AsyncGenerator<Document> {
  for await (const { record } of readJsonl(file, documentSchema, "document")) yield record;
}

/** Streams the questions of a QA JSONL file. */
export async function* readQA(file: string): AsyncGenerator<QARecord> {
  for await (const { record } of readJsonl(file, qaSchema, "QA record")) {
    const r: QARecord = { id: record.id, question: record.question, golden_answers: record.golden_answers };
    if (record.metadata !== undefined) r.metadata = record.metadata;
    yield r;
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Writes records as JSONL (one `JSON.stringify` per line), honouring stream back-pressure. */
export async function writeJsonl(
  file: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  const out = createWriteStream(file, { encoding: "utf8" });
  const done = once(out, "finish");
  for await (const r of records as AsyncIterable<unknown>) {
    if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, "drain");
  }
  out.end();
  await done;
}
