/**
 * Reference LayerNorm and RMSNorm, forward and backward (float64 row statistics).
 */
import type {
  LayerNormArgs,
  LayerNormBackwardArgs,
  RmsNormArgs,
  RmsNormBackwardArgs,
} from "../../kernel_types.ts";
import { F } from "./util.ts";

export function layernorm(args: LayerNormArgs): void {
  const { rows, D, eps } = args;
  const x = F(args.x);
  const w = F(args.weight);
  const b = args.bias ? F(args.bias) : null;
  const o = F(args.out);
  const mean = F(args.mean);
  const rstd = F(args.rstd);
  for (let r = 0; r < rows; r++) {
    const off = r * D;
    let m = 0;
    for (let i = 0; i < D; i++) m += x[off + i]!;
    m /= D;
    let v = 0;
    for (let i = 0; i < D; i++) {
      const d = x[off + i]! - m;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / D + eps);
    for (let i = 0; i < D; i++) o[off + i] = (x[off + i]! - m) * rs * w[i]! + (b ? b[i]! : 0);
    mean[r] = m;
    rstd[r] = rs;
  }
}

export function layernormBackward(args: LayerNormBackwardArgs): void {
  const { rows, D } = args;
  const g = F(args.dOut);
  const x = F(args.x);
  const w = F(args.weight);
  const mean = F(args.mean);
  const rstd = F(args.rstd);
  const dx = F(args.dX);
  const dw = new Float64Array(D);
  const db = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    const off = r * D;
    const m = mean[r]!;
    const rs = rstd[r]!;
    // dxhat = g·w; dx = rs·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat))
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < D; i++) {
      const xh = (x[off + i]! - m) * rs;
      const gi = g[off + i]!;
      const dxh = gi * w[i]!;
      sumG += dxh;
      sumGX += dxh * xh;
      dw[i]! += gi * xh;
      db[i]! += gi;
    }
    sumG /= D;
    sumGX /= D;
    for (let i = 0; i < D; i++) {
      const xh = (x[off + i]! - m) * rs;
      dx[off + i] = rs * (g[off + i]! * w[i]! - sumG - xh * sumGX);
    }
  }
  F(args.dWeight).set(dw);
  if (args.dBias) F(args.dBias).set(db);
}

export function rmsnorm(args: RmsNormArgs): void {
  const { rows, D, eps } = args;
  const x = F(args.x);
  const w = F(args.weight);
  const o = F(args.out);
  const rstd = F(args.rstd);
  for (let r = 0; r < rows; r++) {
    const off = r * D;
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[off + i]! * x[off + i]!;
    const rs = 1 / Math.sqrt(ss / D + eps);
    for (let i = 0; i < D; i++) o[off + i] = x[off + i]! * rs * w[i]!;
    rstd[r] = rs;
  }
}

export function rmsnormBackward(args: RmsNormBackwardArgs): void {
  const { rows, D } = args;
  const g = F(args.dOut);
  const x = F(args.x);
  const w = F(args.weight);
  const rstd = F(args.rstd);
  const dx = F(args.dX);
  const dw = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    const off = r * D;
    const rs = rstd[r]!;
    // y = x·rs·w; dx = rs·(g·w) − x·rs³·mean(g·w·x)
    let dot = 0;
    for (let i = 0; i < D; i++) {
      dot += g[off + i]! * w[i]! * x[off + i]!;
      dw[i]! += g[off + i]! * x[off + i]! * rs;
    }
    const c = (rs * rs * rs * dot) / D;
    for (let i = 0; i < D; i++) dx[off + i] = rs * g[off + i]! * w[i]! - c * x[off + i]!;
  }
  F(args.dWeight).set(dw);
}
