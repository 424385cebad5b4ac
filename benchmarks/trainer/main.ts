/**
 * Trainer bench: where the default `mempo train` spends its time. Profiles SFT steps and RL iterations
 * of the default trainer model on real teacher data with the kernels' `Profiler` (time per phase —
 * forward, backward, optimizer, prefill, decode, search, memory scoring, reference scoring, loss,
 * advantages — and per kernel, host work = phase time outside kernels, padding waste), and runs the
 * PyTorch eager peer on the same model and the same SFT batch shapes in the same run. Writes
 * results/out/trainer.json.
 *
 * Run: `npx tsx benchmarks/trainer/main.ts [--run DIR] [--sft-steps 24] [--rl-iterations 3] [--no-peer]`
 *   --run DIR  a finished run (data, tokenizer, sft/): RL then starts from its trained SFT model, so
 *              rollouts have the lengths of a real run. Without it, a small run is generated in a
 *              temporary directory (default model and tokenizer, fewer tasks) and RL starts from the
 *              pre-trained base, whose rollouts are not those of a trained agent (longer, more
 *              format failures): use it for SFT numbers, and --run for RL numbers.
 * The wasm ceiling (measured FMA loop on every thread) and the CPU flags are recorded with the results.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "@mempo/env";
import { type ProfileReport, Profiler, setBackend } from "@mempo/kernels";
import { getEngine } from "@mempo/kernels/wasm";
import { AdamW, Model, type ModelConfig, type SeqItem, sftStep } from "@mempo/model";
import { loadModel } from "@mempo/model/node";
import {
  baseDir,
  dataStage,
  lengthBatches,
  loadData,
  loadTokenizer,
  modelConfig,
  openRun,
  resolveConfig,
  rlStage,
  saveRunCheckpoint,
  teacherData,
  tokenizerStage,
} from "@mempo/trainer";
import { ceiling, findPython, machineInfo, QUICK, resultsFile } from "../mod.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const runDir = opt("run", "");
const SFT_STEPS = Number(opt("sft-steps", QUICK ? "4" : "24"));
const RL_ITERS = Number(opt("rl-iterations", QUICK ? "1" : "3"));
const noPeer = args.includes("--no-peer");
const here = import.meta.dirname;

/** Training FLOPs of one SFT batch: 6 × (matmul weights) per position + head on response rows + attention. */
function sftFlops(c: ModelConfig, items: readonly SeqItem[]): number {
  const hd = c.dModel / c.nHeads;
  const perTok = c.nLayers * (c.dModel * hd * (2 * c.nHeads + 2 * c.nKvHeads) + 3 * c.dModel * c.dFf);
  let f = 0;
  for (const it of items) {
    const T = it.promptIds.length + it.responseIds.length - 1;
    f += 6 * perTok * T + 6 * c.dModel * c.vocabSize * it.responseIds.length;
    f += c.nLayers * c.nHeads * 3 * 2 * T * T * hd; // causal QKᵀ and PV: fwd 2·T²·hd, bwd ×2
  }
  return f;
}

function table(rep: ProfileReport, per: number, title: string) {
  console.log(`\n${title}: ${(rep.totalMs / per).toFixed(1)} ms each`);
  console.log(
    `${"phase".padEnd(20)} ${"ms".padStart(9)} ${"%".padStart(6)} ${"kernel ms".padStart(10)} ${"host ms".padStart(9)}`,
  );
  for (const p of rep.phases) {
    const top = p.kernels
      .slice(0, 3)
      .map((k) => `${k.kernel} ${(k.ms / per).toFixed(0)}`)
      .join(", ");
    console.log(
      `${p.phase.padEnd(20)} ${(p.ms / per).toFixed(1).padStart(9)} ${((100 * p.ms) / rep.totalMs).toFixed(1).padStart(6)} ${(p.kernelMs / per).toFixed(1).padStart(10)} ${(p.hostMs / per).toFixed(1).padStart(9)}  ${top}`,
    );
  }
  console.log(`${"kernel".padEnd(28)} ${"ms".padStart(9)} ${"calls".padStart(7)}`);
  for (const k of rep.kernels.slice(0, 14))
    console.log(
      `${k.kernel.padEnd(28)} ${(k.ms / per).toFixed(1).padStart(9)} ${(k.calls / per).toFixed(0).padStart(7)}`,
    );
}

