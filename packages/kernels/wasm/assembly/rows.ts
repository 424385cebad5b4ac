// Row-wise kernels, f32x4: LayerNorm / RMSNorm forward and backward, softmax forward and backward,
// log-softmax + gather (the log-probs of targets) forward and backward. Work units are blocks of
// rows. Norm backwards also produce dWeight (and dBias) as per-unit partial sums (one pass over the
// data), which sumParts then adds up.
// Arguments: the *Args readers of ./args (layouts declared in ../args.ts).
// Test: spec/norm_test.ts, spec/softmax_test.ts, spec/logprob_test.ts (against ts), wasm/rows_test.ts.
import {
  LayernormArgs, LayernormBackwardArgs, LogSoftmaxGatherArgs, LogSoftmaxGatherBackwardArgs, RmsnormArgs,
  RmsnormBackwardArgs, SoftmaxArgs, SoftmaxBackwardArgs, SumPartsArgs,
} from "./args";
import { expv } from "./math";
import { hmax, hsum, loadPartial, madd, storePartial } from "./simd";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32, n: i32): v128 {
  return i + 4 <= n ? v128.load(p + <usize>(i * 4)) : loadPartial(p + <usize>(i * 4), n - i);
}

// @ts-ignore: decorator
@inline function st(p: usize, i: i32, n: i32, v: v128): void {
  if (i + 4 <= n) v128.store(p + <usize>(i * 4), v);
  else storePartial(p + <usize>(i * 4), v, n - i);
}

function rowSum(x: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) a = f32x4.add(a, ld(x, i, n));
  return hsum(a);
}

function rowMaxOf(x: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.pmax(m, v128.load(x + <usize>(i * 4)));
  let r = hmax(m);
  for (; i < n; i++) r = max(r, load<f32>(x + <usize>(i * 4)));
  return r;
}

let unitRow0: i32 = 0;
let unitRow1: i32 = 0;
let unitIndex: i32 = 0;

/** Takes the next block of rows; false when none are left. */
function nextRows(args: usize, rows: i32, per: i32): bool {
  const u = atomic.add<i32>(args, 1);
  const r0 = u * per;
  if (r0 >= rows) return false;
  unitIndex = u;
  unitRow0 = r0;
  unitRow1 = min(rows, r0 + per);
  return true;
}

export function layernorm(args: usize): void {
  const rows = LayernormArgs.rows(args);
  const per = LayernormArgs.per(args);
  const D = LayernormArgs.D(args);
  const x = LayernormArgs.x(args);
  const w = LayernormArgs.weight(args);
  const b = LayernormArgs.bias(args);
  const o = LayernormArgs.out(args);
  const meanP = LayernormArgs.mean(args);
  const rstdP = LayernormArgs.rstd(args);
  const eps = LayernormArgs.eps(args);
  const invD: f32 = 1 / <f32>D;
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const xr = x + <usize>r * <usize>D * 4;
      const orow = o + <usize>r * <usize>D * 4;
      const m = rowSum(xr, D) * invD;
      const vm = f32x4.splat(m);
      let acc = f32x4.splat(0);
      for (let i = 0; i + 4 <= D; i += 4) {
        const d = f32x4.sub(v128.load(xr + <usize>(i * 4)), vm);
        acc = madd(d, d, acc);
      }
      let ss = hsum(acc);
      for (let i = D & ~3; i < D; i++) {
        const d = load<f32>(xr + <usize>(i * 4)) - m;
        ss += d * d;
      }
      const rs: f32 = 1 / Mathf.sqrt(ss * invD + eps);
      const vr = f32x4.splat(rs);
      for (let i = 0; i < D; i += 4) {
        let y = f32x4.mul(f32x4.mul(f32x4.sub(ld(xr, i, D), vm), vr), ld(w, i, D));
        if (b != 0) y = f32x4.add(y, ld(b, i, D));
        st(orow, i, D, y);
      }
      store<f32>(meanP + <usize>(r * 4), m);
      store<f32>(rstdP + <usize>(r * 4), rs);
    }
  }
}

