/**
 * BM25 index files (Node and Deno, through node:fs; exported from `@mempo/env/node`): the bytes of
 * `BM25Index.toBytes()` / `BM25Index.fromBytes()` (bm25.ts) written to and read from a path.
 *
 * Test: bm25_test.ts.
 */
import { readFile, writeFile } from "node:fs/promises";
import { BM25Index } from "./bm25.ts";

/** Writes the index file. @throws Error naming `path` when the write fails (disk full, …). */
export async function saveBM25Index(index: BM25Index, path: string): Promise<void> {
  await writeFile(path, index.toBytes()).catch((e: NodeJS.ErrnoException) => {
    throw Object.assign(new Error(`${path}: cannot write (${e.message})`), { code: e.code });
  });
}

/** Reads an index file written by `saveBM25Index`. @throws Error naming `path` for a bad file. */
export async function loadBM25Index(path: string): Promise<BM25Index> {
  return BM25Index.fromBytes(await readFile(path), path);
}
