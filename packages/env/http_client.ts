/**
 * A Retriever over the Search-R1 retrieval HTTP protocol (fetch), so an agent can use an existing
 * wiki-18 / E5 retrieval server (or ours, http_server.ts) instead of the in-memory BM25.
 *
 * Accepts every result shape such servers send: `{document, score}`, `{document}`, or a bare
 * document; a document without `contents` but with `title`/`text` gets `"title"\ntext`. Missing scores
 * become NaN. Tested in http_test.ts.
 */
import { makeContents } from "./corpus_io.ts";
import type { Hit, Retriever } from "./retriever.ts";

export interface HttpRetrieverOptions {
  /** Base URL (`http://127.0.0.1:8000`) or the full `/retrieve` URL. */
  url: string;
  /** Request timeout in ms (default 30000). */
  timeoutMs?: number;
  /** Ask for scores (default true). */
  returnScores?: boolean;
  /** Split larger batches into requests of at most this many queries (default 64). */
  maxQueriesPerRequest?: number;
}

export class HttpRetriever implements Retriever {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly returnScores: boolean;
  private readonly batch: number;

  constructor(opts: HttpRetrieverOptions) {
    const u = opts.url.replace(/\/+$/, "");
    this.endpoint = u.endsWith("/retrieve") ? u : `${u}/retrieve`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.returnScores = opts.returnScores ?? true;
    this.batch = opts.maxQueriesPerRequest ?? 64;
  }

  async search(queries: string[], topk: number): Promise<Hit[][]> {
    const out: Hit[][] = [];
    for (let i = 0; i < queries.length; i += this.batch) {
      out.push(...(await this.request(queries.slice(i, i + this.batch), topk)));
    }
    return out;
  }

  private async request(queries: string[], topk: number): Promise<Hit[][]> {
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queries, topk, return_scores: this.returnScores }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.cause?.code ?? err.cause?.message ?? err.message;
      throw new Error(
        `retrieval server ${this.endpoint} did not answer (${why}); is it running? (mempo serve --data.corpus FILE starts one)`,
      );
    }
    const text = await res.text();
    if (!res.ok)
      throw new Error(`retrieval server ${this.endpoint} answered ${res.status}: ${text.slice(0, 500)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`retrieval server ${this.endpoint} sent invalid JSON: ${text.slice(0, 200)}`);
    }
    const result = (body as { result?: unknown })?.result;
    if (!Array.isArray(result) || result.length !== queries.length) {
      throw new Error(
        `retrieval server ${this.endpoint}: expected {"result": [...]} with ${queries.length} lists, got ${text.slice(0, 200)}`,
      );
    }
    return result.map((list, qi) => {
      if (!Array.isArray(list))
        throw new Error(`retrieval server ${this.endpoint}: result[${qi}] is not a list`);
      return list.map((item, j) => toHit(item, `${this.endpoint}: result[${qi}][${j}]`));
    });
  }
}

function toHit(item: unknown, where: string): Hit {
  if (typeof item !== "object" || item === null) throw new Error(`${where} is not an object`);
  const o = item as Record<string, unknown>;
  const docRaw = (typeof o.document === "object" && o.document !== null ? o.document : o) as Record<
    string,
    unknown
  >;
  const id = docRaw.id ?? docRaw._id ?? "";
  let contents = docRaw.contents;
  if (typeof contents !== "string") {
    const title = typeof docRaw.title === "string" ? docRaw.title : "";
    const text = typeof docRaw.text === "string" ? docRaw.text : "";
    if (title === "" && text === "") throw new Error(`${where} has no 'contents' (nor 'title'/'text')`);
    contents = makeContents(title, text);
  }
  const score = typeof o.score === "number" ? o.score : Number.NaN;
  return { document: { id: String(id), contents: contents as string }, score };
}
