/**
 * Kernel bench cases: each has an id, the op and sizes (mirrored by peer_torch.py, which reads the
 * same list as JSON), its work (flops for compute-bound kernels, bytes moved for memory-bound ones)
 * and a setup that allocates inputs on a backend and returns the timed call.
 */
import {
  adamw,
  attention,
  attentionBackward,
  gelu,
  geluBackward,
  layernorm,
  layernormBackward,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
  matmul,
  randint,
  randn,
  rmsnorm,
  rmsnormBackward,
  silu,
  siluBackward,
  softmax,
  softmaxBackward,
  swiglu,
  swigluBackward,
  type Tensor,
  tidy,
  zeros,
} from "@mempo/kernels";

export interface Case {
  id: string;
  op: string;
  /** Sizes, passed to the peer as-is. */
  p: Record<string, number | boolean>;
  /** Useful floating-point operations per call (compute-bound kernels). */
  flops?: number;
  /** Bytes read + written per call, f32 (memory-bound kernels). */
  bytes?: number;
  setup: (backend: string) => () => void;
}

const r = (shape: number[], seed: number, backend: string, std = 1) => randn(shape, { seed, backend, std });

function mm(
  id: string,
  batch: number,
  M: number,
  N: number,
  K: number,
  transA = false,
  transB = false,
  bias = false,
): Case {
  return {
    id,
    op: "matmul",
    p: { batch, M, N, K, transA, transB, bias },
    flops: 2 * batch * M * N * K,
    setup: (backend) => {
      const lead = batch > 1 ? [batch] : [];
      const a = r([...lead, ...(transA ? [K, M] : [M, K])], 1, backend);
      const b = r([...lead, ...(transB ? [N, K] : [K, N])], 2, backend);
      const bb = bias ? r([N], 3, backend) : null;
      return () => tidy(() => void matmul(a, b, { transA, transB, bias: bb }));
    },
  };
}

function attn(id: string, B: number, T: number, H: number, Dh: number, backward: boolean): Case {
  const fwd = 4 * B * H * Dh * ((T * (T + 1)) / 2);
  return {
    id,
    op: backward ? "attention_bwd" : "attention",
    p: { B, T, H, Dh },
    flops: backward ? 2.5 * fwd : fwd,
    setup: (backend) => {
      const [q, k, v] = [1, 2, 3].map((s) => r([B, T, H, Dh], s, backend)) as [Tensor, Tensor, Tensor];
      if (!backward) return () => tidy(() => void attention(q, k, v));
      const f = attention(q, k, v);
      const dO = r([B, T, H, Dh], 4, backend);
      return () => tidy(() => void attentionBackward(dO, q, k, v, f.out, f.lse));
    },
  };
}

function rows(
  id: string,
  op: string,
  R: number,
  D: number,
  passes: number,
  fn: (backend: string) => () => void,
): Case {
  return { id, op, p: { R, D }, bytes: 4 * R * D * passes, setup: fn };
}

