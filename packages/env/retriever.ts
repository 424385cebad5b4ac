/**
 * The Retriever interface: batched top-k search returning documents with scores. Implemented by the
 * in-memory BM25 index (bm25.ts) and by the Search-R1 HTTP client (http_client.ts).
 */
import type { Document } from "./corpus_io.ts";

/** One retrieved passage. `score` is NaN when a remote server returned no scores. */
export interface Hit {
  document: Document;
  score: number;
}

export interface Retriever {
  /** For each query, the `topk` best documents, best first. Result length = queries.length. */
  search(queries: string[], topk: number): Promise<Hit[][]>;
}
