/**
 * A phase-and-kernel profiler: where a training step spends its time. Code marks its phases with
 * `phase("generate", () => …)` (sync or async; nested phases count toward the innermost one), and
 * while a `Profiler` is started every kernel call is timed too (ops/check.ts `run`). With no profiler
 * started, `phase` is a plain call and kernels are not wrapped.
 *
 *   const prof = new Profiler().start();
 *   await sftStep(model, batch); opt.step();
 *   const r = prof.stop();   // r.phases: self ms per phase (and the kernel ms inside it); r.kernels
 *
 * Phase times are self times (a nested phase's time is not counted in its parent), so they add up
 * to the wall time between `start` and `stop` ("(none)" = outside every phase). A phase's `hostMs` is
 * its self time minus the kernels run inside it: validation, allocation, packing, JS work.
 *
 * Test: packages/kernels/spec/profile_test.ts.
 */

/** Time spent in one phase (self time: nested phases excluded). */
export interface PhaseRow {
  phase: string;
  ms: number;
  calls: number;
  /** Kernel time inside the phase (self part). */
  kernelMs: number;
  /** ms − kernelMs: host work (op checks, allocation, packing, JS). */
  hostMs: number;
  /** The kernels run inside the phase (self part), largest first. */
  kernels: KernelRow[];
}

/** Time spent in one kernel (all phases). */
export interface KernelRow {
  kernel: string;
  ms: number;
  calls: number;
}

export interface ProfileReport {
  /** Wall time between start and stop. */
  totalMs: number;
  /** Sorted by self time, largest first; they add up to totalMs. */
  phases: PhaseRow[];
  /** Sorted by time, largest first. */
  kernels: KernelRow[];
}

interface Frame {
  name: string;
  start: number;
  /** Time of nested phases (subtracted from this one's self time). */
  child: number;
}

interface Tally {
  ms: number;
  calls: number;
}

let active: Profiler | null = null;

/** The started profiler, if any (kernel dispatch asks). */
export function activeProfiler(): Profiler | null {
  return active;
}

const sorted = (m: Map<string, Tally>): KernelRow[] =>
  [...m].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);

export class Profiler {
  /** Self time per phase. */
  readonly #phases = new Map<string, Tally>();
  /** Kernel time per phase and kernel (every other kernel figure is a sum of these). */
  readonly #inPhase = new Map<string, Map<string, Tally>>();
  #stack: Frame[] = [];
  #t0 = 0;

  /** Starts profiling (one profiler at a time); returns this. */
  start(): this {
    if (active !== null && active !== this)
      throw new Error("Profiler.start: another profiler is running; stop it first");
    active = this;
    this.#t0 = performance.now();
    this.#stack = [{ name: "(none)", start: this.#t0, child: 0 }];
    return this;
  }

  /** Stops profiling and reports. */
  stop(): ProfileReport {
    if (active !== this) throw new Error("Profiler.stop: this profiler is not running");
    active = null;
    const now = performance.now();
    while (this.#stack.length > 0) this.#close(now);
    const totals = new Map<string, Tally>();
    const phases = [...this.#phases].map(([phase, v]) => {
      const kernels = sorted(this.#inPhase.get(phase) ?? new Map());
      let kernelMs = 0;
      for (const k of kernels) {
        kernelMs += k.ms;
        const t = totals.get(k.kernel) ?? { ms: 0, calls: 0 };
        t.ms += k.ms;
        t.calls += k.calls;
        totals.set(k.kernel, t);
      }
      return { phase, ms: v.ms, calls: v.calls, kernelMs, hostMs: v.ms - kernelMs, kernels };
    });
    phases.sort((a, b) => b.ms - a.ms);
    return { totalMs: now - this.#t0, phases, kernels: sorted(totals) };
  }

  /** @internal Opens a phase frame. */
  enter(name: string): void {
    this.#stack.push({ name, start: performance.now(), child: 0 });
  }

  /** @internal Closes the innermost frame. */
  leave(): void {
    this.#close(performance.now());
  }

  /** @internal Records one kernel call in the innermost phase. */
  kernel(name: string, ms: number): void {
    const phase = this.#stack[this.#stack.length - 1]!.name;
    const byKernel = this.#inPhase.get(phase) ?? new Map<string, Tally>();
    this.#inPhase.set(phase, byKernel);
    const k = byKernel.get(name) ?? { ms: 0, calls: 0 };
    k.ms += ms;
    k.calls++;
    byKernel.set(name, k);
  }

  #close(now: number): void {
    const f = this.#stack.pop()!;
    const total = now - f.start;
    const p = this.#phases.get(f.name) ?? { ms: 0, calls: 0 };
    p.ms += total - f.child;
    p.calls++;
    this.#phases.set(f.name, p);
    const parent = this.#stack[this.#stack.length - 1];
    if (parent) parent.child += total;
  }
}

/**
 * Runs `fn` as the phase `name` of the started profiler (a plain call when none is). Works for sync
 * and async functions; phases must nest (no two phases running interleaved).
 */
export function phase<T>(name: string, fn: () => T): T {
  const p = active;
  if (p === null) return fn();
  p.enter(name);
  let out: T;
  try {
    out = fn();
  } catch (e) {
    p.leave();
    throw e;
  }
  if (out instanceof Promise) {
    return out.finally(() => {
      if (active === p) p.leave();
    }) as T;
  }
  p.leave();
  return out;
}
