// Cheap elementwise kernels the training step calls often: add / mul with a broadcast suffix
// (residuals, biases), scale, axpy (gradient accumulation), and the column sum over leading rows
// (bias gradients). Flat chunks (binary) or column blocks (sumLeading) are the work units.
// Test: spec/elementwise_test.ts, spec/reduce_test.ts (against ts) and wasm/rows_test.ts.
import { BinaryArgs, CopyColumnsArgs, FillArgs, SumLeadingArgs, SumSquaresArgs } from "./args";
import { hi, lo, loadPartial, nextChunk, storePartial } from "./simd";

const ADD = 0;
const MUL = 1;
const SCALE = 2;
const AXPY = 3;

// @ts-ignore: decorator
@inline function f(op: i32, a: v128, b: v128, o: v128, alpha: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == SCALE) return f32x4.mul(a, alpha);
  return f32x4.add(o, f32x4.mul(a, alpha)); // AXPY
}

// @ts-ignore: decorator
@inline function segment(op: i32, a: usize, b: usize, o: usize, n: i32, alpha: v128): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>(i * 4);
    const bv = op <= MUL ? v128.load(b + k) : f32x4.splat(0);
    const ov = op == AXPY ? v128.load(o + k) : f32x4.splat(0);
    v128.store(o + k, f(op, v128.load(a + k), bv, ov, alpha));
  }
  if (i < n) {
    const k = <usize>(i * 4);
    const bv = op <= MUL ? loadPartial(b + k, n - i) : f32x4.splat(0);
    const ov = op == AXPY ? loadPartial(o + k, n - i) : f32x4.splat(0);
    storePartial(o + k, f(op, loadPartial(a + k, n - i), bv, ov, alpha), n - i);
  }
}

// @ts-ignore: decorator
@inline function binaryOp(op: i32, args: usize): void {
  const n = BinaryArgs.n(args);
  const size = BinaryArgs.size(args);
  const a = BinaryArgs.a(args);
  const b = BinaryArgs.b(args);
  const o = BinaryArgs.out(args);
  const m = BinaryArgs.bSize(args);
  const alpha = f32x4.splat(BinaryArgs.alpha(args));
  while (nextChunk(args, n, size)) {
    let i = lo();
    const e = hi();
    while (i < e) {
      // Contiguous run where b's index does not wrap.
      const j = op <= MUL ? i % m : 0;
      const len = op <= MUL ? min(e - i, m - j) : e - i;
      segment(op, a + <usize>(i * 4), b + <usize>(j * 4), o + <usize>(i * 4), len, alpha);
      i += len;
    }
  }
}

/**
 * out[i] = a[i] ∘ b[i mod bSize] for op 0 add, 1 mul; out = α·a for 2 scale; out += α·a for 3 axpy.
 * out may alias a.
 */
export function binary(args: usize): void {
  const op = BinaryArgs.op(args);
  if (op == ADD) binaryOp(ADD, args);
  else if (op == MUL) binaryOp(MUL, args);
  else if (op == SCALE) binaryOp(SCALE, args);
  else binaryOp(AXPY, args);
}

/**
 * out[c] = α·Σ_r x[r, c]: units are blocks of 16 columns; rows are summed in f32 over blocks of 32
 * and the blocks in f64.
 */
