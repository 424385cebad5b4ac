// Spec: packed rows (attention's `segments` and rope's `positions`) — several sequences sharing a
// prefix in one row equal each sequence run alone (an independent path: the plain causal kernel),
// forward and backward, on every backend that implements them; wasm vs ts on odd shapes (segments
// longer than a query block, right padding); bad segment layouts are refused.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { attention, attentionBackward } from "../ops/attention.ts";
import { rope } from "../ops/rope.ts";
import { findBackend } from "../registry.ts";
import type { Tensor } from "../tensor.ts";
import { backends, crossCheck, expectClose, rnd } from "./harness.ts";

type F4 = [Float32Array, Float32Array, Float32Array, Float32Array];
const H = 4;
const Hkv = 2;
const Dh = 8;

/** Rows [from, to) of a [1, T, heads, Dh] host array. */
const rows = (a: Float32Array, from: number, to: number, heads: number) =>
  a.subarray(from * heads * Dh, to * heads * Dh);

/** A packed layout: one row, prefix P then segments of the given lengths. */
function layout(P: number, lens: number[]) {
  const T = P + lens.reduce((s, x) => s + x, 0);
  const segStart = new Int32Array(T);
  const positions = new Int32Array(T);
  for (let t = 0; t < P; t++) positions[t] = t;
  let at = P;
  for (const L of lens) {
    for (let j = 0; j < L; j++) {
      segStart[at + j] = at;
      positions[at + j] = P + j;
    }
    at += L;
  }
  return { T, segStart, positions, segments: { prefixLen: [P], segStart } };
}

