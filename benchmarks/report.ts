/**
 * Publishes, then generates docs/benchmarks.md from the committed results JSON (results/<bench>.json).
 * Benches write to the git-ignored results/out/; each file there that is newer than its committed copy
 * is first copied over it (publish.ts: a newer committed result is never replaced by an older local one).
 * The page shows the machine with its CPU flags, versions, dates, load averages, every table and the
 * MemPO experiment's verdicts and plots.
 * The prose is this file's template; every number comes from a results file, so the page is never
 * edited by hand. It is the `bench` turbo task, run after every `bench:<name>` task.
 *
 *   npx tsx benchmarks/report.ts            # results/out/*.json → results/*.json → docs/benchmarks.md
 *   MEMPO_BENCH_QUICK=1 npx tsx benchmarks/report.ts   # results/quick/*.json → results/quick/benchmarks.md (no publishing)
 *
 * A bench whose results file is missing gets a line saying how to produce it. Test: report_test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { outDir, QUICK, RESULTS_DIR } from "./mod.ts";
import { publish } from "./publish.ts";

// biome-ignore lint/suspicious/noExplicitAny: results files are read as plain JSON
type J = any;

const here = import.meta.dirname;

const f = (x: unknown, d = 1) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(d) : "–");
const int = (x: unknown) =>
  typeof x === "number" && Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "–";
const ratio = (a: unknown, b: unknown, d = 2) =>
  typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(d) : "–";

/** A results file's load average as "before → after" (benches record it in three shapes). */
export function loadText(r: J): string {
  const l = r.loadAverage ?? r.loadavg ?? r.loadAverage1m;
  if (typeof l === "number") return f(l, 2);
  if (Array.isArray(l)) return l.map((x: number) => f(x, 2)).join(" → ");
  if (l && Array.isArray(l.before)) return `${f(l.before[0], 2)} → ${f(l.after?.[0], 2)}`;
  return "not recorded";
}

/** One line saying when and where a bench ran. */
export function provenance(name: string, r: J): string {
  const m = r.machine ?? {};
  const flags = Array.isArray(m.flags) && m.flags.length > 0 ? `; CPU flags ${m.flags.join(" ")}` : "";
  return (
    `_\`results/${QUICK ? "quick/" : ""}${name}.json\`: ${String(r.date ?? "").slice(0, 10)}, ${m.cpu ?? "?"} ` +
    `(${m.cores ?? "?"} cores, ${m.memoryGiB ?? "?"} GiB), Node ${m.node ?? "?"} (V8 ${m.v8 ?? "?"}); code ${typeof m.commit === "string" ? m.commit.slice(0, 12) + (m.commit.endsWith("+dirty") ? "+dirty" : "") : "not recorded"}; load average ${loadText(r)}${flags}._`
  );
}

