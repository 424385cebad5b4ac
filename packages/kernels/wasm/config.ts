/**
 * Configuration of the wasm engine, with documented defaults and environment overrides.
 *
 *   MEMPO_THREADS      threads including the calling one (default: os.availableParallelism() on Node;
 *                      in a browser navigator.hardwareConcurrency when cross-origin isolated, else 1)
 *   MEMPO_WASM_SIMD    "auto" (relaxed SIMD when the engine supports it), "relaxed" or "baseline"
 *   MEMPO_WASM_MAX_MB  maximum size of the shared memory in MiB (default 4096, the wasm32 limit)
 *   MEMPO_WASM_SPIN    how many polls a worker spins before sleeping on Atomics.wait (default 20000)
 *
 * Where the runtime has no environment (browsers) the defaults apply; pass a config to `initWasm()`.
 *
 * Test: packages/kernels/wasm/engine_test.ts.
 */
import host from "#wasm-host";

export type SimdMode = "auto" | "relaxed" | "baseline";

export interface WasmConfig {
  /** Threads that share the work, including the calling thread (1 = no workers). */
  threads: number;
  /** Which build to load: relaxed SIMD (FMA) when available, or the baseline SIMD128 build. */
  simd: SimdMode;
  /** Maximum shared memory in MiB (tensor storage lives there; reserved, not committed, up front). */
  maxMemoryMB: number;
  /** Polls a worker spins on the job word before sleeping; more = lower latency, more idle CPU. */
  spin: number;
  /** Below this many multiply-adds a kernel runs on the calling thread only. */
  minParallelWork: number;
}

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = host.env(name);
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(
      `${name}=${raw}: expected an integer in [${min}, ${max}]. Fix: set it to e.g. ${fallback}.`,
    );
  }
  return v;
}

/** The default configuration, read from the environment. */
export function defaultConfig(): WasmConfig {
  const simd = host.env("MEMPO_WASM_SIMD") ?? "auto";
  if (simd !== "auto" && simd !== "relaxed" && simd !== "baseline") {
    throw new Error(`MEMPO_WASM_SIMD=${simd}: expected "auto", "relaxed" or "baseline".`);
  }
  return {
    threads: envInt("MEMPO_THREADS", host.defaultThreads(), 1, 256),
    simd,
    maxMemoryMB: envInt("MEMPO_WASM_MAX_MB", 4096, 16, 4096),
    spin: envInt("MEMPO_WASM_SPIN", 20000, 0, 1e9),
    minParallelWork: 1 << 16,
  };
}
