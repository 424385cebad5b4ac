/**
 * The backward pass, written out layer by layer with each kernel's explicit backward (llm.c style; no
 * autograd tape). Input: d loss / d logits of the head rows [N, V] and the activations a training
 * forward saved. Output: parameter gradients accumulated into `model.grads()` (so several
 * micro-batches can add up before an optimizer step). Frees the saved activations.
 *
 * Test: `npx vitest run gradcheck_test.ts` (central finite differences in float64, both families).
 */
import {
  attentionBackward,
  axpyInto,
  concatLast,
  dispose,
  embeddingBackward,
  gatherRows,
  gatherRowsBackward,
  geluBackward,
  layernormBackward,
  matmulBackward,
  rmsnormBackward,
  ropeBackward,
  swigluBackward,
  type Tensor,
  tidy,
} from "@mempo/kernels";
import {
  type AttendMode,
  ascending,
  attentionOptions,
  type BlockSaved,
  type ForwardSaved,
  type NormOut,
  ropeOptions,
} from "./forward.ts";
import type { Model } from "./params.ts";

/** dX of a norm; accumulates its weight (and bias) gradients. */
function normBackward(m: Model, dOut: Tensor, x: Tensor, n: NormOut, w: string, b?: string): Tensor {
  if (m.config.family === "gpt2") {
    const r = layernormBackward(dOut, x, m.p(w), n.mean!, n.rstd, { hasBias: b !== undefined });
    axpyInto(m.g(w), r.dWeight);
    if (b) axpyInto(m.g(b), r.dBias!);
    return r.dX;
  }
  const r = rmsnormBackward(dOut, x, m.p(w), n.rstd);
  axpyInto(m.g(w), r.dWeight);
  return r.dX;
}

/** dX of y = x·Wᵀ (+ b); accumulates dW (and db). */
function linearBackward(m: Model, dOut: Tensor, x: Tensor, w: string, b?: string): Tensor {
  const into = b ? { dB: m.g(w), dBias: m.g(b) } : { dB: m.g(w) };
  return matmulBackward(dOut, x, m.p(w), { transB: true, into }).dA!;
}

/** Backward of one block: dy [R, d] → dx [R, d]. */
function blockBackward(
  m: Model,
  l: number,
  s: BlockSaved,
  dy: Tensor,
  mode: AttendMode & { kind: "full" },
  headRows: { rows: Int32Array; rowsT: Tensor },
): Tensor {
  return tidy(() => {
    const c = m.config;
    const L = m.layers[l]!;
    const [B, T, H, Dh] = s.q.shape as [number, number, number, number];
    const R = B * T;
    // A head-rows-only block (forward.ts blockForward): dy and the MLP are [N, d]; the attention's
    // output gradient and the residual scatter back to all R rows.
    const scatter = (g: Tensor) => (s.headRowsOnly ? gatherRowsBackward(g, headRows.rowsT, R) : g);
    // MLP: y = x2 + proj(act(n2))
    let dn2: Tensor;
    if (L.fc) {
      const da = linearBackward(m, dy, s.a, L.proj!, L.projBias);
      dn2 = linearBackward(m, geluBackward(da, s.h), s.n2.out, L.fc, L.fcBias);
    } else {
      const da = linearBackward(m, dy, s.a, L.down!);
      const { dGate, dUp } = swigluBackward(da, s.h, s.u!);
      dn2 = linearBackward(m, dGate, s.n2.out, L.gate!);
      axpyInto(dn2, linearBackward(m, dUp, s.n2.out, L.up!));
    }
    const dx2 = normBackward(m, dn2, s.x2, s.n2, L.norm2, L.norm2Bias);
    axpyInto(dx2, dy);
    // Attention: x2 = x + o(attn(n1))
    const att2 = s.attOut.reshape([R, H * Dh]);
    const dAtt = scatter(
      linearBackward(m, dx2, s.headRowsOnly ? gatherRows(att2, headRows.rowsT) : att2, L.o, L.oBias),
    );
    const opts = attentionOptions(mode);
    const g = attentionBackward(
      dAtt.reshape([B, T, H, Dh]),
      s.q,
      s.k,
      s.v,
      s.attOut,
      s.lse,
      s.headRowsOnly && ascending(headRows.rows) ? { ...opts, queries: headRows.rows } : opts,
    );
    let dQ = g.dQ;
    let dK = g.dK;
    if (c.family === "llama") {
      const r = ropeOptions(m, mode);
      dQ = ropeBackward(dQ, r);
      dK = ropeBackward(dK, r);
    }
    const dkv = c.nKvHeads * Dh;
    const dq2 = dQ.reshape([R, H * Dh]);
    const dk2 = dK.reshape([R, dkv]);
    const dv2 = g.dV.reshape([R, dkv]);
    let dn1: Tensor;
    if (L.qkv) {
      dn1 = linearBackward(m, concatLast([dq2, dk2, dv2]), s.n1.out, L.qkv, L.qkvBias);
    } else {
      dn1 = linearBackward(m, dq2, s.n1.out, L.q!, L.qBias);
      axpyInto(dn1, linearBackward(m, dk2, s.n1.out, L.k!, L.kBias));
      axpyInto(dn1, linearBackward(m, dv2, s.n1.out, L.v!, L.vBias));
    }
    const dx = normBackward(m, dn1, s.x, s.n1, L.norm1, L.norm1Bias);
    axpyInto(dx, scatter(dx2));
    return dx;
  });
}

/**
 * Accumulates parameter gradients from d loss / d logits [N, V] of a training forward, then frees the
 * saved activations (the forward's `saved` cannot be used again).
 */
export function backward(m: Model, saved: ForwardSaved, dLogits: Tensor): void {
  const mode = saved.mode;
  if (mode.kind !== "full")
    throw new Error("backward: only a full-attention training forward can be differentiated");
  try {
    tidy(() => {
      const c = m.config;
      const { B, T } = saved.batch;
      const n = m.names;
      const dnf = linearBackward(m, dLogits, saved.nf.out, n.head);
      const dhsel = normBackward(m, dnf, saved.hsel, saved.nf, n.normF, n.normFBias);
      const headRows = { rows: saved.batch.rows, rowsT: saved.rowsT };
      let dx = saved.blocks[c.nLayers - 1]?.headRowsOnly
        ? dhsel
        : gatherRowsBackward(dhsel, saved.rowsT, B * T);
      for (let l = c.nLayers - 1; l >= 0; l--) {
        const next = blockBackward(m, l, saved.blocks[l]!, dx, mode, headRows);
        dx.dispose();
        dispose(saved.blocks[l]);
        dx = next;
      }
      embeddingBackward(dx, saved.idsT, c.vocabSize, { into: m.g(n.embed) });
      if (n.pos && saved.posT) embeddingBackward(dx, saved.posT, c.maxSeqLen, { into: m.g(n.pos) });
    });
  } finally {
    freeSaved(saved);
  }
}

/** Frees the activations of a training forward (idempotent). */
export function freeSaved(saved: ForwardSaved): void {
  dispose(saved.blocks);
  dispose([saved.idsT, saved.posT, saved.rowsT, saved.xL, saved.hsel, saved.nf]);
}
