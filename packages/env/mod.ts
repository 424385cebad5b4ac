/**
 * @module @mempo/env — the environment MemPO agents act in (see README.md): corpus and QA I/O, BM25
 * retriever, the Search-R1 retrieval protocol (server and client), the fictional-encyclopedia
 * generator, the MEM1 multi-objective task builder and scorer, the agent protocol (prompts, parser,
 * <information>, retention policies, token accounting), an episode runner and a scripted teacher.
 * Files, the retrieval HTTP server and OpenAI token counts are in `@mempo/env/node`.
 */
export const PACKAGE = "@mempo/env";

export * from "./accounting.ts";
export * from "./analyzer.ts";
export * from "./bm25.ts";
export * from "./byte_codec.ts";
export * from "./codec.ts";
export * from "./config.ts";
export * from "./context.ts";
export * from "./corpus_io.ts";
export * from "./episode.ts";
export * from "./http_client.ts";
export * from "./information.ts";
export * from "./parse.ts";
export * from "./prompt.ts";
export * from "./retriever.ts";
export { hashString, Rng, type RngState } from "@mempo/kernels/random";
export * from "./scoring.ts";
export * from "./tasks.ts";
export * from "./teacher.ts";
export * from "./trajectory.ts";
export * from "./world/generate.ts";
export { numberWords, yearWords } from "./world/names.ts";
export * from "./world/questions.ts";
export * from "./world/schema.ts";
