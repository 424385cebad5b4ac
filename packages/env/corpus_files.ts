/**
 * Corpus and QA files in the FlashRAG / Search-R1 JSONL formats, read as streams (Node and Deno,
 * through node:fs; exported from `@mempo/env/node`). The records and their schemas are corpus_io.ts.
 *
 * Readers are async iterators over a file stream (constant memory for wiki-sized files); a bad line
 * throws `DataFormatError` naming the file, the 1-based line and the field. Lines are decoded as strict
 * UTF-8: bytes that are not UTF-8 are an error, never a silent U+FFFD. Numeric ids are accepted and
 * turned into strings; blank lines are skipped. Tested in corpus_io_test.ts.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import type { z } from "zod";
import { DataFormatError, type Document, documentSchema, type QARecord, qaSchema } from "./corpus_io.ts";

/**
 * Streams validated records from a JSONL file. Each yielded value carries its 1-based line number.
 * Throws DataFormatError on invalid JSON or a record that fails `schema`.
 */
export async function* readJsonl<T>(
  file: string,
  schema: z.ZodType<T>,
  what = "record",
): AsyncGenerator<{ line: number; record: T }> {
  for await (const { line, text: raw } of readLines(file)) {
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

/**
 * The lines of a text file (`\n` or `\r\n`), each decoded as strict UTF-8, with 1-based numbers.
 * @throws DataFormatError naming the file and line that holds bytes that are not UTF-8.
 */
export async function* readLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 0;
  const decode = (bytes: Uint8Array): string => {
    line += 1;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    try {
      return decoder.decode(bytes.subarray(0, end));
    } catch {
      throw new DataFormatError(
        file,
        line,
        "(line)",
        "is not valid UTF-8; the file is corrupt or in another encoding (save it as UTF-8)",
      );
    }
  };
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      const text = decode(buf.subarray(start, nl));
      yield { line, text };
      start = nl + 1;
    }
    rest = buf.subarray(start);
  }
  if (rest.length > 0) {
    const text = decode(rest);
    yield { line, text };
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

/**
 * Writes records as JSONL (one `JSON.stringify` per line), honouring stream back-pressure.
 * @throws Error naming the file when a write fails (disk full, …).
 */
export async function writeJsonl(
  file: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  const out = createWriteStream(file, { encoding: "utf8" });
  try {
    const done = once(out, "finish");
    done.catch(() => {}); // a write error also rejects the await below that is pending; handled there
    for await (const r of records as AsyncIterable<unknown>) {
      if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, "drain");
    }
    out.end();
    await done;
  } catch (e) {
    out.destroy();
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new Error(`${file}: cannot write (${err.message})`), { code: err.code });
  }
}
