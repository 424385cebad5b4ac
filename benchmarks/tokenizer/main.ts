/**
 * Tokenizer bench: encode throughput of @mempo/tokenizer against gpt-tokenizer on the same text
 * and the same vocabulary (GPT-2's r50k_base, ids checked equal), cold and warm piece caches;
 * decode throughput; and the time to train a 2,000-token vocabulary on 5 MB of text.
 *
 * Run: `npx tsx benchmarks/tokenizer/main.ts` (from the repo root). Prints a table and writes
 * benchmarks/results/out/tokenizer.json. Knobs (env): TOK_BENCH_MB (encode text, default 2),
 * TOK_BENCH_TRAIN_MB (default 5), TOK_BENCH_VOCAB (default 2000), TOK_BENCH_REPS (default 5).
 * The text is synthetic and seeded (prose, code, JSON, non-Latin scripts, emoji).
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { Tokenizer } from "@mempo/tokenizer";
import { r50kTokenizer, referenceR50k, syntheticCorpus } from "@mempo/tokenizer/testing";
import { machineInfo, median, QUICK, resultsFile } from "../mod.ts";

const config = {
  /** MB of text encoded per timed run. */
  encodeMB: Number(process.env.TOK_BENCH_MB ?? (QUICK ? 0.25 : 2)),
  /** MB of text the trainer learns from. */
  trainMB: Number(process.env.TOK_BENCH_TRAIN_MB ?? (QUICK ? 0.5 : 5)),
  /** Vocabulary size trained (13 special + 256 bytes + merges). */
  trainVocab: Number(process.env.TOK_BENCH_VOCAB ?? 2000),
  /** Timed repetitions per measurement (the median is reported). */
  reps: Number(process.env.TOK_BENCH_REPS ?? (QUICK ? 2 : 5)),
  quick: QUICK,
  seed: 20240601,
};
console.log("config", JSON.stringify(config));

const time = (f: () => void): number => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};

const docs = syntheticCorpus(config.seed, config.encodeMB * 2 ** 20);
const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d), 0);
let ours!: Tokenizer;
const loadS = time(() => {
  ours = r50kTokenizer();
});

// Same ids, so tokens/s compare like for like.
const oursIds = docs.map((d) => ours.encode(d, { allowSpecial: false }));
const theirsIds = docs.map((d) => referenceR50k.encode(d));
const tokens = oursIds.reduce((s, x) => s + x.length, 0);
const mismatched = oursIds.filter(
  (x, i) => x.length !== theirsIds[i]!.length || x.some((v, j) => v !== theirsIds[i]![j]),
).length;
if (mismatched > 0)
  throw new Error(`ids differ from gpt-tokenizer on ${mismatched} documents; fix parity first`);

const encodeOurs = () => {
  for (const d of docs) ours.encode(d, { allowSpecial: false });
};
const encodeTheirs = () => {
  for (const d of docs) referenceR50k.encode(d);
};
const cold = { ours: [] as number[], theirs: [] as number[] };
const warm = { ours: [] as number[], theirs: [] as number[] };
for (let r = 0; r < config.reps; r++) {
  // alternate so that background load hits both sides alike
  ours.clearCache();
  cold.ours.push(time(encodeOurs));
  referenceR50k.clearCache();
  cold.theirs.push(time(encodeTheirs));
  warm.ours.push(time(encodeOurs));
  warm.theirs.push(time(encodeTheirs));
}
const decodeS = { ours: [] as number[], theirs: [] as number[] };
for (let r = 0; r < config.reps; r++) {
  decodeS.ours.push(
    time(() => {
      for (const x of oursIds) ours.decode(x);
    }),
  );
  decodeS.theirs.push(
    time(() => {
      for (const x of theirsIds) referenceR50k.decode(x);
    }),
  );
}

const rate = (s: number[]) => tokens / median(s);
const rows = [
  { what: "encode, cold cache", ours: rate(cold.ours), theirs: rate(cold.theirs) },
  { what: "encode, warm cache", ours: rate(warm.ours), theirs: rate(warm.theirs) },
  { what: "decode", ours: rate(decodeS.ours), theirs: rate(decodeS.theirs) },
];

// Training.
const trainDocs = syntheticCorpus(config.seed + 1, config.trainMB * 2 ** 20);
const trainBytes = trainDocs.reduce((s, d) => s + Buffer.byteLength(d), 0);
let trained!: Tokenizer;
const trainS = time(() => {
  trained = Tokenizer.train(trainDocs, { vocabSize: config.trainVocab });
});
const trainedTokens = trainDocs.reduce((s, d) => s + trained.encode(d).length, 0);

const f = (x: number) => (x / 1e6).toFixed(2).padStart(8);
console.log(
  `\ntext: ${docs.length} documents, ${(bytes / 2 ** 20).toFixed(2)} MB, ${tokens} r50k tokens (ids identical)`,
);
console.log(
  `r50k load (ranks → merges → Tokenizer): ${loadS.toFixed(2)} s; load average ${loadavg()[0]!.toFixed(2)}`,
);
console.log("\n| measurement         |  ours Mtok/s | gpt-tokenizer Mtok/s | ratio |");
console.log("|---------------------|-------------:|---------------------:|------:|");
for (const r of rows) {
  console.log(
    `| ${r.what.padEnd(19)} | ${f(r.ours)}     | ${f(r.theirs)}             | ${(r.ours / r.theirs).toFixed(2)}× |`,
  );
}
console.log(
  `\ntrain: vocab ${trained.vocabSize} on ${(trainBytes / 2 ** 20).toFixed(2)} MB in ${trainS.toFixed(2)} s ` +
    `(${(trainBytes / trainedTokens).toFixed(2)} bytes/token with the trained vocab)`,
);

const out = {
  bench: "tokenizer",
  date: new Date().toISOString(),
  machine: machineInfo(),
  loadAverage1m: loadavg()[0],
  config,
  encodeText: { documents: docs.length, bytes, tokens, vocabulary: "r50k_base", idsIdentical: true },
  r50kLoadSeconds: loadS,
  encode: rows.map((r) => ({
    measurement: r.what,
    oursTokensPerSecond: Math.round(r.ours),
    gptTokenizerTokensPerSecond: Math.round(r.theirs),
    ratio: Number((r.ours / r.theirs).toFixed(3)),
  })),
  samplesSeconds: { cold, warm, decode: decodeS },
  train: {
    bytes: trainBytes,
    vocabSize: trained.vocabSize,
    seconds: Number(trainS.toFixed(3)),
    bytesPerToken: Number((trainBytes / trainedTokens).toFixed(3)),
    underOneMinute: trainS < 60,
  },
};
const file = resultsFile("tokenizer");
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${file}`);
