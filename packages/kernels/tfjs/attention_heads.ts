/**
 * Attention on the tfjs backends whose tensors live in host memory (tfjs-backend-wasm, -cpu): one
 * sequence × kv head × block of query rows at a time, as 2-D products over the keys that block can see.
 *
 * Why not the batched [B, H, T, T] formulation of attention.ts: on tfjs-backend-wasm (4.22, measured
 * on 2 cores) a batched matMul runs 10–40× slower than the same products as 2-D matMuls (XNNPACK), and
 * slicing a batched tensor into 2-D pieces costs ≈ 0.5 µs per element (a [16, 512, 1024] unstack: 2.4 s), so
 * the only cheap way to 2-D operands is from host arrays, which on these backends are one memcpy away.
 * Working per sequence and per block also skips what the dense form computes and throws away: keys
 * past the sequence's end (padding) and, causally, the upper triangle (≈ half of the scores).
 *
 * Per (sequence b, kv head, query block of R rows), the block's `group` query heads stacked as rows:
 *   S = Q·Kᵀ (scale folded into Q) + bias (0 / −1e30 from the visibility rule), P = softmax(S)
 *   forward:  O = P·V, lse = max(S) − log(max(P)) (exact: the top key's p is e^(max − lse))
 *   backward: dS = P ∘ (G·Vᵀ − rowsum(G ∘ O)), dQ = dS·K·scale, dKᵀ = Qᵀ·dS·scale, dVᵀ = Gᵀ·P
 * with P recomputed by the softmax; rows that see no key are zero in O, lse, and get no gradient (G is
 * zeroed there on the host). Q, K, V, G and O blocks are gathered on the host into the 2-D layouts the
 * products need (Qᵀ and Gᵀ pre-transposed, so no [T, T] tensor is ever transposed or sliced), and the
 * [rows, Dh] results are read back and scattered into the output arrays.
 *
 * Test: packages/kernels/tfjs/spec_test.ts (spec/attention_test.ts, attention_packed_test.ts against the
 * ts reference on odd shapes, grouped-query heads, key ranges, packed segments, decode).
 */
import type { AttentionArgs, AttentionBackwardArgs, AttentionDecodeArgs } from "../kernel_types.ts";
import type { Tf } from "./backend.ts";

/** Bias of a masked key: exp underflows to exactly 0 next to any valid key's score. */
const MASKED = -1e30;
/** Query rows per block: small enough to skip most of the causal upper triangle, large enough that
 * per-op overhead (≈ 10–30 µs per tfjs op) stays small against the block's work. */
const BLOCK = 128;

/**
 * What query rows of one sequence see: row t (0-based in the call) sees keys [lo, hi(t)] minus the
 * gap [gapLo, gapHi(t)). Keys index the key array of the call (k rows, or cache slots).
 */
interface Visibility {
  lo: number;
  hi: (t: number) => number;
  gapLo: number;
  gapHi: (t: number) => number;
}

/** One block's bias [R, C] over keys [c0, c0 + C) and the rows that see no key. */
function blockMask(vis: Visibility, r0: number, R: number, c0: number, C: number) {
  const bias = new Float32Array(R * C).fill(MASKED);
  const empty = new Uint8Array(R);
  for (let i = 0; i < R; i++) {
    const t = r0 + i;
    const hi = Math.min(vis.hi(t), c0 + C - 1);
    const row = i * C;
    if (hi < vis.lo) {
      empty[i] = 1;
      continue;
    }
    bias.fill(0, row + vis.lo - c0, row + hi - c0 + 1);
    const g0 = Math.max(vis.gapLo, vis.lo);
    const g1 = Math.min(vis.gapHi(t), hi + 1);
    if (g1 > g0) {
      bias.fill(MASKED, row + g0 - c0, row + g1 - c0);
      if (g0 === vis.lo && g1 === hi + 1) empty[i] = 1;
    }
  }
  return { bias, empty };
}

