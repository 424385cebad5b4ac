// Strided batched GEMM: out_b = [out_b] + op(A_b)·op(B_b) + bias, f32, register-blocked and cache-tiled.
//
// Goto/BLIS scheme: for each NC-wide column block and KC-deep slice, op(B) is packed into NR-wide
// k-major panels (KC×NR, 8 KiB: stays in L1), then for each MC-high row block op(A) is packed into
// MR-high k-major panels (L2); the MR×NR micro-kernel keeps the whole output tile in registers
// (6×8 = 12 accumulators in the relaxed-SIMD/FMA build, 4×8 = 8 in the baseline build, where each
// multiply-add needs a temporary and x64 V8 has 15 allocatable vector registers).
// Packing is where transA/transB are absorbed (4×4 in-register transposes), so every transpose
// combination runs the same inner loop. Packing also removes the 4 KiB-stride cache aliasing that
// row-major 1024-wide operands suffer from.
//
// Threads: the work is a bag of units (batch item × row block × column block) taken with an atomic
// counter at args+0, so any number of instances sharing the memory can join (see ../pool.ts).
// Test: packages/kernels/wasm/matmul_test.ts.
import { MatmulArgs } from "./args";
import { madd } from "./simd";

/** Micro-tile rows: 6×8 (12 accumulators) with FMA; 4×8 without (mul + add needs a temporary). */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = MR * 24;
const NC: i32 = 512;

/** gemm's causal-structure modes (see gemm). */
export const TRI_NONE: i32 = 0;
export const TRI_C: i32 = 1;
export const TRI_A_LOWER: i32 = 2;
export const TRI_A_UPPER: i32 = 3;

/** Scratch bytes each instance needs (packed A block, packed B block, one edge tile). */
export const MATMUL_SCRATCH: i32 = (MC * KC + KC * NC + MR * NR) * 4;

let packA: usize = 0;
let packB: usize = 0;
let tileBuf: usize = 0;

/** Gives this instance its private scratch region (MATMUL_SCRATCH bytes, 16-byte aligned). */
export function setMatmulScratch(ptr: usize): void {
  packA = ptr;
  packB = ptr + <usize>(MC * KC * 4);
  tileBuf = packB + <usize>(KC * NC * 4);
}

// @ts-ignore: decorator
@inline function transpose4(
  dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128,
): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Packs op(A)[r0 .. r0+mc, k0 .. k0+kc] into MR-row panels: panel p holds (k, r) at
 * packA + (p·kc·MR + k·MR + r)·4; rows past mc are zero. op(A)[r][k] = trans ? a[k·ld + r] : a[r·ld + k].
 */
function packABlock(a: usize, ld: i32, trans: bool, r0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const dst = packA + <usize>(i0 * kc * 4);
    const rows = min(MR, mc - i0);
    if (trans) {
      let src = a + <usize>((k0 * ld + r0 + i0) * 4);
      if (rows == MR && MR == 4) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst + <usize>(k * 16), v128.load(src));
          src += <usize>(ld * 4);
        }
      } else if (rows == MR && MR == 6) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst + <usize>(k * 24), v128.load(src));
          v128.store64_lane(dst + <usize>(k * 24 + 16), v128.load64_zero(src + 16), 0);
          src += <usize>(ld * 4);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(dst + <usize>((k * MR + r) * 4), r < rows ? load<f32>(src + <usize>(r * 4)) : 0);
          }
          src += <usize>(ld * 4);
        }
      }
    } else {
      const src = a + <usize>(((r0 + i0) * ld + k0) * 4);
      const ldb = <usize>(ld * 4);
      let k = 0;
      if (rows == MR && MR == 4) {
        for (; k + 4 <= kc; k += 4) {
          const s = src + <usize>(k * 4);
          transpose4(dst + <usize>(k * 16), 16, v128.load(s), v128.load(s + ldb), v128.load(s + 2 * ldb), v128.load(s + 3 * ldb));
        }
      } else if (rows == MR && MR == 6) {
        // Rows 0-3 by a 4×4 transpose (16 bytes per k), rows 4-5 as pairs (8 bytes per k); 24 bytes per k.
        for (; k + 4 <= kc; k += 4) {
          const s = src + <usize>(k * 4);
          const d = dst + <usize>(k * 24);
          transpose4(d, 24, v128.load(s), v128.load(s + ldb), v128.load(s + 2 * ldb), v128.load(s + 3 * ldb));
          const r4 = v128.load(s + 4 * ldb);
          const r5 = v128.load(s + 5 * ldb);
          const lo = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5);
          const hi = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
          v128.store64_lane(d + 16, lo, 0);
          v128.store64_lane(d + 40, lo, 1);
          v128.store64_lane(d + 64, hi, 0);
          v128.store64_lane(d + 88, hi, 1);
        }
      }
      for (; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + <usize>((k * MR + r) * 4), r < rows ? load<f32>(src + <usize>(r * ld + k) * 4) : 0);
        }
      }
    }
  }
}

