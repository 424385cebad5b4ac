/**
 * @module @mempo/env/node — the environment's Node (and Deno) side: corpus and QA files
 * (`readCorpus`, `readQA`, `readJsonl`, `readLines`, `writeJsonl`), BM25 index files (`saveBM25Index`,
 * `loadBM25Index`), the Search-R1 retrieval HTTP server (`startRetrievalServer`) and token counts with
 * OpenAI's encodings (`openaiCounter`). `@mempo/env` itself has no file, network-server or Node access.
 */
export * from "./accounting_openai.ts";
export * from "./bm25_file.ts";
export * from "./corpus_files.ts";
export * from "./http_server.ts";
