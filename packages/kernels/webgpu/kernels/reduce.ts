/**
 * WGSL reductions: sum over everything / the last dim / the leading dims, and the sum of squares
 * (gradient norms). Workgroup trees in shared memory; "all" is two passes (≤ 256 partial sums, then
 * one workgroup), "last" one workgroup per row, "leading" 64 columns × 4 row lanes per workgroup.
 * Accumulation is f32 (WGSL has no f64) in pairwise trees, which keeps the error near f32 rounding.
 * The scalar stays on the device: sumSquares accumulates into its output tensor, and gradNorm's
 * read-back is the op's `item()` (synchronous in worker mode).
 *
 * Test: webgpu/spec_test.ts (spec/reduce_test.ts, spec/optim_test.ts).
 */
import type { SumArgs, SumSquaresArgs } from "../../kernel_types.ts";
import type { Tensor } from "../../tensor.ts";
import { gpu } from "../backend.ts";
import { dispatch, type Program, rowGrid } from "../shader.ts";

/**
 * Workgroup tree reductions, emitted inline and unrolled (`let name = …` after the block). They must be reached in uniform control flow; `RED` declares two ${WG}-float scratch arrays: a second
 * reduction in one shader must use the other one (`arr = "red2"`), because llvmpipe may sink the load of
 * the first result past the barrier that follows it, where the second reduction overwrites red[0].
 */
export const RED = "var<workgroup> red: array<f32, $WG>;\nvar<workgroup> red2: array<f32, $WG>;";
export function treeSum(
  name: string,
  value: string,
  op: "sum" | "max" = "sum",
  wg = 128,
  arr = "red",
  l = "lidx",
): string {
  const steps: string[] = [];
  for (let st = wg / 2; st >= 1; st /= 2) {
    const c =
      op === "sum" ? `${arr}[${l}] + ${arr}[${l} + ${st}u]` : `max(${arr}[${l}], ${arr}[${l} + ${st}u])`;
    steps.push(`if (${l} < ${st}u) { ${arr}[${l}] = ${c}; }\nworkgroupBarrier();`);
  }
  return `${arr}[${l}] = ${value};
workgroupBarrier();
${steps.join("\n")}
let ${name} = ${arr}[0];
workgroupBarrier();`;
}

const PARTIAL = (sq: boolean): Program => ({
  name: `reducePartial${sq ? "Sq" : ""}`,
  params: "n: u32, groups: u32",
  bindings: [
    ["x", "r", "f32"],
    ["part", "w", "f32"],
  ],
  wg: [256],
  extra: RED,
  body: `var s = 0.0;
for (var i = wid.x * 256u + lid.x; i < p.n; i = i + p.groups * 256u) { let v = x[i]; s = s + ${sq ? "v * v" : "v"}; }
${treeSum("t", "s", "sum", 256)}
if (lid.x == 0u) { part[wid.x] = t; }`,
});
const FINAL: Program = {
  name: "reduceFinal",
  params: "n: u32, alpha: f32, acc: u32",
  bindings: [
    ["part", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [256],
  extra: RED,
  body: `var s = 0.0;
for (var i = lid.x; i < p.n; i = i + 256u) { s = s + part[i]; }
${treeSum("t", "s", "sum", 256)}
if (lid.x == 0u) { var o = p.alpha * t; if (p.acc == 1u) { o = o + out[0]; } out[0] = o; }`,
};
const PART = PARTIAL(false);
const PART_SQ = PARTIAL(true);

/** out[0] = [out[0] if acc] + alpha·Σ x (or Σ x²) over n elements. */
function reduceAll(x: Tensor, n: number, out: Tensor, alpha: number, square: boolean, acc: boolean): void {
  const groups = Math.max(1, Math.min(256, Math.ceil(n / 2048)));
  const dev = gpu();
  const part = dev.alloc(groups * 4);
  dispatch(square ? PART_SQ : PART, [x, part], { n, groups }, [groups], { WG: 256 });
  dispatch(FINAL, [part, out], { n: groups, alpha, acc: acc ? 1 : 0 }, [1], { WG: 256 });
  dev.free(part);
}

const LAST: Program = {
  name: "sumLast",
  params: "rows: u32, cols: u32, gx: u32, alpha: f32",
  bindings: [
    ["x", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [128],
  extra: RED,
  body: `let r = wid.x + wid.y * p.gx;
if (r >= p.rows) { return; }
var s = 0.0;
for (var c = lid.x; c < p.cols; c = c + 128u) { s = s + x[r * p.cols + c]; }
${treeSum("t", "s")}
if (lid.x == 0u) { out[r] = p.alpha * t; }`,
};

/** Column sums over 4 row lanes (workgroup 64 × 4), inline like treeSum; `LANES` declares the scratch. */
export const LANES = "var<workgroup> lanes: array<f32, 256>;\nvar<workgroup> lanes2: array<f32, 256>;";
export function laneSum(name: string, value: string, arr = "lanes"): string {
  return `${arr}[lid.y * 64u + lid.x] = ${value};
workgroupBarrier();
var ${name} = 0.0;
if (lid.y == 0u) { ${name} = ${arr}[lid.x] + ${arr}[64u + lid.x] + ${arr}[128u + lid.x] + ${arr}[192u + lid.x]; }
workgroupBarrier();`;
}

const LEADING: Program = {
  name: "sumLeading",
  params: "rows: u32, cols: u32, alpha: f32",
  bindings: [
    ["x", "r", "f32"],
    ["out", "w", "f32"],
  ],
  wg: [64, 4],
  extra: LANES,
  body: `let c = wid.x * 64u + lid.x;
var s = 0.0;
if (c < p.cols) { for (var r = lid.y; r < p.rows; r = r + 4u) { s = s + x[r * p.cols + c]; } }
${laneSum("t", "s")}
if (lid.y == 0u && c < p.cols) { out[c] = p.alpha * t; }`,
};

export function sum({ x, out, rows, cols, mode, alpha }: SumArgs): void {
  if (mode === "all") {
    reduceAll(x, rows * cols, out, alpha, false, false);
  } else if (mode === "last") {
    const g = rowGrid(rows);
    dispatch(LAST, [x, out], { rows, cols, gx: g.gx, alpha }, g.groups, { WG: 128 });
  } else {
    dispatch(LEADING, [x, out], { rows, cols, alpha }, [Math.ceil(cols / 64)]);
  }
}

export function sumSquares({ x, out, accumulate }: SumSquaresArgs): void {
  reduceAll(x, x.size, out, 1, true, accumulate);
}
