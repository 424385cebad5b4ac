/**
 * Argument types of every registered kernel: the contract between ops (which validate and allocate)
 * and backends (which compute). A kernel is synchronous, receives live tensors whose outputs the op
 * already allocated on the same backend, and writes its outputs in place. Shapes are given both as
 * tensors and as the integer sizes the op derived, so kernels never re-derive them.
 *
 * Float tensors of one call share one dtype (f32, or f64 on the ts backend); ids are i32.
 * "Rows" means the product of all leading dimensions; D / cols is the last dimension.
 *
 * Test: each kernel's spec in packages/kernels/spec/.
 */
import type { Tensor } from "./tensor.ts";

/**
 * Strided batched GEMM: for b < batch, out_b = [out_b if accumulate] + op(A_b)·op(B_b) + bias.
 * A_b is [M,K] (transA: stored [K,M]), B_b is [K,N] (transB: stored [N,K]), out_b is [M,N], bias [N]
 * or null. strideA/B/Out are element offsets between batch items; 0 broadcasts one matrix over the
 * batch. strideOut = 0 (only with accumulate) sums the batch into out.
 */
export interface MatmulArgs {
  a: Tensor;
  b: Tensor;
  out: Tensor;
  bias: Tensor | null;
  batch: number;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideOut: number;
  accumulate: boolean;
}

/** out[i] = a[i] ∘ b[i % b.size] (b's shape is a suffix of a's). out may alias a. */
export interface BinaryArgs {
  a: Tensor;
  b: Tensor;
  out: Tensor;
}

/** out[i] = alpha · x[i]. out may alias x. */
export interface ScaleArgs {
  x: Tensor;
  out: Tensor;
  alpha: number;
}

/** y[i] += alpha · x[i] (in place, same size). */
export interface AxpyArgs {
  x: Tensor;
  y: Tensor;
  alpha: number;
}

/** out[i] = value. */
export interface FillArgs {
  out: Tensor;
  value: number;
}

/** out[i] = x[i] converted to out's dtype (same size; f32 ↔ f64 ↔ i32). */
export interface CastArgs {
  x: Tensor;
  out: Tensor;
}

/**
 * x viewed as [rows, cols]. mode "last": out[r] = alpha·Σ_c x[r,c] (out [rows]);
 * "leading": out[c] = alpha·Σ_r x[r,c] (out [cols]); "all": out[0] = alpha·Σ x. Accumulate in f64.
 */
export interface SumArgs {
  x: Tensor;
  out: Tensor;
  rows: number;
  cols: number;
  mode: "last" | "leading" | "all";
  alpha: number;
}

/** Backward of sum: out viewed [rows, cols]; "last": out[r,c] = alpha·x[r]; "all": out[i] = alpha·x[0]. */
export interface ExpandArgs {
  x: Tensor;
  out: Tensor;
  rows: number;
  cols: number;
  mode: "last" | "all";
  alpha: number;
}

/** out[0] = [out[0] if accumulate] + Σ x[i]² (f64 accumulation). out: [1], x's dtype. */
export interface SumSquaresArgs {
  x: Tensor;
  out: Tensor;
  accumulate: boolean;
}

/** dst[r, dstStart + j] = [dst if accumulate] + src[r, srcStart + j] for r < rows, j < n. */
export interface CopyColumnsArgs {
  src: Tensor;
  dst: Tensor;
  rows: number;
  srcCols: number;
  srcStart: number;
  dstCols: number;
  dstStart: number;
  n: number;
  accumulate: boolean;
}

/** out[n, :] = table[ids[n], :]. ids i32 [N], table [V, D], out [N, D]. */
export interface EmbeddingArgs {
  ids: Tensor;
  table: Tensor;
  out: Tensor;
  N: number;
  D: number;
  V: number;
}

/** dTable[ids[n], :] += dOut[n, :] (dTable zeroed first unless accumulate). */
export interface EmbeddingBackwardArgs {
  dOut: Tensor;
  ids: Tensor;
  dTable: Tensor;
  N: number;
  D: number;
  V: number;
  accumulate: boolean;
}

/** Per row r of x [rows, D]: out = (x − mean)·rstd·weight + bias; saves mean, rstd [rows]. */
export interface LayerNormArgs {
  x: Tensor;
  weight: Tensor;
  bias: Tensor | null;
  out: Tensor;
  mean: Tensor;
  rstd: Tensor;
  rows: number;
  D: number;
  eps: number;
}

export interface LayerNormBackwardArgs {
  dOut: Tensor;
  x: Tensor;
  weight: Tensor;
  mean: Tensor;
  rstd: Tensor;
  dX: Tensor;
  dWeight: Tensor;
  dBias: Tensor | null;
  rows: number;
  D: number;
}

