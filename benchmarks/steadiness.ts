/**
 * Is this machine steady enough to compare two runs? Runs the three products of one SFT linear
 * layer (the default trainer model: [4,400 × 128]·[128 × 384], its input gradient and its weight
 * gradient, fixed normal inputs) in rounds of `--round-ms` for `--seconds`, and before each round
 * the wasm FMA loop (the ceiling). Prints one line per round and a summary: the rounds' spread, and
 * the rounds more than 10 % below the fastest decile.
 *
 * On a shared virtual machine the matmul can move between two speeds for tens of seconds at a time
 * while the register-only FMA loop barely moves (docs/experiments/throughput-2026-12-03.md: 95 vs
 * 74 GFLOP/s with the ceiling at 113 vs 110): a timing shorter than that alternation measures the
 * machine's state as much as the code. Not part of `npm run bench` (it measures the machine, not
 * the code).
 *
 *   npx tsx benchmarks/steadiness.ts [--seconds 120] [--round-ms 500] [--json FILE]
 */
import { writeFileSync } from "node:fs";
import { matmul, randn, setBackend, tidy } from "@mempo/kernels";
import { getEngine } from "@mempo/kernels/wasm";
import { machineInfo, median } from "./mod.ts";

const args = process.argv.slice(2);
function opt(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
}
function positive(name: string, fallback: number): number {
  const v = Number(opt(name, String(fallback)));
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`steadiness: --${name} must be a positive number (got "${opt(name, "")}").`);
    process.exit(2);
  }
  return v;
}
const seconds = positive("seconds", 120);
const roundMs = positive("round-ms", 500);
const jsonOut = opt("json", "");

setBackend("wasm");
const engine = getEngine();
const M = 4400;
const K = 128;
const N = 384;
const x = randn([M, K], { seed: 1 });
const w = randn([K, N], { seed: 2 });
const dy = randn([M, N], { seed: 3 });
const flopsPerIter = 3 * 2 * M * K * N;

interface Round {
  t: number;
  ceilingGflops: number;
  matmulGflops: number;
}
const rounds: Round[] = [];
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  const ceil = engine.peakGflops();
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < roundMs) {
    tidy(() => {
      matmul(x, w); // forward
      matmul(dy, w, { transB: true }); // input gradient
      matmul(x, dy, { transA: true }); // weight gradient
    });
    n++;
  }
  const r = {
    t: +((t - t0) / 1000).toFixed(1),
    ceilingGflops: +ceil.toFixed(1),
    matmulGflops: +((n * flopsPerIter) / ((performance.now() - t) / 1000) / 1e9).toFixed(1),
  };
  rounds.push(r);
  console.log(
    `${r.t.toFixed(1).padStart(6)} s  ceiling ${r.ceilingGflops} GFLOP/s  matmul ${r.matmulGflops} GFLOP/s`,
  );
}

const mm = rounds.slice(1).map((r) => r.matmulGflops);
const sorted = [...mm].sort((a, b) => a - b);
const top = sorted[Math.floor(sorted.length * 0.9)] ?? Number.NaN;
const slow = mm.filter((v) => v < 0.9 * top).length;
const summary = {
  machine: machineInfo(),
  date: new Date().toISOString(),
  threads: engine.threads,
  shape: { M, K, N },
  rounds: rounds.length,
  matmulGflops: { min: sorted[0], median: median(mm), fastestDecile: top, max: sorted[sorted.length - 1] },
  slowRounds: slow,
  slowShare: +(slow / Math.max(1, mm.length)).toFixed(3),
  samples: rounds,
};
console.log(
  `\nmatmul: median ${summary.matmulGflops.median.toFixed(1)} GFLOP/s, fastest decile ${top.toFixed(1)}; ` +
    `${slow} of ${mm.length} rounds more than 10 % below it (${(summary.slowShare * 100).toFixed(0)} %). ` +
    (slow === 0 ? "Steady." : "Not steady: compare runs only over many alternations, or at another time."),
);
if (jsonOut !== "") writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
