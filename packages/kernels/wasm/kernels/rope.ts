/**
 * Host side of the rotary embedding (assembly/rope.ts). The cos/sin table of every position in use is
 * computed once per (θ, Dh) in float64 (as the ts reference does) and kept in an engine buffer, grown
 * when a batch reaches a position outside it (negative offsets included); each call passes the table
 * row of every (b, t). Forward and inverse share the table (the sine's sign flips).
 *
 * Test: spec/rope_test.ts (against ts).
 */
import type { RopeArgs } from "../../kernel_types.ts";
import { getEngine } from "../engine.ts";
import { ptrs } from "./matmul.ts";

interface Table {
  /** Positions lo … hi − 1 are in the table. */
  lo: number;
  hi: number;
  slot: string;
}
const tables = new Map<string, Table>();

/** The table for (θ, Dh) covering [lo, hi), rebuilt (twice as wide) when it does not. */
export function tableFor(theta: number, Dh: number, lo: number, hi: number): { ptr: number; base: number } {
  const e = getEngine();
  const key = `${theta}/${Dh}`;
  let t = tables.get(key);
  if (t === undefined || lo < t.lo || hi > t.hi) {
    const width = t === undefined ? 0 : t.hi - t.lo;
    const nlo = Math.min(lo, 0, t === undefined ? 0 : lo < t.lo ? t.lo - width : t.lo);
    const nhi = Math.max(hi, 1024, t === undefined ? 0 : hi > t.hi ? t.hi + width : t.hi);
    t = { lo: nlo, hi: nhi, slot: `rope/${key}` };
    const half = Dh / 2;
    const inv = Float64Array.from({ length: half }, (_, i) => theta ** ((-2 * i) / Dh));
    const ptr = e.buffer(t.slot, (nhi - nlo) * Dh * 4);
    const v = e.f32(ptr, (nhi - nlo) * Dh);
    for (let p = nlo; p < nhi; p++) {
      const row = (p - nlo) * Dh;
      for (let i = 0; i < half; i++) {
        const ang = p * inv[i]!;
        v[row + i] = Math.cos(ang);
        v[row + half + i] = Math.sin(ang);
      }
    }
    tables.set(key, t);
  }
  return { ptr: e.buffer(t.slot, 0), base: t.lo };
}

export function rope(args: RopeArgs): void {
  const { B, T, H, Dh, offsets, positions } = args;
  const rows = B * T;
  if (rows * H * Dh === 0) return;
  const e = getEngine();
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  if (positions)
    for (let i = 0; i < rows; i++) {
      lo = Math.min(lo, positions[i]!);
      hi = Math.max(hi, positions[i]! + 1);
    }
  else
    for (let b = 0; b < B; b++) {
      lo = Math.min(lo, offsets[b]!);
      hi = Math.max(hi, offsets[b]! + T);
    }
  const { ptr: table, base } = tableFor(args.theta, Dh, lo, hi);
  const posPtr = e.buffer("rope/positions", rows * 4);
  const pos = e.i32(posPtr, rows);
  if (positions) for (let i = 0; i < rows; i++) pos[i] = positions[i]! - base;
  else for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos[b * T + t] = offsets[b]! + t - base;
  const per = Math.max(1, Math.ceil(2048 / (H * Dh)));
  const fields = { rows, H, Dh, ...ptrs({ x: args.x, out: args.out }), positions: posPtr, table, per };
  const style = { interleaved: args.style === "interleaved", sign: args.inverse ? -1 : 1 };
  e.run("rope", { ...fields, ...style }, rows * H * Dh >= 16384);
}