function kernels(r: J): string[] {
  const rows: J[] = r.cases ?? [];
  const jax = r.jax && !r.jax.error ? `@jax-js/jax ${r.jax.version} (${r.jax.device}, jit)` : null;
  const out = [
    `Every wasm kernel (backend \`${r.backend?.name ?? "wasm"}\`, ${r.backend?.info?.threads ?? "?"} threads) next to the same op ` +
      `in TensorFlow.js (${r.tfjs?.version ? `${r.tfjs.version} on its ${r.tfjs.tfBackend} backend, running our kernels as its ops` : (r.tfjs?.error ?? "not run")}), ` +
      `${jax ?? `@jax-js/jax (${r.jax?.error ?? "not run in this results file"})`} and PyTorch ` +
      `(${r.peer?.torch ? `${r.peer.torch}, ${r.peer.threads} threads` : (r.peer?.error ?? "not run")}). ${r.timing ?? ""}. ` +
      `Ceiling: the wasm SIMD128 FMA loop measured on every thread (${f(r.ceiling?.wasmGflops)} GFLOP/s; native ${f(r.ceiling?.nativeGflops, 0)} at ${r.ceiling?.nativeLanes ?? "?"} lanes), ` +
      `and the memory copy bandwidth (${f(r.ceiling?.copyBandwidthGBs)} GB/s). Ratios are our time over the peer's: below 1, ours is faster.`,
    "",
    "| case | ours ms | GFLOP/s or GB/s | % ceiling | tfjs ms | jax-js ms | PyTorch ms | ours / PyTorch |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of rows)
    out.push(
      `| ${c.id} | ${f(c.ms, 3)} | ${c.gflops !== undefined && c.gflops !== null ? `${f(c.gflops)} GFLOP/s` : `${f(c.gbs)} GB/s`} | ${f(c.pctPeak, 0)} | ` +
        `${f(c.tfjsMs, 3)} | ${f(c.jaxMs, 3)} | ${f(c.torchMs, 3)} | ${ratio(c.ms, c.torchMs)} |`,
    );
  const s = r.referenceStep;
  if (s) {
    const gf = s.flops / s.ms / 1e6;
    out.push(
      `| **reference step**: ${s.config.layers}-layer pre-LN stack, d ${s.config.d}, ${s.config.heads} heads, seq ${s.config.seq}, batch ${s.config.batch}, fwd + bwd | ` +
        `**${f(s.ms)}** | ${f(gf)} GFLOP/s | ${f((100 * gf) / (r.ceiling?.wasmGflops ?? Number.NaN), 0)} | ${f(s.tfjsMs)} | ${f(s.jaxMs)} | ${f(s.torchMs)} | **${ratio(s.ms, s.torchMs)}** |`,
    );
  }
  const mm = rows.find((c) => c.id === "matmul 1024³");
  const targets: string[] = [];
  if (mm)
    targets.push(`matmul 1024³ ≥ 60 GFLOP/s: ${mm.gflops >= 60 ? "met" : "not met"} (${f(mm.gflops, 0)})`);
  if (s?.torchMs)
    targets.push(
      `reference step ≤ 1.5× PyTorch's time: ${s.ms / s.torchMs <= 1.5 ? "met" : "not met"} (${ratio(s.ms, s.torchMs)}×)`,
    );
  if (targets.length > 0) out.push("", `Targets: ${targets.join("; ")}.`);
  out.push(
    "",
    "PyTorch's reference step is timed with OpenBLAS at 2 threads and at 1 (torch's own pool and OpenBLAS's " +
      "oversubscribe 2 cores); the ratio uses the faster. Plain matmul trails OpenBLAS where the CPU has AVX-512, " +
      "4× wider than wasm SIMD128. On tfjs-backend-wasm our tfjs kernels run attention per sequence, kv head and " +
      "query block as 2-D products (its batched matMul and tensor slicing are slow; packages/kernels/README.md), and " +
      "its transposes, broadcasts and element-wise ops run single-threaded, which is why a training step on it is " +
      "far slower; jax-js jit-compiles each case (and the reference step as one `vjp`) to its " +
      "own wasm kernels, single-threaded under Node.",
  );
  return out;
}

function model(r: J): string[] {
  const res: J[] = r.results ?? [];
  const jx = res.map((p) => p.jax).find((j) => typeof j === "object" && j);
  const jaxNote = jx
    ? `@jax-js/jax ${jx.version} (${jx.device}, jit: the same model in jax-js, \`peer_jax.ts\`)`
    : `@jax-js/jax (${res.map((p) => p.jax).find((j) => typeof j === "string") ?? "not run in this results file"})`;
  const out = [
    `Training step = forward + backward + AdamW on batch ${r.train?.batch} × ${r.train?.seqLen} tokens; decode = batch ${r.decode?.batch}, ` +
      `${r.decode?.promptLen}-token prompts, ${r.decode?.newTokens} new tokens, greedy, KV cache. PyTorch eager with 2 threads, ` +
      `TensorFlow.js (${r.tfjs?.version ? `${r.tfjs.version}, ${r.tfjs.tfBackend} backend, running our model through packages/kernels/tfjs` : (r.tfjs?.error ?? r.tfjs ?? "not run")}) ` +
      `and ${jaxNote} on the same config, same run.`,
    "",
    "| preset | params | train tok/s ours / tfjs / jax-js / PyTorch | train time ours / PyTorch | decode tok/s ours / tfjs / jax-js / PyTorch | decode time ours / PyTorch |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const p of res) {
    const t = typeof p.tfjs === "object" && p.tfjs ? p.tfjs : {};
    const j = typeof p.jax === "object" && p.jax ? p.jax : {};
    const peer = typeof p.peer === "object" && p.peer ? p.peer : {};
    out.push(
      `| ${p.preset} | ${int(p.params)} | ${int(p.ours?.trainTokensPerS)} / ${int(t.trainTokensPerS)} / ${int(j.trainTokensPerS)} / ${int(peer.trainTokensPerS)} | ` +
        `${ratio(peer.trainTokensPerS, p.ours?.trainTokensPerS)} | ${int(p.ours?.decodeTokensPerS)} / ${int(t.decodeTokensPerS)} / ${int(j.decodeTokensPerS)} / ${int(peer.decodeTokensPerS)} | ` +
        `${ratio(peer.decodeTokensPerS, p.ours?.decodeTokensPerS)} |`,
    );
  }
  out.push(
    "",
    "Targets: training ≤ 1.5× PyTorch's time per token, decode faster than PyTorch eager at batch 64. The jax-js " +
      "peer jit-compiles the training step (`valueAndGrad` + AdamW) and a decode step over a fixed-size KV cache to its " +
      "own wasm kernels, single-threaded under Node; it computes the same losses and greedy tokens as our model on the " +
      "same weights (model/peer_jax_test.ts).",
  );
  return out;
}

function tokenizer(r: J): string[] {
  const out = [
    `GPT-2's ${r.encodeText?.vocabulary ?? "r50k_base"} vocabulary loaded into our BPE, ${f((r.encodeText?.bytes ?? 0) / 2 ** 20)} MB of seeded varied text ` +
      `(${int(r.encodeText?.tokens)} tokens), ids identical to \`gpt-tokenizer\`'s in the same run: ${r.encodeText?.idsIdentical ? "yes" : "no"}.`,
    "",
    "| | ours | gpt-tokenizer | ratio |",
    "|---|---:|---:|---:|",
  ];
  for (const e of r.encode ?? [])
    out.push(
      `| ${e.measurement} | ${f(e.oursTokensPerSecond / 1e6, 2)} M tok/s | ${f(e.gptTokenizerTokensPerSecond / 1e6, 2)} M tok/s | ${f(e.ratio, 2)}× |`,
    );
  out.push(
    "",
    `Training a ${int(r.train?.vocabSize)}-token vocabulary on ${f((r.train?.bytes ?? 0) / 2 ** 20)} MB: ${f(r.train?.seconds, 2)} s (target: under a minute).`,
  );
  return out;
}

function env(r: J): string[] {
  const b = r.bm25 ?? {};
  const w = r.peers?.wink ?? {};
  const o = r.peers?.okapibm25 ?? {};
  return [
    `BM25 over a generated ${int(b.passages)}-passage corpus: index build ${f(b.buildMs / 1e3, 2)} s (target < 30 s), query p50 / p90 / p99 ` +
      `${f(b.queryP50Ms, 2)} / ${f(b.queryP90Ms, 2)} / ${f(b.queryP99Ms, 1)} ms (target p50 < 5 ms), gold passage in the top 3 for ` +
      `${f(100 * b.top3GoldStrict)} % of single-hop questions; HTTP /retrieve round trip p50 ${f(r.http?.p50Ms, 2)} ms. Peers in the same run: ` +
      `\`wink-bm25-text-search\` ${f(w.queryP50Ms)} ms p50 per query (same top-1 on ${f(100 * (w.top1AgreementWithOurs ?? Number.NaN), 0)} % of queries); ` +
      `\`okapibm25\` ${f(o.queryP50Ms)} ms p50 on ${int(o.docs)} passages, where ours takes ${f(o.oursSameDocsP50Ms, 3)} ms.`,
  ];
}

function rollout(r: J): string[] {
  const x = r.results ?? {};
  const out = [
    `Random-weight default model, ${r.setup?.tasks} tasks × G = ${r.setup?.groupSize}, ${r.setup?.maxNewTokens} new tokens per turn.`,
    "",
    "| | rate |",
    "|---|---:|",
    `| all rollouts batched into one generate call per turn vs one call per rollout | ${int(x.generateBatched?.tokensPerS)} vs ${int(x.generatePerRollout?.tokensPerS)} tok/s (${f(x.batchedSpeedup)}×) |`,
  ];
  for (const m of x.scoreMemories ?? [])
    out.push(
      `| memory-reward scoring (${m.name}), prefix-shared vs plain (max abs log-prob diff ${f(m.maxAbsDiff, 6)}) | ${int(m.shared?.tokensPerS)} vs ${int(m.plain?.tokensPerS)} tok/s (${f(m.speedup)}×) |`,
    );
  if (x.learnerStep)
    out.push(
      `| learner step (forward + backward of PPO-clip + k3 KL) | ${int(x.learnerStep.tokensPerS)} tok/s |`,
    );
  return out;
}

function trainer(r: J): string[] {
  const s = r.sft ?? {};
  const rl = r.rl ?? {};
  const phases = (p: J[]) =>
    (p ?? [])
      .slice(0, 6)
      .map((q: J) => `${q.phase} ${f(q.ms / 1e3, 2)} s`)
      .join(", ");
  return [
    `The default trainer model on ${r.run === undefined ? "a generated run" : `\`${r.run}\``}: ${s.steps} SFT steps of ${s.batchSize} turns and ` +
      `${rl.iterations} RL iterations (${rl.tasksPerIteration} tasks × G = ${rl.groupSize}, from ${rl.from === undefined ? "the SFT checkpoint" : `the ${rl.from}`}), phases and kernels from the kernels' Profiler.`,
    "",
    "| | ours | PyTorch eager (same SFT batch shapes) |",
    "|---|---:|---:|",
    `| SFT, packed rows | ${int(s.tokensPerS)} tokens/s | ${int(r.peer?.tokensPerS)} tokens/s |`,
    `| SFT, same batches alternating: padded / packed | ${int(s.paddedTokensPerS)} / ${int(s.packedTokensPerS)} tokens/s | |`,
    `| RL iteration | ${f(rl.msEach / 1e3, 2)} s | |`,
    "",
    `RL phases per iteration (the largest six, self time): ${phases(rl.phases)}. The wasm ceiling in that run was ${f(r.ceiling?.wasmGflops)} GFLOP/s; the SFT step ` +
      `reaches ${f((100 * s.gflops) / (r.ceiling?.wasmGflops ?? Number.NaN), 0)} % of it in the padded batches' model FLOPs.`,
  ];
}

