// Fused causal (grouped-query) attention, forward and backward, on the packed GEMM (matmul.ts).
//
// Query blocks come from the host (../kernels/attention.ts): (row b, first query i0, rows, segment
// start s0), never straddling a segment. A block's keys are one or two ranges: its own
// [max(s0, keyStart), last query] and, for a segment of a packed row (s0 > 0), the row's shared prefix
// [0, prefixLen[b]) before it. S = [Q·K_prefixᵀ | Q·K_ownᵀ] keeps each row's visible keys contiguous
// (all of the prefix, then its own up to itself), so one masked softmax serves both cases.
// Forward unit = (block, head h): S into a per-thread buffer, masked softmax per row (vector exp, lse
// saved), out_blk = P·V[keys].
// Backward unit = (b, kv head, slice): all query heads of the group and one slice of row b's blocks,
// so a unit accumulates its dK/dV alone (slice 0 into dK/dV, slice s > 0 into its part tensors,
// which the host adds in afterwards): P is recomputed from lse, dP = dO·Vᵀ,
// dS = P∘(dP − rowdot(dO, O))·scale, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO (five GEMMs per key range
// and block).
// Layouts: q/out [B,T,H,Dh], k/v [B,T,Hkv,Dh], lse [B,H,T]. Valid keys of query t in row b:
// j ≤ min(t, keyEnd[b] − 1) and j ≥ max(0, keyStart[b]), and in a packed row (t in a segment starting
// at s0) j < prefixLen[b] or j ≥ s0; a row without keys gives zeros.
// Test: packages/kernels/wasm/rows_test.ts and spec/attention_test.ts.
import { AttentionArgs, AttentionBackwardArgs, AttentionDecodeArgs } from "./args";
import { gemm, TRI_A_LOWER, TRI_A_UPPER, TRI_C } from "./matmul";
import { expv } from "./math";
import { hmax, hsum, madd } from "./simd";

let threadId: i32 = 0;

export function setAttentionScratch(tid: i32): void {
  threadId = tid;
}

// @ts-ignore: decorator
@inline function keyLo(p: usize, b: i32): i32 {
  return p == 0 ? 0 : max(0, load<i32>(p + <usize>(b * 4)));
}

// @ts-ignore: decorator
@inline function keyEnd(p: usize, b: i32, T: i32): i32 {
  return p == 0 ? T : min(T, load<i32>(p + <usize>(b * 4)));
}

/** Largest scaled score of s[0..n). */
function rowMax(s: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.pmax(m, v128.load(s + <usize>(j * 4)));
  let r = hmax(m);
  for (; j < n; j++) r = max(r, load<f32>(s + <usize>(j * 4)));
  return r;
}

/** s[j] = exp(scale·s[j] − shift) for j ≤ hi, 0 for hi < j < n; returns Σ. */
function rowExp(s: usize, n: i32, hi: i32, scale: f32, shift: f32): f32 {
  const vs = f32x4.splat(scale);
  const vsh = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= hi + 1; j += 4) {
    const p = expv(f32x4.sub(f32x4.mul(v128.load(s + <usize>(j * 4)), vs), vsh));
    v128.store(s + <usize>(j * 4), p);
    acc = f32x4.add(acc, p);
  }
  let sum = hsum(acc);
  for (; j <= hi; j++) {
    const p = f32x4.extract_lane(expv(f32x4.splat(load<f32>(s + <usize>(j * 4)) * scale - shift)), 0);
    store<f32>(s + <usize>(j * 4), p);
    sum += p;
  }
  for (; j < n; j++) store<f32>(s + <usize>(j * 4), 0);
  return sum;
}

function rowScale(s: usize, n: i32, a: f32): void {
  const va = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(s + <usize>(j * 4), f32x4.mul(v128.load(s + <usize>(j * 4)), va));
  for (; j < n; j++) store<f32>(s + <usize>(j * 4), load<f32>(s + <usize>(j * 4)) * a);
}

function zeroRow(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>(n * 4));
}

function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = madd(v128.load(a + <usize>(j * 4)), v128.load(b + <usize>(j * 4)), acc);
  let r = hsum(acc);
  for (; j < n; j++) r += load<f32>(a + <usize>(j * 4)) * load<f32>(b + <usize>(j * 4));
  return r;
}

