// Spec: ops whose outputs are allocated without clearing (`alloc(…, zero = false)`: every element is
// written) give the ts reference's values when those outputs land in freed memory full of NaN. The
// matmul's outputs have the same check in matmul_test.ts.
import { describe, it } from "vitest";
import { full, tensor } from "../create.ts";
import { gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from "../ops/activation.ts";
import { attentionDecode } from "../ops/attention.ts";
import { add, mul, scale } from "../ops/elementwise.ts";
import { embedding } from "../ops/embedding.ts";
import { logSoftmaxGather } from "../ops/logprob.ts";
import { layernorm, rmsnorm } from "../ops/norm.ts";
import { rope, ropeBackward } from "../ops/rope.ts";
import { softmax, softmaxBackward } from "../ops/softmax.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { backends, expectClose, rnd, to } from "./harness.ts";

type Op = (xs: Tensor[]) => Tensor[];

/**
 * Runs `f` on ts (fresh, cleared memory) and on `backend` right after blocks of every output's size
 * were filled with NaN and freed (the allocator hands freed blocks of a size back first), and
 * compares.
 */
function reuseCheck(backend: string, inputs: Tensor[], f: Op): void {
  tidy(() => {
    const ref = f(inputs);
    const copies = inputs.map((t) => to(t, backend));
    for (const r of ref) full([...r.shape], Number.NaN, { backend, dtype: r.dtype }).dispose();
    const got = f(copies);
    got.forEach((g, i) => {
      expectClose(g.readSync(), ref[i]!.readSync(), 1e-4, `${backend} output ${i}`);
    });
  });
}

const i32 = (xs: number[]) => tensor(xs, [xs.length], { dtype: "i32" });

describe.each(backends())("outputs in reused memory on %s", (name) => {
  it("norms: out and statistics", () => {
    const x = rnd([7, 33], 1);
    reuseCheck(name, [x, rnd([33], 2), rnd([33], 3)], ([x, w, b]) => {
      const l = layernorm(x!, w!, b!);
      const r = rmsnorm(x!, w!);
      return [l.out, l.mean, l.rstd, r.out, r.rstd];
    });
  });
  it("activations and their backward", () => {
    reuseCheck(name, [rnd([5, 40], 1), rnd([5, 40], 2), rnd([5, 40], 3)], ([g, u, d]) => {
      const s = swigluBackward(d!, g!, u!);
      return [gelu(g!), silu(g!), swiglu(g!, u!), geluBackward(d!, g!), siluBackward(d!, g!), s.dGate, s.dUp];
    });
  });
  it("elementwise, with and without broadcast", () => {
    reuseCheck(name, [rnd([5, 40], 1), rnd([5, 40], 2), rnd([40], 3)], ([a, b, c]) => [
      add(a!, b!),
      mul(a!, c!),
      scale(a!, 0.5),
    ]);
  });
  it("softmax and its backward", () => {
    reuseCheck(name, [rnd([6, 50], 1), rnd([6, 50], 2)], ([x, d]) => {
      const y = softmax(x!);
      return [y, softmaxBackward(d!, y)];
    });
  });
  it("rope and its backward", () => {
    reuseCheck(name, [rnd([2, 5, 4, 8], 1)], ([x]) => [
      rope(x!, { offset: [0, 3], style: "half" }),
      ropeBackward(x!, { offset: 2, style: "interleaved" }),
    ]);
  });
  it("embedding rows and log-softmax gather", () => {
    reuseCheck(name, [rnd([20, 16], 1), rnd([6, 50], 2)], ([table, logits]) => {
      const ids = to(i32([3, 0, 19, 7, 7, 12, 1, 5, 18]), table!.backend);
      const targets = to(i32([0, 49, 3, 3, 17, 8]), logits!.backend);
      const g = logSoftmaxGather(logits!, targets);
      return [embedding(ids, table!), g.logp, g.lse];
    });
  });
  it("decoding attention, including a query block that sees no keys", () => {
    reuseCheck(name, [rnd([2, 3, 4, 8], 1), rnd([2, 2, 10, 8], 2), rnd([2, 2, 10, 8], 3)], ([q, k, v]) => [
      attentionDecode(q!, k!, v!, { pos: [2, 5] }),
      attentionDecode(q!, k!, v!, { pos: [2, 5], keyStart: [0, 9] }),
    ]);
  });
});