/** Per row: out = x·rstd·weight with rstd = 1/sqrt(mean(x²) + eps); saves rstd [rows]. */
export interface RmsNormArgs {
  x: Tensor;
  weight: Tensor;
  out: Tensor;
  rstd: Tensor;
  rows: number;
  D: number;
  eps: number;
}

export interface RmsNormBackwardArgs {
  dOut: Tensor;
  x: Tensor;
  weight: Tensor;
  rstd: Tensor;
  dX: Tensor;
  dWeight: Tensor;
  rows: number;
  D: number;
}

/** Elementwise activation (gelu: tanh approximation; silu: x·σ(x)). out may alias x. */
export interface UnaryArgs {
  x: Tensor;
  out: Tensor;
}

/** dX = dOut · f'(x). */
export interface UnaryBackwardArgs {
  dOut: Tensor;
  x: Tensor;
  dX: Tensor;
}

/** out = silu(gate) · up. */
export interface SwigluArgs {
  gate: Tensor;
  up: Tensor;
  out: Tensor;
}

export interface SwigluBackwardArgs {
  dOut: Tensor;
  gate: Tensor;
  up: Tensor;
  dGate: Tensor;
  dUp: Tensor;
}

/**
 * Rotary embedding on x [B, T, H, Dh] at positions p = offsets[b] + t, frequencies
 * invFreq[i] = theta^(−2i/Dh), i < Dh/2. style "half" (GPT-NeoX / Llama / Qwen2 rotate_half) pairs
 * (i, i + Dh/2); "interleaved" (GPT-J) pairs (2i, 2i+1). inverse rotates by −angle (the backward).
 * out may alias x.
 */
export interface RopeArgs {
  x: Tensor;
  out: Tensor;
  B: number;
  T: number;
  H: number;
  Dh: number;
  offsets: Int32Array;
  /** Position of each token [B·T] (packed rows), overriding offsets; null: offsets[b] + t. */
  positions: Int32Array | null;
  theta: number;
  style: "half" | "interleaved";
  inverse: boolean;
}

/** Softmax over the last dimension of x [rows, cols]. */
export interface SoftmaxArgs {
  x: Tensor;
  out: Tensor;
  rows: number;
  cols: number;
}

/** dX = out · (dOut − Σ_c dOut·out). */
export interface SoftmaxBackwardArgs {
  dOut: Tensor;
  out: Tensor;
  dX: Tensor;
  rows: number;
  cols: number;
}

/**
 * Causal self-attention. q [B,T,H,Dh], k/v [B,T,Hkv,Dh], out [B,T,H,Dh], lse [B,H,T] (log-sum-exp of
 * each query row's scaled scores, saved for the backward). Query head h uses kv head
 * floor(h / (H/Hkv)). Query t of sequence b attends keys j with keyStart[b] ≤ j ≤ t and
 * j < keyEnd[b] (null arrays: 0 and T). A row with no valid key gives out = 0, lse = 0, zero grads.
 */
export interface AttentionArgs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  out: Tensor;
  lse: Tensor;
  B: number;
  T: number;
  H: number;
  Hkv: number;
  Dh: number;
  scale: number;
  keyStart: Int32Array | null;
  keyEnd: Int32Array | null;
  /** Packed rows (see AttentionOptions.segments): shared prefix length per row [B], or null. */
  prefixLen: Int32Array | null;
  /** Packed rows: first position of the segment of each query [B·T] (0 in prefixes), or null. */
  segStart: Int32Array | null;
  /** The query rows whose outputs are read (AttentionOptions.queries), ascending; null = all. */
  queries: Int32Array | null;
}

export interface AttentionBackwardArgs extends Omit<AttentionArgs, "out" | "lse"> {
  dOut: Tensor;
  out: Tensor;
  lse: Tensor;
  dQ: Tensor;
  dK: Tensor;
  dV: Tensor;
}

/**
 * Attention of a query block against a KV cache. q [B,Tq,H,Dh]; kCache/vCache [B,Hkv,Tmax,Dh];
 * out [B,Tq,H,Dh]. Query i of sequence b sits at position pos[b] + i and attends cache slots j with
 * keyStart[b] ≤ j ≤ pos[b] + i (keyStart null: 0).
 */
export interface AttentionDecodeArgs {
  q: Tensor;
  kCache: Tensor;
  vCache: Tensor;
  out: Tensor;
  B: number;
  Tq: number;
  H: number;
  Hkv: number;
  Dh: number;
  Tmax: number;
  scale: number;
  pos: Int32Array;
  keyStart: Int32Array | null;
}

/** One layer's tensors for {@link DecodeStepArgs} (Llama family; weights [out, in]). */
export interface DecodeStepLayer {
  norm1: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  qBias: Tensor | null;
  kBias: Tensor | null;
  vBias: Tensor | null;
  o: Tensor;
  norm2: Tensor;
  gate: Tensor;
  up: Tensor;
  down: Tensor;
  /** The layer's KV cache [B, Hkv, Tmax, Dh]; the step writes row b's key/value at slot pos[b]. */
  kCache: Tensor;
  vCache: Tensor;
}