function webgpu(r: J): string[] {
  if (r.unavailable) return [`No WebGPU adapter: ${r.unavailable}.`];
  const out = [
    `Adapter: ${r.adapter?.description ?? "?"} (${r.adapter?.backend ?? "?"}, ${r.adapter?.featureLevel ?? "?"}). ${r.note ?? ""}`,
    "",
    "| case | webgpu GFLOP/s | wasm GFLOP/s | ts GFLOP/s |",
    "|---|---:|---:|---:|",
  ];
  const rows: J[] = r.rows ?? [];
  for (const c of [...new Set(rows.map((x) => x.case))]) {
    const g = (b: string) => rows.find((x) => x.case === c && x.backend === b)?.gflops;
    out.push(`| ${c} | ${f(g("webgpu"), 2)} | ${f(g("wasm"), 1)} | ${f(g("ts"), 2)} |`);
  }
  return out;
}

function mempo(r: J, plotsRel: string): string[] {
  const cells: J[] = r.cells ?? [];
  const main = ["sft", "grpo", "mempo", "react"];
  const out = [
    `Mode \`${r.mode}\`, ${r.seeds?.length} seeds (${r.seeds?.join(", ")}), mempo flags \`${(r.flags ?? []).join(" ")}\`; ` +
      `${f((r.seconds?.total ?? Number.NaN) / 60)} minutes. Per seed one SFT checkpoint, then GRPO (A^M off) and MemPO with the same RL budget, ` +
      "and the trained ReAct baseline (SFT on the teacher's full-history turns without `<mem>`, GRPO with full retention); greedy " +
      "evaluation on held-out tasks. Mean ± std over seeds. The full report, with the retention ablation, the memory " +
      `probabilities and sample episodes: [report.md](${plotsRel}/report.md).`,
    "",
    ...(r.verdicts ?? []).map((v: J) => `- **N = ${v.n}.** ${v.text}`),
    "",
    "| N | agent | F1 | EM | TT | PT | TT o200k | PT o200k |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  const pm = (s: J, d = 1) => (s ? `${f(s.mean, d)} ± ${f(s.std, d)}` : "–");
  for (const c of cells.filter((x) => main.includes(x.agent)))
    out.push(
      `| ${c.n} | \`${c.agent}\` | ${pm(c.f1)} | ${pm(c.em)} | ${pm(c.tt, 0)} | ${pm(c.pt, 0)} | ${pm(c.ttO200k, 0)} | ${pm(c.ptO200k, 0)} |`,
    );
  out.push("");
  for (const p of r.plots ?? []) out.push(`![${p}](${plotsRel}/${p}.svg)`, "");
  return out;
}

const SECTIONS: [string, string, (r: J) => string[]][] = [
  ["mempo", "The MemPO experiment (`benchmarks/mempo`)", (r) => mempo(r, "mempo")],
  ["kernels", "Kernels (`benchmarks/kernels`)", kernels],
  ["trainer", "Trainer profile (`benchmarks/trainer`)", trainer],
  ["model", "Model (`benchmarks/model`)", model],
  ["tokenizer", "Tokenizer (`benchmarks/tokenizer`)", tokenizer],
  ["env", "Environment (`benchmarks/env`)", env],
  ["rollout", "Rollout (`benchmarks/rollout`)", rollout],
  ["webgpu", "WebGPU (`benchmarks/webgpu`)", webgpu],
];

/** The page, from the results folder `dir`; plots are linked relative to `pageDir`. */
export function benchmarksPage(dir: string, pageDir: string): string {
  const out = [
    "# Benchmarks",
    "",
    "<!-- Generated by benchmarks/report.ts from benchmarks/results/*.json (the `bench` turbo task); do not edit by hand. -->",
    "",
    "Every bench runs its peers in the same run, on the same data, and records JSON in `benchmarks/results/<bench>.json` " +
      "(machine with its CPU flags, versions, date, load average before/after, config, every sample). Each bench is a turbo " +
      "task (`bench:<name>`) whose inputs are its own folder and the packages it measures, and whose output is its results " +
      "file in the git-ignored `results/out/`: `npx turbo run bench` reruns only the benches whose code changed, then " +
      "publishes each newer `results/out/<bench>.json` to `results/<bench>.json` and generates this page from those. " +
      "`MEMPO_BENCH_QUICK=1` runs every bench at quick sizes into `results/quick/` (and this page into `results/quick/benchmarks.md`). " +
      "PyTorch peers use Debian's `python3-torch` (`benchmarks/setup-peers.sh`); tfjs and @jax-js/jax install with npm.",
    "",
    "The CPU is small and may be shared: a second job halves any figure, which is why every results file records its load average.",
    "",
  ];
  for (const [name, title, section] of SECTIONS) {
    // the MemPO experiment: the full run's results, else the medium run's
    const file =
      [name, ...(name === "mempo" ? ["mempo-medium"] : [])]
        .map((n) => join(dir, `${n}.json`))
        .find((p) => existsSync(p)) ?? join(dir, `${name}.json`);
    const stem = file.slice(dir.length + 1, -".json".length);
    out.push(`## ${title}`, "");
    if (!existsSync(file)) {
      out.push(
        `No results yet: run \`npx turbo run bench:${name}\` (or \`npx tsx benchmarks/${name}/main.ts\`).`,
        "",
      );
      continue;
    }
    const r = JSON.parse(readFileSync(file, "utf8"));
    const body = name === "mempo" ? mempo(r, relative(pageDir, join(dir, stem))) : section(r);
    out.push(provenance(stem, r), "", ...body, "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = QUICK ? outDir(true) : RESULTS_DIR;
  if (!QUICK)
    for (const p of publish(outDir(false), RESULTS_DIR))
      if (p.action !== "same")
        console.log(
          `results/out/${p.name}.json: ${
            p.action === "published"
              ? `published to results/${p.name}.json`
              : p.action === "kept"
                ? `older than the committed results/${p.name}.json, not published`
                : "records no date, not published"
          }`,
        );
  const page = QUICK ? join(dir, "benchmarks.md") : join(here, "..", "docs", "benchmarks.md");
  writeFileSync(page, benchmarksPage(dir, join(page, "..")));
  console.log(`wrote ${relative(process.cwd(), page)}`);
}
