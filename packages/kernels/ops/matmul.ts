/**
 * matmul and its backward.
 *
 *   matmul(a, b, {transA, transB, bias}) → out
 *     a: [M,K] or batched [B,M,K]   (transA: [K,M] / [B,K,M])
 *     b: [K,N] or batched [B,K,N]   (transB: [N,K] / [B,N,K]); a 2-D operand broadcasts over the batch
 *     bias: [N] (optional, added to every row)      out: [M,N] or [B,M,N]
 *   matmulBackward(dOut, a, b, opts) → {dA, dB, dBias}   (dB summed over the batch when b is 2-D)
 *
 * A 3-D `a` times a 2-D weight (the linear layer) runs as one [B·M, K]×[K, N] GEMM.
 * Test: packages/kernels/spec/matmul_test.ts.
 */
import type { Backend } from "../backends/backend.ts";
import type { MatmulArgs } from "../kernel_types.ts";
import type { Tensor } from "../tensor.ts";
import { alloc, checkInputs, fail, type Named, run } from "./check.ts";
import { axpyInto } from "./elementwise.ts";
import { sumLeading } from "./reduce.ts";

export interface MatmulOptions {
  /** Use a's last two dims transposed (a stored [K,M]); default false. */
  transA?: boolean;
  /** Use b's last two dims transposed (b stored [N,K], e.g. an nn.Linear / tied-embedding weight); default false. */
  transB?: boolean;
  /** Bias [N] added to every output row; default none. */
  bias?: Tensor | null;
}

interface Dims {
  batch: number;
  M: number;
  N: number;
  K: number;
  aBatched: boolean;
  bBatched: boolean;
  outShape: number[];
}

function dims(kernel: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean, inputs: Named): Dims {
  if (a.rank !== 2 && a.rank !== 3)
    fail(kernel, `"a" must be 2-D or 3-D`, inputs, "reshape a to [M,K] or [B,M,K]");
  if (b.rank !== 2 && b.rank !== 3)
    fail(kernel, `"b" must be 2-D or 3-D`, inputs, "reshape b to [K,N] or [B,K,N]");
  const ar = a.shape.slice(-2) as [number, number];
  const br = b.shape.slice(-2) as [number, number];
  const [M, Ka] = transA ? [ar[1], ar[0]] : ar;
  const [Kb, N] = transB ? [br[1], br[0]] : br;
  if (Ka !== Kb) {
    fail(
      kernel,
      `inner dimensions differ: op(a) is [${M},${Ka}] and op(b) is [${Kb},${N}] (transA=${transA}, transB=${transB})`,
      inputs,
      "make a's K equal b's K, or set transA/transB to match how the operands are stored",
    );
  }
  const aBatched = a.rank === 3;
  const bBatched = b.rank === 3;
  if (aBatched && bBatched && a.shape[0] !== b.shape[0]) {
    fail(kernel, "batch sizes differ", inputs, "use equal batch sizes, or a 2-D operand to broadcast");
  }
  const batch = aBatched ? a.shape[0]! : bBatched ? b.shape[0]! : 1;
  const outShape = aBatched || bBatched ? [batch, M, N] : [M, N];
  return { batch, M, N, K: Ka, aBatched, bBatched, outShape };
}

/**
 * out = [out +] op(a)·op(b) [+ bias], batched with the given element strides (0 = broadcast / sum).
 * A stride-0 output summed over a batch always accumulates; a linear layer (batched a, shared b)
 * runs as one [batch·M, K] GEMM.
 */
function gemm(backend: Backend, args: MatmulArgs): void {
  const { batch, M, N, K, strideA, strideB, strideOut, transA } = args;
  const linear = batch > 1 && strideA === M * K && strideB === 0 && strideOut === M * N && !transA;
  const accumulate = args.accumulate || (strideOut === 0 && batch > 1);
  run("matmul", backend, linear ? { ...args, M: batch * M, batch: 1 } : { ...args, accumulate });
}

/** Matrix product op(a)·op(b) (+ bias). See the file header for shapes. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const bias = opts.bias ?? null;
  const inputs = { a, b, bias };
  const { backend, dtype } = checkInputs("matmul", inputs);
  const d = dims("matmul", a, b, transA, transB, inputs);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== d.N)) {
    fail(
      "matmul",
      `"bias" must have shape [${d.N}] (the output's last dim)`,
      inputs,
      `pass a bias of shape [${d.N}]`,
    );
  }
  const out = alloc("matmul", backend, d.outShape, dtype, false); // every element written
  const sA = d.aBatched ? d.M * d.K : 0;
  const sB = d.bBatched ? d.K * d.N : 0;
  const { batch, M, N, K } = d;
  gemm(backend, {
    ...{ a, b, out, bias, batch, M, N, K, transA, transB },
    ...{ strideA: sA, strideB: sB, strideOut: M * N, accumulate: false },
  });
  return out;
}

export interface MatmulBackwardOptions extends MatmulOptions {
  /** Compute dBias = Σ_rows dOut (set when the forward had a bias); default: whether `bias` is given. */
  hasBias?: boolean;
  /** Compute dA; default true (skip for a first layer whose input needs no gradient). */
  computeDA?: boolean;
  /** Compute dB; default true. */
  computeDB?: boolean;
  /** Accumulate into these existing gradients (same shapes as a, b, bias) instead of allocating new ones. */
  into?: { dA?: Tensor; dB?: Tensor; dBias?: Tensor };
}

