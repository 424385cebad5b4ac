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
  /** Kernel time run directly in this frame. */
  kernel: number;
}

let active: Profiler | null = null;

/** The started profiler, if any (kernel dispatch asks). */
export function activeProfiler(): Profiler | null {
  return active;
}

export class Profiler {
  readonly #phases = new Map<string, { ms: number; calls: number; kernelMs: number }>();
  /** Kernel time per phase: "phase\u0000kernel" → ms, calls. */
  readonly #inPhase = new Map<string, { ms: number; calls: number }>();
  readonly #kernels = new Map<string, { ms: number; calls: number }>();
  #stack: Frame[] = [];
  #t0 = 0;

  /** Starts profiling (one profiler at a time); returns this. */
  start(): this {
    if (active !== null && active !== this)
      throw new Error("Profiler.start: another profiler is running; stop it first");
    active = this;
    this.#t0 = performance.now();
    this.#stack = [{ name: "(none)", start: this.#t0, child: 0, kernel: 0 }];
    return this;
  }

  /** Stops profiling and reports. */
  stop(): ProfileReport {
    if (active !== this) throw new Error("Profiler.stop: this profiler is not running");
    active = null;
    const now = performance.now();
    while (this.#stack.length > 0) this.#close(now);
    const phases = [...this.#phases].map(([phase, v]) => ({
      phase,
      ms: v.ms,
      calls: v.calls,
      kernelMs: v.kernelMs,
      hostMs: v.ms - v.kernelMs,
      kernels: [...this.#inPhase]
        .filter(([key]) => key.startsWith(`${phase}\u0000`))
        .map(([key, k]) => ({ kernel: key.slice(phase.length + 1), ...k }))
        .sort((a, b) => b.ms - a.ms),
    }));
    phases.sort((a, b) => b.ms - a.ms);
    const kernels = [...this.#kernels].map(([kernel, v]) => ({ kernel, ...v }));
    kernels.sort((a, b) => b.ms - a.ms);
    return { totalMs: now - this.#t0, phases, kernels };
  }

  /** @internal Opens a phase frame. */
  enter(name: string): void {
    this.#stack.push({ name, start: performance.now(), child: 0, kernel: 0 });
  }

  /** @internal Closes the innermost frame. */
  leave(): void {
    this.#close(performance.now());
  }

  /** @internal Records one kernel call. */
  kernel(name: string, ms: number): void {
    const k = this.#kernels.get(name) ?? { ms: 0, calls: 0 };
    k.ms += ms;
    k.calls++;
    this.#kernels.set(name, k);
    const top = this.#stack[this.#stack.length - 1];
    if (top) {
      top.kernel += ms;
      const key = `${top.name}\u0000${name}`;
      const p = this.#inPhase.get(key) ?? { ms: 0, calls: 0 };
      p.ms += ms;
      p.calls++;
      this.#inPhase.set(key, p);
    }
  }

  #close(now: number): void {
    const f = this.#stack.pop()!;
    const total = now - f.start;
    const p = this.#phases.get(f.name) ?? { ms: 0, calls: 0, kernelMs: 0 };
    p.ms += total - f.child;
    p.calls++;
    p.kernelMs += f.kernel;
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
