// Spec: fused causal attention (MHA, GQA, padding masks), its backward, KV-cache write and decode
// attention — against a naive reference, on every backend vs ts, and float64 finite differences.
import { describe, expect, it } from "vitest";
import { zeros } from "../create.ts";
import { attention, attentionBackward, attentionDecode, kvCacheWrite } from "../ops/attention.ts";
import type { Tensor } from "../tensor.ts";
import { backends, crossCheck, expectClose, gradCheck, rnd, rnd64, to } from "./harness.ts";

/** Naive attention from the definition: softmax over allowed keys of q·k/√Dh, times v. */
function naive(q: Tensor, k: Tensor, v: Tensor, keyStart?: number[], keyEnd?: number[]): Float64Array {
  const [B, T, H, Dh] = q.shape as [number, number, number, number];
  const Hkv = k.shape[2]!;
  const [qd, kd, vd] = [q.readSync(), k.readSync(), v.readSync()];
  const out = new Float64Array(q.size);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const kh = Math.floor((h * Hkv) / H);
        const allowed: number[] = [];
        for (let j = 0; j <= t; j++) if (j >= (keyStart?.[b] ?? 0) && j < (keyEnd?.[b] ?? T)) allowed.push(j);
        if (allowed.length === 0) continue;
        const s = allowed.map((j) => {
          let d = 0;
          for (let c = 0; c < Dh; c++)
            d += qd[((b * T + t) * H + h) * Dh + c]! * kd[((b * T + j) * Hkv + kh) * Dh + c]!;
          return d / Math.sqrt(Dh);
        });
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        allowed.forEach((j, i) => {
          for (let c = 0; c < Dh; c++)
            out[((b * T + t) * H + h) * Dh + c]! += (e[i]! / z) * vd[((b * T + j) * Hkv + kh) * Dh + c]!;
        });
      }
  return out;
}

describe("attention: naive reference", () => {
  it.each([
    { name: "MHA", B: 2, T: 5, H: 2, Hkv: 2, Dh: 4 },
    { name: "GQA", B: 2, T: 6, H: 4, Hkv: 2, Dh: 3 },
    { name: "MQA + masks", B: 3, T: 5, H: 3, Hkv: 1, Dh: 4, keyStart: [0, 2, 1], keyEnd: [5, 5, 3] },
  ])("$name", ({ B, T, H, Hkv, Dh, keyStart, keyEnd }) => {
    const q = rnd([B, T, H, Dh], 1);
    const k = rnd([B, T, Hkv, Dh], 2);
    const v = rnd([B, T, Hkv, Dh], 3);
    const { out } = attention(q, k, v, { keyStart, keyEnd });
    expectClose(out.readSync(), naive(q, k, v, keyStart, keyEnd), 1e-5);
  });
});

const cases = [
  { B: 1, T: 1, H: 1, Hkv: 1, Dh: 1 },
  { B: 2, T: 7, H: 4, Hkv: 4, Dh: 8 },
  { B: 2, T: 33, H: 6, Hkv: 2, Dh: 16 },
  { B: 1, T: 129, H: 2, Hkv: 1, Dh: 32 },
];

