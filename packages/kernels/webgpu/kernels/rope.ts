/**
 * WGSL rotary embedding on x [B, T, H, Dh], one thread per rotated pair. cos/sin of every position the
 * call needs (offsets[b] + t) are computed on the host in float64 and kept on the device in a small
 * table cache keyed by (theta, Dh, position range), so training steps reuse one upload and large
 * positions lose no precision to f32 angle arithmetic. In place (out = x) binds x once.
 *
 * Test: webgpu/spec_test.ts (spec/rope_test.ts, spec/alias_test.ts).
 */
import type { RopeArgs } from "../../kernel_types.ts";
import { gpu } from "../backend.ts";
import type { GpuDevice } from "../device.ts";
import { dispatch, grid, type Program, sameStorage, withUpload } from "../shader.ts";

const TABLES_KEPT = 8;
const tables = new WeakMap<GpuDevice, Map<string, number>>();

/** Buffer id of the [P, half, 2] cos/sin table for positions pmin … pmin + P − 1. */
function table(theta: number, Dh: number, pmin: number, P: number): number {
  const dev = gpu();
  let m = tables.get(dev);
  if (!m) {
    m = new Map();
    tables.set(dev, m);
  }
  const key = `${theta}|${Dh}|${pmin}|${P}`;
  const hit = m.get(key);
  if (hit !== undefined) {
    m.delete(key);
    m.set(key, hit); // most recently used last
    return hit;
  }
  const half = Dh / 2;
  const cs = new Float32Array(P * half * 2);
  for (let i = 0; i < half; i++) {
    const f = theta ** ((-2 * i) / Dh);
    for (let q = 0; q < P; q++) {
      const ang = (pmin + q) * f;
      cs[(q * half + i) * 2] = Math.cos(ang);
      cs[(q * half + i) * 2 + 1] = Math.sin(ang);
    }
  }
  const id = dev.alloc(cs.byteLength);
  dev.write(id, cs.buffer as ArrayBuffer);
  m.set(key, id);
  if (m.size > TABLES_KEPT) {
    const [oldKey, oldId] = m.entries().next().value as [string, number];
    m.delete(oldKey);
    dev.free(oldId);
  }
  return id;
}

const ROPE = (inPlace: boolean): Program => ({
  name: `rope${inPlace ? "=" : ""}`,
  params: "n: u32, sx: u32, T: u32, H: u32, Dh: u32, pmin: i32, sgn: f32, interleaved: u32",
  bindings: [
    ...(inPlace ? [] : [["x", "r", "f32"] as const]),
    ["offs", "r", "i32"],
    ["cs", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [256],
  body: `let i = gid.x + gid.y * p.sx;
if (i >= p.n) { return; }
let half = p.Dh / 2u;
let k = i % half;
let row = i / half;
let t = (row / p.H) % p.T;
let b = row / (p.H * p.T);
let q = u32(offs[b] + i32(t) - p.pmin);
let c = cs[(q * half + k) * 2u];
let s = p.sgn * cs[(q * half + k) * 2u + 1u];
let base = row * p.Dh;
var i1 = base + k;
var i2 = base + k + half;
if (p.interleaved == 1u) { i1 = base + 2u * k; i2 = i1 + 1u; }
let x1 = ${inPlace ? "out" : "x"}[i1];
let x2 = ${inPlace ? "out" : "x"}[i2];
out[i1] = x1 * c - x2 * s;
out[i2] = x2 * c + x1 * s;`,
});
const ROPE_OUT = ROPE(false);
const ROPE_IN = ROPE(true);

export function rope(args: RopeArgs): void {
  const { x, out, B, T, H, Dh, offsets, theta, style, inverse } = args;
  const half = Dh / 2;
  const n = B * T * H * half;
  if (n === 0) return;
  let pmin = Number.POSITIVE_INFINITY;
  let pmax = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < B; b++) {
    pmin = Math.min(pmin, offsets[b]!);
    pmax = Math.max(pmax, offsets[b]! + T - 1);
  }
  const cs = table(theta, Dh, pmin, pmax - pmin + 1);
  const inPlace = sameStorage(x, out);
  const g = grid(n);
  withUpload(offsets, (offs) => {
    dispatch(
      inPlace ? ROPE_IN : ROPE_OUT,
      inPlace ? [offs, cs, out] : [x, offs, cs, out],
      { n, sx: g.sx, T, H, Dh, pmin, sgn: inverse ? -1 : 1, interleaved: style === "interleaved" ? 1 : 0 },
      g.groups,
    );
  });
}
