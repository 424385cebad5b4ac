/**
 * Kernel bench: every accelerated kernel of the default fast backend ("wasm") at a few sizes, plus the
 * reference step (fwd+bwd of a 2-layer pre-LN transformer stack, ref_step.ts), each next to the same
 * op on our "tfjs" backend (TensorFlow.js on its wasm backend, or MEMPO_TFJS_BACKEND), in @jax-js/jax
 * (peer_jax.ts, its wasm device, jit) and in PyTorch (peer_torch.py, torch threads = 2), measured in
 * the same run. Prints a table and writes results/out/kernels.json (MEMPO_BENCH_QUICK=1: a case per kind
 * of kernel, shorter timing, results/quick/kernels.json).
 *
 * Run: `npx tsx benchmarks/kernels/main.ts [filter…] [--no-peer] [--no-tfjs] [--no-jax] [--profile] [--backend=wasm]`
 * (--profile adds a per-kernel breakdown of the reference step)
 * (filters match case ids; install the peer with `bash benchmarks/setup-peers.sh`).
 * Times are medians of ≥ 5 runs and ≥ 0.3 s after 2 warm-up calls. The CPU may be shared: the load
 * average before and after is recorded with the results.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { findBackend, setBackend } from "@mempo/kernels";
import { initTfjs, type TfjsInfo } from "@mempo/kernels/tfjs";
import { getEngine } from "@mempo/kernels/wasm";
import { ceiling, findPython, machineInfo, median, QUICK, resultsFile } from "../mod.ts";
import { cases } from "./cases.ts";
import { type JaxPeer, runJaxPeer } from "./peer_jax.ts";
import { type ProfileRow, profileStep } from "./profile.ts";
import { makeRefStep, REF, refStepFlops } from "./ref_step.ts";

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));
const noPeer = args.includes("--no-peer");
const noTfjs = args.includes("--no-tfjs");
const noJax = args.includes("--no-jax");
const profile = args.includes("--profile");
const backendName = args.find((a) => a.startsWith("--backend="))?.slice(10) ?? "wasm";
const MIN_TIME = QUICK ? 0.05 : 0.3;
const MIN_RUNS = QUICK ? 2 : 5;
/** Quick mode (MEMPO_BENCH_QUICK=1): one case per kind of kernel, and the reference step. */
const QUICK_CASES = [
  "matmul 256³",
  "matmul batched 16×256³",
  "attention B8 T128 H4 Dh64",
  "attention bwd B8 T128 H4 Dh64",
  "layernorm 4096×1024",
  "gelu 4096×1024",
  "softmax 4096×1024",
  "adamw 4M params",
];

function timeMs(fn: () => void): number {
  fn();
  fn();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < MIN_RUNS || performance.now() - start < MIN_TIME * 1e3) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
    if (ts.length >= 200) break;
  }
  return median(ts);
}

/** Host memory bandwidth reference: read + write GB/s of a 64 MiB TypedArray copy (memcpy). */
function copyBandwidth(): number {
  const n = 16 * 2 ** 20;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  const ms = timeMs(() => b.set(a));
  return (8 * n) / ms / 1e6;
}

interface PeerResult {
  torch: string;
  threads: number;
  blas: unknown;
  cases: Record<string, number>;
  ref_step_ms?: number;
}

