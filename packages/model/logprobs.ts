/**
 * Teacher-forced per-token log-probs of response tokens for a batch of (prompt, response, loss mask)
 * items, with a backward that takes d loss / d logp per response token — the interface between the
 * model and the RL losses in @mempo/rl. Plus the SFT cross-entropy step built on it.
 *
 *   const pass = await forwardLogprobs(model, items);      // pass.logprobs[b]: Float32Array [R_b]
 *   pass.backward(dLogp);                                   // dLogp[b]: [R_b]; grads += into model.grads()
 *
 * Temperature: logp = log softmax(logits / T) (default T = 1), matching `generate`'s reported log-probs
 * at the same temperature.
 *
 * Test: `npx vitest run gradcheck_test.ts train_test.ts`.
 */
import {
  dispose,
  logSoftmaxGather,
  logSoftmaxGatherBackward,
  phase,
  scale,
  tensor,
  tidy,
} from "@mempo/kernels";
import { backward, freeSaved } from "./backward.ts";
import { type PackedBatch, packBatch, packShared, packsRows, type SeqItem, unpack } from "./batch.ts";
import { type ForwardSaved, forward } from "./forward.ts";
import type { Model } from "./params.ts";

export interface LogprobOptions {
  /** Softmax temperature of the log-probs; default 1. */
  temperature?: number;
  /** Keep activations for `backward`; default true (false frees them at once: scoring). */
  train?: boolean;
  /**
   * Run the items as one packed row: their common prefix once, no padding (batch.ts `packShared`).
   * Same log-probs and gradients up to float round-off. Default true where the backend implements
   * packed rows (ts, wasm); false = one right-padded row per item.
   */
  sharePrefix?: boolean;
}

/** The result of a forward: per-item log-probs, and the backward for the same batch. */
export interface LogprobPass {
  /** logprobs[b][j] = log p(responseIds[j] | prompt, responseIds[<j]) [R_b]. */
  logprobs: Float32Array[];
  /** The same log-probs flat [N] in the model's precision (float64 for an f64 model). */
  flat: ArrayLike<number>;
  /** Packed layout of the batch (rows, targets, offsets). */
  packed: PackedBatch;
  /**
   * Accumulates parameter gradients for d loss / d logp (one array [R_b] per item; multiplied by the
   * item's lossMask). Can be called once; frees the activations.
   */
  backward(dLogp: readonly ArrayLike<number>[]): void;
  /** Frees the activations without a backward. */
  dispose(): void;
}

/** Runs the teacher-forced forward over `items` (one padded batch). */
export function forwardLogprobs(
  m: Model,
  items: readonly SeqItem[],
  opts: LogprobOptions = {},
): Promise<LogprobPass> {
  return phase("forward", () => forwardPass(m, items, opts));
}

async function forwardPass(m: Model, items: readonly SeqItem[], opts: LogprobOptions): Promise<LogprobPass> {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`forwardLogprobs: temperature must be > 0, got ${temperature}`);
  const train = opts.train ?? true;
  const c = m.config;
  const share = (opts.sharePrefix ?? true) && packsRows(m.backend);
  const packed = (share ? packShared : packBatch)(items, c.vocabSize, c.maxSeqLen);
  const { B, T } = packed;
  const N = packed.rows.length;
  if (N === 0) {
    // No response tokens at all: nothing to compute or differentiate.
    return {
      logprobs: items.map(() => new Float32Array(0)),
      flat: new Float32Array(0),
      packed,
      backward() {},
      dispose() {},
    };
  }
  const batch = { B, T, ids: packed.ids, pos: new Int32Array(B), rows: packed.rows };
  const mode = { kind: "full" as const, keyEnd: packed.lens, packed: packed.packed };
  const r = tidy(() => {
    const f = forward(m, batch, mode, train);
    const logits = temperature === 1 ? f.logits : scale(f.logits, 1 / temperature);
    const targets = tensor(packed.targets, [N], { backend: m.backend, dtype: "i32" });
    const { logp, lse } = logSoftmaxGather(logits, targets);
    if (!train) return { logp, logits: null, targets: null, lse: null, saved: null };
    return { logp, logits, targets, lse, saved: f.saved };
  });
  let flat: ArrayLike<number>;
  try {
    flat = await r.logp.read();
  } catch (e) {
    dispose(r);
    throw e;
  }
  r.logp.dispose();
  let live = train;
  const free = () => {
    if (!live) return;
    live = false;
    dispose([r.logits, r.targets, r.lse]);
    if (r.saved) freeSaved(r.saved as ForwardSaved);
  };
  return {
    logprobs: unpack(flat, packed.offsets),
    flat,
    packed,
    dispose: free,
    backward(dLogp) {
      if (!live)
        throw new Error(
          "LogprobPass.backward: already used or disposed (run forwardLogprobs with train: true, once per backward)",
        );
      if (dLogp.length !== items.length)
        throw new Error(
          `LogprobPass.backward: got ${dLogp.length} gradient arrays for ${items.length} items`,
        );
      const g = new Float64Array(N);
      for (let b = 0; b < items.length; b++) {
        const R = packed.offsets[b + 1]! - packed.offsets[b]!;
        const d = dLogp[b]!;
        if (d.length !== R)
          throw new Error(
            `LogprobPass.backward: item ${b} has ${R} response tokens but dLogp[${b}] has ${d.length} values`,
          );
        const mask = items[b]!.lossMask;
        for (let j = 0; j < R; j++) g[packed.offsets[b]! + j] = d[j]! * (mask ? mask[j]! : 1);
      }
      try {
        phase("backward", () =>
          tidy(() => {
            const dLogpT = tensor(g, [N], { backend: m.backend, dtype: m.dtype });
            let dLogits = logSoftmaxGatherBackward(dLogpT, r.logits!, r.targets!, r.lse!);
            if (temperature !== 1) dLogits = scale(dLogits, 1 / temperature);
            backward(m, r.saved as ForwardSaved, dLogits);
          }),
        );
      } finally {
        free();
      }
    },
  };
}

/**
 * One SFT micro-step: mean cross-entropy over the loss-masked response tokens, gradients accumulated
 * into `model.grads()`. `scaleBy` multiplies the gradient (e.g. 1 / micro-batches).
 * @returns the loss (mean negative log-likelihood) and the number of tokens it averages over.
 */
export async function sftStep(
  m: Model,
  items: readonly SeqItem[],
  scaleBy = 1,
  opts: Pick<LogprobOptions, "sharePrefix"> = {},
): Promise<{ loss: number; tokens: number }> {
  const pass = await forwardLogprobs(m, items, opts);
  let tokens = 0;
  let nll = 0;
  for (let b = 0; b < items.length; b++) {
    const lp = pass.logprobs[b]!;
    const mask = items[b]!.lossMask;
    for (let j = 0; j < lp.length; j++) {
      const w = mask ? mask[j]! : 1;
      tokens += w;
      nll -= w * lp[j]!;
    }
  }
  if (tokens === 0) {
    pass.dispose();
    return { loss: 0, tokens: 0 };
  }
  pass.backward(pass.logprobs.map((lp) => new Float32Array(lp.length).fill(-scaleBy / tokens)));
  return { loss: nll / tokens, tokens };
}
