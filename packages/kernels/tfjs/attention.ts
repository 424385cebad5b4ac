/**
 * The tfjs backend's attention kernels (forward, backward, KV-cache decode and write) and rope, as
 * tfjs-core ops on [B, H, T, Dh] tensors: scores = Q·Kᵀ·scale plus a mask built on the host from the
 * per-sequence options (causal, keyStart/keyEnd, packed segments), a softmax that leaves rows without
 * a valid key at zero (lse 0), and the backward from the saved lse. Grouped-query heads read kv head
 * ⌊h·Hkv/H⌋: K/V are tiled to H heads, and dK/dV summed back over each group.
 *
 * Test: packages/kernels/tfjs/spec_test.ts (spec/attention_test.ts, attention_packed_test.ts,
 * rope_test.ts against the ts reference).
 */
import type * as TF from "@tensorflow/tfjs-core";
import type { AttentionArgs, KernelMap } from "../kernel_types.ts";
import type { Io } from "./util.ts";

type Kernels = Pick<
  KernelMap,
  "attention" | "attentionBackward" | "attentionDecode" | "kvCacheWrite" | "rope"
>;

/**
 * Additive mask [B, T, T] (0 where query t may see key j, −∞ elsewhere) and a per-row flag [B, T]
 * (1 where the row sees no key), following the ts reference's key ranges.
 */
export function attentionMask(a: Omit<AttentionArgs, "q" | "k" | "v" | "out" | "lse">): {
  bias: Float32Array;
  empty: Float32Array;
} {
  const { B, T } = a;
  const bias = new Float32Array(B * T * T).fill(Number.NEGATIVE_INFINITY);
  const empty = new Float32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const lo = Math.max(0, a.keyStart ? a.keyStart[b]! : 0);
      const hi = Math.min(t, (a.keyEnd ? a.keyEnd[b]! : T) - 1);
      const gapLo = a.prefixLen ? a.prefixLen[b]! : 0;
      const gapHi = a.segStart ? Math.max(gapLo, a.segStart[b * T + t]!) : gapLo;
      const row = (b * T + t) * T;
      for (let j = lo; j <= hi; j++) {
        if (j >= gapLo && j < gapHi) continue;
        bias[row + j] = 0;
        empty[b * T + t] = 0;
      }
    }
  }
  return { bias, empty };
}

