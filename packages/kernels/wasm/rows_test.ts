/**
 * Wasm kernels other than matmul, at sizes large enough to be split across 2 threads, against the
 * ts reference: attention (GQA, padding masks, T over several query blocks), norms, activations,
 * softmax, log-softmax + gather, AdamW. (The spec suite checks every backend at small odd shapes.)
 * Run: `npx vitest run wasm/rows_test.ts` in packages/kernels.
 */
import { describe, expect, it } from "vitest";
import "../backends/all.ts";
import { randint, randn } from "../create.ts";
import { gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from "../ops/activation.ts";
import { attention, attentionBackward, attentionDecode } from "../ops/attention.ts";
import { add, axpyInto, mul, scale } from "../ops/elementwise.ts";
import { logSoftmaxGather, logSoftmaxGatherBackward } from "../ops/logprob.ts";
import { layernorm, layernormBackward, rmsnorm, rmsnormBackward } from "../ops/norm.ts";
import { sum, sumLeading, sumSquares } from "../ops/reduce.ts";
import { concatLast, splitLast } from "../ops/shape.ts";
import { adamw } from "../ops/optim.ts";
import { softmax, softmaxBackward } from "../ops/softmax.ts";
import { listBackends } from "../registry.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { getEngine } from "./engine.ts";

process.env.MEMPO_THREADS = "2"; // read when the engine starts (first wasm allocation)

const r = (shape: number[], seed: number, backend: string, std = 1) => randn(shape, { seed, backend, std });

/** Runs `f` on ts and on wasm with identical inputs; compares every output tensor. */
function same(f: (b: string) => Tensor[], tol = 2e-5): void {
  tidy(() => {
    const ref = f("ts").map((t) => t.readSync());
    const got = f("wasm").map((t) => t.readSync());
    ref.forEach((x, i) => {
      let e = 0;
      for (let j = 0; j < x.length; j++)
        e = Math.max(e, Math.abs(got[i]![j]! - x[j]!) / Math.max(1, Math.abs(x[j]!)));
      expect(e, `output ${i}`).toBeLessThan(tol);
    });
  });
}

describe.runIf(listBackends().includes("wasm"))("wasm kernels on 2 threads vs ts", () => {
  it("runs on two threads", () => {
    r([1], 0, "wasm");
    expect(getEngine().threads).toBe(2);
  });

  it("attention forward and backward (GQA, masks, T = 150 over 3 query blocks)", () => {
    const [B, T, H, Hkv, Dh] = [3, 150, 4, 2, 24];
    const opts = { keyStart: [0, 5, 2], keyEnd: [150, 150, 97] };
    same((b) => {
      const [q, k, v] = [r([B, T, H, Dh], 1, b), r([B, T, Hkv, Dh], 2, b), r([B, T, Hkv, Dh], 3, b)];
      const f = attention(q, k, v, opts);
      const g = attentionBackward(r([B, T, H, Dh], 4, b), q, k, v, f.out, f.lse, opts);
      return [f.out, f.lse, g.dQ, g.dK, g.dV];
    }, 1e-4);
  });

  it("decode attention against a KV cache (per-sequence positions and key starts)", () => {
    const [B, Tq, H, Hkv, Dh, Tmax] = [3, 5, 4, 2, 16, 90];
    same((b) => {
      const [q, kc, vc] = [r([B, Tq, H, Dh], 1, b), r([B, Hkv, Tmax, Dh], 2, b), r([B, Hkv, Tmax, Dh], 3, b)];
      return [attentionDecode(q, kc, vc, { pos: [0, 40, 85], keyStart: [0, 3, 42] })];
    }, 1e-4);
  });

  it("layernorm and rmsnorm forward and backward (rows 67, D 257)", () => {
    same((b) => {
      const [x, w, bb, dO] = [r([67, 257], 1, b), r([257], 2, b), r([257], 3, b), r([67, 257], 4, b)];
      const f = layernorm(x, w, bb);
      const g = layernormBackward(dO, x, w, f.mean, f.rstd);
      const f2 = rmsnorm(x, w);
      const g2 = rmsnormBackward(dO, x, w, f2.rstd);
      return [f.out, f.mean, f.rstd, g.dX, g.dWeight, g.dBias!, f2.out, f2.rstd, g2.dX, g2.dWeight];
    }, 1e-4);
  });

  it("gelu, silu, swiglu forward and backward (40001 elements)", () => {
    same((b) => {
      const [x, u, dO] = [r([40001], 1, b, 3), r([40001], 2, b), r([40001], 3, b)];
      const sw = swigluBackward(dO, x, u);
      return [gelu(x), geluBackward(dO, x), silu(x), siluBackward(dO, x), swiglu(x, u), sw.dGate, sw.dUp];
    });
  });

  it("softmax and log-softmax + gather forward and backward (rows 33, cols 1001)", () => {
    same((b) => {
      const [x, dO] = [r([33, 1001], 1, b, 4), r([33, 1001], 2, b)];
      const y = softmax(x);
      const t = randint([33], 1001, { seed: 3, backend: b });
      const lg = logSoftmaxGather(x, t);
      return [
        y,
        softmaxBackward(dO, y),
        lg.logp,
        lg.lse,
        logSoftmaxGatherBackward(r([33], 4, b), x, t, lg.lse),
      ];
    });
  });

  it("adamw matches over three steps (50001 params)", () => {
    same((b) => {
      const [p, g] = [r([50001], 1, b), r([50001], 2, b, 0.1)];
      const [m, v] = [r([50001], 3, b, 0), r([50001], 4, b, 0)];
      for (let step = 1; step <= 3; step++) adamw(p, g, m, v, { lr: 1e-2, step, weightDecay: 0.1 });
      return [p, m, v];
    });
  });

  it("add / mul with a broadcast suffix, scale, axpy (5715×7), sums over leading rows", () => {
    same((b) => {
      const [a, c, d] = [r([5715, 7], 1, b), r([7], 2, b), r([5715, 7], 3, b)];
      const y = r([5715, 7], 4, b);
      axpyInto(y, a, 0.5);
      const x = r([300, 67], 5, b);
      const parts = splitLast(r([999, 77], 7, b), [13, 60, 4]);
      return [
        add(a, c),
        mul(a, c),
        add(a, d),
        scale(a, -3),
        y,
        sumLeading(x),
        sumLeading(r([2000, 64], 6, b)),
        sum(x, -1),
        ...parts,
        concatLast(parts),
        sumSquares([a, r([150001], 8, b), x]),
      ];
    });
  });
});
