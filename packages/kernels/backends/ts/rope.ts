/**
 * Reference rotary embedding on [B, T, H, Dh] (angles in float64).
 */
import type { RopeArgs } from "../../kernel_types.ts";
import { F } from "./util.ts";

export function rope(args: RopeArgs): void {
  const { B, T, H, Dh, offsets, positions, theta, style, inverse } = args;
  const x = F(args.x);
  const o = F(args.out);
  const half = Dh / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = theta ** ((-2 * i) / Dh);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const p = positions ? positions[b * T + t]! : offsets[b]! + t;
      for (let i = 0; i < half; i++) {
        const ang = p * invFreq[i]!;
        cos[i] = Math.cos(ang);
        sin[i] = inverse ? -Math.sin(ang) : Math.sin(ang);
      }
      for (let h = 0; h < H; h++) {
        const base = ((b * T + t) * H + h) * Dh;
        for (let i = 0; i < half; i++) {
          const i1 = style === "half" ? base + i : base + 2 * i;
          const i2 = style === "half" ? base + i + half : base + 2 * i + 1;
          const x1 = x[i1]!;
          const x2 = x[i2]!;
          o[i1] = x1 * cos[i]! - x2 * sin[i]!;
          o[i2] = x2 * cos[i]! + x1 * sin[i]!;
        }
      }
    }
  }
}