function runPeer(
  list: { id: string; op: string; p: unknown }[],
  withRef: boolean,
  extraEnv: Record<string, string> = {},
): PeerResult | string {
  const py = findPython();
  if (!py) return "PyTorch not found: run `bash benchmarks/setup-peers.sh` (Debian python3-torch)";
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // let OpenBLAS pick its kernel for this CPU (recorded via threadpoolctl)
  delete env.OPENBLAS_L2_SIZE;
  Object.assign(env, extraEnv);
  const input = JSON.stringify({
    cases: list,
    ref: withRef ? REF : null,
    minTime: MIN_TIME,
    minRuns: MIN_RUNS,
  });
  const r = spawnSync(py, [join(import.meta.dirname, "peer_torch.py"), "2"], {
    input,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return `peer_torch.py failed (status ${r.status}): ${r.stderr.slice(-2000)}`;
  return JSON.parse(r.stdout) as PeerResult;
}

const fmt = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

const load0 = loadavg();
setBackend(backendName);
const backend = findBackend(backendName) as ReturnType<typeof findBackend> & { info?: () => unknown };
const selected = cases()
  .filter((c) => filters.length === 0 || filters.some((f) => c.id.includes(f)))
  .filter((c) => !QUICK || QUICK_CASES.includes(c.id));
const withRef = filters.length === 0 || filters.some((f) => "reference step".includes(f));
const bw = copyBandwidth();
// The machine's ceilings, measured here (benchmarks/mod.ts ceiling): wasm SIMD128 FMA loop → native.
const engine = getEngine();
const ceil = ceiling(engine.peakGflops(), engine.threads);

/** TensorFlow.js through our tfjs backend: its info, or why it is not measured. */
let tfjs: TfjsInfo | string = "skipped (--no-tfjs)";
if (!noTfjs) {
  tfjs = await initTfjs({ flavor: (process.env.MEMPO_TFJS_BACKEND as "wasm") || "wasm" }).catch(
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}
const onTfjs = typeof tfjs !== "string";

const rows: Record<string, unknown>[] = [];
for (const c of selected) {
  const fn = c.setup(backendName);
  const ms = timeMs(fn);
  const tfjsMs = onTfjs ? timeMs(c.setup("tfjs")) : undefined;
  rows.push({ id: c.id, op: c.op, p: c.p, ms, tfjsMs, flops: c.flops, bytes: c.bytes });
}
let refMs: number | undefined;
let refTfjsMs: number | undefined;
let breakdown: { rows: ProfileRow[]; totalMs: number } | null = null;
if (withRef) {
  const step = makeRefStep(backendName);
  refMs = timeMs(step);
  if (profile) breakdown = profileStep(step);
  if (onTfjs) refTfjsMs = timeMs(makeRefStep("tfjs"));
}
const peer = noPeer ? "skipped (--no-peer)" : runPeer(selected, withRef);
const jax: JaxPeer | string = noJax
  ? "skipped (--no-jax)"
  : await runJaxPeer(selected, withRef, { minMs: MIN_TIME * 1e3, minRuns: MIN_RUNS });
// torch's OpenMP pool (2 threads) and OpenBLAS's pthread pool (2 more) oversubscribe 2 cores in the
// reference step; measure it also with single-threaded BLAS and compare against the faster of the two.
const peerBlas1 = noPeer || !withRef ? null : runPeer([], true, { OPENBLAS_NUM_THREADS: "1" });
const load1 = loadavg();
const refTorchBlas2 = typeof peer === "string" ? undefined : peer.ref_step_ms;
const refTorchBlas1 = peerBlas1 && typeof peerBlas1 !== "string" ? peerBlas1.ref_step_ms : undefined;
const refTorch =
  refTorchBlas2 === undefined
    ? refTorchBlas1
    : Math.min(refTorchBlas2, refTorchBlas1 ?? Number.POSITIVE_INFINITY);

console.log(
  `\nkernels on "${backendName}" ${JSON.stringify(backend.info?.() ?? {})}; copy bandwidth ${fmt(bw)} GB/s; ` +
    `load ${fmt(load0[0], 2)} → ${fmt(load1[0], 2)}`,
);
if (refMs !== undefined && typeof peer !== "string") {
  console.log(
    `reference step torch: ${fmt(refTorchBlas2)} ms (OpenBLAS 2 threads), ${fmt(refTorchBlas1)} ms (OpenBLAS 1 thread); ` +
      `ratio uses the faster`,
  );
}
console.log(
  typeof tfjs === "string"
    ? `tfjs: ${tfjs}`
    : `tfjs: TensorFlow.js ${tfjs.version} on its "${tfjs.tfBackend}" backend (our tfjs kernels)`,
);
console.log(
  typeof jax === "string"
    ? `jax-js: ${jax}`
    : `jax-js: @jax-js/jax ${jax.version} on its "${jax.device}" device (jit)${Object.keys(jax.errors).length > 0 ? `; failed: ${JSON.stringify(jax.errors)}` : ""}`,
);
if (typeof peer === "string") console.log(`peer: ${peer}`);
else console.log(`peer: torch ${peer.torch}, ${peer.threads} threads, BLAS ${JSON.stringify(peer.blas)}`);
const head = [
  "case",
  "ms",
  "GFLOP/s",
  "GB/s",
  "% ceiling",
  "tfjs ms",
  "×tfjs",
  "jax ms",
  "×jax",
  "torch ms",
  "×torch",
];
const jaxCase = (id: string) => (typeof jax === "string" ? undefined : jax.cases[id]);
const table: string[][] = [];
for (const r of rows) {
  const ms = r.ms as number;
  const gflops = r.flops ? (r.flops as number) / ms / 1e6 : undefined;
  const gbs = r.bytes ? (r.bytes as number) / ms / 1e6 : undefined;
  const pct = gflops !== undefined ? (100 * gflops) / ceil.wasmGflops : (100 * gbs!) / bw;
  const torchMs = typeof peer === "string" ? undefined : peer.cases[r.id as string];
  const tfjsMs = r.tfjsMs as number | undefined;
  const jaxMs = jaxCase(r.id as string);
  Object.assign(r, { gflops, gbs, pctPeak: pct, torchMs, jaxMs, ratio: torchMs ? ms / torchMs : undefined });
  table.push([
    r.id as string,
    fmt(ms, 3),
    fmt(gflops),
    fmt(gbs),
    fmt(pct),
    fmt(tfjsMs, 3),
    fmt(tfjsMs ? ms / tfjsMs : undefined, 2),
    fmt(jaxMs, 3),
    fmt(jaxMs ? ms / jaxMs : undefined, 2),
    fmt(torchMs, 3),
    fmt(torchMs ? ms / torchMs : undefined, 2),
  ]);
}
const refJax = typeof jax === "string" ? undefined : jax.refStepMs;
if (refMs !== undefined) {
  table.push([
    "reference step (2×pre-LN d256 h4 s128 b8, fwd+bwd)",
    fmt(refMs, 1),
    fmt(refStepFlops() / refMs / 1e6),
    "–",
    fmt((100 * refStepFlops()) / refMs / 1e6 / ceil.wasmGflops),
    fmt(refTfjsMs, 1),
    fmt(refTfjsMs ? refMs / refTfjsMs : undefined, 2),
    fmt(refJax, 1),
    fmt(refJax ? refMs / refJax : undefined, 2),
    fmt(refTorch, 1),
    fmt(refTorch ? refMs / refTorch : undefined, 2),
  ]);
}
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log(line(head));
for (const t of table) console.log(line(t));
console.log(
  `% ceiling: GFLOP/s vs the wasm SIMD128 ceiling measured here (${fmt(ceil.wasmGflops)} GFLOP/s on ${ceil.threads} threads; ` +
    `native ${fmt(ceil.nativeGflops)} at ${ceil.nativeLanes} lanes), or GB/s vs the measured copy bandwidth; ×tfjs, ×jax, ×torch < 1 = ours faster.`,
);

if (breakdown) {
  const inKernels = breakdown.rows.reduce((s, r) => s + r.msPerStep, 0);
  console.log(`\nreference step by kernel (${fmt(breakdown.totalMs)} ms/step while profiled):`);
  for (const r of breakdown.rows) {
    console.log(`  ${r.kernel.padEnd(26)} ${fmt(r.msPerStep, 2).padStart(8)} ms  ${r.callsPerStep} calls`);
  }
  console.log(
    `  ${"other (ops, alloc, tidy)".padEnd(26)} ${fmt(breakdown.totalMs - inKernels, 2).padStart(8)} ms`,
  );
}

const outFile = resultsFile("kernels");
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      bench: "kernels",
      date: new Date().toISOString(),
      machine: machineInfo(),
      loadAverage: { before: load0, after: load1 },
      backend: { name: backendName, info: backend.info?.() ?? null },
      ceiling: { ...ceil, copyBandwidthGBs: bw, memoryBasis: "64 MiB Float32Array.set, read + write bytes" },
      timing: `median of ≥ ${MIN_RUNS} runs and ≥ ${MIN_TIME} s after 2 warm-ups`,
      peer: typeof peer === "string" ? { error: peer } : { ...peer, cases: undefined },
      tfjs: typeof tfjs === "string" ? { error: tfjs } : tfjs,
      jax: typeof jax === "string" ? { error: jax } : { ...jax, cases: undefined },
      quick: QUICK,
      cases: rows,
      referenceStepProfile: breakdown,
      referenceStep:
        refMs === undefined
          ? null
          : {
              config: REF,
              ms: refMs,
              tfjsMs: refTfjsMs,
              jaxMs: refJax,
              torchMs: refTorch,
              flops: refStepFlops(),
            },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${outFile}`);
