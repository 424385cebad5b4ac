// Elementwise activations, forward and backward, f32x4 with the vector exp of math.ts:
// GELU (tanh approximation, GPT-2 gelu_new), SiLU, SwiGLU = silu(gate)·up. Work is split in chunks
// of the flat arrays taken from the unit counter; tails use partial vector loads.
// Arguments: the *Args readers of ./args (layouts declared in ../args.ts).
// Test: spec/activation_test.ts (against ts) and wasm/rows_test.ts.
import {
  AdamwArgs, GeluArgs, GeluBackwardArgs, SiluArgs, SiluBackwardArgs, SwigluArgs, SwigluBackwardArgs,
} from "./args";
import {
  K_GELU_3A, K_GELU_A, K_GELU_C, K_HALF, K_ONE, kv, sigmoidv, tanhv,
} from "./math";
import { hi, lo, loadPartial, nextChunk, storePartial } from "./simd";

// @ts-ignore: decorator
@inline function geluF(x: v128): v128 {
  const u = f32x4.mul(kv(K_GELU_C), f32x4.add(x, f32x4.mul(kv(K_GELU_A), f32x4.mul(x, f32x4.mul(x, x)))));
  return f32x4.mul(f32x4.mul(kv(K_HALF), x), f32x4.add(kv(K_ONE), tanhv(u)));
}

// @ts-ignore: decorator
@inline function geluB(x: v128, g: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(kv(K_GELU_C), f32x4.add(x, f32x4.mul(kv(K_GELU_A), f32x4.mul(x, x2))));
  const t = tanhv(u);
  const du = f32x4.mul(kv(K_GELU_C), f32x4.add(kv(K_ONE), f32x4.mul(kv(K_GELU_3A), x2)));
  const half = kv(K_HALF);
  const one = kv(K_ONE);
  const d = f32x4.add(
    f32x4.mul(half, f32x4.add(one, t)),
    f32x4.mul(f32x4.mul(half, x), f32x4.mul(f32x4.sub(one, f32x4.mul(t, t)), du)),
  );
  return f32x4.mul(g, d);
}

// @ts-ignore: decorator
@inline function siluF(x: v128): v128 {
  return f32x4.mul(x, sigmoidv(x));
}

// @ts-ignore: decorator
@inline function siluD(x: v128): v128 {
  const s = sigmoidv(x);
  return f32x4.mul(s, f32x4.add(kv(K_ONE), f32x4.mul(x, f32x4.sub(kv(K_ONE), s))));
}

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32, n: i32): v128 {
  return i + 4 <= n ? v128.load(p + <usize>(i * 4)) : loadPartial(p + <usize>(i * 4), n - i);
}

// @ts-ignore: decorator
@inline function st(p: usize, i: i32, n: i32, v: v128): void {
  if (i + 4 <= n) v128.store(p + <usize>(i * 4), v);
  else storePartial(p + <usize>(i * 4), v, n - i);
}

const GELU = 0;
const GELU_B = 1;
const SILU = 2;
const SILU_B = 3;
const SWIGLU = 4;

/** One vector of op `op` (a compile-time constant after inlining): out = f(a[, b]). */
// @ts-ignore: decorator
@inline function apply(op: i32, a: v128, b: v128): v128 {
  if (op == GELU) return geluF(a);
  if (op == GELU_B) return geluB(a, b); // a = x, b = dOut
  if (op == SILU) return siluF(a);
  if (op == SILU_B) return f32x4.mul(b, siluD(a));
  return f32x4.mul(siluF(a), b); // SWIGLU: a = gate, b = up
}

/** out[i] = op(a[i], b[i]) over the chunks; the main loop has no tail checks. */
// @ts-ignore: decorator
@inline function map(op: i32, args: usize, n: i32, size: i32, a: usize, b: usize, o: usize): void {
  while (nextChunk(args, n, size)) {
    const e = hi();
    let i = lo();
    for (; i + 4 <= e; i += 4) {
      const off = <usize>(i * 4);
      v128.store(o + off, apply(op, v128.load(a + off), b == 0 ? f32x4.splat(0) : v128.load(b + off)));
    }
    if (i < e) st(o, i, e, apply(op, ld(a, i, e), b == 0 ? f32x4.splat(0) : ld(b, i, e)));
  }
}

