/**
 * WGSL causal grouped-query attention with padding masks (forward saving the row log-sum-exp,
 * backward), KV-cache write and decode attention. The head size Dh is a compile-time constant
 * (one pipeline per Dh) so rows live in private arrays.
 * - forward: a workgroup = 64 consecutive queries of one (b, h); K/V tiles of 16 keys × Dh are staged in
 *   workgroup memory; online (flash) softmax per query thread.
 * - backward: (1) stats = [lse | D = Σ dOut·out] per row; (2) dQ like the forward, recomputing
 *   p = exp(s − lse); (3) dK, dV with a workgroup = 64 keys of one (b, kv head) looping over the heads
 *   of its group and over 16-query tiles staged in workgroup memory. No atomics: deterministic.
 * - decode: one thread per (b, query, head) over its cache slots keyStart[b] … pos[b] + i.
 * Per-sequence masks (keyStart, keyEnd / pos) are uploaded as one small i32 buffer [2B].
 *
 * Test: webgpu/spec_test.ts (spec/attention_test.ts, spec/block_test.ts), webgpu/webgpu_test.ts.
 */
import type {
  AttentionArgs,
  AttentionBackwardArgs,
  AttentionDecodeArgs,
  KvCacheWriteArgs,
} from "../../kernel_types.ts";
import { gpu } from "../backend.ts";
import { dispatch, grid, idOf, type Program, withUpload } from "../shader.ts";

const KT = 16;

/** [keyStart (or 0) | keyEnd (or T)] for B sequences. */
function masks(B: number, T: number, keyStart: Int32Array | null, keyEnd: Int32Array | null): Int32Array {
  const m = new Int32Array(2 * B);
  for (let b = 0; b < B; b++) {
    m[b] = keyStart ? keyStart[b]! : 0;
    m[B + b] = keyEnd ? keyEnd[b]! : T;
  }
  return m;
}

const HEAD = `let b = wid.z;
let h = wid.y;
let kh = h / (p.H / p.Hkv);
let t = wid.x * 64u + lid.x;
let lo = u32(max(ks[b], 0));
let end = u32(clamp(ks[p.B + b], 0, i32(p.T)));
let qvalid = t < p.T;
let qo = ((b * p.T + t) * p.H + h) * $DH;
let jEnd = min(min(wid.x * 64u + 64u, p.T), end);`;

/** Cooperative load of keys j0 … j0 + KT − 1 of (b, kh) into kt / vt. */
const LOAD_KV = `for (var e = lid.x; e < ${KT}u * $DH; e = e + 64u) {
  let j = j0 + e / $DH;
  var kv = 0.0;
  var vv = 0.0;
  if (j < p.T) { let ko = ((b * p.T + j) * p.Hkv + kh) * $DH + e % $DH; kv = k[ko]; vv = v[ko]; }
  kt[e] = kv;
  vt[e] = vv;
}`;

const KV_TILES = `var<workgroup> kt: array<f32, ${KT} * $DH>;
var<workgroup> vt: array<f32, ${KT} * $DH>;`;

const FWD: Program = {
  name: "attention",
  params: "B: u32, T: u32, H: u32, Hkv: u32, scale: f32",
  bindings: [
    ["q", "r", "f32"],
    ["k", "r", "f32"],
    ["v", "r", "f32"],
    ["ks", "r", "i32"],
    ["out", "w", "f32"],
    ["lse", "w", "f32"],
  ],
  wg: [64],
  extra: KV_TILES,
  body: `${HEAD}
var qr: array<f32, $DH>;
var acc: array<f32, $DH>;
if (qvalid) { for (var d = 0u; d < $DH; d = d + 1u) { qr[d] = q[qo + d] * p.scale; } }
var m = -3.4028234e38;
var l = 0.0;
for (var j0 = lo; j0 < jEnd; j0 = j0 + ${KT}u) {
  ${LOAD_KV}
  workgroupBarrier();
  if (qvalid) {
    for (var jj = 0u; jj < ${KT}u; jj = jj + 1u) {
      let j = j0 + jj;
      if (j >= jEnd || j > t) { break; }
      var s = 0.0;
      for (var d = 0u; d < $DH; d = d + 1u) { s = s + qr[d] * kt[jj * $DH + d]; }
      if (s > m) {
        let c = exp(m - s);
        l = l * c;
        for (var d = 0u; d < $DH; d = d + 1u) { acc[d] = acc[d] * c; }
        m = s;
      }
      let pj = exp(s - m);
      l = l + pj;
      for (var d = 0u; d < $DH; d = d + 1u) { acc[d] = acc[d] + pj * vt[jj * $DH + d]; }
    }
  }
  workgroupBarrier();
}
if (qvalid) {
  let li = (b * p.H + h) * p.T + t;
  if (l == 0.0) {
    for (var d = 0u; d < $DH; d = d + 1u) { out[qo + d] = 0.0; }
    lse[li] = 0.0;
  } else {
    for (var d = 0u; d < $DH; d = d + 1u) { out[qo + d] = acc[d] / l; }
    lse[li] = m + log(l);
  }
}`,
};