/** Unit u writes its partial dWeight [D] then dBias [D] at parts + u·2D floats. */
export function layernormBackward(args: usize): void {
  const rows = LayernormBackwardArgs.rows(args);
  const per = LayernormBackwardArgs.per(args);
  const D = LayernormBackwardArgs.D(args);
  const g = LayernormBackwardArgs.dOut(args);
  const x = LayernormBackwardArgs.x(args);
  const w = LayernormBackwardArgs.weight(args);
  const meanP = LayernormBackwardArgs.mean(args);
  const rstdP = LayernormBackwardArgs.rstd(args);
  const dx = LayernormBackwardArgs.dX(args);
  const parts = LayernormBackwardArgs.parts(args);
  const invD: f32 = 1 / <f32>D;
  while (nextRows(args, rows, per)) {
    const dw = parts + <usize>unitIndex * <usize>(2 * D) * 4;
    const db = dw + <usize>D * 4;
    memory.fill(dw, 0, <usize>(2 * D * 4));
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>D * 4;
      const vm = f32x4.splat(load<f32>(meanP + <usize>(r * 4)));
      const rs = load<f32>(rstdP + <usize>(r * 4));
      const vr = f32x4.splat(rs);
      let sG = f32x4.splat(0);
      let sGX = f32x4.splat(0);
      for (let i = 0; i < D; i += 4) {
        const gi = ld(g + off, i, D);
        const xh = f32x4.mul(f32x4.sub(ld(x + off, i, D), vm), vr);
        const dxh = f32x4.mul(gi, ld(w, i, D));
        sG = f32x4.add(sG, dxh);
        sGX = madd(dxh, xh, sGX);
        st(dw, i, D, madd(gi, xh, ld(dw, i, D)));
        st(db, i, D, f32x4.add(gi, ld(db, i, D)));
      }
      const mG = f32x4.splat(hsum(sG) * invD);
      const mGX = f32x4.splat(hsum(sGX) * invD);
      for (let i = 0; i < D; i += 4) {
        const xh = f32x4.mul(f32x4.sub(ld(x + off, i, D), vm), vr);
        const dxh = f32x4.mul(ld(g + off, i, D), ld(w, i, D));
        st(dx + off, i, D, f32x4.mul(vr, f32x4.sub(f32x4.sub(dxh, mG), f32x4.mul(xh, mGX))));
      }
    }
  }
}

export function rmsnorm(args: usize): void {
  const rows = RmsnormArgs.rows(args);
  const per = RmsnormArgs.per(args);
  const D = RmsnormArgs.D(args);
  const x = RmsnormArgs.x(args);
  const w = RmsnormArgs.weight(args);
  const o = RmsnormArgs.out(args);
  const rstdP = RmsnormArgs.rstd(args);
  const eps = RmsnormArgs.eps(args);
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>D * 4;
      let acc = f32x4.splat(0);
      for (let i = 0; i < D; i += 4) {
        const v = ld(x + off, i, D);
        acc = madd(v, v, acc);
      }
      const rs: f32 = 1 / Mathf.sqrt(hsum(acc) / <f32>D + eps);
      const vr = f32x4.splat(rs);
      for (let i = 0; i < D; i += 4) st(o + off, i, D, f32x4.mul(f32x4.mul(ld(x + off, i, D), vr), ld(w, i, D)));
      store<f32>(rstdP + <usize>(r * 4), rs);
    }
  }
}

/** Unit u writes its partial dWeight [D] at parts + u·D floats. */
export function rmsnormBackward(args: usize): void {
  const rows = RmsnormBackwardArgs.rows(args);
  const per = RmsnormBackwardArgs.per(args);
  const D = RmsnormBackwardArgs.D(args);
  const g = RmsnormBackwardArgs.dOut(args);
  const x = RmsnormBackwardArgs.x(args);
  const w = RmsnormBackwardArgs.weight(args);
  const rstdP = RmsnormBackwardArgs.rstd(args);
  const dx = RmsnormBackwardArgs.dX(args);
  const parts = RmsnormBackwardArgs.parts(args);
  while (nextRows(args, rows, per)) {
    const dw = parts + <usize>unitIndex * <usize>D * 4;
    memory.fill(dw, 0, <usize>(D * 4));
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>D * 4;
      const rs = load<f32>(rstdP + <usize>(r * 4));
      const vr = f32x4.splat(rs);
      let acc = f32x4.splat(0);
      for (let i = 0; i < D; i += 4) {
        const gi = ld(g + off, i, D);
        const xi = ld(x + off, i, D);
        acc = madd(f32x4.mul(gi, ld(w, i, D)), xi, acc);
        st(dw, i, D, madd(f32x4.mul(gi, xi), vr, ld(dw, i, D)));
      }
      const c = f32x4.splat((rs * rs * rs * hsum(acc)) / <f32>D);
      for (let i = 0; i < D; i += 4) {
        const t = f32x4.mul(f32x4.mul(vr, ld(g + off, i, D)), ld(w, i, D));
        st(dx + off, i, D, f32x4.sub(t, f32x4.mul(c, ld(x + off, i, D))));
      }
    }
  }
}

