/**
 * Engine-level matmul tests: every transpose combination, odd shapes (around the 4×8 and 6×8 register
 * tiles and the cache blocks), batching with broadcast and summed strides, bias and
 * accumulate, on 1 and 2 threads with the baseline and relaxed-SIMD builds, against a float64 loop.
 * Run: `npx vitest run wasm/matmul_test.ts` in packages/kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WasmEngine } from "./engine.ts";
import { ensureKernelsBuilt } from "./dev_build.ts";
import { launchMatmul, type MatmulPtrs } from "./kernels/matmul.ts";
import { fillRandom, maxRelErr, testEngines } from "./test_util.ts";

interface Case {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideOut: number;
  bias: boolean;
  accumulate: boolean;
}

/** Float64 reference of MatmulPtrs semantics on host arrays. */
function reference(c: Case, a: Float32Array, b: Float32Array, bias: Float32Array | null, out0: Float32Array) {
  const out = Float64Array.from(out0);
  for (let bi = 0; bi < c.batch; bi++) {
    const oa = bi * c.strideA;
    const ob = bi * c.strideB;
    const oo = bi * c.strideOut;
    for (let i = 0; i < c.M; i++) {
      for (let j = 0; j < c.N; j++) {
        let s = bias ? bias[j]! : 0;
        for (let k = 0; k < c.K; k++) {
          const av = c.transA ? a[oa + k * c.M + i]! : a[oa + i * c.K + k]!;
          const bv = c.transB ? b[ob + j * c.K + k]! : b[ob + k * c.N + j]!;
          s += av * bv;
        }
        const first = !c.accumulate && (c.strideOut !== 0 || bi === 0);
        out[oo + i * c.N + j] = (first ? 0 : out[oo + i * c.N + j]!) + s;
      }
    }
  }
  return out;
}

function runCase(e: WasmEngine, c: Case, seed: number): number {
  const span = (stride: number, size: number) => (c.batch - 1) * stride + size;
  const nA = span(c.strideA, c.M * c.K);
  const nB = span(c.strideB, c.K * c.N);
  const nO = span(c.strideOut, c.M * c.N);
  const pa = e.heap.alloc(nA * 4);
  const pb = e.heap.alloc(nB * 4);
  const po = e.heap.alloc(nO * 4);
  const pbias = c.bias ? e.heap.alloc(c.N * 4) : 0;
  const a = fillRandom(e.f32(pa, nA), seed);
  const b = fillRandom(e.f32(pb, nB), seed + 1);
  const o = fillRandom(e.f32(po, nO), seed + 2);
  const bias = c.bias ? fillRandom(e.f32(pbias, c.N), seed + 3) : null;
  const ref = reference(c, a, b, bias, o);
  const p: MatmulPtrs = { ...c, a: pa, b: pb, out: po, bias: pbias };
  launchMatmul(e, p);
  const err = maxRelErr(e.f32(po, nO), ref, Math.sqrt(c.K) + 1);
  for (const [ptr, n] of [
    [pa, nA],
    [pb, nB],
    [po, nO],
  ] as const)
    e.heap.free(ptr, n * 4);
  if (pbias) e.heap.free(pbias, c.N * 4);
  return err;
}

const plain = (M: number, N: number, K: number, transA = false, transB = false): Case => ({
  batch: 1,
  M,
  N,
  K,
  transA,
  transB,
  strideA: 0,
  strideB: 0,
  strideOut: 0,
  bias: false,
  accumulate: false,
});

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 33, 129],
  [129, 7, 33],
  [33, 129, 7],
  [4, 8, 4],
  [5, 9, 3],
  [130, 520, 260],
  [150, 17, 300], // past MC = 144 (6×8 tile) and KC = 256
  [64, 16, 513],
];

const engines = testEngines();
beforeAll(ensureKernelsBuilt, 60_000);
afterAll(async () => {
  for (const { engine } of engines) await engine.dispose();
});

describe.each(engines)("wasm matmul ($label)", ({ engine }) => {
  it("matches a float64 loop for every transpose combination at odd shapes", () => {
    let seed = 1;
    for (const [M, N, K] of SHAPES) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const err = runCase(engine, plain(M, N, K, tA, tB), seed++);
          expect(err, `M=${M} N=${N} K=${K} transA=${tA} transB=${tB}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it("adds a bias and accumulates into out", () => {
    for (const accumulate of [false, true]) {
      const c = { ...plain(33, 17, 65, true, false), bias: true, accumulate };
      expect(runCase(engine, c, 7)).toBeLessThan(1e-5);
    }
  });

  it("runs strided batches, broadcasting a zero stride", () => {
    const base = plain(9, 13, 11, false, true);
    const batched = { ...base, batch: 5, strideA: 9 * 11, strideB: 13 * 11, strideOut: 9 * 13 };
    expect(runCase(engine, batched, 11)).toBeLessThan(1e-5);
    expect(runCase(engine, { ...batched, strideB: 0, bias: true }, 12)).toBeLessThan(1e-5);
    expect(runCase(engine, { ...batched, strideA: 0, transA: true }, 13)).toBeLessThan(1e-5);
  });

  it("sums the batch into out when strideOut is 0", () => {
    const c = { ...plain(21, 10, 6, true, false), batch: 4, strideA: 21 * 6, strideB: 6 * 10, strideOut: 0 };
    expect(runCase(engine, c, 21)).toBeLessThan(1e-5);
    expect(runCase(engine, { ...c, accumulate: true }, 22)).toBeLessThan(1e-5);
  });

  it("handles K = 0 (bias or zeros) and empty outputs", () => {
    expect(runCase(engine, { ...plain(3, 5, 0), bias: true }, 31)).toBe(0);
    expect(runCase(engine, { ...plain(3, 5, 0), accumulate: true }, 32)).toBe(0);
    expect(runCase(engine, plain(0, 5, 3), 33)).toBe(0);
  });
});