export function attention(a: AttentionArgs): void {
  const { B, T, H, Hkv, Dh, scale } = a;
  withUpload(masks(B, T, a.keyStart, a.keyEnd), (ks) => {
    dispatch(FWD, [a.q, a.k, a.v, ks, a.out, a.lse], { B, T, H, Hkv, scale }, [Math.ceil(T / 64), H, B], {
      DH: Dh,
    });
  });
}

/** stats[BHT + li] = Σ_d dOut·out of row li (stats[0 … BHT) holds a copy of lse). */
const DTERM: Program = {
  name: "attentionD",
  params: "n: u32, sx: u32, T: u32, H: u32, Dh: u32",
  bindings: [
    ["g", "r", "f32"],
    ["o", "r", "f32"],
    ["stats", "w", "f32"],
  ],
  wg: [64],
  body: `let li = gid.x + gid.y * p.sx;
if (li >= p.n) { return; }
let t = li % p.T;
let h = (li / p.T) % p.H;
let b = li / (p.T * p.H);
let ro = ((b * p.T + t) * p.H + h) * p.Dh;
var s = 0.0;
for (var d = 0u; d < p.Dh; d = d + 1u) { s = s + g[ro + d] * o[ro + d]; }
stats[p.n + li] = s;`,
};

const DQ: Program = {
  name: "attentionDq",
  params: "B: u32, T: u32, H: u32, Hkv: u32, scale: f32",
  bindings: [
    ["q", "r", "f32"],
    ["k", "r", "f32"],
    ["v", "r", "f32"],
    ["g", "r", "f32"],
    ["stats", "r", "f32"],
    ["ks", "r", "i32"],
    ["dq", "w", "f32"],
  ],
  wg: [64],
  extra: KV_TILES,
  body: `${HEAD}
let nrows = p.B * p.H * p.T;
var qr: array<f32, $DH>;
var gr: array<f32, $DH>;
var acc: array<f32, $DH>;
var ls = 0.0;
var dd = 0.0;
if (qvalid) {
  for (var d = 0u; d < $DH; d = d + 1u) { qr[d] = q[qo + d]; gr[d] = g[qo + d]; }
  let li = (b * p.H + h) * p.T + t;
  ls = stats[li];
  dd = stats[nrows + li];
}
for (var j0 = lo; j0 < jEnd; j0 = j0 + ${KT}u) {
  ${LOAD_KV}
  workgroupBarrier();
  if (qvalid) {
    for (var jj = 0u; jj < ${KT}u; jj = jj + 1u) {
      let j = j0 + jj;
      if (j >= jEnd || j > t) { break; }
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < $DH; d = d + 1u) {
        s = s + qr[d] * kt[jj * $DH + d];
        dp = dp + gr[d] * vt[jj * $DH + d];
      }
      let pj = exp(s * p.scale - ls);
      let ds = pj * (dp - dd) * p.scale;
      for (var d = 0u; d < $DH; d = d + 1u) { acc[d] = acc[d] + ds * kt[jj * $DH + d]; }
    }
  }
  workgroupBarrier();
}
if (qvalid) { for (var d = 0u; d < $DH; d = d + 1u) { dq[qo + d] = acc[d]; } }`,
};

