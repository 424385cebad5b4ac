/**
 * Host side of the fused Llama decoding step (assembly/decode.ts): writes the rows' ids, cache
 * positions and rope-table rows, the table of every layer's tensor pointers, and sizes the
 * per-thread scratch; units of ≤ 16 rows, evenly shared between the threads when the batch allows.
 *
 * Test: packages/model/generate_test.ts (against the op-by-op decoding step).
 */
import type { DecodeStepArgs } from "../../kernel_types.ts";
import { getEngine } from "../engine.ts";
import { ptrOf } from "./matmul.ts";
import { tableFor } from "./rope.ts";

/**
 * Rows a unit takes at most. Each unit streams every weight once (≈ 4 MB for the default trainer
 * model, from L3), so fewer, larger units are faster: 24 rows × 100 tokens generate in 511 ms with
 * units of ≤ 16 rows against 566 ms with ≤ 8.
 */
const UNIT_ROWS = 16;

export function decodeStep(a: DecodeStepArgs): void {
  const e = getEngine();
  const n = a.ids.length;
  if (n === 0) return;
  const [V, d] = a.embed.shape as [number, number];
  const L = a.layers.length;
  const Dh = d / a.H;
  const dkv = a.Hkv * Dh;
  const dFf = a.layers[0]!.gate.shape[0]!;
  const Tmax = a.layers[0]!.kCache.shape[2]!;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, a.pos[i]!);
    hi = Math.max(hi, a.pos[i]! + 1);
  }
  const { ptr: table, base } = tableFor(a.ropeTheta, Dh, lo, hi);
  const rows = e.buffer("decode.rows", n * 12);
  e.i32(rows, n).set(a.ids);
  e.i32(rows + n * 4, n).set(a.pos);
  const rp = e.i32(rows + n * 8, n);
  for (let i = 0; i < n; i++) rp[i] = a.pos[i]! - base;
  const layers = e.buffer("decode.layers", L * 14 * 4);
  const t = e.i32(layers, L * 14);
  a.layers.forEach((x, l) => {
    const ps = [
      x.norm1,
      x.q,
      x.k,
      x.v,
      x.qBias,
      x.kBias,
      x.vBias,
      x.o,
      x.norm2,
      x.gate,
      x.up,
      x.down,
      x.kCache,
      x.vCache,
    ];
    ps.forEach((p, i) => {
      t[l * 14 + i] = p ? ptrOf(p) : 0;
    });
  });
  // units of ≤ UNIT_ROWS rows, a multiple of the thread count when there are enough rows (40 rows on
  // 2 threads: 4 units of 10, not 3 of up to 16 with one thread doing two)
  const units = Math.min(n, e.threads * Math.ceil(n / (e.threads * UNIT_ROWS)));
  const per = Math.ceil(n / units);
  const scratchBytes = Math.ceil(((per * (4 * d + 2 * dkv + 2 * dFf) + Tmax + 16) * 4) / 64) * 64;
  const fields = {
    ...{ n, per, d, H: a.H, Hkv: a.Hkv, Dh, dFf, V, L, Tmax, eps: a.eps, scale: 1 / Math.sqrt(Dh) },
    ...{ ids: rows, pos: rows + n * 4, ropePos: rows + n * 8, table },
    ...{ embed: ptrOf(a.embed), normF: ptrOf(a.normF), head: ptrOf(a.head), layers, out: ptrOf(a.out) },
    ...{ scratch: e.buffer("decode.scratch", scratchBytes * e.threads), scratchBytes },
  };
  e.run("decodeStep", fields, n > per);
}
