/**
 * @module @mempo/benchmarks — shared helpers for the benches: machine facts and result records.
 *
 * Each bench lives in its own folder (`kernels/`, `tokenizer/`, …), prints a table and writes
 * `results/<bench>.json`. Run all with `npm run bench` (turbo, never cached) or one with
 * `npx tsx benchmarks/<bench>/main.ts`.
 */
import { cpus, totalmem } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
  };
}

/** Median of a non-empty sample (seconds, tokens/s, …). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median: empty sample; run the measured function at least once");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