const DKV: Program = {
  name: "attentionDkv",
  params: "B: u32, T: u32, H: u32, Hkv: u32, scale: f32",
  bindings: [
    ["q", "r", "f32"],
    ["k", "r", "f32"],
    ["v", "r", "f32"],
    ["g", "r", "f32"],
    ["stats", "r", "f32"],
    ["ks", "r", "i32"],
    ["dk", "w", "f32"],
    ["dv", "w", "f32"],
  ],
  wg: [64],
  extra: `var<workgroup> qt: array<f32, ${KT} * $DH>;
var<workgroup> gt: array<f32, ${KT} * $DH>;
var<workgroup> lt: array<f32, ${KT}>;
var<workgroup> dt: array<f32, ${KT}>;`,
  body: `let b = wid.z;
let kh = wid.y;
let grp = p.H / p.Hkv;
let j = wid.x * 64u + lid.x;
let lo = u32(max(ks[b], 0));
let end = u32(clamp(ks[p.B + b], 0, i32(p.T)));
let kvalid = j < p.T && j >= lo && j < end;
let nrows = p.B * p.H * p.T;
let ko = ((b * p.T + j) * p.Hkv + kh) * $DH;
var kr: array<f32, $DH>;
var vr: array<f32, $DH>;
var dk_: array<f32, $DH>;
var dv_: array<f32, $DH>;
if (kvalid) { for (var d = 0u; d < $DH; d = d + 1u) { kr[d] = k[ko + d]; vr[d] = v[ko + d]; } }
for (var hh = 0u; hh < grp; hh = hh + 1u) {
  let h = kh * grp + hh;
  for (var t0 = wid.x * 64u; t0 < p.T; t0 = t0 + ${KT}u) {
    for (var e = lid.x; e < ${KT}u * $DH; e = e + 64u) {
      let t = t0 + e / $DH;
      var qv = 0.0;
      var gv = 0.0;
      if (t < p.T) { let o = ((b * p.T + t) * p.H + h) * $DH + e % $DH; qv = q[o]; gv = g[o]; }
      qt[e] = qv;
      gt[e] = gv;
    }
    if (lid.x < ${KT}u) {
      let t = t0 + lid.x;
      var lv = 0.0;
      var dv = 0.0;
      if (t < p.T) { let li = (b * p.H + h) * p.T + t; lv = stats[li]; dv = stats[nrows + li]; }
      lt[lid.x] = lv;
      dt[lid.x] = dv;
    }
    workgroupBarrier();
    if (kvalid) {
      for (var tt = 0u; tt < ${KT}u; tt = tt + 1u) {
        let t = t0 + tt;
        if (t >= p.T) { break; }
        if (t < j) { continue; }
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < $DH; d = d + 1u) {
          s = s + qt[tt * $DH + d] * kr[d];
          dp = dp + gt[tt * $DH + d] * vr[d];
        }
        let pj = exp(s * p.scale - lt[tt]);
        let ds = pj * (dp - dt[tt]) * p.scale;
        for (var d = 0u; d < $DH; d = d + 1u) {
          dv_[d] = dv_[d] + pj * gt[tt * $DH + d];
          dk_[d] = dk_[d] + ds * qt[tt * $DH + d];
        }
      }
    }
    workgroupBarrier();
  }
}
if (j < p.T) { for (var d = 0u; d < $DH; d = d + 1u) { dk[ko + d] = dk_[d]; dv[ko + d] = dv_[d]; } }`,
};

export function attentionBackward(a: AttentionBackwardArgs): void {
  const { B, T, H, Hkv, Dh, scale } = a;
  const n = B * H * T;
  if (n === 0) return;
  const dev = gpu();
  const stats = dev.alloc(2 * n * 4);
  dev.copy(idOf(a.lse), 0, stats, 0, n * 4);
  const g = grid(n, 64);
  dispatch(DTERM, [a.dOut, a.out, stats], { n, sx: g.sx, T, H, Dh }, g.groups);
  const p = { B, T, H, Hkv, scale };
  withUpload(masks(B, T, a.keyStart, a.keyEnd), (ks) => {
    dispatch(DQ, [a.q, a.k, a.v, a.dOut, stats, ks, a.dQ], p, [Math.ceil(T / 64), H, B], { DH: Dh });
    dispatch(DKV, [a.q, a.k, a.v, a.dOut, stats, ks, a.dK, a.dV], p, [Math.ceil(T / 64), Hkv, B], { DH: Dh });
  });
  dev.free(stats);
}

