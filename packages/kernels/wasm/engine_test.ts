/**
 * Engine tests: SIMD detection, build selection, thread pool with many back-to-back jobs (the join
 * protocol must never lose or repeat a work unit), and the MEMPO_* configuration errors.
 * Run: `npx vitest run wasm/engine_test.ts` in packages/kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "./config.ts";
import { ensureKernelsBuilt } from "./dev_build.ts";
import { WasmEngine } from "./engine.ts";
import { launchMatmul } from "./kernels/matmul.ts";
import { relaxedSimdSupported, simdSupported } from "./simd_detect.ts";

beforeAll(ensureKernelsBuilt, 60_000);

describe("simd detection", () => {
  it("finds SIMD128 and reports relaxed SIMD as a boolean", () => {
    expect(simdSupported()).toBe(true);
    expect(typeof relaxedSimdSupported()).toBe("boolean");
  });
});

describe("WasmEngine", () => {
  const engine = new WasmEngine({ threads: 2, simd: "auto", minParallelWork: 0 });
  afterAll(() => engine.dispose());

  it("loads the build matching the SIMD mode", () => {
    expect(engine.relaxed).toBe(relaxedSimdSupported());
    expect(engine.threads).toBe(2);
    const base = new WasmEngine({ threads: 1, simd: "baseline" });
    expect(base.relaxed).toBe(false);
    expect(base.threads).toBe(1);
  });

  it("runs many back-to-back parallel jobs without losing work", () => {
    // 1×1 outputs with K = 1: each job is 1 unit per row; every row must be written exactly once.
    const M = 64;
    const pa = engine.heap.alloc(M * 4);
    const pb = engine.heap.alloc(4);
    const po = engine.heap.alloc(M * 4);
    const a = engine.f32(pa, M);
    const o = engine.f32(po, M);
    engine.f32(pb, 1)[0] = 1;
    for (let it = 0; it < 2000; it++) {
      for (let i = 0; i < M; i++) a[i] = it + i;
      const p = { a: pa, b: pb, out: po, bias: 0, batch: 1, M, N: 1, K: 1 };
      launchMatmul(engine, {
        ...p,
        transA: false,
        transB: false,
        strideA: 0,
        strideB: 0,
        strideOut: 0,
        accumulate: true,
      });
      for (let i = 0; i < M; i++)
        if (o[i] !== (it * (it + 1)) / 2 + i * (it + 1)) throw new Error(`job ${it} row ${i}: ${o[i]}`);
    }
  });
});

describe("config", () => {
  it("reads MEMPO_THREADS and rejects bad values with a fix", () => {
    const old = process.env.MEMPO_THREADS;
    try {
      process.env.MEMPO_THREADS = "3";
      expect(defaultConfig().threads).toBe(3);
      process.env.MEMPO_THREADS = "zero";
      expect(() => defaultConfig()).toThrow(/MEMPO_THREADS=zero.*integer/);
    } finally {
      if (old === undefined) delete process.env.MEMPO_THREADS;
      else process.env.MEMPO_THREADS = old;
    }
  });
});
