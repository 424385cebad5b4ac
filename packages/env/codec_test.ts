import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SPECIAL_TOKENS } from "@mempo/tokenizer";
import { describe, expect, it } from "vitest";
import { ByteCodec } from "./byte_codec.ts";
import { encodePieces } from "./codec.ts";
import { DEFAULT_ENV_CONFIG, resolveEnvConfig } from "./config.ts";
import { HttpRetriever } from "./http_client.ts";

describe("ByteCodec", () => {
  const c = new ByteCodec();
  it("tags are single ids with allowSpecial, bytes otherwise; decode inverts encode", () => {
    expect([...c.encode("<mem>é</mem>")]).toEqual([3, 13 + 0xc3, 13 + 0xa9, 4]);
    expect(c.encode("<mem>", { allowSpecial: false })).toHaveLength(5);
    for (const s of ["", "plain", "<search>q</search><eos>", "ünï <answer>x"]) {
      expect(c.decode(c.encode(s))).toBe(s);
      expect(c.decode(c.encode(s, { allowSpecial: false }))).toBe(s);
    }
    expect(c.vocabSize).toBe(SPECIAL_TOKENS.length + 256);
  });
  it("encodePieces concatenates per-piece encodings", () => {
    const ids = encodePieces(c, [
      { text: "<answer>", special: true },
      { text: "<answer>", special: false },
      { text: "", special: true },
    ]);
    expect(ids[0]).toBe(SPECIAL_TOKENS.indexOf("<answer>"));
    expect(ids).toHaveLength(1 + "<answer>".length);
  });
});

describe("config", () => {
  it("fills documented defaults", () => {
    const c = resolveEnvConfig({ world: { entities: 100 }, teacher: { dropFactProb: 0 } });
    expect(c.world.entities).toBe(100);
    expect(c.world.seed).toBe(DEFAULT_ENV_CONFIG.world.seed);
    expect(c.retriever).toEqual({ k1: 0.9, b: 0.4, stopwords: true });
    expect(c.teacher.dropFactProb).toBe(0);
    expect(c.episode).toEqual({
      maxTurns: 8,
      policy: "mem",
      lastK: 1,
      topk: 3,
      useMem: true,
      scoring: "mem1",
    });
  });
  it("rejects bad values with the field name", () => {
    expect(() => resolveEnvConfig({ teacher: { vagueSearchProb: 2 } })).toThrow(/teacher\.vagueSearchProb/);
    expect(() => resolveEnvConfig({ episode: { maxTurns: 0 } })).toThrow(/episode\.maxTurns/);
    expect(() => resolveEnvConfig({ retriever: { b: 1.5 } })).toThrow(/0 ≤ b ≤ 1/);
  });
});

describe("HttpRetriever against other servers' shapes", () => {
  it("reads {document} without score and title/text documents", async () => {
    const server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          result: [[{ document: { id: 1, title: "T", text: "body" } }, { id: "2", contents: '"U"\nx' }]],
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      const [hits] = await new HttpRetriever({ url: `http://127.0.0.1:${port}` }).search(["q"], 2);
      expect(hits!.map((h) => h.document)).toEqual([
        { id: "1", contents: '"T"\nbody' },
        { id: "2", contents: '"U"\nx' },
      ]);
      expect(hits!.every((h) => Number.isNaN(h.score))).toBe(true);
    } finally {
      server.close();
    }
  });
});
