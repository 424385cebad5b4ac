/**
 * The wasm engine: one shared WebAssembly.Memory (tensor storage, argument block, per-thread scratch),
 * the kernels module (relaxed-SIMD build when supported, else baseline SIMD128), an allocator and a
 * thread pool. Kernel launchers (kernels/*.ts) call `run(kernel, fields, parallel)`, which writes the
 * fields into the argument block by the layouts declared in args.ts.
 *
 * Memory map: [0, 32) pool control word · [256, 1280) argument block · [64 KiB, …) scratch per
 * thread, then tensor storage (alloc.ts). The module keeps no static data, so every thread can
 * instantiate it over the same memory.
 *
 * The runtime-specific parts (reading the .wasm files, workers, thread count) come from the host
 * (host.ts). Test: packages/kernels/wasm/engine_test.ts.
 */
import { Allocator } from "./alloc.ts";
import { ARGS_WORDS, type ArgsOf, KERNELS, type KernelExport, wordsOf } from "./args.ts";
import { defaultConfig, type WasmConfig } from "./config.ts";
import { CONTROL_BYTES, Pool } from "./pool.ts";
import { relaxedSimdSupported, simdSupported } from "./simd_detect.ts";
import host from "#wasm-host";

const CTL = 0;
const ARGS = 256;
const HEAP = 65536;
const PAGE = 65536;
/** Words per unit of the fill kernel (also used to zero reused storage). */
const FILL_CHUNK = 1 << 16;
/** Flops of one iteration of assembly/peak.ts (12 accumulators × 4 lanes × 2). */
const PEAK_FLOPS_PER_ITER = 96;
/** Each kernel's fields as (word index, kind), from the declared layouts. */
const WORDS = new Map(KERNELS.map((k) => [k, wordsOf(k)]));

type Exports = Record<KernelExport, (args: number) => void> & {
  setScratch(ptr: number, tid: number): void;
  SCRATCH_BYTES: WebAssembly.Global;
};

/** The two builds (wasm/build.mjs), as URLs beside this module that bundlers can follow. */
export const WASM_FILES = {
  baseline: new URL("../build/kernels.wasm", import.meta.url),
  relaxed: new URL("../build/kernels-relaxed.wasm", import.meta.url),
} as const;

/** Builds compiled by `initWasm()` (fetched), used instead of reading the files. */
const compiled: { baseline?: WebAssembly.Module; relaxed?: WebAssembly.Module } = {};

/** Remembers a module compiled elsewhere (initWasm) for the engines created after it. */
export function provideModule(variant: "baseline" | "relaxed", module: WebAssembly.Module): void {
  compiled[variant] = module;
}

function loadModule(relaxed: boolean): WebAssembly.Module {
  const variant = relaxed ? "relaxed" : "baseline";
  const have = compiled[variant];
  if (have) return have;
  const bytes = host.readFile(WASM_FILES[variant]);
  if (bytes === null) {
    throw new Error(
      "wasm backend: this runtime cannot read build/kernels.wasm synchronously. " +
        'Fix: `await initWasm()` (from "@mempo/kernels/wasm") before the first wasm tensor; pass ' +
        "{ baseUrl } when a bundler served the build/ files from another place.",
    );
  }
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  compiled[variant] = module;
  return module;
}

export class WasmEngine {
  readonly config: WasmConfig;
  /** True when the relaxed-SIMD (FMA) build is loaded. */
  readonly relaxed: boolean;
  readonly memory: WebAssembly.Memory;
  readonly heap: Allocator;
  readonly pool: Pool | null;
  readonly #ex: Exports;
  /** Argument block as i32 / f32 words (the same bytes). */
  readonly #args: Int32Array;
  readonly #argsF32: Float32Array;

  constructor(config: Partial<WasmConfig> = {}) {
    this.config = { ...defaultConfig(), ...config };
    if (!simdSupported()) {
      throw new Error(
        "wasm backend: this JavaScript engine has no WebAssembly SIMD. Fix: use Node ≥ 16.4, Deno, or a " +
          "browser from 2021 on (Chrome 91, Firefox 89, Safari 16.4).",
      );
    }
    const mode = this.config.simd;
    this.relaxed = mode === "relaxed" || (mode === "auto" && relaxedSimdSupported());
    if (mode === "relaxed" && !relaxedSimdSupported()) {
      throw new Error('wasm backend: MEMPO_WASM_SIMD="relaxed" but this engine rejects relaxed SIMD.');
    }
    const module = loadModule(this.relaxed);
    const maxPages = Math.floor((this.config.maxMemoryMB * 2 ** 20) / PAGE);
    try {
      this.memory = new WebAssembly.Memory({ initial: 256, maximum: maxPages, shared: true });
    } catch (e) {
      throw new Error(
        `wasm backend: this runtime cannot create a shared WebAssembly.Memory (${e instanceof Error ? e.message : e}). ` +
          "Fix: in a browser, serve the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, " +
          "Cross-Origin-Embedder-Policy: require-corp).",
      );
    }
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.#ex = instance.exports as unknown as Exports;
    this.heap = new Allocator(this.memory, HEAP, maxPages * PAGE);
    const scratchBytes = this.#ex.SCRATCH_BYTES.value as number;
    const threads = Math.max(1, this.config.threads);
    const scratch = Array.from({ length: threads }, () => this.heap.alloc(scratchBytes, false));
    this.#ex.setScratch(scratch[0]!, 0);
    this.#args = new Int32Array(this.memory.buffer, ARGS, ARGS_WORDS);
    this.#argsF32 = new Float32Array(this.memory.buffer, ARGS, ARGS_WORDS);
    if (CTL + CONTROL_BYTES > ARGS) throw new Error("wasm engine: control block overlaps the argument block");
    // Reused blocks must come back zeroed (Backend contract): large ones are cleared on all threads.
    this.heap.zeroer = (ptr, bytes) => {
      if (bytes >= 4 * FILL_CHUNK) this.fillWords(ptr, bytes / 4, 0);
      else new Uint8Array(this.memory.buffer, ptr, bytes).fill(0);
    };
    this.pool =
      threads > 1
        ? new Pool({
            module,
            memory: this.memory,
            ctl: CTL,
            kernels: KERNELS,
            scratch: scratch.slice(1),
            spin: this.config.spin,
          })
        : null;
  }

