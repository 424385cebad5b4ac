/**
 * Thread pool over one shared WebAssembly.Memory: the calling thread plus `threads − 1` workers
 * (worker_source.ts, started by the host: worker_threads on Node, Web Workers elsewhere), each with
 * its own instance of the kernels module.
 *
 * Protocol (one control word STATE = generation << 9 | CLOSED << 8 | active count):
 * - run(): the caller writes the kernel index and argument pointer, publishes a new generation
 *   (open, 0 active) and notifies; then runs the kernel itself. Kernels split their work into units
 *   taken with an atomic counter, so whoever is awake does the work.
 * - a worker joins a job by compare-exchanging active + 1 (only while open), runs the kernel, and
 *   decrements active when done.
 * - when the caller runs out of units it sets CLOSED (no more joiners) and waits (spin, then
 *   Atomics.wait where the host allows it; a browser's main thread only spins) until active = 0. A
 *   worker that was asleep never delays a job: it simply misses it.
 * Kernels must therefore be a bag of independent units (multi-phase work = several run() calls).
 *
 * Test: packages/kernels/wasm/engine_test.ts (thread counts 1 and 2).
 */
import host from "#wasm-host";
import type { HostWorker } from "./host.ts";

const STATE = 0;
const FN = 1;
const ARGS = 2;
const QUIT = 3;
const ERROR = 4;
const CLOSED = 0x100;
const GEN_MASK = 0x7fffff;

/** Bytes of the control block the pool needs at `ctl`. */
export const CONTROL_BYTES = 32;

export interface PoolOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block (CONTROL_BYTES). */
  ctl: number;
  /** Kernel export names; run() takes an index into this list. */
  kernels: readonly string[];
  /** Scratch pointer per worker (length = threads − 1). */
  scratch: readonly number[];
  spin: number;
}

export class Pool {
  readonly workers: HostWorker[] = [];
  readonly #w: Int32Array;
  readonly #spin: number;
  readonly #names: readonly string[];
  #gen = 0;

  constructor(o: PoolOptions) {
    this.#w = new Int32Array(o.memory.buffer, o.ctl, CONTROL_BYTES / 4);
    this.#w.fill(0);
    this.#spin = o.spin;
    this.#names = o.kernels;
    for (const [i, scratch] of o.scratch.entries()) {
      const { module, memory, ctl, kernels, spin } = o;
      this.workers.push(host.startWorker({ module, memory, ctl, scratch, tid: i + 1, kernels, spin }));
    }
  }

  /** Threads that can work on a job (workers + the caller). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Runs kernel `index` with argument block `args` on all threads; `own` is the caller's export. */
  run(index: number, args: number, own: (args: number) => void): void {
    const w = this.#w;
    w[FN] = index;
    w[ARGS] = args;
    this.#gen = (this.#gen + 1) & GEN_MASK;
    Atomics.store(w, STATE, this.#gen << 9);
    Atomics.notify(w, STATE);
    try {
      own(args);
    } finally {
      let s = Atomics.or(w, STATE, CLOSED) | CLOSED;
      let i = 0;
      while ((s & 0xff) !== 0) {
        if (++i > this.#spin && host.canBlock) Atomics.wait(w, STATE, s);
        s = Atomics.load(w, STATE);
      }
    }
    if (Atomics.exchange(w, ERROR, 0) !== 0) {
      throw new Error(`wasm backend: kernel ${this.#names[index]} failed on a worker thread (see stderr).`);
    }
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    Atomics.store(this.#w, QUIT, 1);
    this.#gen = (this.#gen + 1) & GEN_MASK;
    Atomics.store(this.#w, STATE, this.#gen << 9);
    Atomics.notify(this.#w, STATE);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
