/**
 * The reference training step of the kernel bench: forward + backward (all weight and input
 * gradients, no optimizer) of a stack of 2 pre-LN transformer blocks, d = 256, 4 heads, MLP 4·d with
 * GELU, biases everywhere, seq 128, batch 8 — composed from @mempo/kernels ops exactly as a model
 * would call them. peer_torch.py builds the same stack from torch.nn pieces (manual causal attention:
 * torch 1.13 has no fused SDPA).
 */
import {
  add,
  attention,
  attentionBackward,
  concatLast,
  gelu,
  geluBackward,
  layernorm,
  layernormBackward,
  matmul,
  matmulBackward,
  ones,
  randn,
  splitLast,
  type Tensor,
  tidy,
  zeros,
} from "@mempo/kernels";

export const REF = { layers: 2, d: 256, heads: 4, ff: 1024, seq: 128, batch: 8 } as const;

interface Layer {
  ln1w: Tensor;
  ln1b: Tensor;
  wqkv: Tensor;
  bqkv: Tensor;
  wo: Tensor;
  bo: Tensor;
  ln2w: Tensor;
  ln2b: Tensor;
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
}

/** Useful flops of one step (matmuls 3× forward, causal attention counted as half of T²). */
export function refStepFlops(): number {
  const { layers, d, ff, seq, batch } = REF;
  const rows = batch * seq;
  const linear = 2 * rows * (d * 3 * d + d * d + 2 * d * ff);
  const attn = 4 * batch * d * ((seq * (seq + 1)) / 2);
  return layers * 3 * (linear + attn);
}

/** Builds weights on `backend` and returns one forward+backward step (runs inside tidy). */
export function makeRefStep(backend: string): () => void {
  const { layers, d, heads, ff, seq, batch } = REF;
  const o = (s: number) => ({ seed: s, std: 0.02, backend });
  const params: Layer[] = [];
  for (let l = 0; l < layers; l++) {
    const s = 100 * (l + 1);
    params.push({
      ln1w: ones([d], { backend }),
      ln1b: zeros([d], { backend }),
      wqkv: randn([d, 3 * d], o(s + 1)),
      bqkv: zeros([3 * d], { backend }),
      wo: randn([d, d], o(s + 2)),
      bo: zeros([d], { backend }),
      ln2w: ones([d], { backend }),
      ln2b: zeros([d], { backend }),
      w1: randn([d, ff], o(s + 3)),
      b1: zeros([ff], { backend }),
      w2: randn([ff, d], o(s + 4)),
      b2: zeros([d], { backend }),
    });
  }
  const x0 = randn([batch, seq, d], { seed: 7, backend });
  const dY = randn([batch, seq, d], { seed: 8, backend });
  const Dh = d / heads;

  return () =>
    tidy(() => {
      // Forward, keeping what backward needs.
      const saved = [];
      let x = x0;
      for (const p of params) {
        const ln1 = layernorm(x, p.ln1w, p.ln1b);
        const qkv = matmul(ln1.out, p.wqkv, { bias: p.bqkv });
        const [q, k, v] = splitLast(qkv, [d, d, d]).map((t) => t.reshape([batch, seq, heads, Dh])) as [
          Tensor,
          Tensor,
          Tensor,
        ];
        const att = attention(q, k, v);
        const attOut = att.out.reshape([batch, seq, d]);
        const h = add(x, matmul(attOut, p.wo, { bias: p.bo }));
        const ln2 = layernorm(h, p.ln2w, p.ln2b);
        const f1 = matmul(ln2.out, p.w1, { bias: p.b1 });
        const g = gelu(f1);
        const y = add(h, matmul(g, p.w2, { bias: p.b2 }));
        saved.push({ x, ln1, q, k, v, att, attOut, h, ln2, f1, g });
        x = y;
      }
      // Backward from dY.
      let dx = dY;
      for (let l = layers - 1; l >= 0; l--) {
        const p = params[l]!;
        const s = saved[l]!;
        const m2 = matmulBackward(dx, s.g, p.w2, { hasBias: true });
        const df1 = geluBackward(m2.dA!, s.f1);
        const m1 = matmulBackward(df1, s.ln2.out, p.w1, { hasBias: true });
        const ln2g = layernormBackward(m1.dA!, s.h, p.ln2w, s.ln2.mean, s.ln2.rstd);
        const dh = add(dx, ln2g.dX);
        const mo = matmulBackward(dh, s.attOut, p.wo, { hasBias: true });
        const dAtt = mo.dA!.reshape([batch, seq, heads, Dh]);
        const ag = attentionBackward(dAtt, s.q, s.k, s.v, s.att.out, s.att.lse);
        const dqkv = concatLast([ag.dQ, ag.dK, ag.dV].map((t) => t.reshape([batch, seq, d])));
        const mq = matmulBackward(dqkv, s.ln1.out, p.wqkv, { hasBias: true });
        const ln1g = layernormBackward(mq.dA!, s.x, p.ln1w, s.ln1.mean, s.ln1.rstd);
        dx = add(dh, ln1g.dX);
      }
    });
}