export interface MatmulGrads {
  dA: Tensor | null;
  dB: Tensor | null;
  dBias: Tensor | null;
}

/** Gradients of matmul given dOut (shaped like the forward output). */
export function matmulBackward(
  dOut: Tensor,
  a: Tensor,
  b: Tensor,
  opts: MatmulBackwardOptions = {},
): MatmulGrads {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const into = opts.into ?? {};
  const inputs = { dOut, a, b, ...into };
  const { backend, dtype } = checkInputs("matmulBackward", inputs);
  const d = dims("matmulBackward", a, b, transA, transB, inputs);
  const { batch, M, N, K } = d;
  if (dOut.rank !== d.outShape.length || dOut.shape.some((x, i) => x !== d.outShape[i])) {
    fail(
      "matmulBackward",
      `"dOut" must have the forward output's shape [${d.outShape.join(",")}]`,
      inputs,
      "pass dOut shaped like matmul(a, b)",
    );
  }
  if (d.aBatched && !d.bBatched && !transA && (!into.dA || into.dA.rank === 3)) {
    // A linear layer: [B, M, K] × weight is one [B·M, K] × weight problem (weight grads in one GEMM).
    return linearBackward(dOut, a, b, d, opts);
  }
  for (const [name, t, ref] of [
    ["into.dA", into.dA, a],
    ["into.dB", into.dB, b],
  ] as const) {
    if (t && (t.rank !== ref.rank || t.shape.some((x, i) => x !== ref.shape[i]))) {
      fail(
        "matmulBackward",
        `"${name}" must have the shape of its operand [${ref.shape.join(",")}]`,
        inputs,
        `pass ${name} shaped like the operand`,
      );
    }
  }
  const sA = d.aBatched ? M * K : 0;
  const sB = d.bBatched ? K * N : 0;
  const sC = M * N;
  let dA: Tensor | null = null;
  if (opts.computeDA ?? true) {
    // a batch summed into one 2-D gradient accumulates (gemm): it needs zeroed memory
    dA = into.dA ?? alloc("matmulBackward", backend, a.shape, dtype, sA === 0 && batch > 1);
    gemm(backend, {
      ...{ out: dA, strideOut: sA, batch, K: N, accumulate: into.dA !== undefined, bias: null },
      ...(transA
        ? { a: b, strideA: sB, transA: transB, b: dOut, strideB: sC, transB: true, M: K, N: M }
        : { a: dOut, strideA: sC, transA: false, b, strideB: sB, transB: !transB, M, N: K }),
    });
  }
  let dB: Tensor | null = null;
  if (opts.computeDB ?? true) {
    dB = into.dB ?? alloc("matmulBackward", backend, b.shape, dtype, sB === 0 && batch > 1);
    gemm(backend, {
      ...{ out: dB, strideOut: sB, batch, K: M, accumulate: into.dB !== undefined, bias: null },
      ...(transB
        ? { a: dOut, strideA: sC, transA: true, b: a, strideB: sA, transB: transA, M: N, N: K }
        : { a, strideA: sA, transA: !transA, b: dOut, strideB: sC, transB: false, M: K, N }),
    });
  }
  let dBias: Tensor | null = null;
  if (opts.hasBias ?? (opts.bias != null || into.dBias !== undefined)) {
    const s = sumLeading(dOut);
    if (into.dBias) {
      axpyInto(into.dBias, s, 1);
      s.dispose();
      dBias = into.dBias;
    } else dBias = s;
  }
  return { dA, dB, dBias };
}

/** matmulBackward for a [B, M, K] input times a 2-D weight, run on [B·M, ...] views. */
function linearBackward(
  dOut: Tensor,
  a: Tensor,
  b: Tensor,
  d: Dims,
  opts: MatmulBackwardOptions,
): MatmulGrads {
  const R = d.batch * d.M;
  const views = [a.reshape([R, d.K]), dOut.reshape([R, d.N])] as const;
  const intoA = opts.into?.dA?.reshape([R, d.K]);
  try {
    const g = matmulBackward(views[1], views[0], b, { ...opts, into: { ...opts.into, dA: intoA } });
    let dA = g.dA;
    if (dA && intoA) dA = opts.into!.dA!;
    else if (dA) {
      const flat = dA;
      dA = flat.reshape(a.shape);
      flat.dispose();
    }
    return { ...g, dA };
  } finally {
    views[0].dispose();
    views[1].dispose();
    intoA?.dispose();
  }
}
