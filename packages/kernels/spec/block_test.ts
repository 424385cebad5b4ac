// Spec: the op API composes into a model layer. A Llama/Qwen2-style attention block (RMSNorm → q/k/v
// projections with GQA → RoPE → causal attention → output projection → residual) and a GPT-2-style
// MLP block (LayerNorm → linear → GELU → linear → residual), with hand-written backward passes,
// checked against float64 central finite differences — and the same blocks on every backend vs ts.
import { describe, expect, it } from "vitest";
import { gelu, geluBackward } from "../ops/activation.ts";
import { attention, attentionBackward } from "../ops/attention.ts";
import { add, axpyInto } from "../ops/elementwise.ts";
import { matmul, matmulBackward } from "../ops/matmul.ts";
import { layernorm, layernormBackward, rmsnorm, rmsnormBackward } from "../ops/norm.ts";
import { rope, ropeBackward } from "../ops/rope.ts";
import { clone } from "../ops/shape.ts";
import type { Tensor } from "../tensor.ts";
import { backends, crossCheck, gradCheck, rnd, rnd64 } from "./harness.ts";

const [B, T, H, Hkv, Dh] = [2, 3, 4, 2, 2];
const D = H * Dh;
const ropeOpts = { offset: [0, -1], theta: 100 };
const attnOpts = { keyStart: [0, 1] };

/** Attention block forward; returns y and everything the backward needs. */
function attnForward([x, g, wq, wk, wv, wo]: Tensor[]) {
  const n = rmsnorm(x!, g!);
  const q = rope(matmul(n.out, wq!, { transB: true }).reshape([B, T, H, Dh]), ropeOpts);
  const k = rope(matmul(n.out, wk!, { transB: true }).reshape([B, T, Hkv, Dh]), ropeOpts);
  const v = matmul(n.out, wv!, { transB: true }).reshape([B, T, Hkv, Dh]);
  const att = attention(q, k, v, attnOpts);
  const a = att.out.reshape([B, T, D]);
  const y = add(x!, matmul(a, wo!, { transB: true }));
  return { y, n, q, k, v, att, a };
}

function attnBackward(dy: Tensor, xs: Tensor[]): Tensor[] {
  const [x, g, wq, wk, wv, wo] = xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const f = attnForward(xs);
  const dx = clone(dy); // residual path
  const o = matmulBackward(dy, f.a, wo, { transB: true });
  const da = attentionBackward(o.dA!.reshape([B, T, H, Dh]), f.q, f.k, f.v, f.att.out, f.att.lse, attnOpts);
  const dq = ropeBackward(da.dQ, ropeOpts).reshape([B, T, H * Dh]);
  const dk = ropeBackward(da.dK, ropeOpts).reshape([B, T, Hkv * Dh]);
  const dv = da.dV.reshape([B, T, Hkv * Dh]);
  const gq = matmulBackward(dq, f.n.out, wq, { transB: true });
  const dn = gq.dA!;
  const gk = matmulBackward(dk, f.n.out, wk, { transB: true, into: { dA: dn } });
  const gv = matmulBackward(dv, f.n.out, wv, { transB: true, into: { dA: dn } });
  const gn = rmsnormBackward(dn, x, g, f.n.rstd);
  axpyInto(dx, gn.dX);
  return [dx, gn.dWeight, gq.dB!, gk.dB!, gv.dB!, o.dB!];
}

function attnInputs(make: (shape: number[], seed: number) => Tensor): Tensor[] {
  return [
    make([B, T, D], 1),
    make([D], 2),
    make([H * Dh, D], 3),
    make([Hkv * Dh, D], 4),
    make([Hkv * Dh, D], 5),
    make([D, H * Dh], 6),
  ];
}

/** GPT-2 MLP block: y = x + W2·gelu(W1·LN(x) + b1) + b2 (Conv1D layout: weights [in, out]). */
function mlpForward([x, g, b, w1, b1, w2, b2]: Tensor[]) {
  const n = layernorm(x!, g!, b!);
  const h = matmul(n.out, w1!, { bias: b1! });
  const a = gelu(h);
  const y = add(x!, matmul(a, w2!, { bias: b2! }));
  return { y, n, h, a };
}

function mlpBackward(dy: Tensor, xs: Tensor[]): Tensor[] {
  const [x, g, , w1, , w2] = xs as Tensor[];
  const f = mlpForward(xs);
  const g2 = matmulBackward(dy, f.a, w2!, { hasBias: true });
  const dh = geluBackward(g2.dA!, f.h);
  const g1 = matmulBackward(dh, f.n.out, w1!, { hasBias: true });
  const gn = layernormBackward(g1.dA!, x!, g!, f.n.mean, f.n.rstd);
  const dx = add(dy, gn.dX);
  return [dx, gn.dWeight, gn.dBias, g1.dB, g1.dBias, g2.dB, g2.dBias] as Tensor[];
}

function mlpInputs(make: (shape: number[], seed: number) => Tensor): Tensor[] {
  return [
    make([B, T, D], 1),
    make([D], 2),
    make([D], 3),
    make([D, 12], 4),
    make([12], 5),
    make([12, D], 6),
    make([D], 7),
  ];
}

describe("composed blocks: float64 finite differences", () => {
  it("Llama/Qwen2-style attention block (RMSNorm, GQA, RoPE, left padding)", () => {
    const err = gradCheck(attnInputs(rnd64), (xs) => attnForward(xs).y, attnBackward);
    expect(err).toBeLessThan(1e-6);
  });
  it("GPT-2-style MLP block (LayerNorm, bias, GELU)", () => {
    const err = gradCheck(mlpInputs(rnd64), (xs) => mlpForward(xs).y, mlpBackward);
    expect(err).toBeLessThan(1e-6);
  });
});

describe.each(backends())("composed blocks on %s", (name) => {
  it("attention and MLP blocks, forward and backward, match ts", () => {
    const ai = attnInputs((s, seed) => rnd(s, seed));
    const dy = rnd([B, T, D], 9);
    crossCheck(name, [...ai, dy], (xs) => [
      attnForward(xs.slice(0, 6)).y,
      ...attnBackward(xs[6]!, xs.slice(0, 6)),
    ]);
    const mi = mlpInputs((s, seed) => rnd(s, seed));
    crossCheck(name, [...mi, dy], (xs) => [
      mlpForward(xs.slice(0, 7)).y,
      ...mlpBackward(xs[7]!, xs.slice(0, 7)),
    ]);
  });
});
