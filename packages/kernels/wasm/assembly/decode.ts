// One decoding step of a Llama-family model (RMSNorm, rotary q/k, grouped-query attention against the
// KV cache, SwiGLU MLP, untied or tied head) in one call: token ids in, logits out.
//
// Every row of a decoding step is independent, so the work is split by rows, not by kernel: a unit
// is a run of `per` rows (set by the host) that goes through every layer in this thread's scratch
// (embedding, RMSNorm, the q/k/v projections, rope from the host's cos/sin table, the cache write at
// the row's position, attention over its slots 0 ..= pos, the output projection, the residual,
// RMSNorm, gate/up, SwiGLU, down, the residual; then the final norm and the head). One dispatch per
// step instead of ≈ 70, no packing: the projections are GEMVs over the weights as stored
// ([out, in]), each weight row read once per 2 rows and dotted with both (4 outputs × 2 rows = 8
// accumulators, reduced by a 4×4 transpose-add).
//
// Layer table (DecodeStepArgs.layers): 14 pointers per layer — norm1, q, k, v, qBias, kBias, vBias
// (0 = none), o, norm2, gate, up, down, kCache, vCache; caches [B, Hkv, Tmax, Dh].
// Test: packages/model/generate_test.ts (the fused step against the op-by-op step).
import { attendRow } from "./attention";
import { DecodeStepArgs } from "./args";
import { sigmoidv } from "./math";
import { hsum, madd } from "./simd";

let threadId: i32 = 0;

export function setDecodeScratch(tid: i32): void {
  threadId = tid;
}

// @ts-ignore: decorator
@inline function tsum(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  // lane i = Σ lanes of a_i
  const t0 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t1 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}

/**
 * y[r][o] = [y[r][o] +] Σ_i x[r][i]·W[o][i] [+ bias[o]] for r < R (x rows `nIn` floats apart, y rows
 * `nOut`); W is [nOut, nIn] row-major; nIn, nOut multiples of 4.
 */
function gemv(x: usize, R: i32, nIn: i32, w: usize, nOut: i32, y: usize, bias: usize, acc: bool): void {
  const inB = <usize>(nIn * 4);
  const outB = <usize>(nOut * 4);
  for (let o = 0; o < nOut; o += 4) {
    const w0 = w + <usize>o * inB;
    const w1 = w0 + inB;
    const w2 = w1 + inB;
    const w3 = w2 + inB;
    const bv = bias != 0 ? v128.load(bias + <usize>(o * 4)) : f32x4.splat(0);
    for (let r = 0; r < R; r += 2) {
      const x0 = x + <usize>r * inB;
      const x1 = r + 1 < R ? x0 + inB : x0;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (let i: usize = 0; i < inB; i += 16) {
        const u = v128.load(x0 + i);
        const v = v128.load(x1 + i);
        const c0 = v128.load(w0 + i);
        const c1 = v128.load(w1 + i);
        const c2 = v128.load(w2 + i);
        const c3 = v128.load(w3 + i);
        a0 = madd(u, c0, a0);
        a1 = madd(u, c1, a1);
        a2 = madd(u, c2, a2);
        a3 = madd(u, c3, a3);
        b0 = madd(v, c0, b0);
        b1 = madd(v, c1, b1);
        b2 = madd(v, c2, b2);
        b3 = madd(v, c3, b3);
      }
      const y0 = y + <usize>r * outB + <usize>(o * 4);
      let s = f32x4.add(tsum(a0, a1, a2, a3), bv);
      v128.store(y0, acc ? f32x4.add(v128.load(y0), s) : s);
      if (r + 1 < R) {
        const y1 = y0 + outB;
        s = f32x4.add(tsum(b0, b1, b2, b3), bv);
        v128.store(y1, acc ? f32x4.add(v128.load(y1), s) : s);
      }
    }
  }
}

/** out[r] = x[r] · rsqrt(mean(x[r]²) + eps) · w, as the rmsnorm kernel computes it (D % 4 == 0). */
function rmsRows(x: usize, R: i32, D: i32, w: usize, eps: f32, out: usize): void {
  const rowB = <usize>(D * 4);
  for (let r = 0; r < R; r++) {
    const xr = x + <usize>r * rowB;
    const orow = out + <usize>r * rowB;
    let acc = f32x4.splat(0);
    for (let i: usize = 0; i < rowB; i += 16) {
      const v = v128.load(xr + i);
      acc = madd(v, v, acc);
    }
    const vr = f32x4.splat(1 / Mathf.sqrt(hsum(acc) / <f32>D + eps));
    for (let i: usize = 0; i < rowB; i += 16) v128.store(orow + i, f32x4.mul(f32x4.mul(v128.load(xr + i), vr), v128.load(w + i)));
  }
}

/** Half-style rotary embedding of the nh heads of one row in place; cs = the position's table row. */
function ropeRow(xr: usize, nh: i32, Dh: i32, cs: usize): void {
  const half = Dh >> 1;
  const hB = <usize>(half * 4);
  const sn = cs + hB;
  for (let h = 0; h < nh; h++) {
    const xi = xr + <usize>(h * Dh * 4);
    let i = 0;
    for (; i + 4 <= half; i += 4) {
      const o = <usize>(i * 4);
      const c = v128.load(cs + o);
      const s = v128.load(sn + o);
      const x1 = v128.load(xi + o);
      const x2 = v128.load(xi + o + hB);
      v128.store(xi + o, f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)));
      v128.store(xi + o + hB, madd(x1, s, f32x4.mul(x2, c)));
    }
    for (; i < half; i++) {
      const o = <usize>(i * 4);
      const c = load<f32>(cs + o);
      const s = load<f32>(sn + o);
      const x1 = load<f32>(xi + o);
      const x2 = load<f32>(xi + o + hB);
      store<f32>(xi + o, x1 * c - x2 * s);
      store<f32>(xi + o + hB, x2 * c + x1 * s);
    }
  }
}

