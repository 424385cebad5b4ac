/**
 * The tfjs backend's attention kernels (forward, backward, KV-cache decode and write) and rope, as
 * tfjs-core ops on [B, H, T, Dh] tensors: scores = Q·Kᵀ·scale plus a mask built on the host from the
 * per-sequence options (causal, keyStart/keyEnd, packed segments), a softmax that leaves rows without
 * a valid key at zero (lse 0), and a backward that recomputes the probabilities. Grouped-query heads read kv head
 * ⌊h·Hkv/H⌋: K/V are tiled to H heads, and dK/dV summed back over each group.
 *
 * Test: packages/kernels/tfjs/spec_test.ts (spec/attention_test.ts, attention_packed_test.ts,
 * rope_test.ts against the ts reference).
 */
import type * as TF from "@tensorflow/tfjs-core";
import type { AttentionArgs, KernelMap } from "../kernel_types.ts";
import { headwiseAttention } from "./attention_heads.ts";
import type { TfjsStorage } from "./backend.ts";
import { gemm, type Io } from "./util.ts";

type Kernels = Pick<
  KernelMap,
  "attention" | "attentionBackward" | "attentionDecode" | "kvCacheWrite" | "rope"
>;

/** Bias of a masked key: exp underflows to exactly 0 next to any valid key's score. */
const MASKED = -1e30;

/**
 * Additive mask [B, T, T] (0 where query t may see key j, MASKED elsewhere) and a per-row flag [B, T]
 * (1 where the row sees no key), following the ts reference's key ranges.
 */
