/**
 * Your own data end to end, training nothing: a FlashRAG corpus and QA file written here, an HF model
 * directory (random weights, a BPE tokenizer with the protocol tags), then `mempo data` + `mempo eval
 * --model.from DIR` once with the embedded BM25 and once through `/retrieve` on a local `mempo serve`.
 * Both must give the same evaluation (same hits, same greedy episodes), the retriever alone must find
 * every gold answer (the corpus is built so), and what needs the scripted teacher says so clearly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RetrievalServer } from "@mempo/env/node";
import { Model, resolveConfig as modelConfig } from "@mempo/model";
import { saveCheckpoint } from "@mempo/model/node";
import { Tokenizer } from "@mempo/tokenizer";
import { saveTokenizer } from "@mempo/tokenizer/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "./config.ts";
import { runCli } from "./main.ts";
import { startServe } from "./stages/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "mempo-user-"));
const corpus = join(dir, "corpus.jsonl");
const qa = join(dir, "qa.jsonl");
const modelDir = join(dir, "model");
const syl = ["ka", "lo", "mi", "ru", "te", "vo", "zi", "pa", "ne", "su"];
const word = (i: number, salt: number) =>
  syl[(i + salt) % 10]! + syl[(3 * i + salt) % 10]! + syl[(7 * i + 2 * salt) % 10]!;
const rivers = Array.from({ length: 12 }, (_, i) => `${word(i, 1)}${i}`);
const lands = Array.from({ length: 12 }, (_, i) => `${word(i, 5)}land${i}`);

/** Runs the CLI, capturing stdout and stderr. */
async function mempo(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const cap = (...a: unknown[]) => {
    out += `${a.join(" ")}\n`;
  };
  const log = vi.spyOn(console, "log").mockImplementation(cap);
  const err = vi.spyOn(console, "error").mockImplementation(cap);
  try {
    return { code: await runCli(argv), out };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

const small = [
  "--data.evalTasks",
  "2",
  "--data.evalObjectives",
  "1,2",
  "--data.trainObjectives",
  "1",
  "--data.trainTasks",
  "4",
  "--data.turnsPerObjective",
  "1",
  "--data.extraTurns",
  "1",
];
const evalFlags = ["--model.from", modelDir, "--eval.maxNewTokens", "12", "--log.progress", "lines"];
const evalJson = (run: string) => JSON.parse(readFileSync(join(run, "eval.json"), "utf8"));
const withoutTimes = (rows: Record<string, unknown>[]) => rows.map(({ seconds: _, ...r }) => r);

beforeAll(async () => {
  const docs = rivers.flatMap((r, i) => [
    { id: String(2 * i), contents: `"${r}"\n${r} is a long river that flows through ${lands[i]}.` },
    { id: 2 * i + 1, contents: `"${lands[i]}"\n${lands[i]} is a quiet country of hills and lakes.` },
  ]);
  writeFileSync(corpus, `${docs.map((d) => JSON.stringify(d)).join("\n")}\n`);
  const questions = rivers.map((r, i) => ({
    id: `q${i}`,
    question: `Which country does the ${r} river flow through?`,
    golden_answers: [lands[i], `the ${lands[i]}`],
  }));
  writeFileSync(qa, `${questions.map((q) => JSON.stringify(q)).join("\n")}\n`);
  const tok = Tokenizer.train(
    docs.map((d) => d.contents),
    { vocabSize: 320 },
  );
  const c = modelConfig({
    family: "llama",
    vocabSize: tok.vocabSize,
    dModel: 32,
    nLayers: 1,
    nHeads: 2,
    nKvHeads: 1,
    dFf: 64,
    maxSeqLen: 4096,
    qkvBias: true,
  });
  const model = Model.init(c, { seed: 3, backend: "ts" });
  await saveCheckpoint(modelDir, model);
  model.dispose();
  saveTokenizer(tok, join(modelDir, "tokenizer.json"));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mempo data + eval on a user's FlashRAG corpus and QA file", () => {
  const bm25 = join(dir, "run-bm25");
  const http = join(dir, "run-http");
  let server: RetrievalServer;

  it("embedded BM25: data builds MEM1 tasks from the file, eval runs the given model", async () => {
    const d = await mempo("data", "--out", bm25, "--data.corpus", corpus, "--data.qa", qa, ...small);
    expect(d.code, d.out).toBe(0);
    expect(d.out).toMatch(/12 questions from .*24 passages/);
    expect(d.out).toContain("No scripted teacher");
    const tasks = JSON.parse(readFileSync(join(bm25, "tasks.json"), "utf8"));
    expect(tasks.eval["1"].map((t: { sourceIds: string[] }) => t.sourceIds)).toEqual([["q0"], ["q1"]]);
    expect(tasks.eval["2"].map((t: { sourceIds: string[] }) => t.sourceIds)).toEqual([
      ["q2", "q3"],
      ["q4", "q5"],
    ]);
    expect(tasks.train.map((t: { sourceIds: string[] }) => t.sourceIds)).toEqual([
      ["q6"],
      ["q7"],
      ["q8"],
      ["q9"],
    ]);
    const e = await mempo("eval", "--run", bm25, ...evalFlags);
    expect(e.code, e.out).toBe(0);
    expect(e.out).toContain("no teacher line");
    const j = evalJson(bm25);
    expect(j.scoring).toBe("mem1");
    expect(j.rows.map((r: { agent: string; n: number; tasks: number }) => [r.agent, r.n, r.tasks])).toEqual([
      ["model", 1, 2],
      ["model", 2, 2],
    ]);
    expect(j.retrieval).toEqual({ topk: 3, questions: 6, recall: 1 });
    const report = readFileSync(join(bm25, "report.md"), "utf8");
    expect(report).toContain("MEM1 scoring (eval.py: punctuation → space, articles kept, token-set F1)");
    expect(report).toContain(`${qa}'s questions`);
  }, 120_000);

  it("through /retrieve on a local mempo serve: the same hits and the same evaluation", async () => {
    server = await startServe(resolveConfig({ data: { corpus }, serve: { port: 0 } }), () => {});
    const url = `${server.url}/retrieve`;
    const d = await mempo("data", "--out", http, "--data.qa", qa, "--data.retriever", url, ...small);
    expect(d.code, d.out).toBe(0);
    const e = await mempo("eval", "--run", http, ...evalFlags);
    expect(e.code, e.out).toBe(0);
    const a = evalJson(bm25);
    const b = evalJson(http);
    expect(b.retriever).toBe(`the retrieval server ${url}`);
    expect(b.retrieval).toEqual(a.retrieval);
    expect(withoutTimes(b.rows)).toEqual(withoutTimes(a.rows));
    await server.close();
    const gone = await mempo("eval", "--run", http, ...evalFlags);
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(/retrieval server .*\/retrieve did not answer .*mempo serve/);
  }, 120_000);

  it("says what works instead where the scripted teacher is needed", async () => {
    const sft = await mempo("sft", "--run", bm25);
    expect(sft.code, sft.out).toBe(2);
    expect(sft.out).toMatch(/metadata\.hops.*--model\.from HF_DIR/s);
    const rl = await mempo("rl", "--run", bm25, "--model.from", ""); // eval saved --model.from in the run
    expect(rl.code).toBe(2);
    expect(rl.out).toContain("no model to start from");
    const noQa = await mempo("data", "--out", join(dir, "x"), "--data.corpus", corpus);
    expect(noQa.code).toBe(1);
    expect(noQa.out).toContain("--data.qa FILE");
  }, 60_000);
});
