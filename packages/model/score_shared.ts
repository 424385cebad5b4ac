/**
 * Prefix-sharing teacher-forced scoring: the same log-probs as `score`, but each token shared by
 * several items' inputs runs through the model once (tree_forward.ts). MemPO's memory reward scores,
 * per rollout and turn, the gold answer after the question + memory and after the question + the full
 * history; the histories of consecutive turns are prefixes of each other and every item of a group
 * starts with the same question prompt, so plain scoring re-reads the same tokens again and again.
 *
 * Item i's input is context_i ++ target_i[0 .. R−2]; its rows P−1 … P+R−2 predict the target tokens
 * (log softmax gathered on the device, so only N values come back).
 *
 * Test: `npx vitest run score_shared_test.ts`.
 */
import { logSoftmaxGather, scale, tensor, tidy } from "@mempo/kernels";
import type { Model } from "./params.ts";
import type { ScoreOptions } from "./score.ts";
import { treeForward } from "./tree_forward.ts";

/**
 * log p(targets[i][j] | contexts[i], targets[i][<j]) for every item i, token j, running shared input
 * prefixes once. Equal to {@link score} up to float round-off.
 * @returns one Float32Array [targets[i].length] per item, in input order.
 */
export async function scoreShared(
  m: Model,
  contexts: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  opts: ScoreOptions = {},
): Promise<Float32Array[]> {
  const c = m.config;
  if (contexts.length !== targets.length) {
    throw new Error(
      `score: ${contexts.length} contexts but ${targets.length} targets; pass one target per context`,
    );
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`score: temperature must be > 0, got ${temperature}`);
  const out = targets.map((t) => new Float32Array(t.length));
  const live = Array.from(contexts.keys()).filter((i) => targets[i]!.length > 0);
  const seqs = live.map((i) => inputIds(contexts[i]!, targets[i]!, i, c.vocabSize, c.maxSeqLen));
  const from = Int32Array.from(live, (i) => contexts[i]!.length - 1);
  const to = Int32Array.from(live, (i) => contexts[i]!.length + targets[i]!.length - 1);
  await treeForward(m, seqs, {
    from,
    to,
    maxBatchTokens: opts.maxBatchTokens,
    maxCacheTokens: opts.maxCacheTokens,
    async head(logits, rows) {
      const tgt = Int32Array.from(rows, (r) => targets[live[r.seq]!]![r.pos - from[r.seq]!]!);
      const logp = tidy(() => {
        const x = temperature === 1 ? logits : scale(logits, 1 / temperature);
        const t = tensor(tgt, [tgt.length], { backend: m.backend, dtype: "i32" });
        return logSoftmaxGather(x, t).logp;
      });
      const host = await logp.read();
      logp.dispose();
      rows.forEach((r, k) => {
        out[live[r.seq]!]![r.pos - from[r.seq]!] = host[k]!;
      });
    },
  });
  return out;
}

/** context ++ target[0 .. R−2], checked. */
function inputIds(
  ctx: ArrayLike<number>,
  tgt: ArrayLike<number>,
  i: number,
  vocab: number,
  maxSeqLen: number,
): Int32Array {
  const P = ctx.length;
  const R = tgt.length;
  if (P === 0) throw new Error(`score: context ${i} is empty; give at least one token`);
  if (P + R > maxSeqLen) {
    throw new Error(
      `score: item ${i}: context (${P}) + target (${R}) = ${P + R} tokens exceeds the model's maxSeqLen ${maxSeqLen}`,
    );
  }
  const ids = new Int32Array(P + R - 1);
  for (let t = 0; t < P + R; t++) {
    const id = t < P ? ctx[t]! : tgt[t - P]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      const where = t < P ? `contexts[${i}][${t}]` : `targets[${i}][${t - P}]`;
      throw new Error(`score: ${where} = ${id} is not a token id in [0, ${vocab})`);
    }
    if (t < P + R - 1) ids[t] = id;
  }
  return ids;
}