/**
 * Packs op(B)[k0 .. k0+kc, c0 .. c0+nc] into NR-column panels: panel p holds (k, j) at
 * packB + (p·kc·NR + k·NR + j)·4; columns past nc are zero. op(B)[k][c] = trans ? b[c·ld + k] : b[k·ld + c].
 */
function packBBlock(b: usize, ld: i32, trans: bool, c0: i32, nc: i32, k0: i32, kc: i32): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const dst = packB + <usize>(j0 * kc * 4);
    const cols = min(NR, nc - j0);
    if (trans) {
      const src = b + <usize>(((c0 + j0) * ld + k0) * 4);
      const ldb = <usize>(ld * 4);
      let k = 0;
      if (cols == NR) {
        for (; k + 4 <= kc; k += 4) {
          const s = src + <usize>(k * 4);
          const d = dst + <usize>(k * 32);
          transpose4(d, 32, v128.load(s), v128.load(s + ldb), v128.load(s + 2 * ldb), v128.load(s + 3 * ldb));
          const s4 = s + 4 * ldb;
          transpose4(d + 16, 32, v128.load(s4), v128.load(s4 + ldb), v128.load(s4 + 2 * ldb), v128.load(s4 + 3 * ldb));
        }
      }
      for (; k < kc; k++) {
        for (let j = 0; j < NR; j++) {
          store<f32>(dst + <usize>((k * NR + j) * 4), j < cols ? load<f32>(src + <usize>(j * ld + k) * 4) : 0);
        }
      }
    } else {
      let src = b + <usize>((k0 * ld + c0 + j0) * 4);
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst + <usize>(k * 32), v128.load(src));
          v128.store(dst + <usize>(k * 32 + 16), v128.load(src, 16));
          src += <usize>(ld * 4);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>((k * NR + j) * 4), j < cols ? load<f32>(src + <usize>(j * 4)) : 0);
          }
          src += <usize>(ld * 4);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function finishRow(c: usize, v0: v128, v1: v128, loadC: bool, bias: usize): void {
  if (bias != 0) {
    v0 = f32x4.add(v0, v128.load(bias));
    v1 = f32x4.add(v1, v128.load(bias, 16));
  }
  if (loadC) {
    v0 = f32x4.add(v0, v128.load(c));
    v1 = f32x4.add(v1, v128.load(c, 16));
  }
  v128.store(c, v0);
  v128.store(c, v1, 16);
}

/**
 * One MR×NR output tile: acc = Apanel·Bpanel over kc, then c = acc [+ bias] [+ c] for the
 * rows/cols < (mr, nr) that exist. ldc in bytes; bias points at this tile's first column or is 0.
 */
function microTile(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32, loadC: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  if (mr == 4 && nr == NR) {
    finishRow(c, c00, c01, loadC, bias);
    finishRow(c + ldc, c10, c11, loadC, bias);
    finishRow(c + 2 * ldc, c20, c21, loadC, bias);
    finishRow(c + 3 * ldc, c30, c31, loadC, bias);
    return;
  }
  const t = tileBuf;
  v128.store(t, c00); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  finishEdge(t, c, ldc, mr, nr, loadC, bias);
}

/** The 6×8 tile (relaxed-SIMD build): 12 accumulators, same contract as microTile. */
function microTile6(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32, loadC: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51);
    pa += 24;
    pb += 32;
  }
  if (mr == 6 && nr == NR) {
    finishRow(c, c00, c01, loadC, bias);
    finishRow(c + ldc, c10, c11, loadC, bias);
    finishRow(c + 2 * ldc, c20, c21, loadC, bias);
    finishRow(c + 3 * ldc, c30, c31, loadC, bias);
    finishRow(c + 4 * ldc, c40, c41, loadC, bias);
    finishRow(c + 5 * ldc, c50, c51, loadC, bias);
    return;
  }
  const t = tileBuf;
  v128.store(t, c00); v128.store(t, c01, 16);
  v128.store(t, c10, 32); v128.store(t, c11, 48);
  v128.store(t, c20, 64); v128.store(t, c21, 80);
  v128.store(t, c30, 96); v128.store(t, c31, 112);
  v128.store(t, c40, 128); v128.store(t, c41, 144);
  v128.store(t, c50, 160); v128.store(t, c51, 176);
  finishEdge(t, c, ldc, mr, nr, loadC, bias);
}

/** Adds the scratch tile t (MR×NR) into the existing part (mr×nr) of the output tile. */
function finishEdge(t: usize, c: usize, ldc: usize, mr: i32, nr: i32, loadC: bool, bias: usize): void {
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const p = c + <usize>r * ldc + <usize>(j * 4);
      let v = load<f32>(t + <usize>((r * NR + j) * 4));
      if (bias != 0) v += load<f32>(bias + <usize>(j * 4));
      if (loadC) v += load<f32>(p);
      store<f32>(p, v);
    }
  }
}

