/**
 * Reference strided batched GEMM (see MatmulArgs in kernel_types.ts), float64 accumulation.
 * Inner loops run over contiguous memory in both the plain and the transB layout.
 */
import type { MatmulArgs } from "../../kernel_types.ts";
import { F } from "./util.ts";

export function matmul(args: MatmulArgs): void {
  const { batch, M, N, K, transA, transB, strideA, strideB, strideOut, accumulate } = args;
  const a = F(args.a);
  const b = F(args.b);
  const out = F(args.out);
  const bias = args.bias ? F(args.bias) : null;
  const aRow = new Float64Array(K);
  const acc = new Float64Array(N);
  for (let bi = 0; bi < batch; bi++) {
    const oa = bi * strideA;
    const ob = bi * strideB;
    const oc = bi * strideOut;
    for (let i = 0; i < M; i++) {
      if (transA) for (let p = 0; p < K; p++) aRow[p] = a[oa + p * M + i]!;
      else for (let p = 0; p < K; p++) aRow[p] = a[oa + i * K + p]!;
      if (transB) {
        for (let j = 0; j < N; j++) {
          const ro = ob + j * K;
          let s = 0;
          for (let p = 0; p < K; p++) s += aRow[p]! * b[ro + p]!;
          acc[j] = s;
        }
      } else {
        acc.fill(0);
        for (let p = 0; p < K; p++) {
          const av = aRow[p]!;
          if (av === 0) continue;
          const ro = ob + p * N;
          for (let j = 0; j < N; j++) acc[j]! += av * b[ro + j]!;
        }
      }
      const ro = oc + i * N;
      for (let j = 0; j < N; j++) {
        let v = acc[j]!;
        if (bias) v += bias[j]!;
        out[ro + j] = accumulate ? out[ro + j]! + v : v;
      }
    }
  }
}
