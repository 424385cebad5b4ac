/**
 * The Search-R1 retrieval HTTP server over any Retriever (node:http, no framework).
 *
 *   POST /retrieve  {"queries": ["q1", …], "topk": 3, "return_scores": true}
 *   200 → {"result": [[{"document": {"id", "contents"}, "score": 12.3}, …], …]}
 *         with return_scores false (the default, as Search-R1) each hit is the bare document {id, contents}
 *   4xx → {"error": "what was wrong and how to fix it"}
 *
 * Binds 127.0.0.1 by default (pass host "0.0.0.0" to expose it); limits the body size, the number of
 * queries, query length and topk. Tested in http_test.ts (round trip and a fuzz of bad requests).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Retriever } from "./retriever.ts";

export interface RetrievalServerOptions {
  /** Interface to bind (default 127.0.0.1, loopback only). */
  host?: string;
  /** Port (default 0: an ephemeral port; read it back from the returned handle). */
  port?: number;
  /** Largest accepted request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most queries per request (default 256). */
  maxQueries?: number;
  /** Largest topk (default 100). */
  maxTopk?: number;
  /** topk when the request omits it or sends null (default 3, as Search-R1). */
  defaultTopk?: number;
  /** Longest query in characters (default 4096). */
  maxQueryChars?: number;
}

export interface RetrievalServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (POST `${url}/retrieve`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the server; resolves once it listens. */
export async function startRetrievalServer(
  retriever: Retriever,
  opts: RetrievalServerOptions = {},
): Promise<RetrievalServer> {
  const o = {
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1 << 20,
    maxQueries: 256,
    maxTopk: 100,
    defaultTopk: 3,
    maxQueryChars: 4096,
    ...opts,
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const msg = e instanceof Error ? e.message : String(e);
      send(res, status, { error: status === 500 ? `retrieval failed: ${msg}` : msg });
    });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{"error":"malformed HTTP request"}',
      );
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on("error", () => {});
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/retrieve") {
      req.resume();
      throw new HttpError(404, `no such endpoint '${path}'; use POST /retrieve`);
    }
    if (req.method !== "POST") {
      req.resume();
      res.setHeader("allow", "POST");
      throw new HttpError(405, `method ${req.method} not allowed on /retrieve; use POST with a JSON body`);
    }
    const body = await readBody(req, o.maxBodyBytes);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw new HttpError(
        400,
        'request body is not valid JSON; send {"queries": [string], "topk": int, "return_scores": bool}',
      );
    }
    const { queries, topk, returnScores } = validate(value, o);
    const hits = await retriever.search(queries, topk);
    const result = hits.map((list) =>
      list.map((h) =>
        returnScores
          ? { document: { id: h.document.id, contents: h.document.contents }, score: h.score }
          : { id: h.document.id, contents: h.document.contents },
      ),
    );
    send(res, 200, { result });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function validate(
  v: unknown,
  o: { maxQueries: number; maxTopk: number; defaultTopk: number; maxQueryChars: number },
): { queries: string[]; topk: number; returnScores: boolean } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new HttpError(400, 'request body must be a JSON object {"queries": [...], "topk": int}');
  }
  const r = v as Record<string, unknown>;
  const q = r.queries;
  if (!Array.isArray(q) || !q.every((x) => typeof x === "string")) {
    throw new HttpError(400, "field 'queries' must be an array of strings");
  }
  if (q.length > o.maxQueries) {
    throw new HttpError(413, `field 'queries' has ${q.length} entries; at most ${o.maxQueries} per request`);
  }
  const long = q.findIndex((x) => x.length > o.maxQueryChars);
  if (long >= 0) {
    throw new HttpError(413, `queries[${long}] is longer than ${o.maxQueryChars} characters; shorten it`);
  }
  let topk = o.defaultTopk;
  if (r.topk !== undefined && r.topk !== null) {
    if (typeof r.topk !== "number" || !Number.isInteger(r.topk) || r.topk < 1 || r.topk > o.maxTopk) {
      throw new HttpError(
        400,
        `field 'topk' must be an integer in 1..${o.maxTopk}, got ${JSON.stringify(r.topk)}`,
      );
    }
    topk = r.topk;
  }
  const rs = r.return_scores ?? false;
  if (typeof rs !== "boolean") throw new HttpError(400, "field 'return_scores' must be true or false");
  return { queries: q as string[], topk, returnScores: rs };
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = declared > max;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      if (!tooBig) chunks.push(c);
      // Drain a bounded amount so the client can read the 413; beyond that, drop the connection.
      else if (size > 16 * max) req.destroy();
    });
    req.on("end", () => {
      if (tooBig)
        reject(new HttpError(413, `request body is larger than ${max} bytes; send fewer or shorter queries`));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
