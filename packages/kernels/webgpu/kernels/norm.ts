/**
 * WGSL LayerNorm and RMSNorm, forward and backward. One 128-thread workgroup per row (two-pass mean /
 * variance through workgroup trees); the weight and bias gradients are column sums computed by a
 * second kernel (64 columns × 4 row lanes per workgroup) that recomputes x̂ from the saved statistics.
 *
 * Test: webgpu/spec_test.ts (spec/norm_test.ts, spec/block_test.ts).
 */
import type {
  LayerNormArgs,
  LayerNormBackwardArgs,
  RmsNormArgs,
  RmsNormBackwardArgs,
} from "../../kernel_types.ts";
import { dispatch, type Program, rowGrid } from "../shader.ts";
import { LANES, laneSum, RED, treeSum } from "./reduce.ts";

const ROW = "let r = wid.x + wid.y * p.gx;\nif (r >= p.rows) { return; }\nlet off = r * p.D;";
const C = { WG: 128 };

const LN: Program = {
  name: "layernorm",
  params: "rows: u32, D: u32, gx: u32, eps: f32, hasBias: u32",
  bindings: [
    ["x", "r", "f32"],
    ["w", "r", "f32"],
    ["bias", "r", "f32"],
    ["out", "w", "f32"],
    ["mean", "w", "f32"],
    ["rstd", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
var s = 0.0;
for (var i = lid.x; i < p.D; i = i + 128u) { s = s + x[off + i]; }
${treeSum("ts", "s")}
let m = ts / f32(p.D);
var v = 0.0;
for (var i = lid.x; i < p.D; i = i + 128u) { let d = x[off + i] - m; v = v + d * d; }
${treeSum("tv", "v", "sum", 128, "red2")}
let rs = inverseSqrt(tv / f32(p.D) + p.eps);
for (var i = lid.x; i < p.D; i = i + 128u) {
  var o = (x[off + i] - m) * rs * w[i];
  if (p.hasBias == 1u) { o = o + bias[i]; }
  out[off + i] = o;
}
if (lid.x == 0u) { mean[r] = m; rstd[r] = rs; }`,
};

export function layernorm(a: LayerNormArgs): void {
  const g = rowGrid(a.rows);
  dispatch(
    LN,
    [a.x, a.weight, a.bias ?? a.weight, a.out, a.mean, a.rstd],
    { rows: a.rows, D: a.D, gx: g.gx, eps: a.eps, hasBias: a.bias ? 1 : 0 },
    g.groups,
    C,
  );
}

const LN_DX: Program = {
  name: "layernormDx",
  params: "rows: u32, D: u32, gx: u32",
  bindings: [
    ["g", "r", "f32"],
    ["x", "r", "f32"],
    ["w", "r", "f32"],
    ["mean", "r", "f32"],
    ["rstd", "r", "f32"],
    ["dx", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
let m = mean[r];
let rs = rstd[r];
var sg = 0.0;
var sgx = 0.0;
for (var i = lid.x; i < p.D; i = i + 128u) {
  let xh = (x[off + i] - m) * rs;
  let dxh = g[off + i] * w[i];
  sg = sg + dxh;
  sgx = sgx + dxh * xh;
}
${treeSum("tg", "sg")}
let mg = tg / f32(p.D);
${treeSum("tgx", "sgx", "sum", 128, "red2")}
let mgx = tgx / f32(p.D);
for (var i = lid.x; i < p.D; i = i + 128u) {
  let xh = (x[off + i] - m) * rs;
  dx[off + i] = rs * (g[off + i] * w[i] - mg - xh * mgx);
}`,
};

/** dW[c] = Σ_r g·x̂ and (layernorm) dB[c] = Σ_r g, with x̂ = (x − mean)·rstd (rms: mean = 0). */
const NORM_DW = (rms: boolean, hasBias: boolean): Program => ({
  name: `${rms ? "rmsnormDw" : "layernormDw"}${hasBias ? "+b" : ""}`,
  params: "rows: u32, D: u32",
  bindings: [
    ["g", "r", "f32"],
    ["x", "r", "f32"],
    ["mean", "r", "f32"],
    ["rstd", "r", "f32"],
    ["dw", "w", "f32"],
    ...(hasBias ? [["db", "w", "f32"] as const] : []),
  ],
  wg: [64, 4],
  extra: LANES,
  body: `let c = wid.x * 64u + lid.x;
var sw = 0.0;
var sb = 0.0;
if (c < p.D) {
  for (var r = lid.y; r < p.rows; r = r + 4u) {
    let gi = g[r * p.D + c];
    ${rms ? "let xh = x[r * p.D + c] * rstd[r];" : "let xh = (x[r * p.D + c] - mean[r]) * rstd[r];"}
    sw = sw + gi * xh;
    sb = sb + gi;
  }
}
${laneSum("tw", "sw")}
${laneSum("tb", "sb", "lanes2")}
if (lid.y == 0u && c < p.D) { dw[c] = tw; ${hasBias ? "db[c] = tb;" : ""} }`,
});
const LN_DW = NORM_DW(false, false);
const LN_DWB = NORM_DW(false, true);
const RMS_DW = NORM_DW(true, false);

export function layernormBackward(a: LayerNormBackwardArgs): void {
  const g = rowGrid(a.rows);
  dispatch(
    LN_DX,
    [a.dOut, a.x, a.weight, a.mean, a.rstd, a.dX],
    { rows: a.rows, D: a.D, gx: g.gx },
    g.groups,
    C,
  );
  const bufs = [a.dOut, a.x, a.mean, a.rstd, a.dWeight];
  if (a.dBias) bufs.push(a.dBias);
  dispatch(a.dBias ? LN_DWB : LN_DW, bufs, { rows: a.rows, D: a.D }, [Math.ceil(a.D / 64)]);
}

const RMS: Program = {
  name: "rmsnorm",
  params: "rows: u32, D: u32, gx: u32, eps: f32",
  bindings: [
    ["x", "r", "f32"],
    ["w", "r", "f32"],
    ["out", "w", "f32"],
    ["rstd", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
var s = 0.0;
for (var i = lid.x; i < p.D; i = i + 128u) { let v = x[off + i]; s = s + v * v; }
${treeSum("ts", "s")}
let rs = inverseSqrt(ts / f32(p.D) + p.eps);
for (var i = lid.x; i < p.D; i = i + 128u) { out[off + i] = x[off + i] * rs * w[i]; }
if (lid.x == 0u) { rstd[r] = rs; }`,
};

export function rmsnorm(a: RmsNormArgs): void {
  const g = rowGrid(a.rows);
  dispatch(RMS, [a.x, a.weight, a.out, a.rstd], { rows: a.rows, D: a.D, gx: g.gx, eps: a.eps }, g.groups, C);
}

const RMS_DX: Program = {
  name: "rmsnormDx",
  params: "rows: u32, D: u32, gx: u32",
  bindings: [
    ["g", "r", "f32"],
    ["x", "r", "f32"],
    ["w", "r", "f32"],
    ["rstd", "r", "f32"],
    ["dx", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
let rs = rstd[r];
var s = 0.0;
for (var i = lid.x; i < p.D; i = i + 128u) { s = s + g[off + i] * w[i] * x[off + i]; }
${treeSum("ts", "s")}
let c = rs * rs * rs * ts / f32(p.D);
for (var i = lid.x; i < p.D; i = i + 128u) { dx[off + i] = rs * g[off + i] * w[i] - c * x[off + i]; }`,
};

export function rmsnormBackward(a: RmsNormBackwardArgs): void {
  const g = rowGrid(a.rows);
  dispatch(RMS_DX, [a.dOut, a.x, a.weight, a.rstd, a.dX], { rows: a.rows, D: a.D, gx: g.gx }, g.groups, C);
  // mean is unused for RMSNorm: rstd is bound in its place.
  dispatch(RMS_DW, [a.dOut, a.x, a.rstd, a.rstd, a.dWeight], { rows: a.rows, D: a.D }, [Math.ceil(a.D / 64)]);
}
