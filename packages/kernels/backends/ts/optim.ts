/**
 * Reference AdamW step (PyTorch torch.optim.AdamW semantics).
 */
import type { AdamWArgs } from "../../kernel_types.ts";
import { F } from "./util.ts";

export function adamw(args: AdamWArgs): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = args;
  const p = F(args.param);
  const g = F(args.grad);
  const m = F(args.m);
  const v = F(args.v);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * gi;
    const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
}
