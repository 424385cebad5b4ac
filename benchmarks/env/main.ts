/**
 * Env bench: the BM25 retriever on a generated ~100k-passage corpus (world generation, index build,
 * per-query latency, top-3 recall of the gold passage, save/load), the same corpus through the
 * Search-R1 HTTP server on loopback, peers measured in the same run (wink-bm25-text-search on the
 * full corpus, okapibm25 — a scan per query — on a subset, both with our analyzer), and the scripted
 * teacher: F1/EM with and without imperfections on 2-, 6- and 10-objective tasks, with TT/PT under
 * the `mem` and `full` policies (o200k and a tokenizer trained on the world).
 *
 * Run: `npx tsx benchmarks/env/main.ts` from the repo root. Prints tables and writes
 * benchmarks/results/out/env.json. Knobs (env): ENV_BENCH_ENTITIES (default 39000 ≈ 100k passages),
 * ENV_BENCH_QUERIES (default 2000), ENV_BENCH_TASKS (teacher tasks per setting, default 60).
 * Timings on a shared machine are noisy; the load average is recorded with the results.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  BM25Index,
  buildTasks,
  codecCounter,
  DEFAULT_BM25_CONFIG,
  DEFAULT_TEACHER_CONFIG,
  DEFAULT_WORLD_CONFIG,
  generateWorld,
  HttpRetriever,
  makeAnalyzer,
  PERFECT_TEACHER_CONFIG,
  questionMeta,
  runEpisode,
  Teacher,
  type TeacherConfig,
  tokenUsage,
} from "@mempo/env";
import { loadBM25Index, openaiCounter, saveBM25Index, startRetrievalServer } from "@mempo/env/node";
import { Tokenizer } from "@mempo/tokenizer";
import { machineInfo, median, QUICK, resultsFile } from "../mod.ts";

const config = {
  entities: Number(process.env.ENV_BENCH_ENTITIES ?? (QUICK ? 2000 : 39000)),
  queries: Number(process.env.ENV_BENCH_QUERIES ?? (QUICK ? 200 : 2000)),
  teacherTasks: Number(process.env.ENV_BENCH_TASKS ?? (QUICK ? 10 : 60)),
  quick: QUICK,
  topk: 3,
  buildReps: 3,
  okapiDocs: QUICK ? 2000 : 5000,
  okapiQueries: 20,
  winkQueries: QUICK ? 100 : 300,
  httpRequests: QUICK ? 100 : 300,
  seed: 1,
};
console.log("config", JSON.stringify(config));
const load0 = loadavg()[0];
const ms = (t0: number) => performance.now() - t0;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const f = (x: number, d = 2) => x.toFixed(d);

// ---- world and BM25 -------------------------------------------------------------------------
let t0 = performance.now();
const world = generateWorld({
  seed: config.seed,
  entities: config.entities,
  questions: config.queries,
  twoHopFraction: 0,
});
const genMs = ms(t0);
const docs = world.documents;
const buildMs: number[] = [];
let index!: BM25Index;
for (let r = 0; r < config.buildReps; r++) {
  t0 = performance.now();
  index = BM25Index.build(docs);
  buildMs.push(ms(t0));
}
const questions = world.questions.map((q) => q.question);
for (const q of questions.slice(0, 100)) index.searchIndices(q, config.topk); // warm-up
const latMs: number[] = [];
let strict = 0;
let lenient = 0;
world.questions.forEach((q, i) => {
  t0 = performance.now();
  const top = index.searchIndices(questions[i]!, config.topk);
  latMs.push(ms(t0));
  const h = questionMeta(q)!.hops[0]!;
  const ids = top.map((x) => docs[x.index]!.id);
  if (ids.some((id) => h.passageIds.includes(id))) strict += 1;
  if (ids.some((id) => h.passageIds.includes(id) || h.listPassageIds.includes(id))) lenient += 1;
});
const dir = mkdtempSync(join(tmpdir(), "mempo-env-bench-"));
t0 = performance.now();
await saveBM25Index(index, join(dir, "index.bin"));
const saveMs = ms(t0);
const fileMB = statSync(join(dir, "index.bin")).size / 2 ** 20;
t0 = performance.now();
const loaded = await loadBM25Index(join(dir, "index.bin"));
const loadMs = ms(t0);
rmSync(dir, { recursive: true });
if (
  JSON.stringify(loaded.searchIndices(questions[0]!, 3)) !==
  JSON.stringify(index.searchIndices(questions[0]!, 3))
) {
  throw new Error("loaded index answers differently");
}
const ours = {
  passages: docs.length,
  terms: index.numTerms,
  postings: index.numPostings,
  generateMs: genMs,
  buildMs: median(buildMs),
  queryP50Ms: pct(latMs, 0.5),
  queryP90Ms: pct(latMs, 0.9),
  queryP99Ms: pct(latMs, 0.99),
  top3GoldStrict: strict / questions.length,
  top3GoldLenient: lenient / questions.length,
  saveMs,
  loadMs,
  fileMB,
};

// ---- HTTP server on loopback ------------------------------------------------------------------
const server = await startRetrievalServer(index);
const client = new HttpRetriever({ url: server.url });
const httpMs: number[] = [];
for (let i = 0; i < config.httpRequests; i++) {
  t0 = performance.now();
  await client.search([questions[i % questions.length]!], config.topk);
  httpMs.push(ms(t0));
}
await server.close();

// ---- peers --------------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const analyze = makeAnalyzer();
type Wink = {
  defineConfig(c: object): void;
  definePrepTasks(t: ((s: string) => string[])[]): void;
  addDoc(d: object, id: number): void;
  consolidate(): void;
  search(q: string, limit: number): [number, number][];
};
const winkFactory = require("wink-bm25-text-search") as () => Wink;
t0 = performance.now();
const wink = winkFactory();
wink.defineConfig({
  fldWeights: { body: 1 },
  bm25Params: { k1: DEFAULT_BM25_CONFIG.k1, b: DEFAULT_BM25_CONFIG.b },
});
wink.definePrepTasks([analyze]);
docs.forEach((d, i) => {
  wink.addDoc({ body: d.contents }, i);
});
wink.consolidate();
const winkBuildMs = ms(t0);
const winkLat: number[] = [];
let agreeTop1 = 0;
for (let i = 0; i < config.winkQueries; i++) {
  t0 = performance.now();
  const r = wink.search(questions[i]!, config.topk);
  winkLat.push(ms(t0));
  if (r[0] && Number(r[0][0]) === index.searchIndices(questions[i]!, 1)[0]?.index) agreeTop1 += 1;
}
const okapi = (require("okapibm25") as { default: (d: string[], k: string[], c?: object) => number[] })
  .default;
const subset = docs.slice(0, config.okapiDocs).map((d) => d.contents);
const small = BM25Index.build(docs.slice(0, config.okapiDocs));
const okapiLat: number[] = [];
const smallLat: number[] = [];
for (let i = 0; i < config.okapiQueries; i++) {
  t0 = performance.now();
  okapi(subset, analyze(questions[i]!), { k1: 0.9, b: 0.4 });
  okapiLat.push(ms(t0));
  t0 = performance.now();
  small.searchIndices(questions[i]!, config.topk);
  smallLat.push(ms(t0));
}

// ---- scripted teacher ----------------------------------------------------------------------------
const tw = generateWorld({ seed: 3, questions: 1200 });
const tIndex = BM25Index.build(tw.documents);
const tok = Tokenizer.train(
  tw.documents.map((d) => d.contents),
  { vocabSize: 2000 },
);
const counters = [openaiCounter("o200k_base"), codecCounter("ours", tok)];
const teacherRows: Record<string, string | number>[] = [];
for (const n of [2, 6, 10]) {
  const tasks = buildTasks(tw.questions, n).slice(0, config.teacherTasks);
  for (const [name, cfg] of [
    ["perfect", PERFECT_TEACHER_CONFIG],
    ["default", DEFAULT_TEACHER_CONFIG],
  ] as [string, TeacherConfig][]) {
    for (const policy of ["mem", "full"] as const) {
      if (policy === "full" && name === "default") continue;
      const teacher = new Teacher(tw.questions, cfg);
      const acc = { f1: 0, em: 0, turns: 0, valid: 0, tt: [0, 0], pt: [0, 0] };
      for (const task of tasks) {
        const ep = await runEpisode(teacher.agentFor(task), task, tIndex, {
          maxTurns: 2 * n + 2,
          topk: 3,
          policy,
        });
        acc.f1 += ep.score.f1;
        acc.em += ep.score.em;
        acc.turns += ep.turns.length;
        acc.valid += ep.formatValid ? 1 : 0;
        counters.forEach((c, k) => {
          const u = tokenUsage(ep.turns, c);
          acc.tt[k]! += u.tt;
          acc.pt[k]! += u.pt;
        });
      }
      const m = tasks.length;
      teacherRows.push({
        objectives: n,
        teacher: name,
        policy,
        tasks: m,
        f1: acc.f1 / m,
        em: acc.em / m,
        turns: acc.turns / m,
        formatValid: acc.valid / m,
        ttO200k: acc.tt[0]! / m,
        ptO200k: acc.pt[0]! / m,
        ttOurs: acc.tt[1]! / m,
        ptOurs: acc.pt[1]! / m,
      });
    }
  }
}

// ---- report -----------------------------------------------------------------------------------------
console.log(`\nBM25 on ${ours.passages} passages (${ours.terms} terms, ${ours.postings} postings)`);
console.table({
  "world generation (s)": f(ours.generateMs / 1000),
  "index build (s)": f(ours.buildMs / 1000),
  "query p50 (ms)": f(ours.queryP50Ms, 3),
  "query p90 (ms)": f(ours.queryP90Ms, 3),
  "query p99 (ms)": f(ours.queryP99Ms, 3),
  "top-3 has gold passage (own)": f(ours.top3GoldStrict, 4),
  "top-3 has gold (own or list)": f(ours.top3GoldLenient, 4),
  "index file (MB)": f(ours.fileMB, 1),
  "save / load (s)": `${f(ours.saveMs / 1000)} / ${f(ours.loadMs / 1000)}`,
  "HTTP loopback p50 (ms)": f(pct(httpMs, 0.5), 3),
});
const peers = {
  wink: {
    buildMs: winkBuildMs,
    queryP50Ms: pct(winkLat, 0.5),
    top1AgreementWithOurs: agreeTop1 / config.winkQueries,
  },
  okapibm25: {
    docs: config.okapiDocs,
    queryP50Ms: pct(okapiLat, 0.5),
    oursSameDocsP50Ms: pct(smallLat, 0.5),
  },
};
console.log("\nPeers (same analyzer)");
console.table([
  {
    engine: "@mempo/env BM25",
    passages: ours.passages,
    "build s": f(ours.buildMs / 1000),
    "p50 ms": f(ours.queryP50Ms, 3),
  },
  {
    engine: "wink-bm25-text-search",
    passages: ours.passages,
    "build s": f(winkBuildMs / 1000),
    "p50 ms": f(peers.wink.queryP50Ms, 3),
    "p50 ratio to ours": f(peers.wink.queryP50Ms / ours.queryP50Ms, 1),
  },
  {
    engine: "@mempo/env BM25",
    passages: config.okapiDocs,
    "p50 ms": f(peers.okapibm25.oursSameDocsP50Ms, 3),
  },
  {
    engine: "okapibm25 (scan)",
    passages: config.okapiDocs,
    "p50 ms": f(peers.okapibm25.queryP50Ms, 1),
    "p50 ratio to ours": f(peers.okapibm25.queryP50Ms / peers.okapibm25.oursSameDocsP50Ms, 0),
  },
]);
console.log(
  `\nScripted teacher (world seed 3, ${tw.documents.length} passages, maxTurns 2N+2, topk 3, BM25)`,
);
console.table(
  teacherRows.map((r) => ({
    N: r.objectives,
    teacher: r.teacher,
    policy: r.policy,
    F1: f(r.f1 as number, 1),
    EM: f(r.em as number, 1),
    turns: f(r.turns as number, 1),
    "TT o200k": Math.round(r.ttO200k as number),
    "PT o200k": Math.round(r.ptO200k as number),
    "TT ours": Math.round(r.ttOurs as number),
    "PT ours": Math.round(r.ptOurs as number),
  })),
);
const out = {
  bench: "env",
  date: new Date().toISOString(),
  machine: machineInfo(),
  loadAverage: [load0, loadavg()[0]],
  config: {
    ...config,
    world: { ...DEFAULT_WORLD_CONFIG, entities: config.entities },
    bm25: DEFAULT_BM25_CONFIG,
    teacher: DEFAULT_TEACHER_CONFIG,
  },
  bm25: ours,
  http: { requests: config.httpRequests, p50Ms: pct(httpMs, 0.5), p99Ms: pct(httpMs, 0.99) },
  peers,
  teacher: teacherRows,
};
const file = resultsFile("env");
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
