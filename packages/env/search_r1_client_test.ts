/**
 * Search-R1's own client against our /retrieve server: testing/search_r1_client.py sends 1,000 queries
 * in one request (as its `batch_search` does with every active rollout) and formats the hits as
 * Search-R1 does; the strings must equal those formatted from the in-process BM25. Needs `python3`
 * with `requests` (Debian: python3-requests, installed by scripts/setup-system.sh); skipped with the
 * reason where it is missing.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BM25Index } from "./bm25.ts";
import { type RetrievalServer, startRetrievalServer } from "./http_server.ts";
import { generateWorld } from "./world/generate.ts";

const candidates = [process.env.MEMPO_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p);
const python = candidates.find(
  (p) => spawnSync(p, ["-c", "import requests"], { stdio: "ignore" }).status === 0,
);
if (!python)
  console.warn(`skipping Search-R1 client test: none of ${candidates.join(", ")} imports requests`);

describe.skipIf(!python)("Search-R1's batch_search client against our server", () => {
  const world = generateWorld({ entities: 300, questions: 200 });
  const index = BM25Index.build(world.documents);
  let server: RetrievalServer;
  const dir = mkdtempSync(join(tmpdir(), "mempo-sr1-"));
  beforeAll(async () => {
    server = await startRetrievalServer(index);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 1,000 queries in one request exactly as the in-process index", async () => {
    const base = world.questions.map((q) => q.question);
    const queries = Array.from(
      { length: 1000 },
      (_, i) => `${base[i % base.length]} ${i % 7 === 0 ? "river" : ""}`,
    );
    queries[3] = "x".repeat(6000); // one over the length limit does not fail the batch
    const file = join(dir, "queries.json");
    writeFileSync(file, JSON.stringify(queries));
    // Asynchronously: the server answers from this same process.
    const { stdout: out } = await promisify(execFile)(
      python!,
      [join(import.meta.dirname, "testing", "search_r1_client.py"), `${server.url}/retrieve`, "3", file],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    const got = JSON.parse(out) as string[];
    const want = (
      await index.search(
        queries.map((q) => q.slice(0, 4096)),
        3,
      )
    ).map((hits) =>
      hits
        .map((h, i) => {
          const lines = h.document.contents.split("\n");
          return `Doc ${i + 1}(Title: ${lines[0]}) ${lines.slice(1).join("\n")}\n`;
        })
        .join(""),
    );
    expect(got).toHaveLength(1000);
    expect(got).toEqual(want);
    expect(got[0]).toMatch(/^Doc 1\(Title: "/);
  }, 60_000);
});
