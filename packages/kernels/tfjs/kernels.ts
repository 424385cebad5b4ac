/**
 * The tfjs backend's kernels other than attention and rope (those are in attention.ts): each one
 * composes @tensorflow/tfjs-core ops inside `tf.tidy` and replaces its outputs' tensors; nothing is
 * read back to the host except the integer ids/targets that must be range-checked (free for tensors
 * created from host data). Semantics follow the ts reference kernels (backends/ts/); accumulation is
 * in f32 on the tfjs backend.
 *
 * Test: packages/kernels/tfjs/spec_test.ts (every spec in spec/ against the ts reference).
 */
import type * as TF from "@tensorflow/tfjs-core";
import type { FusedKernelName, KernelMap, MatmulArgs } from "../kernel_types.ts";
import type { Tensor } from "../tensor.ts";
import { gemm, type Io } from "./util.ts";

type Kernels = Omit<
  KernelMap,
  "attention" | "attentionBackward" | "attentionDecode" | "kvCacheWrite" | "rope" | FusedKernelName
>;

const GELU_C = Math.sqrt(2 / Math.PI);

function checkRange(kernel: string, what: string, ids: Int32Array, V: number, allowNegative: boolean) {
  for (let n = 0; n < ids.length; n++) {
    const v = ids[n]!;
    if (v >= V || (v < 0 && !allowNegative)) {
      throw new Error(
        allowNegative
          ? `${kernel}: target ${v} at row ${n} is outside the vocabulary [0, ${V}). Fix: remap targets (use −1 for padding).`
          : `${kernel}: ${what} ${v} at position ${n} is outside the vocabulary [0, ${V}). Fix: clamp or remap ids.`,
      );
    }
  }
}

