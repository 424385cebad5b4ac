/**
 * The argument block of every wasm kernel, declared once. Word 0 is the atomic work-unit counter;
 * the fields follow in declaration order, one 4-byte word each: `ptr` (a byte offset into the shared
 * memory, 0 for none), `i32`, `f32`, `bool` (0 / 1).
 *
 * The host writes a block with `WasmEngine.run(kernel, fields, parallel)`, whose `fields` type is
 * derived from this table (a missing or unknown field is a type error). The AssemblyScript side
 * reads it through assembly/args.ts, generated from this table (`asArgsSource()`): one namespace
 * per kernel with a typed reader per field, e.g. `MatmulArgs.M(args)`. `ensureKernelsBuilt()` (dev_build.ts,
 * and `npm run build -w @mempo/kernels`) writes assembly/args.ts whenever it differs from the table, before
 * building, so the two sides cannot disagree; the generated file is not kept in git.
 *
 * Test: packages/kernels/wasm/args_test.ts.
 */
type Kind = "ptr" | "i32" | "f32" | "bool";
type Layout = Readonly<Record<string, Kind>>;

/** Rows split into units of `per` rows (assembly/rows.ts). */
const ROWS = { rows: "i32", D: "i32", per: "i32" } as const;
/** A flat array of n elements split into units of `size` elements. */
const CHUNKS = { n: "i32", size: "i32" } as const;
/**
 * Attention (assembly/attention.ts): BQ query rows per block; thread i's score buffer is at
 * scratch + i·scratchBytes; blocks: i32 × 4 each (b, i0, rows, s0); rowFirst: the first block of each
 * row, i32 [B + 1]; prefixLen: the shared prefix of each packed row, i32 [B] (0: no packed rows).
 */
const ATTENTION_HEAD = {
  ...{ q: "ptr", k: "ptr", v: "ptr", out: "ptr", B: "i32", T: "i32", H: "i32", Hkv: "i32", Dh: "i32" },
  ...{ scale: "f32", keyStart: "ptr", BQ: "i32", scratch: "ptr", scratchBytes: "i32" },
} as const satisfies Layout;
const ATTENTION = {
  ...ATTENTION_HEAD,
  ...{ lse: "ptr", keyEnd: "ptr", blocks: "ptr", nBlocks: "i32", rowFirst: "ptr", prefixLen: "ptr" },
} as const satisfies Layout;

