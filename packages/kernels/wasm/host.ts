/**
 * What the wasm engine needs from the JavaScript runtime, behind one interface so that the engine,
 * the pool and the kernels carry no Node import. The package's `#wasm-host` import picks the
 * implementation by condition: host_node.ts under `node` (Node, vitest, tsx, and Deno, whose
 * node:fs and node:worker_threads serve it), host_web.ts everywhere else (browsers, their bundlers).
 * Node-only modules (fs, os, v8, worker_threads) are imported by host_node.ts alone, so a browser
 * bundle never reaches them.
 *
 * Test: packages/kernels/wasm/engine_test.ts (Node host); the browser check in packaging/ (web host).
 */

/** What a pool worker gets: the module, the shared memory and its place in the pool protocol. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the pool's control block. */
  ctl: number;
  /** This worker's scratch pointer. */
  scratch: number;
  /** Thread id (1…threads − 1; the calling thread is 0). */
  tid: number;
  /** Kernel export names, indexed by the control block's FN word. */
  kernels: readonly string[];
  /** Polls before sleeping on Atomics.wait. */
  spin: number;
}

/** A started pool worker. */
export interface HostWorker {
  terminate(): Promise<unknown> | undefined;
}

export interface WasmHost {
  readonly name: "node" | "web";
  /** An environment variable (undefined where the runtime has none, e.g. browsers). */
  env(name: string): string | undefined;
  /** Threads the engine uses by default, the calling thread included. */
  defaultThreads(): number;
  /** A file's bytes, synchronously; null where files can only be fetched (then `initWasm()` first). */
  readFile(url: URL): Uint8Array | null;
  /** Switches relaxed SIMD on where the engine keeps it behind a flag (V8 11.3 in Node 20). */
  enableRelaxedSimd(): void;
  /** Starts one pool worker (worker_source.ts) with `init`. */
  startWorker(init: WorkerInit): HostWorker;
  /** Whether the calling thread may sleep in Atomics.wait (a browser's main thread may not). */
  readonly canBlock: boolean;
  /** In a source checkout, builds build/kernels*.wasm when missing or stale; nothing elsewhere. */
  ensureBuilt(): Promise<void>;
}