/**
 * Single-threaded GEMM on strided operands: c = [c] + op(A)·op(B) + bias over M×N, depth K.
 * op(A)[r][k] = transA ? a[k·lda + r] : a[r·lda + k]; op(B)[k][j] = transB ? b[j·ldb + k] : b[k·ldb + j];
 * c[r·ldc + j]. loadC adds to the existing c; bias (0 = none) points at bias[0] of these columns.
 * Used by the matmul units and by the fused kernels (attention) on their blocks.
 *
 * Causal structure (attention's diagonal blocks), row r and column j of C, depth index k, offset d:
 * - TRI_C: only C[r][j] with j ≤ r + d is wanted; micro-tiles wholly above that line are not computed
 *   (their C is left as it was, so the caller must not read it).
 * - TRI_A_LOWER: op(A)[r][k] = 0 for k > r + d; each micro-tile stops its depth loop after its last
 *   row's last nonzero k.
 * - TRI_A_UPPER: op(A)[r][k] = 0 for k < r − d; each micro-tile starts its depth loop at its first
 *   row's first nonzero k.
 * The skipped work is exactly zero (or unwanted), so the result equals the dense product's.
 */
export function gemm(
  a: usize, lda: i32, transA: bool, b: usize, ldb: i32, transB: bool,
  c: usize, ldc: i32, M: i32, N: i32, K: i32, loadC: bool, bias: usize, tri: i32 = TRI_NONE, d: i32 = 0,
): void {
  const ldcB = <usize>(ldc * 4);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packBBlock(b, ldb, transB, jc, nc, pc, kc);
      const ld = loadC || pc > 0;
      const biasK = pc == 0 ? bias : 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packABlock(a, lda, transA, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packB + <usize>(jr * kc * 4);
          const biasT: usize = biasK == 0 ? 0 : biasK + <usize>((jc + jr) * 4);
          const cCol = c + <usize>(jc + jr) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const r0 = ic + ir; // first row of the tile
            let k0 = 0; // this tile's depth range [k0, k1) within the slice
            let k1 = kc;
            if (tri == TRI_C) {
              if (jc + jr > r0 + mr - 1 + d) continue;
            } else if (tri == TRI_A_LOWER) {
              k1 = max(0, min(kc, r0 + mr + d - pc));
              if (k1 == 0 && ld) continue;
            } else if (tri == TRI_A_UPPER) {
              k0 = min(kc, max(0, r0 - d - pc));
              if (k0 == kc && ld) continue;
            }
            const pa = packA + <usize>((ir * kc + k0 * MR) * 4);
            const pbT = pb + <usize>(k0 * NR * 4);
            const cT = cCol + <usize>r0 * ldcB;
            if (MR == 6) microTile6(pa, pbT, k1 - k0, cT, ldcB, mr, nr, ld, biasT);
            else microTile(pa, pbT, k1 - k0, cT, ldcB, mr, nr, ld, biasT);
          }
        }
      }
    }
  }
}

/** The registered matmul: units (batch item × row block × column block) of MatmulArgs (../args.ts). */
export function matmul(args: usize): void {
  const a = MatmulArgs.a(args);
  const b = MatmulArgs.b(args);
  const out = MatmulArgs.out(args);
  const bias = MatmulArgs.bias(args);
  const batch = MatmulArgs.batch(args);
  const M = MatmulArgs.M(args);
  const N = MatmulArgs.N(args);
  const K = MatmulArgs.K(args);
  const transA = MatmulArgs.transA(args);
  const transB = MatmulArgs.transB(args);
  const strideA = MatmulArgs.strideA(args);
  const strideB = MatmulArgs.strideB(args);
  const strideOut = MatmulArgs.strideOut(args);
  const accumulate = MatmulArgs.accumulate(args);
  const rowsPer = MatmulArgs.rowsPerUnit(args);
  const colsPer = MatmulArgs.colsPerUnit(args);
  const nRowU = MatmulArgs.rowUnits(args);
  const nColU = MatmulArgs.colUnits(args);
  const nBatchU = MatmulArgs.batchUnits(args);
  const total = nRowU * nColU * nBatchU;
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= total) break;
    const per = nRowU * nColU;
    const ub = u / per;
    const r0 = ((u % per) / nColU) * rowsPer;
    const c0 = (u % nColU) * colsPer;
    const rows = min(M, r0 + rowsPer) - r0;
    const cols = min(N, c0 + colsPer) - c0;
    const b0 = nBatchU == 1 ? 0 : ub;
    const b1 = nBatchU == 1 ? batch : ub + 1;
    // Offsets of this unit's rows of op(A), columns of op(B) and tile of out.
    const aOff = <usize>(transA ? r0 : r0 * lda) * 4;
    const bOff = <usize>(transB ? c0 * ldb : c0) * 4;
    const oOff = <usize>(r0 * N + c0) * 4;
    const biasU: usize = bias == 0 ? 0 : bias + <usize>(c0 * 4);
    for (let bi = b0; bi < b1; bi++) {
      gemm(
        a + <usize>(bi * strideA) * 4 + aOff, lda, transA,
        b + <usize>(bi * strideB) * 4 + bOff, ldb, transB,
        out + <usize>(bi * strideOut) * 4 + oOff, N, rows, cols, K,
        accumulate || (strideOut == 0 && bi > 0), biasU,
      );
    }
  }
}