export function attentionMask(a: Omit<AttentionArgs, "q" | "k" | "v" | "out" | "lse">): {
  bias: Float32Array;
  empty: Float32Array;
} {
  const { B, T } = a;
  const bias = new Float32Array(B * T * T).fill(MASKED);
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

/** tfjs backends whose tensors live in host memory: attention runs per sequence and head there. */
const HOST_MEMORY = new Set(["wasm", "cpu"]);

/**
 * How attention runs: "headwise" (attention_heads.ts: per sequence, kv head and query block, through
 * host arrays), "dense" (batched [B, H, T, T] tfjs ops, tensors never leave the tfjs backend), or
 * "auto": headwise on the host-memory tfjs backends (wasm, cpu), dense on the others (tensorflow,
 * webgpu, webgl), where reading tensors back would synchronise with the device.
 */
export type TfjsAttention = "auto" | "dense" | "headwise";

export function attentionKernels({ tf, T, put }: Io, mode: TfjsAttention = "auto"): Kernels {
  const headwise = headwiseAttention(tf);
  const onHost = () => mode === "headwise" || (mode === "auto" && HOST_MEMORY.has(tf.getBackend()));
  const hostF32 = (t: AttentionArgs["q"]) => (t.storage as TfjsStorage).host() as Float32Array;
  const putHost = (out: AttentionArgs["q"], data: Float32Array) => put(out, tf.tensor1d(data));
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
    const r = gemm(
      tf,
      tf.reshape(x, [B! * H!, ...x.shape.slice(2)]),
      tf.reshape(y, [B! * H!, ...y.shape.slice(2)]),
      tx,
      ty,
    );
    return tf.reshape(r, [B!, H!, ...r.shape.slice(1)]);
  };
  /**
   * Masked softmax rows of scores s [B,H,R,C] plus bias [B,1,R,C] (0 / −1e30): probabilities through
   * tfjs's own softmax kernel, and lse = max(s) − log(max(p)) (exact: the top key's p = e^(m − lse)).
   * Rows without a valid key come out uniform; callers zero them through `keep` [B,1,R,1] (0 there).
   */
  const softmaxRows = (s: TF.Tensor, bias: TF.Tensor, keep: TF.Tensor) => {
    const sb = tf.add(s, bias);
    const p = tf.softmax(sb);
    const lse = tf.mul(tf.sub(tf.max(sb, -1, true), tf.log(tf.max(p, -1, true))), keep);
    return { p, lse };
  };
  /** Host mask arrays as tensors: bias [B,1,R,C] and keep [B,1,R,1] (1 − empty). */
  const maskTensors = (m: { bias: Float32Array; empty: Float32Array }, B: number, R: number, C: number) => ({
    bias: tf.tensor4d(m.bias, [B, 1, R, C]),
    keep: tf.sub(1, tf.tensor4d(m.empty, [B, 1, R, 1])),
  });

  return {
    attention: (args) => {
      const { q, k, v, out, lse, B, T: L, H, Hkv, Dh, scale } = args;
      if (q.size === 0) return;
      if (onHost()) {
        const r = headwise.attention(args, hostF32);
        putHost(out, r.out);
        putHost(lse, r.lse);
        return;
      }
      const mask = attentionMask(args);
      const group = H / Hkv;
      const [o, l] = tf.tidy(() => {
        const qh = tf.mul(heads(T(q, [B, L, H, Dh])), scale);
        const kh = widen(heads(T(k, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const vh = widen(heads(T(v, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const mt = maskTensors(mask, B, L, L);
        const sm = softmaxRows(bmm(qh, kh, false, true), mt.bias, mt.keep);
        return [heads(tf.mul(bmm(sm.p, vh, false, false), mt.keep)), sm.lse];
      });
      put(out, o!);
      put(lse, l!);
    },
    attentionBackward: (args) => {
      const { dOut, q, k, v, out, dQ, dK, dV, B, T: L, H, Hkv, Dh, scale } = args;
      if (q.size === 0) return;
      if (onHost()) {
        const r = headwise.attentionBackward(args, hostF32);
        putHost(dQ, r.dq);
        putHost(dK, r.dk);
        putHost(dV, r.dv);
        return;
      }
      const mask = attentionMask(args);
      const group = H / Hkv;
      const [dq, dk, dv] = tf.tidy(() => {
        const qh = heads(T(q, [B, L, H, Dh]));
        const kh = widen(heads(T(k, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const vh = widen(heads(T(v, [B, L, Hkv, Dh])), B, Hkv, group, L, Dh);
        const mt = maskTensors(mask, B, L, L);
        // P recomputed by the softmax (equal to exp(s − lse)); rows without keys get no gradient
        const p = softmaxRows(bmm(tf.mul(qh, scale), kh, false, true), mt.bias, mt.keep).p;
        const g = tf.mul(heads(T(dOut, [B, L, H, Dh])), mt.keep);
        const d = tf.sum(tf.mul(g, heads(T(out, [B, L, H, Dh]))), -1, true);
        const ds = tf.mul(p, tf.sub(bmm(g, vh, false, true), d));
        return [
          heads(tf.mul(bmm(ds, kh, false, false), scale)),
          heads(tf.mul(narrow(bmm(ds, qh, true, false), B, Hkv, group, L, Dh), scale)),
          heads(narrow(bmm(p, g, true, false), B, Hkv, group, L, Dh)),
        ];
      });
      put(dQ, dq!);
      put(dK, dk!);
      put(dV, dv!);
    },
    attentionDecode: (args) => {
      const { q, kCache, vCache, out, B, Tq, H, Hkv, Dh, Tmax, scale, pos, keyStart } = args;
      if (q.size === 0) return;
      if (onHost()) {
        putHost(out, headwise.attentionDecode(args, hostF32));
        return;
      }
      const bias = new Float32Array(B * Tq * Tmax).fill(MASKED);
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
          const qh = tf.mul(heads(T(q, [B, Tq, H, Dh])), scale);
          const kh = widen(T(kCache, [B, Hkv, Tmax, Dh]), B, Hkv, group, Tmax, Dh);
          const vh = widen(T(vCache, [B, Hkv, Tmax, Dh]), B, Hkv, group, Tmax, Dh);
          const mt = maskTensors({ bias, empty }, B, Tq, Tmax);
          const sm = softmaxRows(bmm(qh, kh, false, true), mt.bias, mt.keep);
          return heads(tf.mul(bmm(sm.p, vh, false, false), mt.keep));
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