export function coreKernels({ tf, T, host, put, ts }: Io): Kernels {
  /** One batched operand [batch|1, rows, cols] of a strided GEMM, or null for layouts not covered. */
  const operand = (
    x: Tensor,
    stride: number,
    batch: number,
    rows: number,
    cols: number,
  ): TF.Tensor | null => {
    const n = rows * cols;
    if (stride !== 0 && stride !== n) return null;
    const items = stride === 0 ? 1 : batch;
    if (x.size < items * n) return null;
    const flat = T(x, [x.size]);
    return tf.reshape(x.size === items * n ? flat : tf.slice(flat, 0, items * n), [items, rows, cols]);
  };

  const matmul = (args: MatmulArgs): void => {
    const { a, b, out, bias, batch, M, N, K, transA, transB, strideA, strideB, strideOut } = args;
    if ((strideOut !== 0 && strideOut !== M * N) || out.size !== (strideOut === 0 ? M * N : batch * M * N)) {
      ts("matmul")(args);
      return;
    }
    if (out.size === 0) return;
    const r = tf.tidy((): TF.Tensor[] => {
      const A = operand(a, strideA, batch, transA ? K : M, transA ? M : K);
      const B = operand(b, strideB, batch, transB ? N : K, transB ? K : N);
      if (A === null || B === null) return [];
      let y = K === 0 ? tf.zeros([1, M, N]) : gemm(tf, A, B, transA, transB);
      if (strideOut === 0) y = tf.mul(tf.sum(y, 0), batch / y.shape[0]!);
      else if (y.shape[0] !== batch) y = tf.tile(y, [batch, 1, 1]);
      if (bias) y = tf.add(y, T(bias, [N]));
      if (args.accumulate) y = tf.add(y, T(out, y.shape));
      return [y];
    });
    if (r.length === 0)
      ts("matmul")(args); // a strided layout not covered here: the reference
    else put(out, r[0]!);
  };

  /** b broadcast over a (b's shape is a suffix of a's). */
  const binary =
    (op: "add" | "mul") =>
    ({ a, b, out }: { a: Tensor; b: Tensor; out: Tensor }) => {
      if (a.size === 0 || b.size === 0) return;
      put(
        out,
        tf.tidy(() => tf[op](T(a, [a.size / b.size, b.size]), T(b, [b.size]))),
      );
    };

  return {
    matmul,
    add: binary("add"),
    mul: binary("mul"),
    scale: ({ x, out, alpha }) =>
      put(
        out,
        tf.tidy(() => tf.mul(T(x), alpha)),
      ),
    axpy: ({ x, y, alpha }) =>
      put(
        y,
        tf.tidy(() => tf.add(T(y), tf.mul(T(x), alpha))),
      ),
    fill: ({ out, value }) => put(out, tf.fill([out.size], value, out.dtype === "i32" ? "int32" : "float32")),
    cast: ({ x, out }) =>
      put(
        out,
        tf.tidy(() => {
          if (out.dtype === x.dtype) return tf.clone(T(x));
          return out.dtype === "i32" ? tf.cast(tf.round(T(x)), "int32") : tf.cast(T(x), "float32");
        }),
      ),
    sum: ({ x, out, rows, cols, mode, alpha }) =>
      put(
        out,
        tf.tidy(() => {
          const x2 = T(x, [rows, cols]);
          const s = mode === "all" ? tf.reshape(tf.sum(x2), [1]) : tf.sum(x2, mode === "last" ? 1 : 0);
          return tf.mul(s, alpha);
        }),
      ),
    expand: ({ x, out, rows, cols, mode, alpha }) => {
      if (out.size === 0) return;
      put(
        out,
        tf.tidy(() =>
          mode === "all"
            ? tf.mul(tf.tile(T(x, [1]), [out.size]), alpha)
            : tf.mul(tf.tile(T(x, [rows, 1]), [1, cols]), alpha),
        ),
      );
    },
    sumSquares: ({ x, out, accumulate }) =>
      put(
        out,
        tf.tidy(() => {
          const s = tf.reshape(tf.sum(tf.square(T(x))), [1]);
          return accumulate ? tf.add(s, T(out)) : s;
        }),
      ),
    copyColumns: ({ src, dst, rows, srcCols, srcStart, dstCols, dstStart, n, accumulate }) => {
      if (rows === 0 || n === 0) return;
      put(
        dst,
        tf.tidy(() => {
          const d = T(dst, [rows, dstCols]);
          let piece = tf.slice(T(src, [rows, srcCols]), [0, srcStart], [rows, n]);
          if (accumulate) piece = tf.add(piece, tf.slice(d, [0, dstStart], [rows, n]));
          const parts = [piece];
          if (dstStart > 0) parts.unshift(tf.slice(d, [0, 0], [rows, dstStart]));
          const end = dstStart + n;
          if (end < dstCols) parts.push(tf.slice(d, [0, end], [rows, dstCols - end]));
          return parts.length === 1 ? piece : tf.concat(parts, 1);
        }),
      );
    },
    embedding: ({ ids, table, out, N, D, V }) => {
      checkRange("embedding", "id", host(ids), V, false);
      if (out.size === 0) return;
      put(
        out,
        tf.tidy(() => tf.gather(T(table, [V, D]), T(ids, [N]))),
      );
    },
    embeddingBackward: ({ dOut, ids, dTable, N, D, V, accumulate }) => {
      checkRange("embeddingBackward", "id", host(ids), V, false);
      if (dTable.size === 0) return;
      put(
        dTable,
        tf.tidy(() => {
          const g = N === 0 ? tf.zeros([V, D]) : tf.scatterND(T(ids, [N, 1]), T(dOut, [N, D]), [V, D]);
          return accumulate ? tf.add(g, T(dTable, [V, D])) : g;
        }),
      );
    },
    layernorm: ({ x, weight, bias, out, mean, rstd, rows, D, eps }) => {
      if (rows === 0) return;
      const [o, m, r] = tf.tidy(() => {
        const x2 = T(x, [rows, D]);
        const mu = tf.mean(x2, 1, true);
        const xc = tf.sub(x2, mu);
        const rs = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps));
        let y = tf.mul(tf.mul(xc, rs), T(weight, [D]));
        if (bias) y = tf.add(y, T(bias, [D]));
        return [y, mu, rs];
      });
      put(out, o!);
      put(mean, m!);
      put(rstd, r!);
    },
    layernormBackward: ({ dOut, x, weight, mean, rstd, dX, dWeight, dBias, rows, D }) => {
      const [dx, dw, db] = tf.tidy(() => {
        const g = T(dOut, [rows, D]);
        const rs = T(rstd, [rows, 1]);
        const xh = tf.mul(tf.sub(T(x, [rows, D]), T(mean, [rows, 1])), rs);
        const dxh = tf.mul(g, T(weight, [D]));
        const dxv = tf.mul(
          rs,
          tf.sub(tf.sub(dxh, tf.mean(dxh, 1, true)), tf.mul(xh, tf.mean(tf.mul(dxh, xh), 1, true))),
        );
        return [dxv, tf.sum(tf.mul(g, xh), 0), tf.sum(g, 0)];
      });
      put(dX, dx!);
      put(dWeight, dw!);
      if (dBias) put(dBias, db!);
      else db!.dispose();
    },
    rmsnorm: ({ x, weight, out, rstd, rows, D, eps }) => {
      if (rows === 0) return;
      const [o, r] = tf.tidy(() => {
        const x2 = T(x, [rows, D]);
        const rs = tf.rsqrt(tf.add(tf.mean(tf.square(x2), 1, true), eps));
        return [tf.mul(tf.mul(x2, rs), T(weight, [D])), rs];
      });
      put(out, o!);
      put(rstd, r!);
    },
    rmsnormBackward: ({ dOut, x, weight, rstd, dX, dWeight, rows, D }) => {
      const [dx, dw] = tf.tidy(() => {
        const g = T(dOut, [rows, D]);
        const x2 = T(x, [rows, D]);
        const rs = T(rstd, [rows, 1]);
        const gw = tf.mul(g, T(weight, [D]));
        // dx = rs·(g·w) − x·rs³·mean(g·w·x)
        const c = tf.mul(tf.pow(rs, 3), tf.mean(tf.mul(gw, x2), 1, true));
        return [tf.sub(tf.mul(rs, gw), tf.mul(c, x2)), tf.sum(tf.mul(tf.mul(g, x2), rs), 0)];
      });
      put(dX, dx!);
      put(dWeight, dw!);
    },
    gelu: ({ x, out }) =>
      put(
        out,
        tf.tidy(() => {
          const v = T(x);
          const u = tf.mul(tf.add(v, tf.mul(tf.pow(v, 3), 0.044715)), GELU_C);
          return tf.mul(tf.mul(v, 0.5), tf.add(tf.tanh(u), 1));
        }),
      ),
    geluBackward: ({ dOut, x, dX }) =>
      put(
        dX,
        tf.tidy(() => {
          const v = T(x);
          const v2 = tf.square(v);
          const t = tf.tanh(tf.mul(tf.mul(v, tf.add(tf.mul(v2, 0.044715), 1)), GELU_C));
          const du = tf.mul(tf.add(tf.mul(v2, 3 * 0.044715), 1), GELU_C);
          const dy = tf.add(
            tf.mul(tf.add(t, 1), 0.5),
            tf.mul(tf.mul(tf.mul(v, 0.5), tf.sub(1, tf.square(t))), du),
          );
          return tf.mul(T(dOut), dy);
        }),
      ),
    silu: ({ x, out }) =>
      put(
        out,
        tf.tidy(() => tf.mul(T(x), tf.sigmoid(T(x)))),
      ),
    siluBackward: ({ dOut, x, dX }) =>
      put(
        dX,
        tf.tidy(() => {
          const v = T(x);
          const s = tf.sigmoid(v);
          return tf.mul(T(dOut), tf.mul(s, tf.add(tf.mul(v, tf.sub(1, s)), 1)));
        }),
      ),
    swiglu: ({ gate, up, out }) =>
      put(
        out,
        tf.tidy(() => tf.mul(tf.mul(T(gate), tf.sigmoid(T(gate))), T(up))),
      ),
    swigluBackward: ({ dOut, gate, up, dGate, dUp }) => {
      const [dg, du] = tf.tidy(() => {
        const a = T(gate);
        const g = T(dOut);
        const s = tf.sigmoid(a);
        const ds = tf.mul(s, tf.add(tf.mul(a, tf.sub(1, s)), 1));
        return [tf.mul(tf.mul(g, T(up)), ds), tf.mul(g, tf.mul(a, s))];
      });
      put(dGate, dg!);
      put(dUp, du!);
    },
    softmax: ({ x, out, rows, cols }) => {
      if (rows === 0 || cols === 0) return;
      put(
        out,
        tf.tidy(() => tf.softmax(T(x, [rows, cols]))),
      );
    },
    softmaxBackward: ({ dOut, out, dX, rows, cols }) => {
      if (rows === 0 || cols === 0) return;
      put(
        dX,
        tf.tidy(() => {
          const g = T(dOut, [rows, cols]);
          const y = T(out, [rows, cols]);
          return tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), 1, true)));
        }),
      );
    },
    logSoftmaxGather: ({ logits, targets, logp, lse, N, V }) => {
      const tg = host(targets);
      checkRange("logSoftmaxGather", "target", tg, V, true);
      if (N === 0) return;
      const idx = Int32Array.from(tg, (t, n) => n * V + Math.max(t, 0));
      const valid = Float32Array.from(tg, (t) => (t < 0 ? 0 : 1));
      const [lp, l] = tf.tidy(() => {
        const x = T(logits, [N, V]);
        const ls = tf.logSumExp(x, 1);
        const picked = tf.gather(tf.reshape(x, [N * V]), tf.tensor1d(idx, "int32"));
        return [tf.mul(tf.sub(picked, ls), tf.tensor1d(valid)), ls];
      });
      put(logp, lp!);
      put(lse, l!);
    },
    logSoftmaxGatherBackward: ({ dLogp, logits, targets, lse, dLogits, N, V }) => {
      const tg = host(targets);
      checkRange("logSoftmaxGatherBackward", "target", tg, V, true);
      if (N === 0) return;
      const valid = Float32Array.from(tg, (t) => (t < 0 ? 0 : 1));
      put(
        dLogits,
        tf.tidy(() => {
          const p = tf.exp(tf.sub(T(logits, [N, V]), T(lse, [N, 1])));
          const onehot = tf.cast(
            tf.equal(tf.range(0, V, 1, "int32"), tf.tensor2d(tg, [N, 1], "int32")),
            "float32",
          );
          const g = tf.mul(T(dLogp, [N, 1]), tf.tensor2d(valid, [N, 1]));
          return tf.mul(g, tf.sub(onehot, p));
        }),
      );
    },
    adamw: ({ param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step }) => {
      const stepSize = lr / (1 - beta1 ** step);
      const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
      const [p, m1, v1] = tf.tidy(() => {
        const g = T(grad);
        const mi = tf.add(tf.mul(T(m), beta1), tf.mul(g, 1 - beta1));
        const vi = tf.add(tf.mul(T(v), beta2), tf.mul(tf.square(g), 1 - beta2));
        const upd = tf.div(tf.mul(mi, stepSize), tf.add(tf.div(tf.sqrt(vi), sqrtBc2), eps));
        return [tf.sub(tf.mul(T(param), 1 - lr * weightDecay), upd), mi, vi];
      });
      put(param, p!);
      put(m, m1!);
      put(v, v1!);
    },
  };
}
