/**
 * WGSL elementwise kernels: add, mul (b broadcast as a suffix: b[i % m]), scale, axpy, fill, cast,
 * expand (sum backward), copyColumns (split/concat), and the `ew` builder the activations and AdamW
 * share. One thread per element on a 2-D grid of 256-thread workgroups (index = gid.x + gid.y·sx).
 * In-place calls (out sharing storage with an input) bind the buffer once and read it through `out`.
 *
 * Test: webgpu/spec_test.ts (spec/elementwise_test.ts, spec/shape_test.ts, spec/alias_test.ts).
 */
import type {
  AxpyArgs,
  BinaryArgs,
  CastArgs,
  CopyColumnsArgs,
  ExpandArgs,
  FillArgs,
  ScaleArgs,
} from "../../kernel_types.ts";
import type { Tensor } from "../../tensor.ts";
import { dispatch, grid, type Program, sameStorage } from "../shader.ts";

const HEAD = "let i = gid.x + gid.y * p.sx;\nif (i >= p.n) { return; }";
const progs = new Map<string, Program>();

/** An elementwise input: WGSL name, tensor, index expression (default "i"). */
export type EwInput = readonly [string, Tensor, string?];

/**
 * Queues out[i] = expr for i < out.size (or `n`), where expr reads the inputs by name. Inputs that share
 * storage with an output are read from that output (they must be indexed by "i"). `stmts` may replace
 * the single assignment (multi-output kernels: outputs are bound in order, all indexed by i).
 * `decl` declares the extra uniform parameters ("alpha: f32, m: u32").
 */
export function ew(
  name: string,
  outs: readonly (readonly [string, Tensor])[],
  ins: readonly EwInput[],
  body: string,
  params: Record<string, number> = {},
  decl = "",
  n = outs[0]![1].size,
): void {
  const alias = ins.map(([, t]) => outs.findIndex(([, o]) => sameStorage(o, t)));
  const key = `${name}/${alias.join(",")}`;
  let prog = progs.get(key);
  if (!prog) {
    const loads = ins.map(([v, , idx], k) => {
      const a = alias[k]!;
      if (a >= 0 && (idx ?? "i") !== "i") {
        throw new Error(
          `webgpu ${name}: input "${v}" may not share storage with an output (it is broadcast).`,
        );
      }
      return `let ${v}_ = ${a >= 0 ? outs[a]![0] : v}[${idx ?? "i"}];`;
    });
    prog = {
      name: key,
      params: `n: u32, sx: u32${decl ? `, ${decl}` : ""}`,
      bindings: [
        ...ins.filter((_, k) => alias[k]! < 0).map(([v]) => [v, "r", "f32"] as const),
        ...outs.map(([v]) => [v, "w", "f32"] as const),
      ],
      wg: [256],
      body: `${HEAD}\n${loads.join("\n")}\n${body}`,
    };
    progs.set(key, prog);
  }
  const g = grid(n);
  const bufs = [...ins.filter((_, k) => alias[k]! < 0).map(([, t]) => t), ...outs.map(([, t]) => t)];
  dispatch(prog, bufs, { ...params, n, sx: g.sx }, g.groups);
}

export function add({ a, b, out }: BinaryArgs): void {
  ew(
    "add",
    [["out", out]],
    [
      ["a", a],
      ["b", b, b.size === a.size ? "i" : "i % p.m"],
    ],
    "out[i] = a_ + b_;",
    {
      m: b.size,
    },
    "m: u32",
  );
}

export function mul({ a, b, out }: BinaryArgs): void {
  ew(
    "mul",
    [["out", out]],
    [
      ["a", a],
      ["b", b, b.size === a.size ? "i" : "i % p.m"],
    ],
    "out[i] = a_ * b_;",
    {
      m: b.size,
    },
    "m: u32",
  );
}