export function attentionKernels({ tf, T, put }: Io): Kernels {
  /** [B, T, Hx, Dh] → [B, Hx, T, Dh]. */
  const heads = (x: TF.Tensor) => tf.transpose(x, [0, 2, 1, 3]);
  /** [B, Hkv, S, Dh] → [B, H, S, Dh], kv head kh repeated for its group of query heads. */
  const widen = (x: TF.Tensor, B: number, Hkv: number, group: number, S: number, Dh: number) =>
    group === 1
      ? x
      : tf.reshape(tf.tile(tf.reshape(x, [B, Hkv, 1, S, Dh]), [1, 1, group, 1, 1]), [B, Hkv * group, S, Dh]);
  /** Sums a [B, H, S, Dh] gradient over each group back to [B, Hkv, S, Dh]. */
  const narrow = (x: TF.Tensor, B: number, Hkv: number, group: number, S: number, Dh: number) =>
    group === 1 ? x : tf.sum(tf.reshape(x, [B, Hkv, group, S, Dh]), 2);
  /** Batched [B, H, R, C] product through 3-D matMul. */
  const bmm = (x: TF.Tensor, y: TF.Tensor, tx: boolean, ty: boolean) => {
    const [B, H] = x.shape as number[];
    const r = tf.matMul(
      tf.reshape(x, [B! * H!, ...x.shape.slice(2)]),
      tf.reshape(y, [B! * H!, ...y.shape.slice(2)]),
      tx,
      ty,
    );
    return tf.reshape(r, [B!, H!, ...r.shape.slice(1)]);
  };
  /** Masked softmax rows: probabilities (zero rows where no key is valid) and lse (0 there). */
  const softmaxRows = (s: TF.Tensor, empty: TF.Tensor) => {
    const m = tf.max(s, -1, true);
    const finite = tf.isFinite(m);
    const p = tf.exp(tf.sub(s, tf.where(finite, m, tf.zerosLike(m))));
    const sum = tf.sum(p, -1, true);
    const lse = tf.where(finite, tf.add(m, tf.log(sum)), tf.zerosLike(m));
    return { p: tf.div(p, tf.add(sum, empty)), lse };
  };

  return {
    attention: (args) => {
      const { q, k, v, out, lse, B, T: L, H, Hkv, Dh, scale } = args;
      if (q.size === 0) return;
      const mask = attentionMask(args);
      const group = H / Hkv;
      const [o, l] = tf.tidy(() => {
        const qh = heads(T(q, [B, L, H, Dh]));
        const kh = widen(heads(T(k, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const vh = widen(heads(T(v, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const s = tf.add(tf.mul(bmm(qh, kh, false, true), scale), tf.tensor4d(mask.bias, [B, 1, L, L]));
        const sm = softmaxRows(s, tf.tensor4d(mask.empty, [B, 1, L, 1]));
        return [heads(bmm(sm.p, vh, false, false)), sm.lse];
      });
      put(out, o!);
      put(lse, l!);
    },
    attentionBackward: (args) => {
      const { dOut, q, k, v, out, lse, dQ, dK, dV, B, T: L, H, Hkv, Dh, scale } = args;
      if (q.size === 0) return;
      const mask = attentionMask(args);
      const group = H / Hkv;
      const [dq, dk, dv] = tf.tidy(() => {
        const qh = heads(T(q, [B, L, H, Dh]));
        const kh = widen(heads(T(k, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const vh = widen(heads(T(v, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const g = heads(T(dOut, [B, L, H, Dh]));
        const s = tf.add(tf.mul(bmm(qh, kh, false, true), scale), tf.tensor4d(mask.bias, [B, 1, L, L]));
        const p = tf.exp(tf.sub(s, T(lse, [B, H, L, 1])));
        const d = tf.sum(tf.mul(g, heads(T(out, [B, L, H, Dh]))), -1, true);
        const ds = tf.mul(tf.mul(p, tf.sub(bmm(g, vh, false, true), d)), scale);
        return [
          heads(bmm(ds, kh, false, false)),
          heads(narrow(bmm(ds, qh, true, false), B, Hkv, group, L, Dh)),
          heads(narrow(bmm(p, g, true, false), B, Hkv, group, L, Dh)),
        ];
      });
      put(dQ, dq!);
      put(dK, dk!);
      put(dV, dv!);
    },
    attentionDecode: ({ q, kCache, vCache, out, B, Tq, H, Hkv, Dh, Tmax, scale, pos, keyStart }) => {
      if (q.size === 0) return;
      const bias = new Float32Array(B * Tq * Tmax).fill(Number.NEGATIVE_INFINITY);
      const empty = new Float32Array(B * Tq).fill(1);
      for (let b = 0; b < B; b++) {
        const lo = Math.max(0, keyStart ? keyStart[b]! : 0);
        for (let i = 0; i < Tq; i++) {
          const hi = Math.min(pos[b]! + i, Tmax - 1);
          if (lo <= hi) empty[b * Tq + i] = 0;
          bias.fill(0, (b * Tq + i) * Tmax + lo, (b * Tq + i) * Tmax + hi + 1);
        }
      }
      const group = H / Hkv;
      put(
        out,
        tf.tidy(() => {
          const qh = heads(T(q, [B, Tq, H, Dh]));
          const kh = widen(T(kCache, [B, Hkv, Tmax, Dh]), B, Hkv, group, Tmax, Dh);
          const vh = widen(T(vCache, [B, Hkv, Tmax, Dh]), B, Hkv, group, Tmax, Dh);
          const s = tf.add(tf.mul(bmm(qh, kh, false, true), scale), tf.tensor4d(bias, [B, 1, Tq, Tmax]));
          const sm = softmaxRows(s, tf.tensor4d(empty, [B, 1, Tq, 1]));
          return heads(bmm(sm.p, vh, false, false));
        }),
      );
    },
    kvCacheWrite: ({ x, cache, B, Tq, Hkv, Dh, Tmax, pos }) => {
      if (x.size === 0) return;
      const rows = new Int32Array(B * Tq * Hkv);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < Tq; t++)
          for (let h = 0; h < Hkv; h++) rows[(b * Tq + t) * Hkv + h] = (b * Hkv + h) * Tmax + pos[b]! + t;
      put(
        cache,
        tf.tidy(() =>
          tf.tensorScatterUpdate(
            T(cache, [B * Hkv * Tmax, Dh]),
            tf.tensor2d(rows, [rows.length, 1], "int32"),
            T(x, [rows.length, Dh]),
          ),
        ),
      );
    },
    rope: ({ x, out, B, T: L, H, Dh, offsets, positions, theta, style, inverse }) => {
      if (x.size === 0) return;
      const half = Dh / 2;
      const cos = new Float32Array(B * L * half);
      const sin = new Float32Array(B * L * half);
      for (let r = 0; r < B * L; r++) {
        const p = positions ? positions[r]! : offsets[Math.floor(r / L)]! + (r % L);
        for (let i = 0; i < half; i++) {
          const ang = p * theta ** ((-2 * i) / Dh);
          cos[r * half + i] = Math.cos(ang);
          sin[r * half + i] = inverse ? -Math.sin(ang) : Math.sin(ang);
        }
      }
      put(
        out,
        tf.tidy(() => {
          const inter = style === "interleaved";
          const shape = inter ? [B * L, H, half, 2] : [B * L, H, 2, half];
          const tab = (a: Float32Array) => tf.tensor4d(a, inter ? [B * L, 1, half, 1] : [B * L, 1, 1, half]);
          const xs = T(x, shape);
          const [x1, x2] = tf.split(xs, 2, inter ? 3 : 2);
          const c = tab(cos);
          const s = tab(sin);
          const o1 = tf.sub(tf.mul(x1!, c), tf.mul(x2!, s));
          const o2 = tf.add(tf.mul(x2!, c), tf.mul(x1!, s));
          return tf.concat([o1, o2], inter ? 3 : 2);
        }),
      );
    },
  };
}