/**
 * One query block against its keys: S = Q_blk·[K1 (n1 keys) | K2 (n2 keys)]ᵀ, masked softmax (row r
 * sees columns 0 ..= min(hi0 + r, hiCap); lse written when lseBlk ≠ 0, stride 4 bytes),
 * out_blk = P·[V1 | V2]. n1 = 0: one key range. Row strides (floats): ldq for q/out, ldk for k/v.
 */
function attendBlock(
  qBlk: usize, oBlk: usize, ldq: i32, k1: usize, v1: usize, n1: i32, k2: usize, v2: usize, n2: i32,
  ldk: i32, rows: i32, Dh: i32, hi0: i32, hiCap: i32, scale: f32, S: usize, lseBlk: usize,
): void {
  const nk = n1 + n2;
  if (nk <= 0) {
    for (let r = 0; r < rows; r++) {
      zeroRow(oBlk + <usize>(r * ldq * 4), Dh);
      if (lseBlk != 0) store<f32>(lseBlk + <usize>(r * 4), 0);
    }
    return;
  }
  if (n1 > 0) gemm(qBlk, ldq, false, k1, ldk, true, S, nk, rows, n1, Dh, false, 0);
  // own keys: row r sees own column c ≤ hi0 − n1 + r, so the diagonal's upper tiles are skipped
  const d = hi0 - n1;
  if (n2 > 0) gemm(qBlk, ldq, false, k2, ldk, true, S + <usize>(n1 * 4), nk, rows, n2, Dh, false, 0, TRI_C, d);
  for (let r = 0; r < rows; r++) {
    const s = S + <usize>(r * nk * 4);
    const hi = min(hi0 + r, hiCap); // last visible column of this row
    if (hi < 0) {
      zeroRow(s, nk);
      if (lseBlk != 0) store<f32>(lseBlk + <usize>(r * 4), 0);
      continue;
    }
    const m = rowMax(s, hi + 1) * scale;
    const sum = rowExp(s, nk, hi, scale, m);
    rowScale(s, hi + 1, 1 / sum);
    if (lseBlk != 0) store<f32>(lseBlk + <usize>(r * 4), m + Mathf.log(sum));
  }
  if (n1 > 0) gemm(S, nk, false, v1, ldk, false, oBlk, ldq, rows, Dh, n1, false, 0);
  if (n2 > 0) gemm(S + <usize>(n1 * 4), nk, false, v2, ldk, false, oBlk, ldq, rows, Dh, n2, n1 > 0, 0, TRI_A_LOWER, d);
}

/**
 * One query row against nk keys (decoding), without the GEMM's packing: s[j] = q·k_j for four keys at
 * a time (independent FMA chains), softmax over j ≤ hi, then out = Σ p_j·v_j with the output held in
 * registers 16 floats at a time. ldk = row stride of k/v in floats; S holds nk scores.
 */
export function attendRow(q: usize, o: usize, kBlk: usize, vBlk: usize, ldk: i32, nk: i32, hi: i32, Dh: i32, scale: f32, S: usize): void {
  const n = min(nk, hi + 1);
  if (n <= 0) {
    zeroRow(o, Dh);
    return;
  }
  const stride = <usize>(ldk * 4);
  const d4 = Dh & ~3;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k0 = kBlk + <usize>j * stride;
    const k1 = k0 + stride;
    const k2 = k1 + stride;
    const k3 = k2 + stride;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let d = 0; d < d4; d += 4) {
      const off = <usize>(d * 4);
      const qv = v128.load(q + off);
      a0 = madd(qv, v128.load(k0 + off), a0);
      a1 = madd(qv, v128.load(k1 + off), a1);
      a2 = madd(qv, v128.load(k2 + off), a2);
      a3 = madd(qv, v128.load(k3 + off), a3);
    }
    // 4×4 transpose-add: lane i of the sum = Σ of a_i's lanes
    const t0 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
    const t1 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
    let sv = f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    for (let d = d4; d < Dh; d++) {
      const qd = load<f32>(q + <usize>(d * 4));
      const off = <usize>(d * 4);
      sv = f32x4.add(sv, f32x4(qd * load<f32>(k0 + off), qd * load<f32>(k1 + off), qd * load<f32>(k2 + off), qd * load<f32>(k3 + off)));
    }
    v128.store(S + <usize>(j * 4), sv);
  }
  for (; j < n; j++) store<f32>(S + <usize>(j * 4), dot(q, kBlk + <usize>j * stride, Dh));
  const m = rowMax(S, n) * scale;
  const inv: f32 = <f32>1 / rowExp(S, n, n - 1, scale, m);
  let d = 0;
  for (; d + 16 <= Dh; d += 16) {
    let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
    let vp = vBlk + <usize>(d * 4);
    for (let i = 0; i < n; i++) {
      const p = f32x4.splat(load<f32>(S + <usize>(i * 4)));
      c0 = madd(v128.load(vp), p, c0);
      c1 = madd(v128.load(vp, 16), p, c1);
      c2 = madd(v128.load(vp, 32), p, c2);
      c3 = madd(v128.load(vp, 48), p, c3);
      vp += stride;
    }
    const vi = f32x4.splat(inv);
    const od = o + <usize>(d * 4);
    v128.store(od, f32x4.mul(c0, vi));
    v128.store(od, f32x4.mul(c1, vi), 16);
    v128.store(od, f32x4.mul(c2, vi), 32);
    v128.store(od, f32x4.mul(c3, vi), 48);
  }
  for (; d < Dh; d++) {
    let c: f32 = 0;
    let vp = vBlk + <usize>(d * 4);
    for (let i = 0; i < n; i++) {
      c += load<f32>(S + <usize>(i * 4)) * load<f32>(vp);
      vp += stride;
    }
    store<f32>(o + <usize>(d * 4), c * inv);
  }
}