export function scale({ x, out, alpha }: ScaleArgs): void {
  ew("scale", [["out", out]], [["x", x]], "out[i] = p.alpha * x_;", { alpha }, "alpha: f32");
}

export function axpy({ x, y, alpha }: AxpyArgs): void {
  ew("axpy", [["y", y]], [["x", x]], "y[i] = y[i] + p.alpha * x_;", { alpha }, "alpha: f32");
}

export function expand({ x, out, cols, mode, alpha }: ExpandArgs): void {
  const idx = mode === "all" ? "0u" : "i / p.cols";
  ew(
    `expand-${mode}`,
    [["out", out]],
    [["x", x, idx]],
    "out[i] = p.alpha * x_;",
    { alpha, cols: cols || 1 },
    "alpha: f32, cols: u32",
  );
}

const FILL: Program = {
  name: "fill",
  params: "n: u32, sx: u32, bits: u32",
  bindings: [["out", "w", "u32"]],
  wg: [256],
  body: `${HEAD}\nout[i] = p.bits;`,
};

/** Bit pattern of `value` in a dtype's 4-byte representation. */
function bitsOf(value: number, dtype: string): number {
  const b = new ArrayBuffer(4);
  if (dtype === "i32") new Int32Array(b)[0] = value;
  else new Float32Array(b)[0] = value;
  return new Uint32Array(b)[0]!;
}

export function fill({ out, value }: FillArgs): void {
  const g = grid(out.size);
  dispatch(FILL, [out], { n: out.size, sx: g.sx, bits: bitsOf(value, out.dtype) }, g.groups);
}

/** Fills a raw buffer id of n 4-byte words with zeros (scratch buffers, scatter targets). */
export function zeroBuffer(id: number | Tensor, n: number): void {
  const g = grid(n);
  dispatch(FILL, [id], { n, sx: g.sx, bits: 0 }, g.groups);
}

const CAST = (from: string, to: string, expr: string): Program => ({
  name: `cast-${from}-${to}`,
  params: "n: u32, sx: u32",
  bindings: [
    ["x", "r", from],
    ["out", "w", to],
  ],
  wg: [256],
  body: `${HEAD}\nout[i] = ${expr};`,
});
const F2I = CAST("f32", "i32", "i32(floor(x[i] + 0.5))");
const I2F = CAST("i32", "f32", "f32(x[i])");
const COPY = CAST("u32", "u32", "x[i]");

export function cast({ x, out }: CastArgs): void {
  const prog = x.dtype === out.dtype ? COPY : out.dtype === "i32" ? F2I : I2F;
  const g = grid(x.size);
  dispatch(prog, [x, out], { n: x.size, sx: g.sx }, g.groups);
}

const COPY_COLS = (acc: boolean): Program => ({
  name: `copyColumns${acc ? "+" : ""}`,
  params: "n: u32, sx: u32, w: u32, srcCols: u32, srcStart: u32, dstCols: u32, dstStart: u32",
  bindings: [
    ["src", "r", acc ? "f32" : "u32"],
    ["dst", "w", acc ? "f32" : "u32"],
  ],
  wg: [256],
  body: `${HEAD}
let r = i / p.w;
let j = i % p.w;
let d = r * p.dstCols + p.dstStart + j;
let s = src[r * p.srcCols + p.srcStart + j];
${acc ? "dst[d] = dst[d] + s;" : "dst[d] = s;"}`,
});
const COPY_SET = COPY_COLS(false);
const COPY_ADD = COPY_COLS(true);

export function copyColumns(args: CopyColumnsArgs): void {
  const { rows, srcCols, srcStart, dstCols, dstStart, n, accumulate } = args;
  const total = rows * n;
  if (total === 0) return;
  const g = grid(total);
  dispatch(
    accumulate ? COPY_ADD : COPY_SET,
    [args.src, args.dst],
    { n: total, sx: g.sx, w: n, srcCols, srcStart, dstCols, dstStart },
    g.groups,
  );
}