const perRow = (rep: ProfileReport, per: number) => ({
  msEach: rep.totalMs / per,
  phases: rep.phases.map((p) => ({
    phase: p.phase,
    ms: p.ms / per,
    kernelMs: p.kernelMs / per,
    hostMs: p.hostMs / per,
    calls: p.calls / per,
    kernels: p.kernels.map((k) => ({ kernel: k.kernel, ms: k.ms / per, calls: k.calls / per })),
  })),
  kernels: rep.kernels.map((k) => ({ kernel: k.kernel, ms: k.ms / per, calls: k.calls / per })),
});

// 1. A run directory: the user's, copied (RL writes checkpoints), or a small generated one.
const work = mkdtempSync(join(tmpdir(), "mempo-bench-trainer-"));
let flags: Record<string, unknown> = { out: work };
if (runDir !== "") {
  for (const f of ["config.json", "corpus.jsonl", "qa.jsonl", "index.bin", "tasks.json", "tokenizer.json"])
    cpSync(join(runDir, f), join(work, f));
  for (const f of ["eval_corpus.jsonl", "eval_qa.jsonl", "eval_index.bin"])
    if (existsSync(join(runDir, f))) cpSync(join(runDir, f), join(work, f));
  cpSync(join(runDir, "sft"), join(work, "sft"), { recursive: true });
} else {
  flags = { ...flags, data: { entities: 1500, trainTasks: 240, evalTasks: 4 } };
}
const saved = runDir !== "" ? JSON.parse(readFileSync(join(work, "config.json"), "utf8")) : {};
const config = resolveConfig(flags, saved);
setBackend(config.backend);
const run = openRun(config, () => {});
const data = runDir !== "" ? await loadData(run) : await dataStage(run);
const tok = runDir !== "" ? loadTokenizer(run) : await tokenizerStage(run, data);
const backend = config.backend;
const threads = backend === "wasm" ? getEngine().threads : 1;

// 2. SFT: the default batches (length-bucketed teacher turns), profiled.
data.train = data.train.slice(0, 240);
const td = await teacherData(run, data, tok);
const base = baseDir(config.model.base);
const model =
  runDir !== ""
    ? await loadModel(join(work, "sft"), { backend })
    : base !== null
      ? await loadModel(base, { backend })
      : Model.init(modelConfig(config.model, tok.vocabSize), { seed: 1, backend });
const modelCfg: ModelConfig = model.config;
const batches = lengthBatches(td.items, config.sft.batchSize, new Rng("bench/sft"));
const adam = new AdamW(model, { lr: 1e-4, totalSteps: 1000 });
for (let s = 0; s < 2; s++) {
  await sftStep(model, batches[s]!);
  adam.step();
}
const steps = Math.min(SFT_STEPS, batches.length - 2);
const used = batches.slice(2, 2 + steps);
let positions = 0;
let padded = 0;
for (const b of used) {
  const lens = b.map((x) => x.promptIds.length + x.responseIds.length - 1);
  positions += lens.reduce((s, x) => s + x, 0);
  padded += b.length * Math.max(...lens);
}
const flops = used.reduce((s, b) => s + sftFlops(model.config, b), 0);
// The same batches without packed rows (one right-padded row per turn), alternating with the
// default so both see the same machine state: the speed-up of packing, measured in this run.
let paddedMs = 0;
let packedMs = 0;
for (const b of used) {
  let t = performance.now();
  await sftStep(model, b, 1, { sharePrefix: false });
  adam.step();
  paddedMs += performance.now() - t;
  t = performance.now();
  await sftStep(model, b);
  adam.step();
  packedMs += performance.now() - t;
}
const sftProf = new Profiler().start();
for (const b of used) {
  await sftStep(model, b);
  adam.step();
}
const sftRep = sftProf.stop();
adam.dispose();
const sft = {
  steps,
  batchSize: config.sft.batchSize,
  tokensPerS: positions / (sftRep.totalMs / 1000),
  /** Same batches, alternating in this run: padded rows vs packed rows (the default). */
  paddedTokensPerS: positions / (paddedMs / 1000),
  packedTokensPerS: positions / (packedMs / 1000),
  paddingFraction: 1 - positions / padded,
  gflops: flops / (sftRep.totalMs / 1000) / 1e9,
  ...perRow(sftRep, steps),
};
table(
  sftRep,
  steps,
  `SFT step (batch ${config.sft.batchSize} turns, ${(positions / steps).toFixed(0)} positions)`,
);
console.log(
  `SFT, alternating on the same batches: padded rows ${sft.paddedTokensPerS.toFixed(0)} tokens/s, packed rows ${sft.packedTokensPerS.toFixed(0)} (×${(sft.packedTokensPerS / sft.paddedTokensPerS).toFixed(2)})`,
);
console.log(
  `SFT: ${sft.tokensPerS.toFixed(0)} tokens/s, ${sft.gflops.toFixed(1)} GFLOP/s (model FLOPs), padding ${(100 * sft.paddingFraction).toFixed(1)} %`,
);

