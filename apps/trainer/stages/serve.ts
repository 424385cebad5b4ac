/**
 * `mempo serve --data.corpus FILE [--host H] [--port P] [--serve.index FILE]`: the Search-R1 retrieval
 * server (`POST /retrieve`, @mempo/env http_server.ts) over any FlashRAG corpus, with BM25 — what a
 * Search-R1 user starts with its retrieval_launch.sh, and what `--data.retriever URL` talks to. The
 * index is loaded from `serve.index` when that file exists, else built (and saved there when named).
 * Runs until SIGINT / SIGTERM.
 *
 * Test: serve_test.ts (mempo data + eval through a running `mempo serve`).
 */
import { existsSync } from "node:fs";
import { BM25Index, collect } from "@mempo/env";
import {
  loadBM25Index,
  readCorpus,
  type RetrievalServer,
  saveBM25Index,
  startRetrievalServer,
} from "@mempo/env/node";
import type { Config } from "../config.ts";

/** Builds or loads the index and starts listening; resolves with the running server. */
export async function startServe(
  config: Config,
  log: (m: string) => void = console.log,
): Promise<RetrievalServer> {
  const { corpus, topk } = config.data;
  const s = config.serve;
  let index: BM25Index;
  if (s.index !== "" && existsSync(s.index)) {
    index = await loadBM25Index(s.index);
    log(`serve: BM25 index loaded from ${s.index}`);
  } else {
    if (corpus === "")
      throw new Error("mempo serve needs the passages: --data.corpus FILE (FlashRAG corpus JSONL)");
    const t0 = performance.now();
    const docs = await collect(readCorpus(corpus));
    index = BM25Index.build(docs);
    log(
      `serve: BM25 index of ${docs.length} passages from ${corpus} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    if (s.index !== "") {
      await saveBM25Index(index, s.index);
      log(`serve: index saved to ${s.index} (loaded from there next time)`);
    }
  }
  const server = await startRetrievalServer(index, {
    host: s.host,
    port: s.port,
    maxQueries: s.maxQueries,
    maxBodyBytes: s.maxBodyMb << 20,
    defaultTopk: topk,
  });
  log(
    `serve: listening on ${server.url}/retrieve (POST {"queries": [...], "topk": ${topk}, "return_scores": true})`,
  );
  return server;
}

/** `mempo serve`: serves until SIGINT or SIGTERM, then closes; resolves to the exit code. */
export async function serveCommand(config: Config): Promise<number> {
  const server = await startServe(config);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  console.log("serve: stopped");
  return 0;
}
