/**
 * WGSL strided batched GEMM (MatmulArgs): 64×64 output tiles per workgroup of 16×16 threads, each
 * thread a 4×4 register block; 64×16 tiles of A and B staged in workgroup memory per K step.
 * Transposes are element strides in the uniform block (A(i,k) = a[i·aRow + k·aCol], B(k,j) =
 * b[k·bRow + j·bCol]); tile loads map consecutive threads along whichever index is contiguous.
 * Batches run over workgroup z with per-batch offsets; strideOut = 0 (sum over the batch, only with
 * accumulate) loops over the batch inside one workgroup instead, so no two workgroups write one
 * output. Bias and accumulate are fused into the store.
 *
 * Thread (tx, ty) owns rows ty + 16r and columns tx + 16c (r, c < 4), so neighbouring invocations
 * read neighbouring words of the tiles and write neighbouring outputs (coalesced on GPUs, contiguous
 * vector loads across llvmpipe's SIMD lanes).
 *
 * Test: webgpu/spec_test.ts (spec/matmul_test.ts), webgpu/webgpu_test.ts (tile edges, large K).
 */
import type { MatmulArgs } from "../../kernel_types.ts";
import { dispatch, type Program } from "../shader.ts";

const MATMUL: Program = {
  name: "matmul",
  params:
    "M: u32, N: u32, K: u32, batch: u32, sA: u32, sB: u32, sO: u32, aRow: u32, aCol: u32, bRow: u32, bCol: u32, acc: u32, hasBias: u32, sumBatch: u32",
  bindings: [
    ["a", "r", "f32"],
    ["b", "r", "f32"],
    ["bias", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: ["$TH", "$TH"],
  extra: `var<workgroup> As: array<f32, $TK * $TS>;
var<workgroup> Bs: array<f32, $TK * $TS>;`,
  body: `let tx = lid.x;
let ty = lid.y;
let rowBase = wid.y * \${TS}u;
let colBase = wid.x * \${TS}u;
var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
var b0 = wid.z;
var b1 = wid.z + 1u;
if (p.sumBatch == 1u) { b0 = 0u; b1 = p.batch; }
for (var bi = b0; bi < b1; bi = bi + 1u) {
  let oa = bi * p.sA;
  let ob = bi * p.sB;
  for (var k0 = 0u; k0 < p.K; k0 = k0 + \${TK}u) {
    for (var q = 0u; q < $TK * $TS / ($TH * $TH); q = q + 1u) {
      let e = lidx + q * $TH * $TH;
      var kk: u32; var ii: u32;
      if (p.aCol == 1u) { ii = e / \${TK}u; kk = e % \${TK}u; } else { kk = e / \${TS}u; ii = e % \${TS}u; }
      let gi = rowBase + ii;
      let gk = k0 + kk;
      var v = 0.0;
      if (gi < p.M && gk < p.K) { v = a[oa + gi * p.aRow + gk * p.aCol]; }
      As[kk * \${TS}u + ii] = v;
      var jj: u32;
      if (p.bCol == 1u) { kk = e / \${TS}u; jj = e % \${TS}u; } else { jj = e / \${TK}u; kk = e % \${TK}u; }
      let gj = colBase + jj;
      let gk2 = k0 + kk;
      var w = 0.0;
      if (gj < p.N && gk2 < p.K) { w = b[ob + gk2 * p.bRow + gj * p.bCol]; }
      Bs[kk * \${TS}u + jj] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < \${TK}u; kk = kk + 1u) {
      let ao = kk * \${TS}u + ty;
      let bo = kk * \${TS}u + tx;
      let av = vec4f(As[ao], As[ao + \${TH}u], As[ao + 2u * \${TH}u], As[ao + 3u * \${TH}u]);
      let bv = vec4f(Bs[bo], Bs[bo + \${TH}u], Bs[bo + 2u * \${TH}u], Bs[bo + 3u * \${TH}u]);
      c0 = c0 + av.x * bv;
      c1 = c1 + av.y * bv;
      c2 = c2 + av.z * bv;
      c3 = c3 + av.w * bv;
    }
    workgroupBarrier();
  }
}
var oo = wid.z * p.sO;
if (p.sumBatch == 1u) { oo = 0u; }
let rows = array<vec4f, 4>(c0, c1, c2, c3);
for (var r = 0u; r < 4u; r = r + 1u) {
  let gi = rowBase + ty + \${TH}u * r;
  if (gi >= p.M) { continue; }
  let cr = rows[r];
  for (var c = 0u; c < 4u; c = c + 1u) {
    let gj = colBase + tx + \${TH}u * c;
    if (gj >= p.N) { continue; }
    var v = cr[c];
    if (p.hasBias == 1u) { v = v + bias[gj]; }
    let o = oo + gi * p.N + gj;
    if (p.acc == 1u) { v = v + out[o]; }
    out[o] = v;
  }
}`,
};

/**
 * Output tile TS×TS per workgroup of TH×TH threads (each 4×4, so TS = 4·TH), K step TK. 64/16/16 and
 * 32/8/32 ran alike on llvmpipe; 64/16/16 suits GPUs (256 threads, 8 KiB of workgroup memory).
 */
const TILE = { TS: 64, TH: 16, TK: 16 };

export function matmul(args: MatmulArgs): void {
  const { a, b, out, bias, batch, M, N, K, transA, transB, strideA, strideB, strideOut, accumulate } = args;
  const sumBatch = strideOut === 0 && batch > 1;
  dispatch(
    MATMUL,
    [a, b, bias ?? a, out],
    {
      M,
      N,
      K,
      batch,
      sA: strideA,
      sB: strideB,
      sO: strideOut,
      aRow: transA ? 1 : K,
      aCol: transA ? M : 1,
      bRow: transB ? 1 : N,
      bCol: transB ? K : 1,
      acc: accumulate ? 1 : 0,
      hasBias: bias ? 1 : 0,
      sumBatch: sumBatch ? 1 : 0,
    },
    [Math.ceil(N / TILE.TS), Math.ceil(M / TILE.TS), sumBatch ? 1 : batch],
    TILE,
  );
}