// Key ranges of the current block (per instance: wasm globals, no static data in memory): prefix
// [0, rN1) and own [rLo2, rLo2 + rN2); rHi0/rHiCap are S columns (see attendBlock).
let rN1: i32 = 0;
let rLo2: i32 = 0;
let rN2: i32 = 0;
let rHi0: i32 = 0;
let rHiCap: i32 = 0;

/**
 * Sets the key ranges of block (b, i0, rows, s0) from the i32 arrays keyStart, keyEnd, prefixLen
 * (pointer 0: absent).
 */
function blockRanges(ks: usize, ke: usize, pl: usize, b: i32, i0: i32, rows: i32, s0: i32, T: i32): void {
  const kEnd = keyEnd(ke, b, T);
  rN1 = s0 > 0 && pl != 0 ? max(0, min(load<i32>(pl + <usize>(b * 4)), kEnd)) : 0;
  rLo2 = max(keyLo(ks, b), s0);
  rN2 = max(0, min(i0 + rows, kEnd) - rLo2);
  rHi0 = rN1 + i0 - rLo2;
  rHiCap = rN1 + kEnd - 1 - rLo2;
}

export function attention(args: usize): void {
  const ks = AttentionArgs.keyStart(args);
  const ke = AttentionArgs.keyEnd(args);
  const pl = AttentionArgs.prefixLen(args);
  const q = AttentionArgs.q(args);
  const k = AttentionArgs.k(args);
  const v = AttentionArgs.v(args);
  const out = AttentionArgs.out(args);
  const lse = AttentionArgs.lse(args);
  const T = AttentionArgs.T(args);
  const H = AttentionArgs.H(args);
  const Hkv = AttentionArgs.Hkv(args);
  const Dh = AttentionArgs.Dh(args);
  const scale = AttentionArgs.scale(args);
  const S = AttentionArgs.scratch(args) + <usize>threadId * AttentionArgs.scratchBytes(args);
  const blocks = AttentionArgs.blocks(args);
  const total = AttentionArgs.nBlocks(args) * H;
  const group = H / Hkv;
  const ldq = H * Dh;
  const ldk = Hkv * Dh;
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= total) break;
    const blk = blocks + <usize>((u / H) * 16);
    const h = u % H;
    const b = load<i32>(blk);
    const i0 = load<i32>(blk, 4);
    const rows = load<i32>(blk, 8);
    blockRanges(ks, ke, pl, b, i0, rows, load<i32>(blk, 12), T);
    const kh = h / group;
    const qo = <usize>((b * T + i0) * ldq + h * Dh) * 4;
    const k1 = <usize>(b * T * ldk + kh * Dh) * 4;
    const k2 = <usize>((b * T + rLo2) * ldk + kh * Dh) * 4;
    const lseBlk = lse + <usize>((b * H + h) * T + i0) * 4;
    attendBlock(
      q + qo, out + qo, ldq, k + k1, v + k1, rN1, k + k2, v + k2, rN2, ldk, rows, Dh, rHi0, rHiCap, scale, S, lseBlk,
    );
  }
}