describe.each(backends().filter(([, b]) => !b.lacks?.includes("attention.segments")))(
  "packed rows on %s",
  (name) => {
    it("equal each sequence alone: outputs, lse and gradients (prefix gradients summed)", () => {
      const P = 9;
      const lens = [70, 3, 1, 20];
      const { T, segments, positions } = layout(P, lens);
      const [q, k, v, d] = [
        rnd([1, T, H, Dh], 1, name),
        rnd([1, T, Hkv, Dh], 2, name),
        rnd([1, T, Hkv, Dh], 3, name),
        rnd([1, T, H, Dh], 4, name),
      ];
      const f = attention(q, k, v, { segments });
      const g = attentionBackward(d, q, k, v, f.out, f.lse, { segments });
      const [out, dQ, dK, dV] = [f.out, g.dQ, g.dK, g.dV].map((x) => x.readSync() as Float32Array) as F4;
      const sumDK = new Float64Array(P * Hkv * Dh);
      const sumDV = new Float64Array(P * Hkv * Dh);
      let at = P;
      lens.forEach((L, i) => {
        // sequence i alone: [prefix; its segment], dOut of the prefix counted once (sequence 0)
        const pick = (x: Tensor, heads: number, zeroPrefix = false) => {
          const a = x.readSync() as Float32Array;
          const y = new Float32Array((P + L) * heads * Dh);
          if (!zeroPrefix) y.set(rows(a, 0, P, heads));
          y.set(rows(a, at, at + L, heads), P * heads * Dh);
          return tensor(y, [1, P + L, heads, Dh], { backend: name });
        };
        const [qi, ki, vi, di] = [pick(q, H), pick(k, Hkv), pick(v, Hkv), pick(d, H, i > 0)];
        const fi = attention(qi, ki, vi);
        const gi = attentionBackward(di, qi, ki, vi, fi.out, fi.lse);
        const [oi, dQi, dKi, dVi] = [fi.out, gi.dQ, gi.dK, gi.dV].map(
          (x) => x.readSync() as Float32Array,
        ) as F4;
        expectClose(rows(out, at, at + L, H), rows(oi, P, P + L, H), 1e-5, `out of segment ${i}`);
        expectClose(rows(dQ, at, at + L, H), rows(dQi, P, P + L, H), 1e-4, `dQ of segment ${i}`);
        expectClose(rows(dK, at, at + L, Hkv), rows(dKi, P, P + L, Hkv), 1e-4, `dK of segment ${i}`);
        expectClose(rows(dV, at, at + L, Hkv), rows(dVi, P, P + L, Hkv), 1e-4, `dV of segment ${i}`);
        if (i === 0) {
          expectClose(rows(out, 0, P, H), rows(oi, 0, P, H), 1e-5, "out of the prefix");
          expectClose(rows(dQ, 0, P, H), rows(dQi, 0, P, H), 1e-4, "dQ of the prefix");
        }
        rows(dKi, 0, P, Hkv).forEach((x, j) => {
          sumDK[j]! += x;
        });
        rows(dVi, 0, P, Hkv).forEach((x, j) => {
          sumDV[j]! += x;
        });
        at += L;
      });
      expectClose(rows(dK, 0, P, Hkv), sumDK, 1e-4, "dK of the prefix = Σ over sequences");
      expectClose(rows(dV, 0, P, Hkv), sumDV, 1e-4, "dV of the prefix = Σ over sequences");
      // rope with per-token positions equals rope of each sequence at offset 0
      const r = rope(q, { positions }).readSync() as Float32Array;
      const alone = rope(
        tensor(rows(q.readSync() as Float32Array, P, P + lens[0]!, H).slice(), [1, lens[0]!, H, Dh], {
          backend: name,
        }),
        { offset: P },
      ).readSync();
      expectClose(rows(r, P, P + lens[0]!, H), alone, 1e-5, "rope positions");
    });

    it("match ts: two rows (one without a prefix), segments longer than a block, right padding", () => {
      const a = layout(13, [70, 5, 1]);
      const T = a.T; // 89
      const seg1 = new Int32Array(T);
      for (let t = 0; t < T; t++) seg1[t] = t < 40 ? 0 : 40;
      const segments = { prefixLen: [13, 0], segStart: [...a.segStart, ...seg1] };
      const m = { segments, keyEnd: [T, 80] };
      const ins = [
        rnd([2, T, H, Dh], 1),
        rnd([2, T, Hkv, Dh], 2),
        rnd([2, T, Hkv, Dh], 3),
        rnd([2, T, H, Dh], 4),
      ];
      crossCheck(name, ins, ([q, k, v, d]) => {
        const f = attention(q!, k!, v!, m);
        const g = attentionBackward(d!, q!, k!, v!, f.out, f.lse, m);
        return [f.out, f.lse, g.dQ, g.dK, g.dV, rope(q!, { positions: [...a.positions, ...a.positions] })];
      });
    });
  },
);

describe("packed rows: bad layouts", () => {
  it("refuses segment starts that are not a contiguous layout, and keyStart with segments", () => {
    const [q, k] = [rnd([1, 4, 2, 2], 1), rnd([1, 4, 1, 2], 2)];
    const bad = { prefixLen: [1], segStart: [0, 1, 2, 1] };
    expect(() => attention(q, k, k, { segments: bad })).toThrow(/segStart\[3\] = 1 is not a segment start/);
    expect(() => attention(q, k, k, { segments: { prefixLen: [2], segStart: [0, 1, 2, 2] } })).toThrow(
      /before prefixLen/,
    );
    const good = { prefixLen: [1], segStart: [0, 1, 1, 3] };
    expect(() => attention(q, k, k, { segments: good, keyStart: [0] })).toThrow(/cannot be combined/);
    expect(() => rope(q, { positions: [0, 1] })).toThrow(/B·T = 4 entries/);
  });
  it("a backend without packed rows says so", () => {
    const gpu = (() => {
      try {
        return findBackend("webgpu");
      } catch {
        return null;
      }
    })();
    if (gpu === null || !gpu.lacks?.includes("attention.segments")) return;
    const q = rnd([1, 2, 1, 2], 1, gpu);
    expect(() => attention(q, q, q, { segments: { prefixLen: [1], segStart: [0, 1] } })).toThrow(
      /does not implement packed rows/,
    );
  });
});