/** All cases, in table order. */
export function cases(): Case[] {
  const out: Case[] = [
    mm("matmul 1024³", 1, 1024, 1024, 1024),
    mm("matmul 1024³ transA", 1, 1024, 1024, 1024, true),
    mm("matmul 1024³ transB", 1, 1024, 1024, 1024, false, true),
    mm("matmul 1024³ transA transB", 1, 1024, 1024, 1024, true, true),
    mm("matmul 1024³ +bias", 1, 1024, 1024, 1024, false, false, true),
    mm("matmul batched 16×256³", 16, 256, 256, 256),
    mm("matmul batched 32×128×128×64 transB", 32, 128, 128, 64, false, true),
    mm("matmul 512³", 1, 512, 512, 512),
    mm("matmul 256³", 1, 256, 256, 256),
    mm("matmul 1024×768×256 (qkv)", 1, 1024, 768, 256),
    mm("matmul 1024×256×1024 (fc2)", 1, 1024, 256, 1024),
    mm("matmul 256×1024×1024 transA (dW fc2)", 1, 1024, 256, 1024, true),
    attn("attention B8 T128 H4 Dh64", 8, 128, 4, 64, false),
    attn("attention bwd B8 T128 H4 Dh64", 8, 128, 4, 64, true),
    attn("attention B2 T512 H8 Dh64", 2, 512, 8, 64, false),
    attn("attention bwd B2 T512 H8 Dh64", 2, 512, 8, 64, true),
  ];
  const R = 4096;
  const D = 1024;
  out.push(
    rows("layernorm 4096×1024", "layernorm", R, D, 2, (b) => {
      const [x, w, bb] = [r([R, D], 1, b), r([D], 2, b), r([D], 3, b)];
      return () => tidy(() => void layernorm(x, w, bb));
    }),
    rows("layernorm bwd 4096×1024", "layernorm_bwd", R, D, 3, (b) => {
      const [x, w, bb, dO] = [r([R, D], 1, b), r([D], 2, b), r([D], 3, b), r([R, D], 4, b)];
      const f = layernorm(x, w, bb);
      return () => tidy(() => void layernormBackward(dO, x, w, f.mean, f.rstd));
    }),
    rows("rmsnorm 4096×1024", "rmsnorm", R, D, 2, (b) => {
      const [x, w] = [r([R, D], 1, b), r([D], 2, b)];
      return () => tidy(() => void rmsnorm(x, w));
    }),
    rows("rmsnorm bwd 4096×1024", "rmsnorm_bwd", R, D, 3, (b) => {
      const [x, w, dO] = [r([R, D], 1, b), r([D], 2, b), r([R, D], 4, b)];
      const f = rmsnorm(x, w);
      return () => tidy(() => void rmsnormBackward(dO, x, w, f.rstd));
    }),
    rows("gelu 4096×1024", "gelu", R, D, 2, (b) => {
      const x = r([R, D], 1, b);
      return () => tidy(() => void gelu(x));
    }),
    rows("gelu bwd 4096×1024", "gelu_bwd", R, D, 3, (b) => {
      const [x, dO] = [r([R, D], 1, b), r([R, D], 2, b)];
      return () => tidy(() => void geluBackward(dO, x));
    }),
    rows("silu 4096×1024", "silu", R, D, 2, (b) => {
      const x = r([R, D], 1, b);
      return () => tidy(() => void silu(x));
    }),
    rows("silu bwd 4096×1024", "silu_bwd", R, D, 3, (b) => {
      const [x, dO] = [r([R, D], 1, b), r([R, D], 2, b)];
      return () => tidy(() => void siluBackward(dO, x));
    }),
    rows("swiglu 4096×1024", "swiglu", R, D, 3, (b) => {
      const [g, u] = [r([R, D], 1, b), r([R, D], 2, b)];
      return () => tidy(() => void swiglu(g, u));
    }),
    rows("swiglu bwd 4096×1024", "swiglu_bwd", R, D, 5, (b) => {
      const [g, u, dO] = [r([R, D], 1, b), r([R, D], 2, b), r([R, D], 3, b)];
      return () => tidy(() => void swigluBackward(dO, g, u));
    }),
    rows("softmax 4096×1024", "softmax", R, D, 2, (b) => {
      const x = r([R, D], 1, b);
      return () => tidy(() => void softmax(x));
    }),
    rows("softmax bwd 4096×1024", "softmax_bwd", R, D, 3, (b) => {
      const [x, dO] = [r([R, D], 1, b), r([R, D], 2, b)];
      const y = softmax(x);
      return () => tidy(() => void softmaxBackward(dO, y));
    }),
  );
  const N = 1024;
  const V = 8192;
  out.push(
    {
      id: "logSoftmaxGather 1024×8192",
      op: "logsoftmax_gather",
      p: { N, V },
      bytes: 4 * N * V,
      setup: (b) => {
        const [x, t] = [r([N, V], 1, b), randint([N], V, { seed: 2, backend: b })];
        return () => tidy(() => void logSoftmaxGather(x, t));
      },
    },
    {
      id: "logSoftmaxGather bwd 1024×8192",
      op: "logsoftmax_gather_bwd",
      p: { N, V },
      bytes: 8 * N * V,
      setup: (b) => {
        const [x, t, dl] = [r([N, V], 1, b), randint([N], V, { seed: 2, backend: b }), r([N], 3, b)];
        const f = logSoftmaxGather(x, t);
        return () => tidy(() => void logSoftmaxGatherBackward(dl, x, t, f.lse));
      },
    },
  );
  const P = 4 * 2 ** 20;
  out.push({
    id: "adamw 4M params",
    op: "adamw",
    p: { P },
    bytes: 4 * P * 7,
    setup: (b) => {
      const [p, g] = [r([P], 1, b, 0.02), r([P], 2, b, 0.01)];
      const [m, v] = [zeros([P], { backend: b }), zeros([P], { backend: b })];
      let step = 0;
      return () => adamw(p, g, m, v, { lr: 1e-3, step: ++step, weightDecay: 0.1 });
    },
  });
  return out;
}