/**
 * One decoding step of a Llama-family model (RMSNorm, half-style rope, grouped-query attention over
 * cache slots 0 ..= pos[b], SwiGLU), fused: row b feeds token ids[b] at position pos[b] and gets
 * out[b] = the head's logits [V]. embed/head [V, d]; every size is a multiple of 4 and Dh is even.
 */
export interface DecodeStepArgs {
  ids: Int32Array;
  pos: Int32Array;
  embed: Tensor;
  layers: DecodeStepLayer[];
  normF: Tensor;
  head: Tensor;
  out: Tensor;
  H: number;
  Hkv: number;
  eps: number;
  ropeTheta: number;
}

/** cache[b, h, pos[b] + t, :] = x[b, t, h, :]. x [B,Tq,Hkv,Dh], cache [B,Hkv,Tmax,Dh]. */
export interface KvCacheWriteArgs {
  x: Tensor;
  cache: Tensor;
  B: number;
  Tq: number;
  Hkv: number;
  Dh: number;
  Tmax: number;
  pos: Int32Array;
}

/**
 * logits [N,V], targets i32 [N] → logp[n] = logits[n,t] − lse[n], lse[n] = log Σ_v exp(logits[n,v]).
 * A negative target (padding) gives logp = 0 and zero gradient.
 */
export interface LogSoftmaxGatherArgs {
  logits: Tensor;
  targets: Tensor;
  logp: Tensor;
  lse: Tensor;
  N: number;
  V: number;
}

/** dLogits[n,v] = dLogp[n] · ([v = t_n] − softmax(logits)[n,v]). */
export interface LogSoftmaxGatherBackwardArgs {
  dLogp: Tensor;
  logits: Tensor;
  targets: Tensor;
  lse: Tensor;
  dLogits: Tensor;
  N: number;
  V: number;
}

/**
 * AdamW step (PyTorch semantics), in place on param, m, v:
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p = p·(1 − lr·wd) − lr/(1−β1^t) · m / (sqrt(v/(1−β2^t)) + eps).
 */
export interface AdamWArgs {
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

/** Every kernel name and its signature. Backends register any subset; the rest fall back. */
export interface KernelMap {
  matmul: (args: MatmulArgs) => void;
  add: (args: BinaryArgs) => void;
  mul: (args: BinaryArgs) => void;
  scale: (args: ScaleArgs) => void;
  axpy: (args: AxpyArgs) => void;
  fill: (args: FillArgs) => void;
  cast: (args: CastArgs) => void;
  sum: (args: SumArgs) => void;
  expand: (args: ExpandArgs) => void;
  sumSquares: (args: SumSquaresArgs) => void;
  copyColumns: (args: CopyColumnsArgs) => void;
  embedding: (args: EmbeddingArgs) => void;
  embeddingBackward: (args: EmbeddingBackwardArgs) => void;
  layernorm: (args: LayerNormArgs) => void;
  layernormBackward: (args: LayerNormBackwardArgs) => void;
  rmsnorm: (args: RmsNormArgs) => void;
  rmsnormBackward: (args: RmsNormBackwardArgs) => void;
  gelu: (args: UnaryArgs) => void;
  geluBackward: (args: UnaryBackwardArgs) => void;
  silu: (args: UnaryArgs) => void;
  siluBackward: (args: UnaryBackwardArgs) => void;
  swiglu: (args: SwigluArgs) => void;
  swigluBackward: (args: SwigluBackwardArgs) => void;
  rope: (args: RopeArgs) => void;
  softmax: (args: SoftmaxArgs) => void;
  softmaxBackward: (args: SoftmaxBackwardArgs) => void;
  attention: (args: AttentionArgs) => void;
  attentionBackward: (args: AttentionBackwardArgs) => void;
  attentionDecode: (args: AttentionDecodeArgs) => void;
  kvCacheWrite: (args: KvCacheWriteArgs) => void;
  decodeStep: (args: DecodeStepArgs) => void;
  logSoftmaxGather: (args: LogSoftmaxGatherArgs) => void;
  logSoftmaxGatherBackward: (args: LogSoftmaxGatherBackwardArgs) => void;
  adamw: (args: AdamWArgs) => void;
}

export type KernelName = keyof KernelMap;

/**
 * Fused kernels: a backend may implement them to run a whole model step in one call; callers check
 * for them (e.g. hasDecodeStep) and keep the op-by-op path, so no backend has to.
 */
export type FusedKernelName = "decodeStep";

/** The kernels every complete backend implements (the ts reference, webgpu, tfjs with its attention). */
export type CoreKernelMap = Omit<KernelMap, FusedKernelName>;