/** Where one sequence's query/key rows live in the flat host arrays. */
interface Layout {
  /** Offset of element (row t, head h, 0) of q-like arrays ([B, T, H, Dh]). */
  q: (b: number, t: number, h: number) => number;
  /** Offset of element (key j, kv head kh, 0) of the key/value arrays. */
  k: (b: number, j: number, kh: number) => number;
}

interface Shape {
  B: number;
  /** Query rows per sequence. */
  Tq: number;
  H: number;
  Hkv: number;
  Dh: number;
  scale: number;
}

/** The host-memory attention kernels over one tfjs module. */
export function headwiseAttention(tf: Tf) {
  /** Rows (query rows r0..r0+R of the group's heads) gathered as [group·R, Dh], times `mul`. */
  const gatherRows = (
    src: Float32Array,
    off: (t: number, h: number) => number,
    h0: number,
    group: number,
    r0: number,
    R: number,
    Dh: number,
    mul = 1,
    skip?: Uint8Array,
  ) => {
    const out = new Float32Array(group * R * Dh);
    for (let g = 0; g < group; g++)
      for (let i = 0; i < R; i++) {
        if (skip?.[i]) continue;
        const s = off(r0 + i, h0 + g);
        const d = (g * R + i) * Dh;
        for (let c = 0; c < Dh; c++) out[d + c] = src[s + c]! * mul;
      }
    return out;
  };
  /** [rows, Dh] → [Dh, rows]. */
  const transpose = (x: Float32Array, rows: number, Dh: number) => {
    const out = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < Dh; c++) out[c * rows + r] = x[r * Dh + c]!;
    return out;
  };
  /**
   * The blocks of sequence b that see a key: query rows [r0, r0+R) against keys [c0, c0+C) (C > 0;
   * c0 is the sequence's first visible key, so every block's keys are a prefix of the widest one's),
   * and each kv head's keys [c0, c0 + max C) as [C, Dh] arrays of `k` and `v`, gathered once per
   * sequence (a block uploads a prefix of them).
   */
  const sequenceBlocks = (
    vis: Visibility,
    Tq: number,
    keyCount: number,
    b: number,
    s: { Hkv: number; Dh: number },
    k: Float32Array,
    v: Float32Array,
    layout: Layout,
  ) => {
    const list: { r0: number; R: number; c0: number; C: number }[] = [];
    const c0 = Math.max(0, vis.lo);
    for (let r0 = 0; r0 < Tq; r0 += BLOCK) {
      const R = Math.min(BLOCK, Tq - r0);
      // hi(t) never decreases with t: the block's last row sees the most keys
      const C = Math.min(vis.hi(r0 + R - 1), keyCount - 1) - c0 + 1;
      if (C > 0) list.push({ r0, R, c0, C }); // else no row of the block sees a key: zeros
    }
    const width = list.reduce((m, x) => Math.max(m, x.C), 0);
    const gather = (src: Float32Array) =>
      Array.from({ length: s.Hkv }, (_, kh) => {
        const out = new Float32Array(width * s.Dh);
        for (let j = 0; j < width; j++) {
          const o = layout.k(b, c0 + j, kh);
          out.set(src.subarray(o, o + s.Dh), j * s.Dh);
        }
        return out;
      });
    return { list, keys: gather(k), values: gather(v) };
  };
  const t2 = (x: Float32Array, r: number, c: number) => tf.tensor2d(x, [r, c]);

  /** Forward for every sequence; writes o [B, Tq, H, Dh] (q layout) and lse [B, H, Tq]. */
  function forward(
    s: Shape,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    layout: Layout,
    vis: (b: number) => Visibility,
    keyCount: number,
  ) {
    const { B, Tq, H, Hkv, Dh, scale } = s;
    const group = H / Hkv;
    const o = new Float32Array(B * Tq * H * Dh);
    const lse = new Float32Array(B * H * Tq);
    for (let b = 0; b < B; b++) {
      const vb = vis(b);
      const seq = sequenceBlocks(vb, Tq, keyCount, b, s, k, v, layout);
      for (const { r0, R, c0, C } of seq.list) {
        const { bias, empty } = blockMask(vb, r0, R, c0, C);
        const biasT = tf.tensor3d(bias, [1, R, C]);
        for (let kh = 0; kh < Hkv; kh++) {
          const h0 = kh * group;
          const Qb = gatherRows(q, (t, h) => layout.q(b, t, h), h0, group, r0, R, Dh, scale);
          const Kb = seq.keys[kh]!.subarray(0, C * Dh);
          const Vb = seq.values[kh]!.subarray(0, C * Dh);
          const [ob, lb] = tf.tidy(() => {
            const sc = tf.add(
              tf.reshape(tf.matMul(t2(Qb, group * R, Dh), t2(Kb, C, Dh), false, true), [group, R, C]),
              biasT,
            );
            const p = tf.softmax(sc);
            const l = tf.sub(tf.max(sc, -1), tf.log(tf.max(p, -1)));
            return [tf.matMul(tf.reshape(p, [group * R, C]), t2(Vb, C, Dh)), l];
          });
          const od = ob!.dataSync() as Float32Array;
          const ld = lb!.dataSync() as Float32Array;
          ob!.dispose();
          lb!.dispose();
          for (let g = 0; g < group; g++)
            for (let i = 0; i < R; i++) {
              if (empty[i]) continue;
              const t = r0 + i;
              o.set(od.subarray((g * R + i) * Dh, (g * R + i + 1) * Dh), layout.q(b, t, h0 + g));
              lse[(b * H + h0 + g) * Tq + t] = ld[g * R + i]!;
            }
        }
        biasT.dispose();
      }
    }
    return { o, lse };
  }

  /** Backward for every sequence: dq (q layout), dk, dv (k layout). */
  function backward(
    s: Shape,
    a: { q: Float32Array; k: Float32Array; v: Float32Array; o: Float32Array; g: Float32Array },
    layout: Layout,
    vis: (b: number) => Visibility,
    keyCount: number,
    kSize: number,
  ) {
    const { B, Tq, H, Hkv, Dh, scale } = s;
    const group = H / Hkv;
    const dq = new Float32Array(a.q.length);
    const dk = new Float32Array(kSize);
    const dv = new Float32Array(kSize);
    for (let b = 0; b < B; b++) {
      const vb = vis(b);
      const seq = sequenceBlocks(vb, Tq, keyCount, b, s, a.k, a.v, layout);
      for (const { r0, R, c0, C } of seq.list) {
        const { bias, empty } = blockMask(vb, r0, R, c0, C);
        const biasT = tf.tensor3d(bias, [1, R, C]);
        for (let kh = 0; kh < Hkv; kh++) {
          const h0 = kh * group;
          const qOff = (t: number, h: number) => layout.q(b, t, h);
          const Qb = gatherRows(a.q, qOff, h0, group, r0, R, Dh, scale);
          const Gb = gatherRows(a.g, qOff, h0, group, r0, R, Dh, 1, empty);
          const Ob = gatherRows(a.o, qOff, h0, group, r0, R, Dh);
          const D = new Float32Array(group * R);
          for (let r = 0; r < group * R; r++) {
            let acc = 0;
            for (let c = 0; c < Dh; c++) acc += Gb[r * Dh + c]! * Ob[r * Dh + c]!;
            D[r] = acc;
          }
          const Kb = seq.keys[kh]!.subarray(0, C * Dh);
          const Vb = seq.values[kh]!.subarray(0, C * Dh);
          const n = group * R;
          const [dQb, dKt, dVt] = tf.tidy(() => {
            const K = t2(Kb, C, Dh);
            const G = t2(Gb, n, Dh);
            const sc = tf.add(tf.reshape(tf.matMul(t2(Qb, n, Dh), K, false, true), [group, R, C]), biasT);
            const p = tf.reshape(tf.softmax(sc), [n, C]);
            const dp = tf.matMul(G, t2(Vb, C, Dh), false, true);
            const ds = tf.mul(p, tf.sub(dp, tf.tensor2d(D, [n, 1])));
            return [
              tf.matMul(ds, K), // dQ / scale (Q carried the scale)
              tf.matMul(t2(transpose(Qb, n, Dh), Dh, n), ds), // dKᵀ (Q carried the scale)
              tf.matMul(t2(transpose(Gb, n, Dh), Dh, n), p), // dVᵀ
            ];
          });
          const q_ = dQb!.dataSync() as Float32Array;
          const kt = dKt!.dataSync() as Float32Array;
          const vt = dVt!.dataSync() as Float32Array;
          dQb!.dispose();
          dKt!.dispose();
          dVt!.dispose();
          for (let g = 0; g < group; g++)
            for (let i = 0; i < R; i++) {
              if (empty[i]) continue;
              const d = qOff(r0 + i, h0 + g);
              const src = (g * R + i) * Dh;
              for (let c = 0; c < Dh; c++) dq[d + c] = q_[src + c]! * scale;
            }
          for (let j = 0; j < C; j++) {
            const d = layout.k(b, c0 + j, kh);
            for (let c = 0; c < Dh; c++) {
              dk[d + c]! += kt[c * C + j]!;
              dv[d + c]! += vt[c * C + j]!;
            }
          }
        }
        biasT.dispose();
      }
    }
    return { dq, dk, dv };
  }

  /** Visibility of sequence b in a forward/backward call (the ts reference's key ranges). */
  const callVisibility =
    (a: Omit<AttentionArgs, "q" | "k" | "v" | "out" | "lse">) =>
    (b: number): Visibility => {
      const end = a.keyEnd ? a.keyEnd[b]! : a.T;
      const gapLo = a.prefixLen ? a.prefixLen[b]! : 0;
      return {
        lo: Math.max(0, a.keyStart ? a.keyStart[b]! : 0),
        hi: (t) => Math.min(t, end - 1),
        gapLo,
        gapHi: (t) => (a.segStart ? Math.max(gapLo, a.segStart[b * a.T + t]!) : gapLo),
      };
    };
  const seqLayout = (T: number, H: number, Hkv: number, Dh: number): Layout => ({
    q: (b, t, h) => ((b * T + t) * H + h) * Dh,
    k: (b, j, kh) => ((b * T + j) * Hkv + kh) * Dh,
  });

  return {
    attention(a: AttentionArgs, host: (t: AttentionArgs["q"]) => Float32Array) {
      const { B, T, H, Hkv, Dh, scale } = a;
      const r = forward(
        { B, Tq: T, H, Hkv, Dh, scale },
        host(a.q),
        host(a.k),
        host(a.v),
        seqLayout(T, H, Hkv, Dh),
        callVisibility(a),
        T,
      );
      return { out: r.o, lse: r.lse };
    },
    attentionBackward(a: AttentionBackwardArgs, host: (t: AttentionArgs["q"]) => Float32Array) {
      const { B, T, H, Hkv, Dh, scale } = a;
      return backward(
        { B, Tq: T, H, Hkv, Dh, scale },
        { q: host(a.q), k: host(a.k), v: host(a.v), o: host(a.out), g: host(a.dOut) },
        seqLayout(T, H, Hkv, Dh),
        callVisibility(a),
        T,
        a.k.size,
      );
    },
    attentionDecode(a: AttentionDecodeArgs, host: (t: AttentionArgs["q"]) => Float32Array) {
      const { B, Tq, H, Hkv, Dh, Tmax, scale, pos, keyStart } = a;
      return forward(
        { B, Tq, H, Hkv, Dh, scale },
        host(a.q),
        host(a.kCache),
        host(a.vCache),
        {
          q: (b, t, h) => ((b * Tq + t) * H + h) * Dh,
          k: (b, j, kh) => ((b * Hkv + kh) * Tmax + j) * Dh,
        },
        (b) => ({
          lo: Math.max(0, keyStart ? keyStart[b]! : 0),
          hi: (t) => Math.min(pos[b]! + t, Tmax - 1),
          gapLo: 0,
          gapHi: () => 0,
        }),
        Tmax,
      ).o;
    },
  };
}
