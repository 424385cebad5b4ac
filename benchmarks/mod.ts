/**
 * @module @mempo/benchmarks — shared helpers for the benches: machine facts and result records.
 *
 * Each bench lives in its own folder (`kernels/`, `tokenizer/`, …), prints a table and writes
 * `results/<bench>.json`. Run all with `npm run bench` (turbo, never cached) or one with
 * `npx tsx benchmarks/<bench>/main.ts`.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  /** The CPU's vector/FMA flags (from /proc/cpuinfo): what bounds native peers and the wasm engine. */
  flags: string[];
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
  };
}

/** Median of a non-empty sample (seconds, tokens/s, …). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median: empty sample; run the measured function at least once");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
