// Rotary position embedding on [B, T, H, Dh] rows with a host-made table of cos/sin per position
// (../kernels/rope.ts computes it in float64 once per (θ, Dh) and keeps it): out = x·cos ± rot(x)·sin.
import { RopeArgs } from "./args";
import { madd } from "./simd";

/**
 * rows = B·T; positions: i32 [rows], the table row of each (b, t); table: f32 [P, 2, Dh/2], cos then
 * sin; interleaved: GPT-J style (else half); sign: +1 forward, −1 inverse; per: rows per unit.
 */
export function rope(args: usize): void {
  const rows = RopeArgs.rows(args);
  const H = RopeArgs.H(args);
  const Dh = RopeArgs.Dh(args);
  const x = RopeArgs.x(args);
  const out = RopeArgs.out(args);
  const positions = RopeArgs.positions(args);
  const table = RopeArgs.table(args);
  const interleaved = RopeArgs.interleaved(args);
  const sign = RopeArgs.sign(args);
  const per = RopeArgs.per(args);
  const half = Dh >> 1;
  const rowBytes = <usize>(H * Dh) << 2;
  const units = (rows + per - 1) / per;
  const vsign = f32x4.splat(sign);
  for (;;) {
    const u = atomic.add<i32>(args, 1);
    if (u >= units) break;
    const r1 = min(rows, (u + 1) * per);
    for (let r = u * per; r < r1; r++) {
      const cs = table + ((<usize>load<i32>(positions + (<usize>r << 2)) * <usize>Dh) << 2);
      const sn = cs + (<usize>half << 2);
      for (let h = 0; h < H; h++) {
        const xi = x + <usize>r * rowBytes + ((<usize>(h * Dh)) << 2);
        const oi = out + <usize>r * rowBytes + ((<usize>(h * Dh)) << 2);
        if (!interleaved) {
          let i = 0;
          for (; i + 4 <= half; i += 4) {
            const o = <usize>i << 2;
            const c = v128.load(cs + o);
            const s = f32x4.mul(v128.load(sn + o), vsign);
            const x1 = v128.load(xi + o);
            const x2 = v128.load(xi + o + (<usize>half << 2));
            v128.store(oi + o, f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)));
            v128.store(oi + o + (<usize>half << 2), madd(x1, s, f32x4.mul(x2, c)));
          }
          for (; i < half; i++) {
            const o = <usize>i << 2;
            const c = load<f32>(cs + o);
            const s = load<f32>(sn + o) * sign;
            const x1 = load<f32>(xi + o);
            const x2 = load<f32>(xi + o + (<usize>half << 2));
            store<f32>(oi + o, x1 * c - x2 * s);
            store<f32>(oi + o + (<usize>half << 2), x2 * c + x1 * s);
          }
        } else {
          for (let i = 0; i < half; i++) {
            const c = load<f32>(cs + (<usize>i << 2));
            const s = load<f32>(sn + (<usize>i << 2)) * sign;
            const x1 = load<f32>(xi + (<usize>(2 * i) << 2));
            const x2 = load<f32>(xi + (<usize>(2 * i + 1) << 2));
            store<f32>(oi + (<usize>(2 * i) << 2), x1 * c - x2 * s);
            store<f32>(oi + (<usize>(2 * i + 1) << 2), x2 * c + x1 * s);
          }
        }
      }
    }
  }
}
