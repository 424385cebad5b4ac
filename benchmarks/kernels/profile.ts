/**
 * Per-kernel time breakdown of the reference step (main.ts --profile): wraps every registered kernel
 * of the backend (its own or the fallback's) with a timer, runs a few steps and reports ms per step.
 * What is not inside a kernel (op validation, allocation and zeroing of outputs, tidy) is "other".
 */
import { getKernel, type KernelName, listKernels, registerKernel } from "@mempo/kernels";

export interface ProfileRow {
  kernel: string;
  msPerStep: number;
  callsPerStep: number;
}

/** Times `steps` calls of `step` with every kernel wrapped; returns rows sorted by time and the total. */
export function profileStep(
  backend: string,
  step: () => void,
  steps = 5,
): { rows: ProfileRow[]; totalMs: number } {
  const names = [...new Set(listKernels().map((k) => k.kernelName))] as KernelName[];
  const acc = new Map<string, { n: number; ms: number }>();
  const originals = names.map((n) => [n, getKernel(n, backend)] as const);
  for (const [n, fn] of originals) {
    const f = fn as (a: unknown) => void;
    const timed = (a: unknown) => {
      const t = performance.now();
      f(a);
      const r = acc.get(n) ?? { n: 0, ms: 0 };
      r.n++;
      r.ms += performance.now() - t;
      acc.set(n, r);
    };
    registerKernel({ kernelName: n, backendName: backend, fn: timed as never });
  }
  step();
  acc.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const totalMs = (performance.now() - t0) / steps;
  // Restore: re-register the originals exactly where they were found (own kernels only).
  for (const [n, fn] of originals) registerKernel({ kernelName: n, backendName: backend, fn: fn as never });
  const rows = [...acc].map(([kernel, v]) => ({
    kernel,
    msPerStep: v.ms / steps,
    callsPerStep: v.n / steps,
  }));
  rows.sort((a, b) => b.msPerStep - a.msPerStep);
  return { rows, totalMs };
}
