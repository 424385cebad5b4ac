/**
 * Reference causal (grouped-query) attention: forward saving the row log-sum-exp, backward
 * recomputing the probabilities from it, KV-cache write and decode attention. Float64 row math.
 */
import type {
  AttentionArgs,
  AttentionBackwardArgs,
  AttentionDecodeArgs,
  KvCacheWriteArgs,
} from "../../kernel_types.ts";
import { F } from "./util.ts";

/**
 * Valid keys of query t in sequence b: [lo, hi] (inclusive; empty when lo > hi) minus the gap
 * [gapLo, gapHi) — in a packed row, the other segments between the shared prefix and this one
 * (lo is already moved past the gap when it starts inside it).
 */
function keyRange(b: number, t: number, a: AttentionArgs) {
  const lo = Math.max(0, a.keyStart ? a.keyStart[b]! : 0);
  const hi = Math.min(t, (a.keyEnd ? a.keyEnd[b]! : a.T) - 1);
  const gapLo = a.prefixLen ? a.prefixLen[b]! : 0;
  const gapHi = a.segStart ? Math.max(gapLo, a.segStart[b * a.T + t]!) : gapLo;
  return [lo >= gapLo && lo < gapHi ? gapHi : lo, hi, gapLo, gapHi] as const;
}

/** The valid key after j: j + 1, or past the gap when j + 1 enters it. */
const nextKey = (j: number, gapLo: number, gapHi: number) =>
  j + 1 === gapLo ? Math.max(gapHi, j + 1) : j + 1;

export function attention(args: AttentionArgs): void {
  const { B, T, H, Hkv, Dh, scale } = args;
  const q = F(args.q);
  const k = F(args.k);
  const v = F(args.v);
  const o = F(args.out);
  const lse = F(args.lse);
  const group = H / Hkv;
  const s = new Float64Array(T);
  const acc = new Float64Array(Dh);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qo = ((b * T + t) * H + h) * Dh;
        const [lo, hi, gapLo, gapHi] = keyRange(b, t, args);
        if (lo > hi) {
          o.fill(0, qo, qo + Dh);
          lse[(b * H + h) * T + t] = 0;
          continue;
        }
        let m = Number.NEGATIVE_INFINITY;
        for (let j = lo; j <= hi; j = nextKey(j, gapLo, gapHi)) {
          const ko = ((b * T + j) * Hkv + kh) * Dh;
          let dot = 0;
          for (let d = 0; d < Dh; d++) dot += q[qo + d]! * k[ko + d]!;
          s[j] = dot * scale;
          if (s[j]! > m) m = s[j]!;
        }
        let sum = 0;
        acc.fill(0);
        for (let j = lo; j <= hi; j = nextKey(j, gapLo, gapHi)) {
          const p = Math.exp(s[j]! - m);
          sum += p;
          const vo = ((b * T + j) * Hkv + kh) * Dh;
          for (let d = 0; d < Dh; d++) acc[d]! += p * v[vo + d]!;
        }
        for (let d = 0; d < Dh; d++) o[qo + d] = acc[d]! / sum;
        lse[(b * H + h) * T + t] = m + Math.log(sum);
      }
    }
  }
}

export function attentionBackward(args: AttentionBackwardArgs): void {
  const { B, T, H, Hkv, Dh, scale } = args;
  const q = F(args.q);
  const k = F(args.k);
  const v = F(args.v);
  const o = F(args.out);
  const g = F(args.dOut);
  const lse = F(args.lse);
  const dq = F(args.dQ);
  const dk = F(args.dK);
  const dv = F(args.dV);
  dq.fill(0);
  dk.fill(0);
  dv.fill(0);
  const group = H / Hkv;
  const p = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const [lo, hi, gapLo, gapHi] = keyRange(b, t, args);
        if (lo > hi) continue;
        const qo = ((b * T + t) * H + h) * Dh;
        const l = lse[(b * H + h) * T + t]!;
        let D = 0;
        for (let d = 0; d < Dh; d++) D += g[qo + d]! * o[qo + d]!;
        for (let j = lo; j <= hi; j = nextKey(j, gapLo, gapHi)) {
          const ko = ((b * T + j) * Hkv + kh) * Dh;
          let dot = 0;
          for (let d = 0; d < Dh; d++) dot += q[qo + d]! * k[ko + d]!;
          p[j] = Math.exp(dot * scale - l);
        }
        for (let j = lo; j <= hi; j = nextKey(j, gapLo, gapHi)) {
          const ko = ((b * T + j) * Hkv + kh) * Dh;
          let dp = 0;
          for (let d = 0; d < Dh; d++) dp += g[qo + d]! * v[ko + d]!;
          const ds = p[j]! * (dp - D) * scale;
          for (let d = 0; d < Dh; d++) {
            dq[qo + d]! += ds * k[ko + d]!;
            dk[ko + d]! += ds * q[qo + d]!;
            dv[ko + d]! += p[j]! * g[qo + d]!;
          }
        }
      }
    }
  }
}

export function kvCacheWrite({ x, cache, B, Tq, Hkv, Dh, Tmax, pos }: KvCacheWriteArgs): void {
  const src = F(x);
  const dst = F(cache);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tq; t++) {
      for (let h = 0; h < Hkv; h++) {
        const so = ((b * Tq + t) * Hkv + h) * Dh;
        const d = ((b * Hkv + h) * Tmax + pos[b]! + t) * Dh;
        dst.set(src.subarray(so, so + Dh), d);
      }
    }
  }
}

export function attentionDecode(args: AttentionDecodeArgs): void {
  const { B, Tq, H, Hkv, Dh, Tmax, scale, pos, keyStart } = args;
  const q = F(args.q);
  const kc = F(args.kCache);
  const vc = F(args.vCache);
  const o = F(args.out);
  const group = H / Hkv;
  const s = new Float64Array(Tmax);
  const acc = new Float64Array(Dh);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      const cb = (b * Hkv + kh) * Tmax;
      for (let i = 0; i < Tq; i++) {
        const qo = ((b * Tq + i) * H + h) * Dh;
        const lo = Math.max(0, keyStart ? keyStart[b]! : 0);
        const hi = pos[b]! + i;
        if (lo > hi) {
          o.fill(0, qo, qo + Dh);
          continue;
        }
        let m = Number.NEGATIVE_INFINITY;
        for (let j = lo; j <= hi; j++) {
          const ko = (cb + j) * Dh;
          let dot = 0;
          for (let d = 0; d < Dh; d++) dot += q[qo + d]! * kc[ko + d]!;
          s[j] = dot * scale;
          if (s[j]! > m) m = s[j]!;
        }
        let sum = 0;
        acc.fill(0);
        for (let j = lo; j <= hi; j++) {
          const p = Math.exp(s[j]! - m);
          sum += p;
          const vo = (cb + j) * Dh;
          for (let d = 0; d < Dh; d++) acc[d]! += p * vc[vo + d]!;
        }
        for (let d = 0; d < Dh; d++) o[qo + d] = acc[d]! / sum;
      }
    }
  }
}
