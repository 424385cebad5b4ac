/**
 * Corpus and QA records in the FlashRAG / Search-R1 JSONL formats: the record types, their schemas
 * and the error a bad record raises. Reading and writing the files is corpus_files.ts
 * (`@mempo/env/node`).
 *
 *   corpus line: {"id": "12", "contents": "\"Title\"\npassage text"}   (title on the first line, quoted)
 *   QA line:     {"id": "q1", "question": "...", "golden_answers": ["a", "alias"], "metadata"?: {...}}
 *
 * Numeric ids are accepted and turned into strings. Tested in corpus_io_test.ts.
 */
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

/** Collects an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