  /** Sets n f32 words at ptr to value, on all threads when large. */
  fillWords(ptr: number, n: number, value: number): void {
    this.run("fill", { n, size: FILL_CHUNK, out: ptr, value }, n > FILL_CHUNK);
  }

  /**
   * The measured ceiling of this build on every thread, GFLOP/s: a loop of independent SIMD128
   * multiply-adds (assembly/peak.ts) split into units over the pool, the best of repeated runs.
   * Matmul and attention reach a fraction of it; nothing in wasm can exceed it on this machine.
   */
  peakGflops(): number {
    const units = this.threads * 8;
    const iters = 1 << 18; // 25 Mflop per unit: ≈ 0.5 ms at 50 GFLOP/s per thread
    const sink = this.buffer("peakFma.sink", 4);
    const once = () => {
      const t = performance.now();
      this.run("peakFma", { units, iters, sink }, true);
      return (performance.now() - t) / 1000;
    };
    // Best of ≥ 5 runs over ≥ 0.5 s: a fresh engine's workers are still starting for the first
    // few jobs (which then run on fewer threads).
    let best = Number.POSITIVE_INFINITY;
    const t0 = performance.now();
    for (let i = 0; i < 5 || performance.now() - t0 < 500; i++) best = Math.min(best, once());
    return (units * iters * PEAK_FLOPS_PER_ITER) / best / 1e9;
  }

  /** Threads that share a parallel job. */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * Writes a kernel's fields into the argument block (word 0, the unit counter, is reset) and runs
   * it, on every thread when `parallel`.
   */
  run<K extends KernelExport>(kernel: K, fields: ArgsOf<K>, parallel: boolean): void {
    this.#args[0] = 0;
    for (const [name, word, kind] of WORDS.get(kernel)!) {
      const v = (fields as Record<string, number | boolean>)[name]!;
      if (kind === "f32") this.#argsF32[word] = v as number;
      else this.#args[word] = +v;
    }
    const fn = this.#ex[kernel];
    if (parallel && this.pool) this.pool.run(KERNELS.indexOf(kernel), ARGS, fn);
    else fn(ARGS);
  }

  readonly #buffers = new Map<string, { ptr: number; bytes: number }>();

  /**
   * A reusable engine-owned buffer of at least `bytes` bytes, named by `slot` (e.g. per-thread
   * attention blocks, mask arrays). Contents are not preserved when it grows.
   */
  buffer(slot: string, bytes: number): number {
    const have = this.#buffers.get(slot);
    if (have && have.bytes >= bytes) return have.ptr;
    if (have) this.heap.free(have.ptr, have.bytes);
    const size = Math.max(bytes, have ? have.bytes * 2 : 0);
    const ptr = this.heap.alloc(size, false);
    this.#buffers.set(slot, { ptr, bytes: size });
    return ptr;
  }

  /** f32 view of `len` elements at byte `ptr`. */
  f32(ptr: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, len);
  }

  /** i32 view of `len` elements at byte `ptr`. */
  i32(ptr: number, len: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, len);
  }

  /** Stops the worker threads (the memory stays readable). */
  async dispose(): Promise<void> {
    await this.pool?.dispose();
  }
}

let shared: WasmEngine | null = null;

/** The process-wide engine (created on first use from the environment's configuration). */
export function getEngine(): WasmEngine {
  shared ??= new WasmEngine();
  return shared;
}

/** Whether the process-wide engine exists yet. */
export function hasEngine(): boolean {
  return shared !== null;
}

/** Makes `engine` the process-wide engine (initWasm); only before the first wasm tensor. */
export function setEngine(engine: WasmEngine): void {
  if (shared !== null && shared !== engine) {
    throw new Error(
      "initWasm: the wasm engine already runs (a wasm tensor was created before). " +
        "Fix: call initWasm() once, before creating wasm tensors.",
    );
  }
  shared = engine;
}