/** Every kernel export and its argument fields, in the order the pool indexes them. */
export const ARGS = {
  /** batchUnits: batch, or 1 when strideOut = 0 (the batch is summed inside each unit). */
  matmul: {
    ...{ a: "ptr", b: "ptr", out: "ptr", bias: "ptr", batch: "i32", M: "i32", N: "i32", K: "i32" },
    ...{ transA: "bool", transB: "bool", strideA: "i32", strideB: "i32", strideOut: "i32" },
    ...{ accumulate: "bool", rowsPerUnit: "i32", colsPerUnit: "i32", rowUnits: "i32", colUnits: "i32" },
    batchUnits: "i32",
  },
  attention: ATTENTION,
  /**
   * Each (row, key/value head) is cut into `splits` slices of its query blocks (slices: i32
   * [B·splits + 1], the first block of each); slice s > 0 accumulates its dK, dV into parts (dK parts
   * then dV parts, one [B, T, Hkv, Dh] tensor each per slice), summed into dK, dV afterwards.
   */
  attentionBackward: {
    ...{ ...ATTENTION, dOut: "ptr", dQ: "ptr", dK: "ptr", dV: "ptr" },
    ...{ splits: "i32", slices: "ptr", parts: "ptr" },
  },
  attentionDecode: { ...ATTENTION_HEAD, Tmax: "i32", pos: "ptr" },
  /**
   * One Llama decoding step (assembly/decode.ts): n rows in units of `per` (≤ 8); layers: 14
   * pointers per layer; ropePos: each row's row of the cos/sin table; scratch per thread.
   */
  decodeStep: {
    ...{ n: "i32", per: "i32", d: "i32", H: "i32", Hkv: "i32", Dh: "i32", dFf: "i32", V: "i32", L: "i32" },
    ...{ Tmax: "i32", eps: "f32", scale: "f32", ids: "ptr", pos: "ptr", ropePos: "ptr", table: "ptr" },
    ...{
      embed: "ptr",
      normF: "ptr",
      head: "ptr",
      layers: "ptr",
      out: "ptr",
      scratch: "ptr",
      scratchBytes: "i32",
    },
  },
  gelu: { ...CHUNKS, x: "ptr", out: "ptr" },
  geluBackward: { ...CHUNKS, dOut: "ptr", x: "ptr", dX: "ptr" },
  silu: { ...CHUNKS, x: "ptr", out: "ptr" },
  siluBackward: { ...CHUNKS, dOut: "ptr", x: "ptr", dX: "ptr" },
  swiglu: { ...CHUNKS, gate: "ptr", up: "ptr", out: "ptr" },
  swigluBackward: { ...CHUNKS, dOut: "ptr", gate: "ptr", up: "ptr", dGate: "ptr", dUp: "ptr" },
  /** stepSize = lr / (1 − beta1^step), rBc2 = 1 / √(1 − beta2^step), decay = 1 − lr · weightDecay. */
  adamw: {
    ...{ ...CHUNKS, param: "ptr", grad: "ptr", m: "ptr", v: "ptr", beta1: "f32", beta2: "f32" },
    ...{ stepSize: "f32", rBc2: "f32", eps: "f32", decay: "f32" },
  },
  layernorm: {
    ...ROWS,
    ...{ x: "ptr", weight: "ptr", bias: "ptr", out: "ptr", mean: "ptr", rstd: "ptr", eps: "f32" },
  },
  layernormBackward: {
    ...ROWS,
    ...{ dOut: "ptr", x: "ptr", weight: "ptr", mean: "ptr", rstd: "ptr", dX: "ptr" },
    /** Per-unit partial dWeight and dBias rows, 2·D floats per unit. */
    parts: "ptr",
  },
  rmsnorm: { ...ROWS, x: "ptr", weight: "ptr", out: "ptr", rstd: "ptr", eps: "f32" },
  rmsnormBackward: {
    ...ROWS,
    ...{ dOut: "ptr", x: "ptr", weight: "ptr", rstd: "ptr", dX: "ptr" },
    /** Per-unit partial dWeight rows, D floats per unit. */
    parts: "ptr",
  },
  softmax: { ...ROWS, x: "ptr", out: "ptr" },
  softmaxBackward: { ...ROWS, dOut: "ptr", out: "ptr", dX: "ptr" },
  logSoftmaxGather: { ...ROWS, logits: "ptr", targets: "ptr", logp: "ptr", lse: "ptr" },
  logSoftmaxGatherBackward: {
    ...ROWS,
    ...{ dLogp: "ptr", logits: "ptr", targets: "ptr", lse: "ptr", dLogits: "ptr" },
  },
  /** dst[c] = Σ_p src[p·stride + c], c < D. */
  sumParts: { parts: "i32", D: "i32", stride: "i32", src: "ptr", dst: "ptr" },
  /** out = a ∘ b[i % bSize] (op 0 add, 1 mul), alpha·a (2 scale), out += alpha·a (3 axpy). */
  binary: { ...CHUNKS, a: "ptr", b: "ptr", out: "ptr", bSize: "i32", op: "i32", alpha: "f32" },
  sumLeading: { rows: "i32", cols: "i32", x: "ptr", out: "ptr", alpha: "f32" },
  copyColumns: {
    ...{ rows: "i32", per: "i32", src: "ptr", srcCols: "i32", srcStart: "i32" },
    ...{ dst: "ptr", dstCols: "i32", dstStart: "i32", n: "i32", accumulate: "bool" },
  },
  fill: { ...CHUNKS, out: "ptr", value: "f32" },
  /** out[n] = table[ids[n]] (rows of D floats) for n < N, units of `per` rows. */
  gatherRows: { N: "i32", D: "i32", per: "i32", ids: "ptr", table: "ptr", out: "ptr" },
  /** dTable[ids[n]] += dOut[n] for n < N in one unit (ids repeat); dTable zeroed first unless accumulate. */
  scatterAddRows: {
    ...{ N: "i32", D: "i32", V: "i32", ids: "ptr", dOut: "ptr", dTable: "ptr" },
    ...{ accumulate: "bool" },
  },
  /** cache[b, h, pos[b] + t] = x[b, t, h] (Dh floats), units of `per` (b, t) pairs; pos: i32 [B]. */
  kvCacheWrite: {
    ...{ B: "i32", Tq: "i32", Hkv: "i32", Dh: "i32", Tmax: "i32", per: "i32" },
    ...{ x: "ptr", cache: "ptr", pos: "ptr" },
  },
  /** parts: one f64 per unit. */
  sumSquares: { ...CHUNKS, x: "ptr", parts: "ptr" },
  /** sink: 4 bytes that receive a lane of the sum, so the loop is not removed. */
  peakFma: { units: "i32", iters: "i32", sink: "ptr" },
  /** sign −1 applies the inverse rotation; table: cos/sin rows, positions: the row of each token. */
  rope: {
    ...{ rows: "i32", H: "i32", Dh: "i32", x: "ptr", out: "ptr", positions: "ptr", table: "ptr" },
    ...{ interleaved: "bool", sign: "f32", per: "i32" },
  },
} as const satisfies Record<string, Layout>;