/**
 * Decoding: q [B,Tq,H,Dh] at positions pos[b] + i against caches [B,Hkv,Tmax,Dh]; query i sees
 * slots keyStart[b] ..= pos[b] + i (AttentionDecodeArgs: T is Tq).
 */
export function attentionDecode(args: usize): void {
  const q = AttentionDecodeArgs.q(args);
  const kc = AttentionDecodeArgs.k(args);
  const vc = AttentionDecodeArgs.v(args);
  const out = AttentionDecodeArgs.out(args);
  const B = AttentionDecodeArgs.B(args);
  const Tq = AttentionDecodeArgs.T(args);
  const H = AttentionDecodeArgs.H(args);
  const Hkv = AttentionDecodeArgs.Hkv(args);
  const Dh = AttentionDecodeArgs.Dh(args);
  const scale = AttentionDecodeArgs.scale(args);
  const BQ = AttentionDecodeArgs.BQ(args);
  const S = AttentionDecodeArgs.scratch(args) + <usize>threadId * AttentionDecodeArgs.scratchBytes(args);
  const Tmax = AttentionDecodeArgs.Tmax(args);
  const posP = AttentionDecodeArgs.pos(args);
  const nBlocks = (Tq + BQ - 1) / BQ;
  const total = B * H * nBlocks;
  const group = H / Hkv;
  const ldq = H * Dh;
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= total) break;
    const b = u / (H * nBlocks);
    const h = (u / nBlocks) % H;
    const i0 = (u % nBlocks) * BQ;
    const rows = min(Tq, i0 + BQ) - i0;
    const kh = h / group;
    const lo = keyLo(AttentionDecodeArgs.keyStart(args), b);
    const p0 = load<i32>(posP + <usize>(b * 4)) + i0; // position of the block's first query
    const nk = p0 + rows - lo;
    const qo = <usize>((b * Tq + i0) * ldq + h * Dh) * 4;
    const ko = <usize>(((b * Hkv + kh) * Tmax + lo) * Dh) * 4;
    if (rows == 1) attendRow(q + qo, out + qo, kc + ko, vc + ko, Dh, nk, p0 - lo, Dh, scale, S);
    else attendBlock(q + qo, out + qo, ldq, 0, 0, 0, kc + ko, vc + ko, nk, Dh, rows, Dh, p0 - lo, 0x7fffffff, scale, S, 0);
  }
}