export function decodeStep(args: usize): void {
  const n = DecodeStepArgs.n(args);
  const per = DecodeStepArgs.per(args);
  const d = DecodeStepArgs.d(args);
  const H = DecodeStepArgs.H(args);
  const Hkv = DecodeStepArgs.Hkv(args);
  const Dh = DecodeStepArgs.Dh(args);
  const dFf = DecodeStepArgs.dFf(args);
  const V = DecodeStepArgs.V(args);
  const L = DecodeStepArgs.L(args);
  const Tmax = DecodeStepArgs.Tmax(args);
  const eps = DecodeStepArgs.eps(args);
  const scale = DecodeStepArgs.scale(args);
  const ids = DecodeStepArgs.ids(args);
  const posP = DecodeStepArgs.pos(args);
  const ropePos = DecodeStepArgs.ropePos(args);
  const table = DecodeStepArgs.table(args);
  const embed = DecodeStepArgs.embed(args);
  const normF = DecodeStepArgs.normF(args);
  const head = DecodeStepArgs.head(args);
  const layers = DecodeStepArgs.layers(args);
  const out = DecodeStepArgs.out(args);
  const dkv = Hkv * Dh;
  const group = H / Hkv;
  const dB = <usize>(d * 4);
  const cap = <usize>per;
  // this thread's scratch: x, nrm, q, att [per, d]; k, v [per, dkv]; g, u [per, dFf]; scores [Tmax]
  const x = DecodeStepArgs.scratch(args) + <usize>threadId * <usize>DecodeStepArgs.scratchBytes(args);
  const nrm = x + cap * dB;
  const q = nrm + cap * dB;
  const att = q + cap * dB;
  const k = att + cap * dB;
  const v = k + cap * <usize>(dkv * 4);
  const g = v + cap * <usize>(dkv * 4);
  const u = g + cap * <usize>(dFf * 4);
  const S = u + cap * <usize>(dFf * 4);
  const units = (n + per - 1) / per;
  for (;;) {
    const unit = atomic.add<i32>(args, 1);
    if (unit >= units) break;
    const r0 = unit * per;
    const R = min(n, r0 + per) - r0;
    for (let r = 0; r < R; r++)
      memory.copy(x + <usize>r * dB, embed + <usize>load<i32>(ids + <usize>((r0 + r) * 4)) * dB, dB);
    for (let l = 0; l < L; l++) {
      const t = layers + <usize>(l * 14 * 4);
      rmsRows(x, R, d, load<u32>(t), eps, nrm);
      gemv(nrm, R, d, load<u32>(t, 4), d, q, load<u32>(t, 16), false);
      gemv(nrm, R, d, load<u32>(t, 8), dkv, k, load<u32>(t, 20), false);
      gemv(nrm, R, d, load<u32>(t, 12), dkv, v, load<u32>(t, 24), false);
      const kc = <usize>load<u32>(t, 48);
      const vc = <usize>load<u32>(t, 52);
      for (let r = 0; r < R; r++) {
        const b = r0 + r;
        const p = load<i32>(posP + <usize>(b * 4));
        const cs = table + <usize>load<i32>(ropePos + <usize>(b * 4)) * <usize>(Dh * 4);
        const qr = q + <usize>r * dB;
        const kr = k + <usize>(r * dkv * 4);
        ropeRow(qr, H, Dh, cs);
        ropeRow(kr, Hkv, Dh, cs);
        for (let kh = 0; kh < Hkv; kh++) {
          const slot = <usize>(((b * Hkv + kh) * Tmax + p) * Dh * 4);
          memory.copy(kc + slot, kr + <usize>(kh * Dh * 4), <usize>(Dh * 4));
          memory.copy(vc + slot, v + <usize>((r * dkv + kh * Dh) * 4), <usize>(Dh * 4));
        }
        for (let h = 0; h < H; h++) {
          const kh = h / group;
          const base = <usize>((b * Hkv + kh) * Tmax * Dh * 4);
          const off = <usize>(h * Dh * 4);
          attendRow(qr + off, att + <usize>r * dB + off, kc + base, vc + base, Dh, p + 1, p, Dh, scale, S);
        }
      }
      gemv(att, R, d, load<u32>(t, 28), d, x, 0, true); // x += att · Woᵀ
      rmsRows(x, R, d, load<u32>(t, 32), eps, nrm);
      gemv(nrm, R, d, load<u32>(t, 36), dFf, g, 0, false);
      gemv(nrm, R, d, load<u32>(t, 40), dFf, u, 0, false);
      const gu = <usize>(R * dFf * 4);
      for (let i: usize = 0; i < gu; i += 16) {
        const a = v128.load(g + i);
        v128.store(g + i, f32x4.mul(f32x4.mul(a, sigmoidv(a)), v128.load(u + i)));
      }
      gemv(g, R, dFf, load<u32>(t, 44), d, x, 0, true); // x += silu(gate)·up · Wdownᵀ
    }
    rmsRows(x, R, d, normF, eps, nrm);
    gemv(nrm, R, d, head, V, out + <usize>r0 * <usize>(V * 4), 0, false);
  }
}
