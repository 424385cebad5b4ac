/**
 * WGSL AdamW step (PyTorch semantics), one thread per parameter, in place on param, m and v. The bias
 * corrections are computed on the host in float64 and passed as uniforms.
 *
 * Test: webgpu/spec_test.ts (spec/optim_test.ts).
 */
import type { AdamWArgs } from "../../kernel_types.ts";
import { ew } from "./elementwise.ts";

export function adamw(args: AdamWArgs): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = args;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  ew(
    "adamw",
    [
      ["param", args.param],
      ["m", args.m],
      ["v", args.v],
    ],
    [["g", args.grad]],
    `let mi = p.b1 * m[i] + p.c1 * g_;
let vi = p.b2 * v[i] + p.c2 * g_ * g_;
m[i] = mi;
v[i] = vi;
param[i] = param[i] * p.decay - (p.stepSize * mi) / (sqrt(vi) / p.sqrtBc2 + p.eps);`,
    {
      b1: beta1,
      b2: beta2,
      c1: 1 - beta1,
      c2: 1 - beta2,
      decay: 1 - lr * weightDecay,
      stepSize: lr / bc1,
      sqrtBc2: Math.sqrt(bc2),
      eps,
    },
    "b1: f32, b2: f32, c1: f32, c2: f32, decay: f32, stepSize: f32, sqrtBc2: f32, eps: f32",
  );
}
