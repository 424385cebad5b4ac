// Spec: attention's `queries` option (the query rows whose outputs are read). On every backend, the
// read rows' outputs and lse equal the full kernel's, and the backward with the option equals the
// full backward given a dOut that is zero on the other rows: dK, dV everywhere, dQ on the read rows.
// Layouts: plain causal rows with right padding, and a packed row (shared prefix, segments longer
// than a query block), with runs of read rows that start mid-segment and cross block boundaries.
import { describe, expect, it } from "vitest";
import { tensor } from "../create.ts";
import { attention, attentionBackward } from "../ops/attention.ts";
import { backends, expectClose, rnd } from "./harness.ts";

const H = 4;
const Hkv = 2;
const Dh = 8;

/** Elements of the rows listed in `rs` of a [B·T, width] array, concatenated. */
function pick(a: Float32Array, rs: readonly number[], width: number): Float32Array {
  const out = new Float32Array(rs.length * width);
  for (const [i, r] of rs.entries()) out.set(a.subarray(r * width, (r + 1) * width), i * width);
  return out;
}

/** lse [B, H, T] at the rows rs (b·T + t), for every head. */
function pickLse(a: Float32Array, rs: readonly number[], T: number): Float32Array {
  const out: number[] = [];
  for (const r of rs) for (let h = 0; h < H; h++) out.push(a[(Math.floor(r / T) * H + h) * T + (r % T)]!);
  return Float32Array.from(out);
}

function segmentsOf(P: number, lens: number[]) {
  const T = P + lens.reduce((s, x) => s + x, 0);
  const segStart = new Int32Array(T);
  let at = P;
  for (const L of lens) {
    segStart.fill(at, at, at + L);
    at += L;
  }
  return { T, segments: { prefixLen: [P], segStart } };
}

const packed = segmentsOf(11, [90, 4, 70]);
const cases = [
  {
    what: "two causal rows, right padding",
    B: 2,
    T: 150,
    opts: { keyEnd: [150, 120] },
    queries: [0, 1, 2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 149, 150, 151, 200, 260, 261, 262, 269],
  },
  {
    what: "a packed row",
    B: 1,
    T: packed.T,
    opts: { segments: packed.segments },
    // prefix tail, a run inside segment 0 longer than a block, segment 1 whole, segment 2's tail
    queries: [
      9,
      10,
      ...Array.from({ length: 75 }, (_, i) => 25 + i),
      101,
      102,
      103,
      104,
      ...Array.from({ length: 20 }, (_, i) => 155 + i),
    ],
  },
];

describe.each(backends())("attention queries on %s", (name, backend) => {
  const run = cases.filter((c) => !("segments" in c.opts && backend.lacks?.includes("attention.segments")));
  it.each(run)("read rows equal the full kernel's: $what", ({ B, T, opts, queries }) => {
    const [q, k, v, d] = [
      rnd([B, T, H, Dh], 1, name),
      rnd([B, T, Hkv, Dh], 2, name),
      rnd([B, T, Hkv, Dh], 3, name),
      rnd([B, T, H, Dh], 4, name),
    ];
    // dOut zero outside the read rows
    const dHost = new Float32Array(d.readSync() as Float32Array);
    const read = new Set(queries);
    for (let r = 0; r < B * T; r++) if (!read.has(r)) dHost.fill(0, r * H * Dh, (r + 1) * H * Dh);
    const d0 = tensor(dHost, [B, T, H, Dh], { backend: name });
    const full = attention(q, k, v, opts);
    const gFull = attentionBackward(d0, q, k, v, full.out, full.lse, opts);
    const o = { ...opts, queries };
    const part = attention(q, k, v, o);
    const gPart = attentionBackward(d0, q, k, v, part.out, part.lse, o);
    const host = (t: { readSync(): unknown }) => t.readSync() as Float32Array;
    expectClose(pick(host(part.out), queries, H * Dh), pick(host(full.out), queries, H * Dh), 1e-5, "out");
    expectClose(pickLse(host(part.lse), queries, T), pickLse(host(full.lse), queries, T), 1e-5, "lse");
    expectClose(pick(host(gPart.dQ), queries, H * Dh), pick(host(gFull.dQ), queries, H * Dh), 1e-4, "dQ");
    expectClose(host(gPart.dK), host(gFull.dK), 1e-4, "dK");
    expectClose(host(gPart.dV), host(gFull.dV), 1e-4, "dV");
  });
});

describe("attention queries: bad input", () => {
  it("refuses rows out of range, unsorted or repeated", () => {
    const [q, k] = [rnd([1, 4, 2, 2], 1), rnd([1, 4, 1, 2], 2)];
    expect(() => attention(q, k, k, { queries: [0, 4] })).toThrow(
      /queries\[1\] = 4 is not a row index in \[0, B·T = 4\)/,
    );
    expect(() => attention(q, k, k, { queries: [2, 1] })).toThrow(/queries\[1\] = 1/);
    expect(() => attention(q, k, k, { queries: [1, 1] })).toThrow(/sorted ascending without repeats/);
    expect(() => attention(q, k, k, { queries: [0.5] })).toThrow(/queries\[0\] = 0.5/);
  });
});