const DECODE: Program = {
  name: "attentionDecode",
  params: "n: u32, sx: u32, B: u32, Tq: u32, H: u32, Hkv: u32, Tmax: u32, scale: f32",
  bindings: [
    ["q", "r", "f32"],
    ["kc", "r", "f32"],
    ["vc", "r", "f32"],
    ["ks", "r", "i32"],
    ["out", "w", "f32"],
  ],
  wg: [64],
  body: `let r = gid.x + gid.y * p.sx;
if (r >= p.n) { return; }
let h = r % p.H;
let i = (r / p.H) % p.Tq;
let b = r / (p.H * p.Tq);
let kh = h / (p.H / p.Hkv);
let qo = r * $DH;
let cb = (b * p.Hkv + kh) * p.Tmax;
let lo = max(ks[b], 0);
let hi = min(ks[p.B + b] + i32(i), i32(p.Tmax) - 1);
var qr: array<f32, $DH>;
var acc: array<f32, $DH>;
for (var d = 0u; d < $DH; d = d + 1u) { qr[d] = q[qo + d] * p.scale; }
var m = -3.4028234e38;
var l = 0.0;
for (var jj = lo; jj <= hi; jj = jj + 1) {
  let ko = (cb + u32(jj)) * $DH;
  var s = 0.0;
  for (var d = 0u; d < $DH; d = d + 1u) { s = s + qr[d] * kc[ko + d]; }
  if (s > m) {
    let c = exp(m - s);
    l = l * c;
    for (var d = 0u; d < $DH; d = d + 1u) { acc[d] = acc[d] * c; }
    m = s;
  }
  let pj = exp(s - m);
  l = l + pj;
  for (var d = 0u; d < $DH; d = d + 1u) { acc[d] = acc[d] + pj * vc[ko + d]; }
}
let inv = select(0.0, 1.0 / l, l > 0.0);
for (var d = 0u; d < $DH; d = d + 1u) { out[qo + d] = acc[d] * inv; }`,
};

export function attentionDecode(a: AttentionDecodeArgs): void {
  const { B, Tq, H, Hkv, Dh, Tmax, scale } = a;
  const n = B * Tq * H;
  const m = new Int32Array(2 * B);
  for (let b = 0; b < B; b++) {
    m[b] = a.keyStart ? a.keyStart[b]! : 0;
    m[B + b] = a.pos[b]!;
  }
  const g = grid(n, 64);
  withUpload(m, (ks) => {
    dispatch(
      DECODE,
      [a.q, a.kCache, a.vCache, ks, a.out],
      { n, sx: g.sx, B, Tq, H, Hkv, Tmax, scale },
      g.groups,
      {
        DH: Dh,
      },
    );
  });
}

const KV_WRITE: Program = {
  name: "kvCacheWrite",
  params: "n: u32, sx: u32, Tq: u32, Hkv: u32, Dh: u32, Tmax: u32",
  bindings: [
    ["x", "r", "f32"],
    ["pos", "r", "i32"],
    ["cache", "w", "f32"],
  ],
  wg: [256],
  body: `let i = gid.x + gid.y * p.sx;
if (i >= p.n) { return; }
let d = i % p.Dh;
let h = (i / p.Dh) % p.Hkv;
let t = (i / (p.Dh * p.Hkv)) % p.Tq;
let b = i / (p.Dh * p.Hkv * p.Tq);
let slot = pos[b] + i32(t);
if (slot < 0 || u32(slot) >= p.Tmax) { return; }
cache[((b * p.Hkv + h) * p.Tmax + u32(slot)) * p.Dh + d] = x[i];`,
};

export function kvCacheWrite({ x, cache, B, Tq, Hkv, Dh, Tmax, pos }: KvCacheWriteArgs): void {
  const n = B * Tq * Hkv * Dh;
  const g = grid(n);
  withUpload(pos, (id) => {
    dispatch(KV_WRITE, [x, id, cache], { n, sx: g.sx, Tq, Hkv, Dh, Tmax }, g.groups);
  });
}
