import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BM25Index } from "./bm25.ts";
import { HttpRetriever } from "./http_client.ts";
import { type RetrievalServer, startRetrievalServer } from "./http_server.ts";
import { generateWorld } from "./world/generate.ts";

const world = generateWorld({ entities: 60, questions: 10 });
const index = BM25Index.build(world.documents);
let server: RetrievalServer;

beforeAll(async () => {
  server = await startRetrievalServer(index, {
    port: 0,
    maxBodyBytes: 64 * 1024,
    maxTopk: 50,
    maxQueries: 32,
  });
});
afterAll(async () => {
  await server.close();
});

const post = (body: string, init: RequestInit = {}) =>
  fetch(`${server.url}/retrieve`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    ...init,
  });

describe("Search-R1 retrieval protocol over loopback", () => {
  it("binds loopback on an ephemeral port", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it("client → server → BM25 round trip gives the in-process results", async () => {
    const client = new HttpRetriever({ url: server.url, maxQueriesPerRequest: 4 });
    const queries = world.questions.map((q) => q.question);
    expect(await client.search(queries, 3)).toEqual(await index.search(queries, 3));
  });

  it("answers the wire format with and without scores", async () => {
    const q = world.questions[0]!.question;
    const withScores = await (
      await post(JSON.stringify({ queries: [q], topk: 2, return_scores: true }))
    ).json();
    const [hit] = (await index.search([q], 2))[0]!;
    expect(withScores.result[0][0]).toEqual({ document: hit!.document, score: hit!.score });
    const bare = await (await post(JSON.stringify({ queries: [q, "zzz"], topk: 2 }))).json();
    expect(bare.result[0][0]).toEqual(hit!.document);
    expect(bare.result[1]).toEqual([]);
    const dflt = await (await post(JSON.stringify({ queries: [q], topk: null }))).json();
    expect(dflt.result[0]).toHaveLength(3);
  });

  it("the client reads bare documents (no scores → NaN)", async () => {
    const client = new HttpRetriever({ url: `${server.url}/retrieve`, returnScores: false });
    const [hits] = await client.search([world.questions[0]!.question], 1);
    expect(Number.isNaN(hits![0]!.score)).toBe(true);
    expect(hits![0]!.document.contents.startsWith('"')).toBe(true);
  });

  it("client errors name the server and status", async () => {
    const client = new HttpRetriever({ url: server.url });
    await expect(client.search(["x"], -1)).rejects.toThrow(/answered 400: .*topk/);
  });

  it("topk 0 falls back to the default (Search-R1's `if not request.topk`)", async () => {
    const q = world.questions[0]!.question;
    const body = await (await post(JSON.stringify({ queries: [q], topk: 0 }))).json();
    expect(body.result[0]).toEqual((await index.search([q], 3))[0]!.map((h) => h.document));
  });

  it("a query over the length limit is searched on its first 4096 characters; the batch is answered", async () => {
    const q = world.questions[1]!.question;
    const long = q + " ".repeat(4096 - q.length) + "zzz ".repeat(400);
    const res = await post(JSON.stringify({ queries: [long, q], topk: 2 }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-truncated-queries")).toBe("1");
    const body = await res.json();
    const want = (await index.search([q], 2))[0]!.map((h) => h.document);
    expect(body.result).toEqual([want, want]);
  });

  it("answers a batch larger than one search chunk in order", async () => {
    const small = await startRetrievalServer(index, { chunkQueries: 3 });
    try {
      const queries = world.questions.map((q) => q.question);
      const res = await fetch(`${small.url}/retrieve`, {
        method: "POST",
        body: JSON.stringify({ queries, topk: 2, return_scores: true }),
      });
      const want = (await index.search(queries, 2)).map((l) =>
        l.map((h) => ({ document: h.document, score: h.score })),
      );
      expect((await res.json()).result).toEqual(want);
    } finally {
      await small.close();
    }
  });

  it("refuses a body that is not UTF-8 with a 400 naming the byte, never answering with replaced text", async () => {
    const good = Buffer.from('{"queries": ["café river"], "topk": 1}');
    const bad = Buffer.concat([
      Buffer.from('{"queries": ["caf'),
      Buffer.from([0xe9]),
      Buffer.from(' river"]}'),
    ]);
    expect((await post(good as unknown as string)).status).toBe(200);
    const res = await post(bad as unknown as string);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/not valid UTF-8 \(bad byte 0xe9 at offset 17\)/);
  });
});

describe("retrieval server fuzz: bad requests get 4xx JSON and the server keeps serving", () => {
  const huge = "x".repeat(200 * 1024);
  const cases: [string, () => Promise<Response>, number][] = [
    ["bad JSON", () => post("{queries: [}"), 400],
    ["empty body", () => post(""), 400],
    ["JSON array", () => post("[1,2]"), 400],
    ["JSON null", () => post("null"), 400],
    ["queries missing", () => post('{"topk": 3}'), 400],
    ["queries a string", () => post('{"queries": "abc", "topk": 3}'), 400],
    ["queries with a number", () => post('{"queries": ["a", 1], "topk": 3}'), 400],
    ["topk negative", () => post('{"queries": ["a"], "topk": -3}'), 400],
    ["topk huge", () => post('{"queries": ["a"], "topk": 1000000000}'), 400],
    ["topk non-integer", () => post('{"queries": ["a"], "topk": 2.5}'), 400],
    ["topk string", () => post('{"queries": ["a"], "topk": "3"}'), 400],
    ["return_scores string", () => post('{"queries": ["a"], "return_scores": "yes"}'), 400],
    ["too many queries", () => post(JSON.stringify({ queries: Array(33).fill("a") })), 413],
    ["huge body", () => post(JSON.stringify({ queries: [huge] })), 413],
    ["GET", () => fetch(`${server.url}/retrieve`), 405],
    ["PUT", () => fetch(`${server.url}/retrieve`, { method: "PUT", body: "{}" }), 405],
    ["wrong path", () => fetch(`${server.url}/search`, { method: "POST", body: "{}" }), 404],
    ["root", () => fetch(`${server.url}/`), 404],
  ];
  it.each(cases)("%s", async (_name, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(typeof body.error).toBe("string");
    expect(body.error.length).toBeGreaterThan(10);
  });

  it("survives a body far over the limit and malformed HTTP, then still serves", async () => {
    const far = "y".repeat(2 * 1024 * 1024);
    const status = await post(far).then(
      (r) => r.status,
      () => 0, // the server may drop the connection once it stops draining
    );
    expect([0, 413]).toContain(status);
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(server.port, "127.0.0.1", () => sock.write("NOT HTTP AT ALL\r\n\r\n"));
      let data = "";
      sock.on("data", (d) => {
        data += d.toString();
      });
      sock.on("close", () => resolve(data));
      sock.on("error", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const ok = await post(JSON.stringify({ queries: ["river"], topk: 1 }));
    expect(ok.status).toBe(200);
    expect((await ok.json()).result[0]).toHaveLength(1);
  });
});
