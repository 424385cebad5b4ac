/**
 * The Search-R1 retrieval HTTP server over any Retriever (node:http, no framework).
 *
 *   POST /retrieve  {"queries": ["q1", …], "topk": 3, "return_scores": true}
 *   200 → {"result": [[{"document": {"id", "contents"}, "score": 12.3}, …], …]}
 *         with return_scores false (the default, as Search-R1) each hit is the bare document {id, contents}
 *   4xx → {"error": "what was wrong and how to fix it"}
 *
 * Binds 127.0.0.1 by default (pass host "0.0.0.0" to expose it). Limits, sized for Search-R1's own
 * client (`batch_search` sends every active rollout's query in one request: thousands at a time):
 * - a request holds at most `maxQueries` queries (default 8192) in at most `maxBodyBytes` (32 MiB);
 *   more is a 413 saying which limit to raise;
 * - the body must be UTF-8 (a 400 naming the byte offset otherwise, never a silent U+FFFD);
 * - `topk` missing, null or 0 falls back to `defaultTopk`, as Search-R1's `if not request.topk`;
 * - a query longer than `maxQueryChars` is searched on its first `maxQueryChars` characters (the reply
 *   carries `x-truncated-queries: <count>`), so one long query does not fail the batch;
 * - memory stays bounded: the answer is searched and written `chunkQueries` queries at a time.
 * Tested in http_test.ts (round trip, a fuzz of bad requests) and search_r1_client_test.ts (Search-R1's
 * Python client, 1,000 queries in one request).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import type { Hit, Retriever } from "./retriever.ts";

export interface RetrievalServerOptions {
  /** Interface to bind (default 127.0.0.1, loopback only). */
  host?: string;
  /** Port (default 0: an ephemeral port; read it back from the returned handle). */
  port?: number;
  /** Largest accepted request body in bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /** Most queries per request (default 8192). */
  maxQueries?: number;
  /** Largest topk (default 100). */
  maxTopk?: number;
  /** topk when the request omits it or sends null or 0 (default 3, as Search-R1). */
  defaultTopk?: number;
  /** Longest query in characters; longer ones are searched on their first maxQueryChars (default 4096). */
  maxQueryChars?: number;
  /** Queries searched and written per step, bounding the memory one request takes (default 256). */
  chunkQueries?: number;
}

/** The server's defaults (`mempo serve` flags override them). */
export const RETRIEVAL_SERVER_DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 0,
  maxBodyBytes: 32 << 20,
  maxQueries: 8192,
  maxTopk: 100,
  defaultTopk: 3,
  maxQueryChars: 4096,
  chunkQueries: 256,
});

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
  const o = { ...RETRIEVAL_SERVER_DEFAULTS, ...opts };
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
    const { queries, topk, returnScores, truncated } = validate(value, o);
    const item = (h: Hit) =>
      returnScores
        ? { document: { id: h.document.id, contents: h.document.contents }, score: h.score }
        : { id: h.document.id, contents: h.document.contents };
    // The first chunk is searched before the status is sent, so a failing retriever is still a 500.
    const step = Math.max(1, o.chunkQueries);
    let hits = await retriever.search(queries.slice(0, step), topk);
    res.writeHead(200, {
      "content-type": "application/json",
      ...(truncated > 0 ? { "x-truncated-queries": String(truncated) } : {}),
    });
    res.write('{"result":[');
    for (let at = 0; ; ) {
      const text = hits.map((list) => JSON.stringify(list.map(item))).join(",");
      if (!res.write(at > 0 && text !== "" ? `,${text}` : text)) await once(res, "drain");
      at += step;
      if (at >= queries.length) break;
      hits = await retriever.search(queries.slice(at, at + step), topk);
    }
    res.end("]}");
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
): { queries: string[]; topk: number; returnScores: boolean; truncated: number } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new HttpError(400, 'request body must be a JSON object {"queries": [...], "topk": int}');
  }
  const r = v as Record<string, unknown>;
  const q = r.queries;
  if (!Array.isArray(q) || !q.every((x) => typeof x === "string")) {
    throw new HttpError(400, "field 'queries' must be an array of strings");
  }
  if (q.length > o.maxQueries) {
    throw new HttpError(
      413,
      `field 'queries' has ${q.length} entries; this server takes at most ${o.maxQueries} per request ` +
        "(send smaller batches, or start it with a larger --serve.maxQueries)",
    );
  }
  let truncated = 0;
  const queries = (q as string[]).map((x) => {
    if (x.length <= o.maxQueryChars) return x;
    truncated += 1;
    return x.slice(0, o.maxQueryChars);
  });
  let topk = o.defaultTopk;
  // Search-R1: `if not request.topk: request.topk = config.retrieval_topk` (null, missing and 0).
  if (r.topk !== undefined && r.topk !== null && r.topk !== 0) {
    if (typeof r.topk !== "number" || !Number.isInteger(r.topk) || r.topk < 1 || r.topk > o.maxTopk) {
      throw new HttpError(
        400,
        `field 'topk' must be an integer in 1..${o.maxTopk} (0 or null: the default ${o.defaultTopk}), got ${JSON.stringify(r.topk)}`,
      );
    }
    topk = r.topk;
  }
  const rs = r.return_scores ?? false;
  if (typeof rs !== "boolean") throw new HttpError(400, "field 'return_scores' must be true or false");
  return { queries, topk, returnScores: rs, truncated };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Strict UTF-8. @throws HttpError 400 naming the first bad byte's offset. */
function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Feed a fresh decoder byte by byte: it throws at the byte that breaks a sequence; the bad
    // sequence starts at the longest valid prefix just before it.
    const probe = new TextDecoder("utf-8", { fatal: true });
    let at = 0;
    try {
      for (; at < bytes.length; at++) probe.decode(bytes.subarray(at, at + 1), { stream: true });
      at = bytes.length - 1; // an incomplete sequence at the end
    } catch {
      // `at` is the byte that made it throw
    }
    const valid = (p: number) => {
      try {
        utf8.decode(bytes.subarray(0, p));
        return true;
      } catch {
        return false;
      }
    };
    for (let p = at; p >= Math.max(0, at - 3); p--)
      if (valid(p)) {
        at = p;
        break;
      }
    throw new HttpError(
      400,
      `request body is not valid UTF-8 (bad byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, "0")} at offset ${at}); send the JSON encoded as UTF-8`,
    );
  }
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
      else {
        try {
          resolve(decodeUtf8(Buffer.concat(chunks)));
        } catch (e) {
          reject(e);
        }
      }
    });
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy(); // a failure mid-answer: the client sees a cut connection, never a partial result
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
