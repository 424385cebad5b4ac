/**
 * WebGPU bench: matmul (256…1024, square) and causal attention (the kernel spec's shapes plus one
 * training-size shape) on the "webgpu" backend next to "wasm" and "ts" in the same run, in GFLOP/s.
 * Prints a table and writes results/out/webgpu.json.
 *
 * Run: `npx tsx benchmarks/webgpu/main.ts [--no-ts]`
 * On a machine without a GPU, Dawn runs on Mesa's llvmpipe: a CPU rasteriser that JIT-compiles the
 * WGSL (via GLSL) to SIMD code over all cores. Those numbers measure the WGSL kernels on a CPU, not a
 * GPU: expect a fraction of the wasm SIMD kernels, and far below a real GPU. The adapter description
 * is recorded with the results. webgpu times include one submit + read-back round trip per batch of
 * calls (amortised over the batch). FLOPs: matmul 2·M·N·K; attention forward 2·B·H·T(T+1)·Dh (QKᵀ and
 * PV over the causal half), forward+backward 3.5× that (7 half-size products). The CPU may be shared:
 * the load average is recorded.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import {
  attention,
  attentionBackward,
  dispose,
  listBackends,
  matmul,
  randn,
  type Tensor,
  tidy,
} from "@mempo/kernels";
import { initWebGPU, webgpuSync } from "@mempo/kernels/webgpu";
import { machineInfo, median, QUICK, resultsFile } from "../mod.ts";

const args = process.argv.slice(2);
const MIN_TIME_MS = QUICK ? 100 : 400;
const MIN_RUNS = QUICK ? 2 : 3;
/** ts is a plain-loop reference: only sizes it finishes in about a second are run. */
const TS_MAX_GFLOP = 0.3;

interface Row {
  case: string;
  backend: string;
  gflop: number;
  ms: number | null;
  gflops: number | null;
  note?: string;
}

/** Median ms per call: batches of calls, each closed by `sync` (webgpu: a read-back round trip). */
async function timeMs(fn: () => void, sync: () => Promise<void>): Promise<number> {
  fn();
  await sync();
  const t0 = performance.now();
  fn();
  await sync();
  const once = performance.now() - t0;
  const batch = Math.max(1, Math.min(20, Math.floor(50 / Math.max(once, 0.01))));
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < MIN_RUNS || performance.now() - start < MIN_TIME_MS) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    await sync();
    ts.push((performance.now() - t) / batch);
    if (ts.length >= 50) break;
  }
  return median(ts);
}

interface Case {
  id: string;
  gflop: number;
  make: (backend: string) => { run: () => void; dispose: () => void };
}

function matmulCase(n: number): Case {
  return {
    id: `matmul ${n}³`,
    gflop: (2 * n ** 3) / 1e9,
    make: (backend) => {
      const a = randn([n, n], { seed: 1, backend });
      const b = randn([n, n], { seed: 2, backend });
      return { run: () => tidy(() => void matmul(a, b)), dispose: () => dispose([a, b]) };
    },
  };
}

function attentionCase(B: number, T: number, H: number, Hkv: number, Dh: number, bwd: boolean): Case {
  const fwd = (2 * B * H * T * (T + 1) * Dh) / 1e9;
  return {
    id: `attention${bwd ? " fwd+bwd" : ""} B${B} T${T} H${H}/${Hkv} Dh${Dh}`,
    gflop: bwd ? 3.5 * fwd : fwd,
    make: (backend) => {
      const ts: Tensor[] = [
        randn([B, T, H, Dh], { seed: 1, backend }),
        randn([B, T, Hkv, Dh], { seed: 2, backend }),
        randn([B, T, Hkv, Dh], { seed: 3, backend }),
        randn([B, T, H, Dh], { seed: 4, backend }),
      ];
      const [q, k, v, d] = ts as [Tensor, Tensor, Tensor, Tensor];
      const run = () =>
        tidy(() => {
          const f = attention(q, k, v);
          if (bwd) attentionBackward(d, q, k, v, f.out, f.lse);
        });
      return { run, dispose: () => dispose(ts) };
    },
  };
}

const cases: Case[] = [
  ...(QUICK ? [256, 512] : [256, 512, 768, 1024]).map(matmulCase),
  ...[
    [2, 33, 6, 2, 16],
    [1, 129, 2, 1, 32],
    [8, 128, 4, 4, 64],
  ].flatMap(([B, T, H, Hkv, Dh]) => [false, true].map((bwd) => attentionCase(B!, T!, H!, Hkv!, Dh!, bwd))),
];

const load0 = loadavg();
let info: Awaited<ReturnType<typeof initWebGPU>> | null = null;
let unavailable: string | null = null;
try {
  info = await initWebGPU();
} catch (e) {
  unavailable = e instanceof Error ? e.message : String(e);
  console.warn(`webgpu unavailable: ${unavailable}`);
}
const backends = ["webgpu", "wasm", "ts"].filter(
  (b) => listBackends().includes(b) && !(b === "ts" && args.includes("--no-ts")),
);
const rows: Row[] = [];
for (const c of cases) {
  for (const backend of backends) {
    if (backend === "ts" && c.gflop > TS_MAX_GFLOP) {
      rows.push({ case: c.id, backend, gflop: c.gflop, ms: null, gflops: null, note: "skipped (too slow)" });
      continue;
    }
    const { run, dispose } = c.make(backend);
    const sync = backend === "webgpu" ? webgpuSync : async () => {};
    const ms = await timeMs(run, sync);
    dispose();
    rows.push({ case: c.id, backend, gflop: c.gflop, ms, gflops: c.gflop / (ms / 1e3) });
  }
}
const load1 = loadavg();

const fmt = (x: number | null, d = 1) => (x === null ? "–" : x.toFixed(d));
console.log(
  `\nwebgpu adapter: ${info ? `${info.backend} (${info.featureLevel}) ${info.description}` : unavailable}`,
);
console.log(
  `${"case".padEnd(40)} ${backends.map((b) => `${b} GFLOP/s (ms)`.padStart(22)).join(" ")}  webgpu/wasm`,
);
for (const c of cases) {
  const cells = backends.map((b) => {
    const r = rows.find((x) => x.case === c.id && x.backend === b)!;
    return `${fmt(r.gflops, 2)} (${fmt(r.ms, 2)})`.padStart(22);
  });
  const g = rows.find((x) => x.case === c.id && x.backend === "webgpu")?.gflops;
  const w = rows.find((x) => x.case === c.id && x.backend === "wasm")?.gflops;
  console.log(`${c.id.padEnd(40)} ${cells.join(" ")}  ${g && w ? `${(g / w).toFixed(2)}×` : "–"}`);
}
console.log(`load average before/after: ${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)}`);

const outFile = resultsFile("webgpu");
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      bench: "webgpu",
      quick: QUICK,
      date: new Date().toISOString(),
      machine: machineInfo(),
      adapter: info,
      unavailable,
      note: "On a GPU-less machine the webgpu adapter is Mesa llvmpipe (a CPU renderer), not a GPU.",
      loadavg: { before: load0, after: load1 },
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${outFile}`);
process.exit(0);
