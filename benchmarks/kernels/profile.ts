/**
 * Per-kernel time breakdown of the reference step (main.ts --profile), from the kernels' Profiler: a
 * few steps after a warm-up one, ms per step for every kernel. What is not inside a kernel (op
 * validation, allocation and zeroing of outputs, tidy) is "other".
 */
import { Profiler } from "@mempo/kernels";

export interface ProfileRow {
  kernel: string;
  msPerStep: number;
  callsPerStep: number;
}

/** Times `steps` calls of `step` under a Profiler; returns rows sorted by time and the ms per step. */
export function profileStep(step: () => void, steps = 5): { rows: ProfileRow[]; totalMs: number } {
  step();
  const prof = new Profiler().start();
  for (let i = 0; i < steps; i++) step();
  const r = prof.stop();
  const rows = r.kernels.map((k) => ({
    kernel: k.kernel,
    msPerStep: k.ms / steps,
    callsPerStep: k.calls / steps,
  }));
  return { rows, totalMs: r.totalMs / steps };
}