export function sumLeading(args: usize): void {
  const rows = SumLeadingArgs.rows(args);
  const cols = SumLeadingArgs.cols(args);
  const x = SumLeadingArgs.x(args);
  const out = SumLeadingArgs.out(args);
  const alpha = <f64>SumLeadingArgs.alpha(args);
  const units = (cols + 15) / 16;
  const ld = <usize>cols * 4;
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= units) break;
    const c0 = u * 16;
    const nc = min(16, cols - c0);
    if (nc == 16) {
      let d0 = f64x2.splat(0), d1 = f64x2.splat(0), d2 = f64x2.splat(0), d3 = f64x2.splat(0);
      let d4 = f64x2.splat(0), d5 = f64x2.splat(0), d6 = f64x2.splat(0), d7 = f64x2.splat(0);
      for (let r0 = 0; r0 < rows; r0 += 32) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        const r1 = min(rows, r0 + 32);
        let p = x + <usize>r0 * ld + <usize>(c0 * 4);
        for (let r = r0; r < r1; r++) {
          s0 = f32x4.add(s0, v128.load(p));
          s1 = f32x4.add(s1, v128.load(p, 16));
          s2 = f32x4.add(s2, v128.load(p, 32));
          s3 = f32x4.add(s3, v128.load(p, 48));
          p += ld;
        }
        d0 = f64x2.add(d0, f64x2.promote_low_f32x4(s0));
        d1 = f64x2.add(d1, f64x2.promote_low_f32x4(v128.shuffle<f32>(s0, s0, 2, 3, 0, 1)));
        d2 = f64x2.add(d2, f64x2.promote_low_f32x4(s1));
        d3 = f64x2.add(d3, f64x2.promote_low_f32x4(v128.shuffle<f32>(s1, s1, 2, 3, 0, 1)));
        d4 = f64x2.add(d4, f64x2.promote_low_f32x4(s2));
        d5 = f64x2.add(d5, f64x2.promote_low_f32x4(v128.shuffle<f32>(s2, s2, 2, 3, 0, 1)));
        d6 = f64x2.add(d6, f64x2.promote_low_f32x4(s3));
        d7 = f64x2.add(d7, f64x2.promote_low_f32x4(v128.shuffle<f32>(s3, s3, 2, 3, 0, 1)));
      }
      const va = f64x2.splat(alpha);
      const o = out + <usize>(c0 * 4);
      v128.store64_lane(o, f32x4.demote_f64x2_zero(f64x2.mul(d0, va)), 0);
      v128.store64_lane(o + 8, f32x4.demote_f64x2_zero(f64x2.mul(d1, va)), 0);
      v128.store64_lane(o + 16, f32x4.demote_f64x2_zero(f64x2.mul(d2, va)), 0);
      v128.store64_lane(o + 24, f32x4.demote_f64x2_zero(f64x2.mul(d3, va)), 0);
      v128.store64_lane(o + 32, f32x4.demote_f64x2_zero(f64x2.mul(d4, va)), 0);
      v128.store64_lane(o + 40, f32x4.demote_f64x2_zero(f64x2.mul(d5, va)), 0);
      v128.store64_lane(o + 48, f32x4.demote_f64x2_zero(f64x2.mul(d6, va)), 0);
      v128.store64_lane(o + 56, f32x4.demote_f64x2_zero(f64x2.mul(d7, va)), 0);
    } else {
      for (let c = c0; c < c0 + nc; c++) {
        let s: f64 = 0;
        for (let r = 0; r < rows; r++) s += <f64>load<f32>(x + <usize>r * ld + <usize>(c * 4));
        store<f32>(out + <usize>(c * 4), <f32>(s * alpha));
      }
    }
  }
}

/** dst[r, dstStart + j] = [dst +] src[r, srcStart + j] for j < n (split / concat along the last dim). */
export function copyColumns(args: usize): void {
  const rows = CopyColumnsArgs.rows(args);
  const per = CopyColumnsArgs.per(args);
  const src = CopyColumnsArgs.src(args) + <usize>CopyColumnsArgs.srcStart(args) * 4;
  const srcLd = <usize>CopyColumnsArgs.srcCols(args) * 4;
  const dst = CopyColumnsArgs.dst(args) + <usize>CopyColumnsArgs.dstStart(args) * 4;
  const dstLd = <usize>CopyColumnsArgs.dstCols(args) * 4;
  const n = CopyColumnsArgs.n(args);
  const acc = CopyColumnsArgs.accumulate(args);
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    const r0 = u * per;
    if (r0 >= rows) break;
    const r1 = min(rows, r0 + per);
    for (let r = r0; r < r1; r++) {
      const s = src + <usize>r * srcLd;
      const d = dst + <usize>r * dstLd;
      if (acc) segment(AXPY, s, 0, d, n, f32x4.splat(1));
      else memory.copy(d, s, <usize>n * 4);
    }
  }
}

/** out[i] = value for i < n. Also zeroes reused storage. */
export function fill(args: usize): void {
  const n = FillArgs.n(args);
  const size = FillArgs.size(args);
  const o = FillArgs.out(args);
  const v = f32x4.splat(FillArgs.value(args));
  while (nextChunk(args, n, size)) {
    let i = lo();
    const e = hi();
    for (; i + 4 <= e; i += 4) v128.store(o + <usize>(i * 4), v);
    for (; i < e; i++) store<f32>(o + <usize>(i * 4), f32x4.extract_lane(v, 0));
  }
}

/** parts[u] = Σ x[i]² (f64) over chunk u (the host adds the partials: gradient norms). */
export function sumSquares(args: usize): void {
  const n = SumSquaresArgs.n(args);
  const size = SumSquaresArgs.size(args);
  const x = SumSquaresArgs.x(args);
  const parts = SumSquaresArgs.parts(args);
  while (nextChunk(args, n, size)) {
    let i = lo();
    const e = hi();
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    for (; i + 4 <= e; i += 4) {
      const v = v128.load(x + <usize>(i * 4));
      const s = f32x4.mul(v, v); // f32 squares: exact to 2^-24 relative, summed in f64
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(s));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(s, s, 2, 3, 0, 1)));
    }
    const t = f64x2.add(a0, a1);
    let r = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    for (; i < e; i++) {
      const v = <f64>load<f32>(x + <usize>(i * 4));
      r += v * v;
    }
    store<f64>(parts + <usize>(lo() / size) * 8, r);
  }
}