export type KernelExport = keyof typeof ARGS;
/** Kernel exports in the order workers index them. */
export const KERNELS = Object.keys(ARGS) as KernelExport[];
/** The fields the host writes for one kernel. */
export type ArgsOf<K extends KernelExport> = {
  [F in keyof (typeof ARGS)[K]]: (typeof ARGS)[K][F] extends "bool" ? boolean : number;
};

/** Words in the argument block (the engine reserves this many at ARGS). */
export const ARGS_WORDS = 256;

/** Field name → [word index, kind] of one kernel. */
export function wordsOf(kernel: KernelExport): [string, number, Kind][] {
  return Object.entries(ARGS[kernel] as Layout).map(([name, kind], i) => [name, i + 1, kind]);
}

const AS_TYPE: Record<Kind, string> = { ptr: "usize", i32: "i32", f32: "f32", bool: "bool" };
const AS_READ: Record<Kind, (o: number) => string> = {
  ptr: (o) => `<usize>load<i32>(args, ${o})`,
  i32: (o) => `load<i32>(args, ${o})`,
  f32: (o) => `load<f32>(args, ${o})`,
  bool: (o) => `load<i32>(args, ${o}) != 0`,
};

/** The AssemblyScript readers of every layout (the text of assembly/args.ts). */
export function asArgsSource(): string {
  const lines = [
    "// Generated from ../args.ts (the argument layouts) before every build; not in git. Do not edit:",
    "// the engine writes it again whenever it differs from that table.",
    "// One namespace per kernel export; each field's reader takes the argument block pointer.",
  ];
  for (const kernel of KERNELS) {
    lines.push("", `export namespace ${kernel[0]!.toUpperCase()}${kernel.slice(1)}Args {`);
    for (const [name, word, kind] of wordsOf(kernel)) {
      lines.push(
        `  @inline export function ${name}(args: usize): ${AS_TYPE[kind]} { return ${AS_READ[kind](word * 4)}; }`,
      );
    }
    lines.push("}");
  }
  return `${lines.join("\n")}\n`;
}