export function gelu(args: usize): void {
  map(GELU, args, GeluArgs.n(args), GeluArgs.size(args), GeluArgs.x(args), 0, GeluArgs.out(args));
}

export function geluBackward(args: usize): void {
  const x = GeluBackwardArgs.x(args);
  const dOut = GeluBackwardArgs.dOut(args);
  map(GELU_B, args, GeluBackwardArgs.n(args), GeluBackwardArgs.size(args), x, dOut, GeluBackwardArgs.dX(args));
}

export function silu(args: usize): void {
  map(SILU, args, SiluArgs.n(args), SiluArgs.size(args), SiluArgs.x(args), 0, SiluArgs.out(args));
}

export function siluBackward(args: usize): void {
  const x = SiluBackwardArgs.x(args);
  const dOut = SiluBackwardArgs.dOut(args);
  map(SILU_B, args, SiluBackwardArgs.n(args), SiluBackwardArgs.size(args), x, dOut, SiluBackwardArgs.dX(args));
}

export function swiglu(args: usize): void {
  const gate = SwigluArgs.gate(args);
  map(SWIGLU, args, SwigluArgs.n(args), SwigluArgs.size(args), gate, SwigluArgs.up(args), SwigluArgs.out(args));
}

export function swigluBackward(args: usize): void {
  const n = SwigluBackwardArgs.n(args);
  const size = SwigluBackwardArgs.size(args);
  const g = SwigluBackwardArgs.dOut(args);
  const a = SwigluBackwardArgs.gate(args);
  const u = SwigluBackwardArgs.up(args);
  const dg = SwigluBackwardArgs.dGate(args);
  const du = SwigluBackwardArgs.dUp(args);
  while (nextChunk(args, n, size)) {
    const e = hi();
    for (let i = lo(); i < e; i += 4) {
      const full = i + 4 <= e;
      const off = <usize>(i * 4);
      const x = full ? v128.load(a + off) : ld(a, i, e);
      const gi = full ? v128.load(g + off) : ld(g, i, e);
      const ui = full ? v128.load(u + off) : ld(u, i, e);
      const s = sigmoidv(x);
      const dsilu = f32x4.mul(s, f32x4.add(kv(K_ONE), f32x4.mul(x, f32x4.sub(kv(K_ONE), s))));
      const vdu = f32x4.mul(gi, f32x4.mul(x, s));
      const vdg = f32x4.mul(f32x4.mul(gi, ui), dsilu);
      if (full) {
        v128.store(du + off, vdu);
        v128.store(dg + off, vdg);
      } else {
        st(du, i, e, vdu);
        st(dg, i, e, vdg);
      }
    }
  }
}

/** AdamW (PyTorch semantics), with the bias corrections and decay folded by the host (AdamwArgs). */
export function adamw(args: usize): void {
  const n = AdamwArgs.n(args);
  const size = AdamwArgs.size(args);
  const p = AdamwArgs.param(args);
  const g = AdamwArgs.grad(args);
  const m = AdamwArgs.m(args);
  const v = AdamwArgs.v(args);
  const b1 = f32x4.splat(AdamwArgs.beta1(args));
  const b2 = f32x4.splat(AdamwArgs.beta2(args));
  const c1 = f32x4.splat(1 - AdamwArgs.beta1(args));
  const c2 = f32x4.splat(1 - AdamwArgs.beta2(args));
  const stepSize = f32x4.splat(AdamwArgs.stepSize(args));
  const rBc2 = f32x4.splat(AdamwArgs.rBc2(args));
  const eps = f32x4.splat(AdamwArgs.eps(args));
  const decay = f32x4.splat(AdamwArgs.decay(args));
  while (nextChunk(args, n, size)) {
    const e = hi();
    for (let i = lo(); i < e; i += 4) {
      const gi = ld(g, i, e);
      const mi = f32x4.add(f32x4.mul(b1, ld(m, i, e)), f32x4.mul(c1, gi));
      const vi = f32x4.add(f32x4.mul(b2, ld(v, i, e)), f32x4.mul(c2, f32x4.mul(gi, gi)));
      st(m, i, e, mi);
      st(v, i, e, vi);
      const den = f32x4.add(f32x4.mul(f32x4.sqrt(vi), rBc2), eps);
      const pi = f32x4.sub(f32x4.mul(ld(p, i, e), decay), f32x4.div(f32x4.mul(stepSize, mi), den));
      st(p, i, e, pi);
    }
  }
}