// 3. RL: `--rl-iterations` iterations of the RL stage from the sft/ checkpoint (written here without
//    --run); skipped with --rl-iterations 0.
async function profileRl() {
  run.config.rl.iterations = RL_ITERS;
  run.config.rl.saveEvery = 0;
  const prof = new Profiler().start();
  (await rlStage(run, data, tok, { resume: null })).dispose();
  const rep = prof.stop();
  const skip = new Set(["load", "checkpoint"]);
  const iter: ProfileReport = {
    totalMs: rep.totalMs - rep.phases.filter((p) => skip.has(p.phase)).reduce((s, p) => s + p.ms, 0),
    phases: rep.phases.filter((p) => !skip.has(p.phase)),
    kernels: rep.kernels,
  };
  table(
    iter,
    RL_ITERS,
    `RL iteration (${config.rl.tasksPerIteration} tasks × G = ${config.rl.groupSize}; load/checkpoint excluded)`,
  );
  const metrics = readFileSync(run.path("metrics"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, number | string>)
    .filter((m) => m.stage === "rl");
  return {
    iterations: RL_ITERS,
    from:
      runDir !== "" ? "trained sft/ checkpoint" : "pre-trained base (rollouts not those of a trained agent)",
    tasksPerIteration: config.rl.tasksPerIteration,
    groupSize: config.rl.groupSize,
    meanTurns: metrics.reduce((s, m) => s + Number(m.turns), 0) / metrics.length,
    ...perRow(iter, RL_ITERS),
  };
}
if (runDir === "" && RL_ITERS > 0)
  await saveRunCheckpoint(run, run.path("sft"), model, { stage: "sft", step: 0 });
model.dispose();
const rl = RL_ITERS > 0 ? await profileRl() : null;

// 4. The PyTorch eager peer on the same model and SFT batch shapes.
let peer: Record<string, unknown> | null = null;
const py = noPeer ? null : findPython();
if (py) {
  const shapes = used.map((b) => [
    b.length,
    Math.max(...b.map((x) => x.promptIds.length + x.responseIds.length - 1)),
    b.reduce((s, x) => s + x.responseIds.length, 0),
  ]);
  const input = JSON.stringify({ config: modelCfg, threads, sft: { shapes } });
  const r = spawnSync(py, [join(here, "..", "model", "peer_torch.py"), input], { encoding: "utf8" });
  if (r.status === 0) {
    const o = JSON.parse(r.stdout) as { sftS: number; torch: string; threads: number };
    peer = { ...o, tokensPerS: positions / o.sftS };
    console.log(
      `\nPyTorch ${o.torch} eager (${o.threads} threads), same model and batch shapes: ${(positions / o.sftS).toFixed(0)} tokens/s → ours ×${(sft.tokensPerS / (positions / o.sftS)).toFixed(2)}`,
    );
  } else console.log(`peer failed: ${r.stderr.slice(-400)}`);
} else
  console.log(
    `\nPyTorch peer skipped (${noPeer ? "--no-peer" : "no python3 with torch; bash benchmarks/setup-peers.sh"})`,
  );

// 5. Results.
const ceil = ceiling(getEngine().peakGflops(), getEngine().threads);
console.log(
  `\nwasm SIMD128 ceiling (measured FMA loop, ${ceil.threads} threads): ${ceil.wasmGflops.toFixed(1)} GFLOP/s; SFT reaches ${((100 * sft.gflops) / ceil.wasmGflops).toFixed(0)} % of it (model FLOPs of the padded batches; native ceiling ${ceil.nativeGflops.toFixed(0)})`,
);
writeFileSync(
  resultsFile("trainer"),
  `${JSON.stringify(
    {
      bench: "trainer",
      quick: QUICK,
      date: new Date().toISOString(),
      machine: machineInfo(),
      loadAverage: loadavg()[0],
      backend,
      threads,
      ceiling: ceil,
      run: runDir !== "" ? runDir : "generated (1,500 entities, 240 training tasks)",
      sft,
      rl,
      peer,
    },
    null,
    2,
  )}\n`,
);
rmSync(work, { recursive: true, force: true });
process.exit(0);
