/**
 * Reference fused log-softmax + target gather and its backward (float64 row math).
 */
import type { LogSoftmaxGatherArgs, LogSoftmaxGatherBackwardArgs } from "../../kernel_types.ts";
import { F, I } from "./util.ts";

function checkTarget(kernel: string, t: number, n: number, V: number): void {
  if (t >= V) {
    throw new Error(
      `${kernel}: target ${t} at row ${n} is outside the vocabulary [0, ${V}). Fix: remap targets (use −1 for padding).`,
    );
  }
}

export function logSoftmaxGather({ logits, targets, logp, lse, N, V }: LogSoftmaxGatherArgs): void {
  const x = F(logits);
  const tg = I(targets);
  const lp = F(logp);
  const ls = F(lse);
  for (let n = 0; n < N; n++) {
    const off = n * V;
    let m = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) if (x[off + v]! > m) m = x[off + v]!;
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(x[off + v]! - m);
    const l = m + Math.log(s);
    ls[n] = l;
    const t = tg[n]!;
    checkTarget("logSoftmaxGather", t, n, V);
    lp[n] = t < 0 ? 0 : x[off + t]! - l;
  }
}

export function logSoftmaxGatherBackward(args: LogSoftmaxGatherBackwardArgs): void {
  const { N, V } = args;
  const g = F(args.dLogp);
  const x = F(args.logits);
  const tg = I(args.targets);
  const ls = F(args.lse);
  const d = F(args.dLogits);
  for (let n = 0; n < N; n++) {
    const off = n * V;
    const t = tg[n]!;
    checkTarget("logSoftmaxGatherBackward", t, n, V);
    if (t < 0) {
      d.fill(0, off, off + V);
      continue;
    }
    const gn = g[n]!;
    const l = ls[n]!;
    for (let v = 0; v < V; v++) d[off + v] = -gn * Math.exp(x[off + v]! - l);
    d[off + t]! += gn;
  }
}
