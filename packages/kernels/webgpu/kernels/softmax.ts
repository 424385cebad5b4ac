/**
 * WGSL softmax over the last dim and the fused log-softmax + target gather (log-probs), forward and
 * backward. Forward kernels use one 128-thread workgroup per row (max and Σexp through workgroup
 * trees); the log-prob backward is elementwise over [N, V] from the saved log-sum-exp.
 * Targets < 0 are padding (logp 0, zero gradient); a target ≥ V gives NaN here (the ts backend throws).
 *
 * Test: webgpu/spec_test.ts (spec/softmax_test.ts, spec/logprob_test.ts).
 */
import type {
  LogSoftmaxGatherArgs,
  LogSoftmaxGatherBackwardArgs,
  SoftmaxArgs,
  SoftmaxBackwardArgs,
} from "../../kernel_types.ts";
import { dispatch, grid, type Program, rowGrid } from "../shader.ts";
import { RED, treeSum } from "./reduce.ts";

const ROW = "let r = wid.x + wid.y * p.gx;\nif (r >= p.rows) { return; }\nlet off = r * p.cols;";
const C = { WG: 128 };
/** Row max and log Σ exp(x − max) of row `off`, leaving `mx` and `lse` in scope. */
const LSE = `var mloc = -3.4028234e38;
for (var c = lid.x; c < p.cols; c = c + 128u) { mloc = max(mloc, x[off + c]); }
${treeSum("mx", "mloc", "max")}
var sloc = 0.0;
for (var c = lid.x; c < p.cols; c = c + 128u) { sloc = sloc + exp(x[off + c] - mx); }
${treeSum("ssum", "sloc", "sum", 128, "red2")}
let lse = mx + log(ssum);`;

const SOFTMAX: Program = {
  name: "softmax",
  params: "rows: u32, cols: u32, gx: u32",
  bindings: [
    ["x", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
${LSE}
for (var c = lid.x; c < p.cols; c = c + 128u) { out[off + c] = exp(x[off + c] - mx) / ssum; }`,
};

export function softmax({ x, out, rows, cols }: SoftmaxArgs): void {
  const g = rowGrid(rows);
  dispatch(SOFTMAX, [x, out], { rows, cols, gx: g.gx }, g.groups, C);
}

const SOFTMAX_BWD: Program = {
  name: "softmaxBackward",
  params: "rows: u32, cols: u32, gx: u32",
  bindings: [
    ["g", "r", "f32"],
    ["y", "r", "f32"],
    ["dx", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
var s = 0.0;
for (var c = lid.x; c < p.cols; c = c + 128u) { s = s + g[off + c] * y[off + c]; }
${treeSum("dot", "s")}
for (var c = lid.x; c < p.cols; c = c + 128u) { dx[off + c] = y[off + c] * (g[off + c] - dot); }`,
};

export function softmaxBackward({ dOut, out, dX, rows, cols }: SoftmaxBackwardArgs): void {
  const g = rowGrid(rows);
  dispatch(SOFTMAX_BWD, [dOut, out, dX], { rows, cols, gx: g.gx }, g.groups, C);
}

const LSG: Program = {
  name: "logSoftmaxGather",
  params: "rows: u32, cols: u32, gx: u32, nan: u32",
  bindings: [
    ["x", "r", "f32"],
    ["tg", "r", "i32"],
    ["logp", "w", "f32"],
    ["lseOut", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `${ROW}
${LSE}
if (lid.x == 0u) {
  lseOut[r] = lse;
  let t = tg[r];
  if (t < 0) { logp[r] = 0.0; }
  else if (u32(t) >= p.cols) { logp[r] = bitcast<f32>(p.nan); }
  else { logp[r] = x[off + u32(t)] - lse; }
}`,
};

export function logSoftmaxGather({ logits, targets, logp, lse, N, V }: LogSoftmaxGatherArgs): void {
  const g = rowGrid(N);
  dispatch(LSG, [logits, targets, logp, lse], { rows: N, cols: V, gx: g.gx, nan: 0x7fc00000 }, g.groups, C);
}

const LSG_BWD: Program = {
  name: "logSoftmaxGatherBackward",
  params: "n: u32, sx: u32, V: u32",
  bindings: [
    ["g", "r", "f32"],
    ["x", "r", "f32"],
    ["tg", "r", "i32"],
    ["lse", "r", "f32"],
    ["d", "w", "f32"],
  ],
  wg: [256],
  body: `let i = gid.x + gid.y * p.sx;
if (i >= p.n) { return; }
let r = i / p.V;
let v = i % p.V;
let t = tg[r];
if (t < 0) { d[i] = 0.0; return; }
var o = -g[r] * exp(x[i] - lse[r]);
if (u32(t) == v) { o = o + g[r]; }
d[i] = o;`,
};

export function logSoftmaxGatherBackward(a: LogSoftmaxGatherBackwardArgs): void {
  const n = a.N * a.V;
  const g = grid(n);
  dispatch(LSG_BWD, [a.dLogp, a.logits, a.targets, a.lse, a.dLogits], { n, sx: g.sx, V: a.V }, g.groups);
}