export function attentionBackward(args: usize): void {
  const ks = AttentionBackwardArgs.keyStart(args);
  const ke = AttentionBackwardArgs.keyEnd(args);
  const pl = AttentionBackwardArgs.prefixLen(args);
  const q = AttentionBackwardArgs.q(args);
  const k = AttentionBackwardArgs.k(args);
  const v = AttentionBackwardArgs.v(args);
  const out = AttentionBackwardArgs.out(args);
  const lse = AttentionBackwardArgs.lse(args);
  const B = AttentionBackwardArgs.B(args);
  const T = AttentionBackwardArgs.T(args);
  const H = AttentionBackwardArgs.H(args);
  const Hkv = AttentionBackwardArgs.Hkv(args);
  const Dh = AttentionBackwardArgs.Dh(args);
  const scale = AttentionBackwardArgs.scale(args);
  const BQ = AttentionBackwardArgs.BQ(args);
  const P = AttentionBackwardArgs.scratch(args) + <usize>threadId * AttentionBackwardArgs.scratchBytes(args);
  const dO = AttentionBackwardArgs.dOut(args);
  const dQ = AttentionBackwardArgs.dQ(args);
  const dK0 = AttentionBackwardArgs.dK(args);
  const dV0 = AttentionBackwardArgs.dV(args);
  const blocks = AttentionBackwardArgs.blocks(args);
  const splits = AttentionBackwardArgs.splits(args);
  const slices = AttentionBackwardArgs.slices(args);
  const parts = AttentionBackwardArgs.parts(args);
  const partBytes = <usize>(B * T * Hkv * Dh) * 4;
  const group = H / Hkv;
  const ldq = H * Dh;
  const ldk = Hkv * Dh;
  const dP = P + <usize>(BQ * T * 4);
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= B * Hkv * splits) break;
    const b = u / (Hkv * splits);
    const kh = (u / splits) % Hkv;
    const sl = u % splits;
    // slice 0 owns dK, dV; slice s > 0 its own part tensors
    const dK = sl == 0 ? dK0 : parts + <usize>(2 * (sl - 1)) * partBytes;
    const dV = sl == 0 ? dV0 : parts + <usize>(2 * sl - 1) * partBytes;
    for (let j = 0; j < T; j++) {
      const o = <usize>((b * T + j) * ldk + kh * Dh) * 4;
      zeroRow(dK + o, Dh);
      zeroRow(dV + o, Dh);
    }
    const bFirst = load<i32>(slices + <usize>((b * splits + sl) * 4));
    const bEnd = load<i32>(slices + <usize>((b * splits + sl) * 4 + 4));
    const k1 = <usize>(b * T * ldk + kh * Dh) * 4;
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      for (let bi = bFirst; bi < bEnd; bi++) {
        const blk = blocks + <usize>(bi * 16);
        const i0 = load<i32>(blk, 4);
        const rows = load<i32>(blk, 8);
        blockRanges(ks, ke, pl, b, i0, rows, load<i32>(blk, 12), T);
        const n1 = rN1;
        const n2 = rN2;
        const nk = n1 + n2;
        const off = <usize>((b * T + i0) * ldq + h * Dh) * 4;
        if (nk <= 0) {
          for (let r = 0; r < rows; r++) zeroRow(dQ + off + <usize>(r * ldq * 4), Dh);
          continue;
        }
        const k2 = <usize>((b * T + rLo2) * ldk + kh * Dh) * 4;
        const lseBlk = lse + <usize>((b * H + h) * T + i0) * 4;
        if (n1 > 0) {
          gemm(q + off, ldq, false, k + k1, ldk, true, P, nk, rows, n1, Dh, false, 0);
          gemm(dO + off, ldq, false, v + k1, ldk, true, dP, nk, rows, n1, Dh, false, 0);
        }
        // own keys: row r sees own column c ≤ d + r (d below); tiles past that line are skipped,
        // so dP is only defined up to each row's last visible column
        const d = rHi0 - n1;
        if (n2 > 0) {
          gemm(q + off, ldq, false, k + k2, ldk, true, P + <usize>(n1 * 4), nk, rows, n2, Dh, false, 0, TRI_C, d);
          gemm(dO + off, ldq, false, v + k2, ldk, true, dP + <usize>(n1 * 4), nk, rows, n2, Dh, false, 0, TRI_C, d);
        }
        for (let r = 0; r < rows; r++) {
          const p = P + <usize>(r * nk * 4);
          const dp = dP + <usize>(r * nk * 4);
          const hi = min(rHi0 + r, rHiCap);
          if (hi < 0) {
            zeroRow(p, nk);
            zeroRow(dp, nk);
            continue;
          }
          rowExp(p, nk, hi, scale, load<f32>(lseBlk + <usize>(r * 4)));
          const rowOff = off + <usize>(r * ldq * 4);
          const D = dot(dO + rowOff, out + rowOff, Dh);
          // dS = P∘(dP − D)·scale over the visible columns, written over dP; zero past hi (where dP
          // may be unset).
          const vD = f32x4.splat(D);
          const vs = f32x4.splat(scale);
          let j = 0;
          for (; j + 4 <= hi + 1; j += 4) {
            const o = <usize>(j * 4);
            v128.store(dp + o, f32x4.mul(f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(dp + o), vD)), vs));
          }
          for (; j <= hi; j++) {
            const o = <usize>(j * 4);
            store<f32>(dp + o, load<f32>(p + o) * (load<f32>(dp + o) - D) * scale);
          }
          if (j < nk) zeroRow(dp + <usize>(j * 4), nk - j);
        }
        if (n1 > 0) {
          gemm(dP, nk, false, k + k1, ldk, false, dQ + off, ldq, rows, Dh, n1, false, 0);
          gemm(dP, nk, true, q + off, ldq, false, dK + k1, ldk, n1, Dh, rows, true, 0);
          gemm(P, nk, true, dO + off, ldq, false, dV + k1, ldk, n1, Dh, rows, true, 0);
        }
        if (n2 > 0) {
          const s2 = <usize>(n1 * 4);
          gemm(dP + s2, nk, false, k + k2, ldk, false, dQ + off, ldq, rows, Dh, n2, n1 > 0, 0, TRI_A_LOWER, d);
          gemm(dP + s2, nk, true, q + off, ldq, false, dK + k2, ldk, n2, Dh, rows, true, 0, TRI_A_UPPER, d);
          gemm(P + s2, nk, true, dO + off, ldq, false, dV + k2, ldk, n2, Dh, rows, true, 0, TRI_A_UPPER, d);
        }
      }
    }
  }
}