export function softmax(args: usize): void {
  const rows = SoftmaxArgs.rows(args);
  const per = SoftmaxArgs.per(args);
  const D = SoftmaxArgs.D(args);
  const x = SoftmaxArgs.x(args);
  const o = SoftmaxArgs.out(args);
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>D * 4;
      const vm = f32x4.splat(rowMaxOf(x + off, D));
      let acc = f32x4.splat(0);
      for (let i = 0; i < D; i += 4) {
        const e = expv(f32x4.sub(ld(x + off, i, D), vm));
        st(o + off, i, D, e);
        if (i + 4 <= D) acc = f32x4.add(acc, e);
      }
      let s = hsum(acc);
      for (let i = D & ~3; i < D; i++) s += load<f32>(o + off + <usize>(i * 4));
      const inv = f32x4.splat(1 / s);
      for (let i = 0; i < D; i += 4) st(o + off, i, D, f32x4.mul(ld(o + off, i, D), inv));
    }
  }
}

export function softmaxBackward(args: usize): void {
  const rows = SoftmaxBackwardArgs.rows(args);
  const per = SoftmaxBackwardArgs.per(args);
  const D = SoftmaxBackwardArgs.D(args);
  const g = SoftmaxBackwardArgs.dOut(args);
  const y = SoftmaxBackwardArgs.out(args);
  const d = SoftmaxBackwardArgs.dX(args);
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>D * 4;
      let acc = f32x4.splat(0);
      for (let i = 0; i < D; i += 4) acc = madd(ld(g + off, i, D), ld(y + off, i, D), acc);
      const dot = f32x4.splat(hsum(acc));
      for (let i = 0; i < D; i += 4) {
        st(d + off, i, D, f32x4.mul(ld(y + off, i, D), f32x4.sub(ld(g + off, i, D), dot)));
      }
    }
  }
}

/** Row length D = V; targets are i32 (negative: padding). */
export function logSoftmaxGather(args: usize): void {
  const rows = LogSoftmaxGatherArgs.rows(args);
  const per = LogSoftmaxGatherArgs.per(args);
  const V = LogSoftmaxGatherArgs.D(args);
  const x = LogSoftmaxGatherArgs.logits(args);
  const tg = LogSoftmaxGatherArgs.targets(args);
  const lp = LogSoftmaxGatherArgs.logp(args);
  const ls = LogSoftmaxGatherArgs.lse(args);
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>V * 4;
      const m = rowMaxOf(x + off, V);
      const vm = f32x4.splat(m);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= V; i += 4) acc = f32x4.add(acc, expv(f32x4.sub(v128.load(x + off + <usize>(i * 4)), vm)));
      let s = hsum(acc);
      for (; i < V; i++) s += f32x4.extract_lane(expv(f32x4.splat(load<f32>(x + off + <usize>(i * 4)) - m)), 0);
      const l = m + Mathf.log(s);
      store<f32>(ls + <usize>(r * 4), l);
      const t = load<i32>(tg + <usize>(r * 4));
      store<f32>(lp + <usize>(r * 4), t < 0 ? 0 : load<f32>(x + off + <usize>(t * 4)) - l);
    }
  }
}

export function logSoftmaxGatherBackward(args: usize): void {
  const rows = LogSoftmaxGatherBackwardArgs.rows(args);
  const per = LogSoftmaxGatherBackwardArgs.per(args);
  const V = LogSoftmaxGatherBackwardArgs.D(args);
  const g = LogSoftmaxGatherBackwardArgs.dLogp(args);
  const x = LogSoftmaxGatherBackwardArgs.logits(args);
  const tg = LogSoftmaxGatherBackwardArgs.targets(args);
  const ls = LogSoftmaxGatherBackwardArgs.lse(args);
  const d = LogSoftmaxGatherBackwardArgs.dLogits(args);
  while (nextRows(args, rows, per)) {
    for (let r = unitRow0; r < unitRow1; r++) {
      const off = <usize>r * <usize>V * 4;
      const t = load<i32>(tg + <usize>(r * 4));
      if (t < 0) {
        memory.fill(d + off, 0, <usize>V * 4);
        continue;
      }
      const gn = load<f32>(g + <usize>(r * 4));
      const vl = f32x4.splat(load<f32>(ls + <usize>(r * 4)));
      const vg = f32x4.splat(-gn);
      for (let i = 0; i < V; i += 4) {
        st(d + off, i, V, f32x4.mul(vg, expv(f32x4.sub(ld(x + off, i, V), vl))));
      }
      const pt = d + off + <usize>(t * 4);
      store<f32>(pt, load<f32>(pt) + gn);
    }
  }
}

/**
 * dst[c] = Σ_p src[p·stride + c] for c < D (single call, no units). Reduces the norm partials.
 */
export function sumParts(args: usize): void {
  const parts = SumPartsArgs.parts(args);
  const D = SumPartsArgs.D(args);
  const stride = SumPartsArgs.stride(args);
  const src = SumPartsArgs.src(args);
  const dst = SumPartsArgs.dst(args);
  for (let i = 0; i < D; i += 4) {
    let a = f32x4.splat(0);
    for (let p = 0; p < parts; p++) a = f32x4.add(a, ld(src + <usize>p * <usize>stride * 4, i, D));
    st(dst, i, D, a);
  }
}