describe.each(backends())("attention on %s", (name) => {
  it.each(cases)("B=$B T=$T H=$H Hkv=$Hkv Dh=$Dh forward/backward match ts (with padding masks)", (c) => {
    const q = rnd([c.B, c.T, c.H, c.Dh], 1);
    const k = rnd([c.B, c.T, c.Hkv, c.Dh], 2);
    const v = rnd([c.B, c.T, c.Hkv, c.Dh], 3);
    const d = rnd([c.B, c.T, c.H, c.Dh], 4);
    const masks = [
      {},
      {
        keyStart: Array.from({ length: c.B }, (_, b) => b % c.T),
        keyEnd: Array.from({ length: c.B }, () => c.T - 1),
      },
    ];
    for (const m of masks) {
      crossCheck(name, [q, k, v, d], ([q, k, v, d]) => {
        const f = attention(q!, k!, v!, m);
        const g = attentionBackward(d!, q!, k!, v!, f.out, f.lse, m);
        return [f.out, f.lse, g.dQ, g.dK, g.dV];
      });
    }
  });
  it.each(cases)("decode B=$B T=$T H=$H Hkv=$Hkv: prefill + one-by-one equals full attention", (c) => {
    const { B, T, H, Hkv, Dh } = c;
    const q = to(rnd([B, T, H, Dh], 1), name);
    const k = to(rnd([B, T, Hkv, Dh], 2), name);
    const v = to(rnd([B, T, Hkv, Dh], 3), name);
    const keyStart = Array.from({ length: B }, (_, b) => b % T);
    const full = attention(q, k, v, { keyStart }).out.readSync();
    const Tmax = T + 3;
    const kc = zeros([B, Hkv, Tmax, Dh], { backend: name });
    const vc = zeros([B, Hkv, Tmax, Dh], { backend: name });
    // Prefill the first half as one block, then decode the rest one position at a time.
    const P = Math.ceil(T / 2);
    const slice = (x: Tensor, t0: number, t1: number, heads: number) => {
      const src = x.readSync();
      const out = zeros([B, t1 - t0, heads, Dh], { backend: name });
      const o = new Float32Array(out.size);
      for (let b = 0; b < B; b++)
        o.set(src.subarray((b * T + t0) * heads * Dh, (b * T + t1) * heads * Dh), b * (t1 - t0) * heads * Dh);
      return out.write(o);
    };
    const got = new Float32Array(q.size);
    const put = (y: Tensor, t0: number, t1: number) => {
      const yd = y.readSync();
      for (let b = 0; b < B; b++)
        got.set(yd.subarray(b * (t1 - t0) * H * Dh, (b + 1) * (t1 - t0) * H * Dh), (b * T + t0) * H * Dh);
    };
    for (const [t0, t1] of [[0, P], ...Array.from({ length: T - P }, (_, i) => [P + i, P + i + 1])] as [
      number,
      number,
    ][]) {
      kvCacheWrite(kc, slice(k, t0, t1, Hkv), t0);
      kvCacheWrite(vc, slice(v, t0, t1, Hkv), t0);
      put(attentionDecode(slice(q, t0, t1, H), kc, vc, { pos: t0, keyStart }), t0, t1);
    }
    expectClose(got, full, 1e-5);
  });
  it("decode with per-sequence positions matches ts", () => {
    const B = 3;
    const q = rnd([B, 2, 4, 8], 1);
    const kc = rnd([B, 2, 11, 8], 2);
    const vc = rnd([B, 2, 11, 8], 3);
    const x = rnd([B, 2, 2, 8], 4);
    crossCheck(name, [q, kc, vc, x], ([q, kc, vc, x]) => {
      kvCacheWrite(kc!, x!, [0, 4, 9]);
      return [attentionDecode(q!, kc!, vc!, { pos: [0, 4, 9], keyStart: [0, 1, 3] }), kc];
    });
  });
  it("kvCacheWrite of a large block (threads share the rows) matches ts", () => {
    // 3 sequences × 700 new positions × 2 heads × 16 floats, at different offsets of a 1,000-slot cache
    const kc = rnd([3, 2, 1000, 16], 5);
    const x = rnd([3, 700, 2, 16], 6);
    crossCheck(name, [kc, x], ([kc, x]) => {
      kvCacheWrite(kc!, x!, [0, 123, 300]);
      return [kc];
    });
  });
});

describe("attention backward: float64 finite differences", () => {
  it.each([
    { name: "MHA", B: 1, T: 4, H: 2, Hkv: 2, Dh: 3 },
    { name: "GQA + masks", B: 2, T: 4, H: 4, Hkv: 2, Dh: 2, keyStart: [0, 1], keyEnd: [3, 4] },
  ])("$name d q, d k, d v", ({ B, T, H, Hkv, Dh, keyStart, keyEnd }) => {
    const m = { keyStart, keyEnd };
    const ins = [rnd64([B, T, H, Dh], 1), rnd64([B, T, Hkv, Dh], 2), rnd64([B, T, Hkv, Dh], 3)];
    const err = gradCheck(
      ins,
      ([q, k, v]) => attention(q!, k!, v!, m).out,
      (d, [q, k, v]) => {
        const f = attention(q!, k!, v!, m);
        const g = attentionBackward(d, q!, k!, v!, f.out, f.lse, m);
        return [g.dQ, g.dK, g.dV];
      },
    );
    expect(err).toBeLessThan(1e-6);
  });
});
