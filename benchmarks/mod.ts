/**
 * @module @mempo/benchmarks — shared helpers for the benches: machine facts and result records.
 *
 * Each bench lives in its own folder (`kernels/`, `tokenizer/`, …), prints a table and writes
 * `results/out/<bench>.json` (git-ignored; report.ts publishes it to the committed `results/<bench>.json`).
 * Run all with `npm run bench` (turbo: `bench:<name>` per bench, cached on the code it measures;
 * README.md) or one with `npx tsx benchmarks/<bench>/main.ts`, then `npx tsx benchmarks/report.ts`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  /** The CPU's vector/FMA flags (from /proc/cpuinfo): what bounds native peers and the wasm engine. */
  flags: string[];
  /**
   * The git commit measured ("+dirty" when tracked files differ from it; "unknown" outside a git
   * checkout). A turbo cache hit keeps the commit of the run that made the result: the code the bench
   * measures is the same as long as its inputs are.
   */
  commit: string;
}

/** HEAD's commit (with "+dirty" for uncommitted changes to tracked files), or "unknown". */
export function gitCommit(cwd = import.meta.dirname): string {
  const git = (...a: string[]) => spawnSync("git", a, { cwd, encoding: "utf8" });
  const head = git("rev-parse", "HEAD");
  if (head.status !== 0 || !head.stdout) return "unknown";
  const dirty = git("status", "--porcelain", "--untracked-files=no").stdout?.trim();
  return head.stdout.trim() + (dirty ? "+dirty" : "");
}

/** The SIMD-relevant flags of the first CPU in /proc/cpuinfo (sse*, avx*, fma, …); [] where unreadable. */
export function cpuFlags(): string[] {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    const all = line?.split(":")[1]?.trim().split(/\s+/) ?? [];
    return all.filter((f) => /^(sse|ssse|avx|fma|f16c|amx|neon|asimd|sve)/.test(f));
  } catch {
    return [];
  }
}

/**
 * The fp32 ceilings of this machine, measured rather than assumed: the wasm SIMD128 ceiling is an FMA
 * loop on every engine thread (WasmEngine.peakGflops); the clock it implies (two FMA ports, four
 * lanes, two flops per FMA, per thread) times the widest vector the CPU flags offer (AVX-512: 16
 * lanes, AVX2/FMA: 8, else 4) gives the native ceiling a BLAS peer could reach on the same threads.
 */
export interface Ceiling {
  threads: number;
  wasmGflops: number;
  /** Implied clock (GHz) from the wasm loop. */
  ghz: number;
  nativeLanes: number;
  nativeGflops: number;
  basis: string;
}

export function ceiling(wasmGflops: number, threads: number, flags: readonly string[] = cpuFlags()): Ceiling {
  const ghz = wasmGflops / (threads * 2 * 4 * 2);
  const nativeLanes = flags.includes("avx512f")
    ? 16
    : flags.includes("avx2") && flags.includes("fma")
      ? 8
      : 4;
  return {
    threads,
    wasmGflops,
    ghz,
    nativeLanes,
    nativeGflops: ghz * threads * 2 * nativeLanes * 2,
    basis:
      `wasm: measured FMA loop on ${threads} threads; native: the implied ${ghz.toFixed(2)} GHz × ${threads} threads × ` +
      `2 FMA ports × ${nativeLanes} lanes × 2 flops (${nativeLanes === 16 ? "AVX-512" : nativeLanes === 8 ? "AVX2 + FMA" : "SSE"})`,
  };
}

/** A python3 that imports torch (MEMPO_PYTHON, /usr/bin/python3, python3 on PATH), or null. */
export function findPython(): string | null {
  for (const py of [process.env.MEMPO_PYTHON, "/usr/bin/python3", "python3"]) {
    if (!py) continue;
    if (spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0) return py;
  }
  return null;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    flags: cpuFlags(),
    commit: gitCommit(),
  };
}

/** Median of a non-empty sample (seconds, tokens/s, …). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median: empty sample; run the measured function at least once");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Quick mode (`MEMPO_BENCH_QUICK=1`, what `npx turbo run bench` is demonstrated and tested with): each
 * bench at sizes that run in seconds to a few minutes, its results under results/quick/ so the recorded
 * full-size results stay as they are. Part of each bench task's turbo hash (turbo.json `env`).
 */
export const QUICK = process.env.MEMPO_BENCH_QUICK === "1";

/** The committed results: results/<bench>.json, what docs/benchmarks.md is generated from. */
export const RESULTS_DIR = join(import.meta.dirname, "results");

/**
 * Where benches write: results/out/ at full size, results/quick/ in quick mode; both git-ignored, so a
 * bench task's turbo outputs are never among its inputs (turbo hashes tracked files matching `outputs`).
 * report.ts publishes each results/out/ file that is newer than its committed copy to results/.
 */
export function outDir(quick = QUICK): string {
  return join(RESULTS_DIR, quick ? "quick" : "out");
}

/** The results JSON a bench writes: results/out/<name>.json, or results/quick/<name>.json in quick mode (folder made). */
export function resultsFile(name: string, quick = QUICK): string {
  const dir = outDir(quick);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.json`);
}
